"""The README's study commands, pasted as written: one experiment on a tiny config in a fresh
temporary copy, adding a value on a copy of the session's finished quick study
(tests/workflow/conftest.py)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake_log import jobs_in
from workflow_copy import ROOT, copy_study, make_copy

BIN = Path(sys.executable).parent
README = (ROOT / "README.md").read_text()
TINY = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text()) | {
    "results": "results",
    "epochs": 300,
    "seeds": [0],
    "snapshots": 3,
    "logging": {"dense_until": 20, "per_decade": 20},
}
TINY["experiments"]["weights"]["snapshot_at"] = [250]
pytestmark = pytest.mark.workflow


def readme_command(pattern: str) -> str:
    """The one README code span matching `pattern`."""
    found = re.findall(rf"`({pattern})`", README.replace("\n  ", " "))
    assert len(found) == 1, found
    return found[0]


def run(cwd: Path, env: dict, command: str) -> str:
    args = shlex.split(command)
    assert args[0] == "snakemake"
    proc = subprocess.run(
        [str(BIN / "snakemake"), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_the_readme_one_experiment_command(tmp_path):
    env = make_copy(tmp_path, TINY)
    # "One experiment only: name its outputs as targets"
    one = readme_command(r"snakemake --cores 8 results/tables/\S+ results/figures/\S+")
    targets = shlex.split(one)[3:]
    jobs = jobs_in(run(tmp_path, env, one))
    assert all((tmp_path / t).exists() for t in targets)
    lr = {f"results/runs/enc~k/lam~0/alpha~{a}/batch~8/seeds-0.json"
          for a in ("0.01", "0.1", "0.5", "1", "2", "5")}  # fmt: skip
    assert jobs["train"] == lr  # the learning_rate settings, nothing else
    assert sorted(p.parent.name for p in (tmp_path / "results" / "tables").glob("*/*.md")) == [
        "learning_rate"
    ]


def test_the_readme_add_a_value_command(finished_quick_study, tmp_path):
    """The README's "Add a value to a grid" on a finished study: only the new runs train."""
    cwd = tmp_path / "study"
    env = copy_study(finished_quick_study.cwd, cwd)
    lam = yaml.safe_load(readme_command(r"lam: \[[^\]]+\]"))["lam"]
    config = yaml.safe_load((cwd / "config" / "config.yaml").read_text())
    new = sorted(set(map(float, lam)) - set(config["experiments"]["weight_decay"]["lam"]))
    assert new == [0.03]
    config["experiments"]["weight_decay"]["lam"] = lam
    (cwd / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    jobs = jobs_in(run(cwd, env, "snakemake --cores 2 -n"))
    assert jobs["train"] == {"results/runs/enc~k/lam~0.03/alpha~0.01/batch~8/seeds-0.json"}
    assert jobs["aggregate_experiment"] == {"results/tables/weight_decay/runs.parquet"}
