"""Copying the workflow to a temporary directory, so end-to-end tests never touch results/, and
running Snakemake there; the quick study that the workflow tests share (tests/workflow/conftest.py)
is run and copied with these."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from backprop_study.study.config import load_study
from backprop_study.study.grid import Study

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKFLOW_PARTS = ("Snakefile", "workflow", "config", "report", "profiles")
RUN_FILES = ("curve.parquet", "weights.parquet", "hidden.parquet")
WRITTEN = ("provenance.json", *RUN_FILES, "checksums.sha256")


def copy_workflow(dest: Path) -> None:
    """Snakefile, rules, configs, report templates and profiles into `dest` (created)."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)


def make_copy(dest: Path, config: dict[str, Any] | None = None) -> dict[str, str]:
    """`copy_workflow` plus the package, with `config` (if given) as config/config.yaml; returns
    the environment that makes `snakemake` and `backprop-study` use the copied package."""
    copy_workflow(dest)
    if config is not None:
        (dest / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    # copy2 keeps mtimes, so numba's on-disk cache in __pycache__ stays valid for the copy.
    shutil.copytree(ROOT / "src" / "backprop_study", dest / "src" / "backprop_study")
    return environment(dest)


def environment(dest: Path) -> dict[str, str]:
    """The environment that makes `snakemake` and `backprop-study` use the package in `dest`."""
    env = os.environ.copy()
    env["PYTHONPATH"] = str(dest / "src")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def snakemake(
    cwd: Path, env: dict, *args: str, check: bool = True, timeout: int = 600
) -> subprocess.CompletedProcess:
    """`snakemake --cores 2 ARGS` in `cwd` with `env`; with `check`, a failure raises with its
    output."""
    proc = subprocess.run(
        [str(BIN / "snakemake"), "--cores", "2", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def quick_config() -> dict:
    """config/quick.yaml writing to results/ (a copy's config/config.yaml)."""
    return yaml.safe_load((ROOT / "config" / "quick.yaml").read_text()) | {"results": "results"}


def quick_study() -> Study:
    return load_study(quick_config())


def copy_study(src: Path, dest: Path) -> dict[str, str]:
    """A copy of the workflow copy `src` with its study, package and Snakemake's records
    (.snakemake/) in `dest` (not existing yet); returns its environment. copy2 keeps every mtime,
    so Snakemake finds the copied study as complete as the original and numba its cache."""
    shutil.copytree(src, dest, symlinks=True)
    return environment(dest)


def complete_runs(results: Path) -> list[Path]:
    """Run directories with every file (the checksums are written last)."""
    dirs = {p.parent for p in results.glob("runs/**/checksums.sha256")}  # any path depth
    return sorted(d for d in dirs if all((d / f).exists() for f in WRITTEN))


def stamps(run: Path) -> dict[str, tuple[int, int, bytes]]:
    """(inode, mtime, bytes) of a run's files: unchanged means the run was not rewritten."""
    return {f: ((run / f).stat().st_ino, (run / f).stat().st_mtime_ns, (run / f).read_bytes())
            for f in WRITTEN}  # fmt: skip


def train_log(cwd: Path, setting: str, part: int = 0) -> list[str]:
    """A training job's lines on its runs; not its note on the kernels (`kernels: ...`), which
    says what the numba cache held when the job started."""
    log = cwd / "results" / "logs" / "train" / setting / f"seeds-{part}.log"
    return [line for line in log.read_text().splitlines() if not line.startswith("kernels: ")]


def incomplete_outputs(cwd: Path) -> set[str]:
    """Outputs Snakemake marked as being written when it died (.snakemake/incomplete)."""
    out = set()
    base = cwd / ".snakemake" / "incomplete"
    for marker in base.rglob("*"):
        if marker.is_file() and marker.name != "migration_underway":
            parts = marker.relative_to(base).parts
            encoded = "".join(p.lstrip("@") for p in parts)
            out.add(base64.urlsafe_b64decode(encoded).decode())
    return out


def kill_when(
    cwd: Path,
    env: dict,
    condition: Callable[[], bool],
    *targets: str,
    timeout: float = 300,
    poll: float = 0.05,
) -> None:
    """Start `snakemake --cores 2 TARGETS` in `cwd` and SIGKILL it and its jobs as soon as
    `condition()` holds (checked every `poll` seconds); fails if Snakemake ends first or
    `timeout` passes."""
    proc = subprocess.Popen(
        [str(BIN / "snakemake"), "--cores", "2", *targets],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches every job
    )
    deadline = time.monotonic() + timeout
    try:
        while not condition():
            assert proc.poll() is None, "snakemake ended before it could be killed"
            assert time.monotonic() < deadline, "the awaited state was not reached in time"
            time.sleep(poll)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def kill_after(cwd: Path, env: dict, runs: int, timeout: float = 300) -> list[Path]:
    """`kill_when` `runs` runs are complete; returns the complete run directories at the kill."""
    kill_when(cwd, env, lambda: len(complete_runs(cwd / "results")) >= runs, timeout=timeout)
    return complete_runs(cwd / "results")
