import json

import pytest

from backprop_study.cli import main
from backprop_study.engine.runconfig import RunConfig
from backprop_study.engine.runfiles import CHECKSUMS, WRITTEN
from backprop_study.study.grid import MANIFEST
from backprop_study.study.integrity import job_integrity, job_problems

SETTINGS = ["enc~k/lam~0", "enc~k/lam~0.1"]
JOBS = [(SETTINGS[0], 0), (SETTINGS[1], 0), (SETTINGS[1], 1)]
SEEDS = {JOBS[0]: [0, 1], JOBS[1]: [0], JOBS[2]: [1]}


def manifest(root, job):
    setting, part = job
    return root / setting / MANIFEST.format(part=part)


def train(root, job, integrity=""):
    """Run the training job `job` (setting, part) as the workflow does."""
    lam = float(job[0].rsplit("~", 1)[1])
    config = RunConfig(epochs=30, lam=lam).to_dict()
    del config["seed"]
    settings = json.dumps({"config": config, "seeds": SEEDS[job], "engine": "fast"})
    argv = ["train-seeds", "--settings", settings, "--root", str(root / job[0])]
    argv += ["--manifest", str(manifest(root, job)), "--integrity", integrity]
    assert main(argv) == 0


@pytest.fixture()
def runs_root(tmp_path):
    """Two settings of two seeds each, trained as the workflow's jobs do: the first in one job,
    the second in two parts of one seed."""
    for job in JOBS:
        train(tmp_path, job)
    return tmp_path


def integrity(root, job):
    return job_integrity(root / job[0], job[1], SEEDS[job])


def disk(root):
    """Every file under `root` with its bytes and mtime: unchanged means nothing was written."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_intact_runs_give_the_digest_their_manifest_recorded(runs_root, capsys):
    assert [integrity(runs_root, job) for job in JOBS] == ["", "", ""]
    train(runs_root, JOBS[0], integrity="0123456789abcdef")
    assert integrity(runs_root, JOBS[0]) == "0123456789abcdef"
    assert job_problems(runs_root / "enc~k/lam~1", 0, [0, 1]) == ("", [])  # not run yet
    assert capsys.readouterr().err == ""


def test_a_damaged_run_changes_the_digest_and_nothing_on_disk(runs_root, capsys):
    capsys.readouterr()
    run = runs_root / SETTINGS[1] / "seed~1"
    damaged = run / "weights.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])
    before = disk(runs_root)
    found = [integrity(runs_root, job) for job in JOBS]
    assert found[:2] == ["", ""] and len(found[2]) == 16  # only the job that lists it
    assert capsys.readouterr().err.splitlines() == [
        f"{run}: damaged (weights.parquet differs from its checksum); its training job reruns"
    ]
    assert disk(runs_root) == before
    # The job it reruns records the digest: then the digest is what Snakemake recorded.
    train(runs_root, JOBS[2], integrity=found[2])
    assert sorted(p.name for p in run.glob("*.damaged")) == sorted(f"{n}.damaged" for n in WRITTEN)
    assert integrity(runs_root, JOBS[2]) == found[2]
    # The same damage again is a change again.
    damaged.write_bytes(damaged.read_bytes()[:100])
    assert integrity(runs_root, JOBS[2]) not in ("", found[2])


def test_a_deleted_replaced_or_unreadable_run_changes_the_digest(runs_root, capsys):
    capsys.readouterr()
    a, b = (runs_root / SETTINGS[0] / f"seed~{s}" for s in (0, 1))
    for name in WRITTEN:  # seed 1's intact files where seed 0's were
        (a / name).write_bytes((b / name).read_bytes())
    replaced = integrity(runs_root, JOBS[0])
    assert f"{CHECKSUMS} differs from its manifest's" in capsys.readouterr().err
    for p in b.iterdir():
        p.unlink()
    b.rmdir()
    both = integrity(runs_root, JOBS[0])
    assert f"{b}: missing (its files are gone); its training job reruns" in capsys.readouterr().err
    assert len({"", replaced, both}) == 3
    manifest(runs_root, JOBS[1]).write_text("{")
    assert integrity(runs_root, JOBS[1]) != ""
    assert "not a readable manifest" in capsys.readouterr().err
    assert manifest(runs_root, JOBS[1]).read_text() == "{"


def test_without_a_manifest_a_run_left_damaged_or_missing_changes_the_digest(runs_root, capsys):
    """A manifest that is gone (deleted, or removed after a failed job) while the runs are not
    all there: the job must run again whatever needs it."""
    capsys.readouterr()
    manifest(runs_root, JOBS[0]).unlink()
    assert integrity(runs_root, JOBS[0]) == ""  # every run intact: nothing to repair
    run = runs_root / SETTINGS[0] / "seed~1"
    (run / CHECKSUMS).unlink()
    assert integrity(runs_root, JOBS[0]) != ""
    assert capsys.readouterr().err == (
        f"{run}: incomplete ({CHECKSUMS} is missing); its training job reruns\n"
    )
