"""Copying the workflow to a temporary directory, so end-to-end tests never touch results/, and
running Snakemake there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKFLOW_PARTS = ("Snakefile", "workflow", "config", "report", "profiles")


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
