"""The quick study that the workflow tests share, run once per session.

config/quick.yaml in a temporary copy of the workflow, started, killed mid-way with SIGKILL and
finished by a second call (what test_workflow checks first). Nobody changes it afterwards: tests
that only read a finished study read it, and a test module that changes a study (edits, damage,
reruns) works on its own copy (`workflow_copy.copy_study`), so no test depends on another's
order.
Under pytest-xdist (both tiers run on its workers, pyproject.toml) the first worker that needs it
makes it under a file lock in the run's shared temporary folder; the others wait and read it.
"""

from __future__ import annotations

import fcntl
import pickle
from dataclasses import dataclass
from pathlib import Path

import pytest
from workflow_copy import (
    WRITTEN,
    incomplete_outputs,
    kill_after,
    make_copy,
    quick_config,
    quick_study,
    snakemake,
    stamps,
)


@dataclass(frozen=True)
class FinishedStudy:
    """The shared quick study: its folder and environment, and what the kill left behind."""

    cwd: Path
    env: dict[str, str]
    finished: dict[Path, dict]  # run directory -> stamps() of the runs complete at the kill
    marked: set[str]  # outputs Snakemake had marked incomplete when it was killed


@pytest.fixture(scope="session")
def finished_quick_study(tmp_path_factory, worker_id) -> FinishedStudy:
    if worker_id == "master":  # not distributed (pytest -n 0)
        return make_finished_study(tmp_path_factory.getbasetemp() / "quick")
    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker
    with open(shared / "quick.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made, cwd = shared / "quick.pickle", shared / "quick"
        if not made.is_file():
            if cwd.exists():
                pytest.fail("the shared quick study failed in another worker (see its error)")
            study = make_finished_study(cwd)
            made.write_bytes(pickle.dumps(study))
        return pickle.loads(made.read_bytes())


def make_finished_study(cwd: Path) -> FinishedStudy:
    """Start the quick study in `cwd` (made here), kill it mid-way, finish it with a second
    call."""
    cwd.mkdir()
    env = make_copy(cwd, quick_config())
    total = len(quick_study().run_ids())
    done = kill_after(cwd, env, runs=min(6, total // 3))
    assert 0 < len(done) < total
    marked = incomplete_outputs(cwd)
    # Only manifests are outputs: a killed training job's finished runs are not Snakemake's.
    assert not [m for m in marked if Path(m).name in WRITTEN], marked
    finished = {d: stamps(d) for d in done}
    # A SIGKILL leaves Snakemake's lock behind: release it, as a user would, then rerun.
    snakemake(cwd, env, "--unlock")
    snakemake(cwd, env, "--rerun-incomplete", timeout=900)
    return FinishedStudy(cwd, env, finished, marked)
