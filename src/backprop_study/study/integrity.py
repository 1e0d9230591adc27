"""Damaged and missing runs as part of the DAG: a read-only check that changes a training job's
params, so any call that needs the job's runs reruns it.

A setting's seeds are trained by one job per part of them (`grid.Study.seed_parts`), whose
output is the part's manifest (`seeds-{part}.json`, `study/seeds_cli.py`); Snakemake knows
nothing of the run files. So the job's params carry `job_integrity`: the digest the manifest
recorded while its runs are as it lists them, and a new digest once one is damaged (its files
differ from its checksums), gone (someone deleted its folder) or replaced (its checksums differ
from the manifest's). The job records the digest it was started with in the manifest it
writes, so after it has set the damaged files aside and retrained them the digest is the one
Snakemake recorded, and the next call has nothing to do. The manifest is an `update()` output,
which Snakemake keeps while its job runs (and restores if it fails): a job killed half-way
leaves the old manifest, which still shows what is left to repair.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

from backprop_study.engine.errors import RunFileError
from backprop_study.engine.runfiles import CHECKSUMS, checksums_digest, run_state
from backprop_study.study.grid import MANIFEST
from backprop_study.study.seeds_cli import read_manifest, seed_dir


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


def job_problems(root: str | Path, part: int, seeds: Iterable[int]) -> tuple[str, list[str]]:
    """The integrity digest recorded in a training job's manifest and one line per problem
    found: with the manifest, the runs it lists (`run_problem`) or the manifest itself
    unreadable; without one, the job's `seeds` whose runs are not complete and intact, unless
    none is there at all (a job not run yet). Reads only."""
    manifest = Path(root) / MANIFEST.format(part=part)
    if not manifest.exists():
        states = {seed: run_state(seed_dir(root, seed)) for seed in sorted(seeds)}
        if all(state is not None and state[0] == "absent" for state in states.values()):
            return "", []
        return "", [
            f"{seed_dir(root, seed)}: {state[0]} ({state[1]})"
            for seed, state in states.items()
            if state is not None
        ]
    try:
        listed = read_manifest(manifest)
    except RunFileError as exc:
        return "", [str(exc)]
    problems = []
    for seed, digest in sorted(listed.runs.items()):
        run = seed_dir(root, seed)
        found = run_problem(run, digest)
        if found is not None:
            problems.append(f"{run}: {found[0]} ({found[1]})")
    return listed.integrity, problems


def job_integrity(root: str | Path, part: int, seeds: Iterable[int]) -> str:
    """A training job's integrity digest (a workflow param): the digest its manifest recorded
    while its runs are as listed, else a new one (chained to the recorded one, so the same
    damage twice still changes it). Prints one line per problem; reads only."""
    recorded, problems = job_problems(root, part, seeds)
    if not problems:
        return recorded
    for line in problems:
        print(f"{line}; its training job reruns", file=sys.stderr)
    text = "\n".join([recorded, *problems])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
