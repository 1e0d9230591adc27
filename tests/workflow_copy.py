"""Copying the workflow to a temporary directory, so end-to-end tests never touch results/."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
