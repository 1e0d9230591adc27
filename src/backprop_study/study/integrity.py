"""Damaged and missing runs: found before the DAG is built, so the next `snakemake` retrains
them instead of failing in aggregation on every call (which would also cost the tables built).

A setting's seeds are trained by one job per part of them (`grid.Study.seed_parts`), whose
output is the part's manifest (`seeds-{part}.json`, `engine/seeds_cli.py`); Snakemake knows
nothing of the run files. So a run that is damaged (its files differ from its checksums), gone
(someone deleted its folder) or replaced (its checksums differ from the manifest's) makes its
manifest go: Snakemake then reruns that one job, which keeps its intact runs and retrains the
others.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from backprop_study.engine.errors import RunFileError
from backprop_study.engine.runfiles import CHECKSUMS, WRITTEN, checksums_digest, run_state
from backprop_study.engine.seeds_cli import read_manifest, seed_dir
from backprop_study.study.grid import MANIFEST

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


def run_problem(run: Path, digest: str) -> tuple[str, str] | None:
    """What is wrong with a run that a manifest lists with checksums `digest`: (`missing`,
    `damaged` or `replaced`, why), or None if it is complete, intact and the one listed."""
    state = run_state(run)
    if state is not None:
        kind, why = state
        return ("missing", "its files are gone") if kind == "absent" else ("damaged", why)
    if checksums_digest(run) != digest:
        return "replaced", f"its {CHECKSUMS} differs from its manifest's"
    return None


def check_jobs(
    runs_root: str | Path, jobs: Iterable[tuple[str, int]], dry_run: bool
) -> list[tuple[str, int]]:
    """Check every run that the manifests of training `jobs` (setting, part) list: a damaged
    one's files are renamed to `NAME.damaged`, and a manifest listing a damaged, missing or
    replaced run is removed, so that Snakemake reruns its job (neither unless `dry_run`). Prints
    one line per run and returns the jobs whose manifests go (or would go)."""
    then = "a real run retrains it" if dry_run else "retraining"
    stale = []
    for setting, part in jobs:
        root = Path(runs_root) / setting
        manifest = root / MANIFEST.format(part=part)
        if not manifest.exists():
            continue
        try:
            listed = read_manifest(manifest)
        except RunFileError as exc:
            print(f"{exc}; {then}", file=sys.stderr)
            listed = {}
            stale.append((setting, part))
        for seed, digest in listed.items():
            run = seed_dir(root, seed)
            found = run_problem(run, digest)
            if found is None:
                continue
            kind, problem = found
            if (setting, part) not in stale:
                stale.append((setting, part))
            if kind == "damaged" and not dry_run:
                for name in WRITTEN:
                    if (run / name).exists():
                        (run / name).replace(run / f"{name}{SUFFIX}")
                print(
                    f"{run}: damaged ({problem}); set aside as *{SUFFIX}, {then}", file=sys.stderr
                )
            else:
                print(f"{run}: {kind} ({problem}); {then}", file=sys.stderr)
        if (setting, part) in stale and not dry_run:
            manifest.unlink(missing_ok=True)
    return stale
