"""Damaged runs: found before the DAG is built and set aside, so the next `snakemake` retrains
them instead of failing in aggregation on every call (which would also cost the tables built)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from backprop_study.engine.runfiles import WRITTEN, check_run

SUFFIX = ".damaged"
INSPECTING = frozenset(
    {
        "--dry-run",
        "--dryrun",
        "--lint",
        "--report",
        "--summary",
        "--detailed-summary",
        "--list",
        "--list-rules",
        "--list-target-rules",
        "--dag",
        "--rulegraph",
        "--filegraph",
        "--d3dag",
        "--unlock",
        "--cleanup-metadata",
        "--touch",
        "--list-changes",
        "--lc",
        "--list-input-changes",
        "--li",
        "--list-params-changes",
        "--lp",
        "--list-code-changes",
        "--lt",
        "--containerize",
        "--export-cwl",
        "--archive",
        "--delete-all-output",
        "--delete-temp-output",
        "--print-compilation",
        "--help",
        "--version",
    }
)
"""Snakemake options after which no job runs: a damaged run is then only named, not moved."""
INSPECTING_SHORT = frozenset("nStDhvl")


def executes_jobs(argv: Iterable[str]) -> bool:
    """Whether a Snakemake command line (`sys.argv`) runs jobs: not a dry run, lint, report,
    listing or unlock. (At parse time Snakemake's own `workflow.dryrun` is not set yet.)"""
    for arg in argv:
        if arg.split("=", 1)[0] in INSPECTING:
            return False
        short = arg.startswith("-") and not arg.startswith("--") and arg[1:].isalpha()
        if short and set(arg[1:]) & INSPECTING_SHORT:
            return False
    return True


def set_aside_damaged(runs_root: str | Path, run_ids: Iterable[str], dry_run: bool) -> list[str]:
    """Check every finished run of the study against its checksums; rename a damaged run's
    files to `NAME.damaged` (unless `dry_run`) so that Snakemake sees the run as missing.
    Prints one line per damaged run and returns their ids."""
    damaged = []
    for run_id in run_ids:
        run = Path(runs_root) / run_id
        if not run.is_dir():
            continue
        problem = check_run(run)
        if problem is None:
            continue
        damaged.append(run_id)
        if dry_run:
            print(f"{run}: damaged ({problem}); a real run retrains it", file=sys.stderr)
            continue
        for name in WRITTEN:
            if (run / name).exists():
                (run / name).replace(run / f"{name}{SUFFIX}")
        print(f"{run}: damaged ({problem}); set aside as *{SUFFIX}, retraining", file=sys.stderr)
    return damaged
