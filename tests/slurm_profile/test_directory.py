"""The study run from another folder into a third (`snakemake --snakefile REPO/Snakefile
--directory WORK`), as on a cluster where results go to scratch: the repository's files are found
beside the Snakefile, every output goes to the working directory, and every job leaves its
benchmark file there for `backprop-study resources`."""

from __future__ import annotations

import csv
import subprocess

import pytest
from tiny_study import TINY_CONFIG
from workflow_copy import BIN, make_copy, snakemake

pytestmark = pytest.mark.workflow

CONFIG = {
    **{key: value for key, value in TINY_CONFIG.items() if key != "experiments"},
    "seeds": [0, 1],
    "experiments": {"weight_decay": TINY_CONFIG["experiments"]["weight_decay"]},
    "results": "results",
}
# Every rule of the study's DAG (its one experiment's figures are one job).
BENCHMARKED = (
    "figures_weight_decay",
    "study_settings",
    "train",
    "aggregate_experiment",
    "runs_table",
    "curves_table",
    "claims_table",
    "findings_table",
    "study_report",
)


def test_study_runs_with_its_working_directory_elsewhere(tmp_path):
    repo, work, elsewhere = tmp_path / "repo", tmp_path / "work", tmp_path / "elsewhere"
    env = make_copy(repo, CONFIG)
    elsewhere.mkdir()
    where = ("--snakefile", str(repo / "Snakefile"), "--directory", str(work))
    snakemake(elsewhere, env, *where)

    results = work / "results"
    assert (results / "study_report.html").stat().st_size > 0
    assert not (repo / "results").exists() and not (elsewhere / "results").exists()

    benchmarks = results / "logs" / "benchmarks"
    assert sorted(p.name for p in benchmarks.iterdir()) == sorted(BENCHMARKED)
    manifests = sorted((results / "runs").rglob("seeds-*.json"))
    trained = sorted((benchmarks / "train").rglob("*.tsv"))
    assert len(manifests) == len(trained) == 2  # one benchmark per training job
    for path in benchmarks.rglob("*.tsv"):
        with path.open(newline="") as fh:
            (row,) = csv.DictReader(fh, delimiter="\t")
        assert float(row["s"]) > 0, path

    proc = subprocess.run(
        [str(BIN / "backprop-study"), "resources", str(benchmarks)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [line.split()[0] for line in proc.stdout.splitlines()[1:-1]] == sorted(BENCHMARKED)

    again = snakemake(elsewhere, env, *where)
    assert "Nothing to be done" in again.stdout + again.stderr
