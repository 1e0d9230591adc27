import pytest

from backprop_study.cli import main
from backprop_study.engine.runfiles import CHECKSUMS, WRITTEN
from backprop_study.study.grid import MANIFEST
from backprop_study.study.integrity import check_jobs, executes_jobs

SETTINGS = ["enc~k/lam~0", "enc~k/lam~0.1"]
JOBS = [(SETTINGS[0], 0), (SETTINGS[1], 0), (SETTINGS[1], 1)]
SEEDS = {JOBS[0]: ["0", "1"], JOBS[1]: ["0"], JOBS[2]: ["1"]}


def manifest(root, job):
    setting, part = job
    return root / setting / MANIFEST.format(part=part)


@pytest.fixture()
def runs_root(tmp_path):
    """Two settings of two seeds each, trained as the workflow's jobs do: the first in one job,
    the second in two parts of one seed."""
    for job in JOBS:
        root = tmp_path / job[0]
        lam = job[0].rsplit("~", 1)[1]
        argv = ["train-seeds", "--epochs", "30", "--lam", lam, "--seeds", *SEEDS[job]]
        assert main([*argv, "--root", str(root), "--manifest", str(manifest(tmp_path, job))]) == 0
    return tmp_path


def files(run):
    return {p.name: p.read_bytes() for p in run.iterdir()}


def test_a_damaged_run_is_set_aside_and_its_manifest_removed(runs_root, capsys):
    capsys.readouterr()
    run = runs_root / SETTINGS[1] / "seed~1"
    damaged = run / "weights.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])
    intact = {p: files(p) for p in runs_root.glob("*/*/seed~*") if p != run}
    # Only the part that lists the damaged run goes; a job without a manifest yet is skipped.
    assert check_jobs(runs_root, [*JOBS, ("enc~k/lam~1", 0)], dry_run=False) == [JOBS[2]]
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{run}: damaged (weights.parquet differs from its checksum); set aside as "
        "*.damaged, retraining"
    ]
    assert sorted(p.name for p in run.iterdir()) == sorted(f"{name}.damaged" for name in WRITTEN)
    assert [manifest(runs_root, job).exists() for job in JOBS] == [True, True, False]
    assert {p: files(p) for p in intact} == intact
    assert check_jobs(runs_root, JOBS, dry_run=False) == []  # nothing left to find


def test_a_deleted_run_folder_removes_its_manifest(runs_root, capsys):
    capsys.readouterr()
    run = runs_root / SETTINGS[0] / "seed~0"
    for p in run.iterdir():
        p.unlink()
    run.rmdir()
    assert check_jobs(runs_root, JOBS, dry_run=False) == [JOBS[0]]
    assert capsys.readouterr().err == f"{run}: missing (its files are gone); retraining\n"
    assert not manifest(runs_root, JOBS[0]).exists()


def test_a_replaced_run_or_a_bad_manifest_removes_the_manifest(runs_root, capsys):
    capsys.readouterr()
    a, b = (runs_root / SETTINGS[0] / f"seed~{s}" for s in (0, 1))
    for name in WRITTEN:  # seed 1's intact files where seed 0's were
        (a / name).write_bytes((b / name).read_bytes())
    assert check_jobs(runs_root, JOBS, dry_run=False) == [JOBS[0]]
    assert f"{CHECKSUMS} differs from its manifest's" in capsys.readouterr().err
    manifest(runs_root, JOBS[1]).write_text("{")
    assert check_jobs(runs_root, JOBS, dry_run=False) == [JOBS[1]]
    assert "not a readable manifest" in capsys.readouterr().err
    assert [manifest(runs_root, job).exists() for job in JOBS] == [False, False, True]


def test_a_dry_run_only_names_a_damaged_run(runs_root, capsys):
    capsys.readouterr()
    damaged = runs_root / SETTINGS[0] / "seed~0" / "curve.parquet"
    damaged.write_bytes(b"not parquet")
    assert check_jobs(runs_root, JOBS, dry_run=True) == [JOBS[0]]
    assert "a real run retrains it" in capsys.readouterr().err
    assert damaged.read_bytes() == b"not parquet"
    assert manifest(runs_root, JOBS[0]).exists()


@pytest.mark.parametrize(
    ("argv", "runs"),
    [
        ([], True),
        (["--cores", "2"], True),
        (["-c", "2", "--rerun-incomplete"], True),
        (["-n"], False),
        (["-np"], False),
        (["--dry-run", "--cores", "2"], False),
        (["--lint"], False),
        (["--report", "results/report.html"], False),
        (["--unlock"], False),
        (["--forcerun", "results/runs/x/curve.parquet"], True),
    ],
)
def test_which_command_lines_run_jobs(argv, runs):
    assert executes_jobs(argv) is runs
