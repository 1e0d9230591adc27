"""Reading the workflow changes nothing on disk: a damaged run is part of the DAG.

A tiny study in a temporary copy of the workflow, trained once; each test damages it the way a
user might (a truncated run file, a kill, another config on the same results folder), checks
what Snakemake does, and leaves the study complete again. A damaged run changes its training
job's params (`study.integrity.job_integrity`, read at parse time), so any call that needs the run
retrains it, whatever its targets, and a dry run shows that and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from snakemake_log import jobs_in
from workflow_copy import kill_when, make_copy, train_log
from workflow_copy import snakemake as run_snakemake

pytestmark = pytest.mark.workflow

CONFIG = {
    "results": "results",
    "epochs": 300,
    "seeds": [0, 1],
    "logging": {"dense_until": 50, "per_decade": 30},
    "snapshots": 5,
    "experiments": {
        "one": {"lam": [0, 0.1]},
        "slow": {"alpha": [0.1], "epochs": 300_000},  # long enough to be killed while training
    },
}
ONE = "enc~k/lam~0.1/alpha~0.01/batch~8"  # only in experiment `one`
SLOW = "enc~k/lam~0/alpha~0.1/batch~8/epochs~300000"  # only in experiment `slow`


def table(experiment: str, results: str = "results") -> str:
    return f"{results}/tables/{experiment}/runs.parquet"


def manifest(setting: str) -> str:
    return f"results/runs/{setting}/seeds-0.json"


def snakemake(cwd: Path, env: dict, *args: str, check: bool = True) -> str:
    """Snakemake's output (stdout and stderr) in the study's copy."""
    proc = run_snakemake(cwd, env, *args, check=check)
    return proc.stdout + proc.stderr


def disk(folder: Path) -> dict[Path, tuple[int, bytes]]:
    """Every file under `folder` with its mtime and bytes: unchanged means nothing was written."""
    return {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def damage(run: Path) -> bytes:
    """Truncate the run's curve file (a full disk, a bad copy); returns its intact bytes."""
    curve = run / "curve.parquet"
    intact = curve.read_bytes()
    curve.write_bytes(intact[:1000])
    return intact


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("damage")
    env = make_copy(cwd, CONFIG)
    snakemake(cwd, env)
    assert "Nothing to be done" in snakemake(cwd, env, "--dry-run")
    return cwd, env


def test_a_dry_run_names_a_damaged_run_and_writes_nothing(study):
    cwd, env = study
    run = cwd / "results" / "runs" / ONE / "seed~0"
    intact = damage(run)
    before = disk(cwd / "results")
    try:
        for flag in ("--dry-r", "-n"):  # an abbreviation Snakemake accepts, and the short form
            output = snakemake(cwd, env, flag, table("one"))
            assert jobs_in(output)["train"] == {manifest(ONE)}
            assert (
                f"results/runs/{ONE}/seed~0: damaged (curve.parquet differs from its checksum); "
                "its training job reruns"
            ) in output
            assert disk(cwd / "results") == before
    finally:
        (run / "curve.parquet").write_bytes(intact)
    assert "Nothing to be done" in snakemake(cwd, env, "--dry-run")


def test_a_damaged_run_is_retrained_for_one_experiments_table(study):
    cwd, env = study
    run = cwd / "results" / "runs" / ONE / "seed~0"
    neighbour = disk(run.parent / "seed~1")
    checksums = (run / "checksums.sha256").read_bytes()
    damage(run)
    jobs = jobs_in(snakemake(cwd, env, table("one")))
    assert jobs["train"] == {manifest(ONE)}
    assert jobs["aggregate_experiment"] == {table("one")}
    log = train_log(cwd, ONE)
    assert log[0].startswith("seed~1: kept")
    assert log[1].startswith("seed~0: trained in ") and "damaged (curve.parquet differs" in log[1]
    assert (run / "checksums.sha256").read_bytes() == checksums  # the same bytes as before
    assert len((run / "curve.parquet.damaged").read_bytes()) == 1000  # kept for a look
    assert disk(run.parent / "seed~1") == neighbour
    # Later calls are clean: the same target, then the whole study retrains nothing.
    assert "Nothing to be done" in snakemake(cwd, env, "--dry-run", table("one"))
    assert "train" not in jobs_in(snakemake(cwd, env))
    assert "Nothing to be done" in snakemake(cwd, env, "--dry-run")


def test_a_kill_right_after_the_job_starts_loses_no_run(study):
    cwd, env = study
    run = cwd / "results" / "runs" / SLOW / "seed~1"
    checksums = (run / "checksums.sha256").read_bytes()
    damage(run)
    set_aside = run / "curve.parquet.damaged"  # by the job, first thing
    kill_when(cwd, env, set_aside.exists, table("slow"), timeout=120, poll=0.005)
    assert not (run / "checksums.sha256").exists()  # killed before the run was retrained
    assert (cwd / manifest(SLOW)).exists()  # an update() output: kept while its job runs
    snakemake(cwd, env, "--unlock")  # a SIGKILL leaves Snakemake's lock behind
    assert jobs_in(snakemake(cwd, env, "--dry-run", table("slow")))["train"] == {manifest(SLOW)}
    jobs = jobs_in(snakemake(cwd, env, table("slow")))
    assert jobs["train"] == {manifest(SLOW)}
    assert [line.split(":")[0] for line in train_log(cwd, SLOW) if " trained in " in line] == [
        "seed~1"
    ]
    assert (run / "checksums.sha256").read_bytes() == checksums
    assert "Nothing to be done" in snakemake(cwd, env, "--dry-run", table("slow"))
    snakemake(cwd, env)
    assert "Nothing to be done" in snakemake(cwd, env, "--dry-run")


def test_no_call_overwrites_runs_made_under_other_study_wide_settings(study):
    cwd, env = study
    first = {**CONFIG, "results": "results/guard", "experiments": {"a": {"lam": [0]}}}
    (cwd / "first.yaml").write_text(yaml.safe_dump(first))
    (cwd / "second.yaml").write_text(yaml.safe_dump({**first, "epochs": 400}))
    snakemake(cwd, env, table("a", "results/guard"), "--configfile", "first.yaml")
    assert (cwd / "results" / "guard" / "study-settings.json").exists()
    runs = disk(cwd / "results" / "guard" / "runs")
    output = snakemake(
        cwd, env, table("a", "results/guard"), "--configfile", "second.yaml", check=False
    )
    errors = [line for line in output.splitlines() if "holds runs of a study with" in line]
    assert errors == [
        "config error: results: results/guard/ holds runs of a study with epochs=300, not 400; "
        "allowed: give this config its own results folder (results: results/guard/other), or "
        "delete results/guard/study-settings.json to retrain those runs under this config"
    ], output
    assert disk(cwd / "results" / "guard" / "runs") == runs
