"""Resources a cluster should grant each rule, from what its jobs used.

Every rule of the workflow writes a Snakemake benchmark file per job
(`<results>/logs/benchmarks/<rule>/<wildcards>.tsv`: wall-clock seconds `s`, peak resident memory
`max_rss` in MB, ...). `backprop-study resources <results>/logs/benchmarks` reads them and prints,
per rule, the largest time and memory any of its jobs took and the `mem_mb` / `runtime` a rule
should declare to cover them with a margin, so the declarations in workflow/rules/ come from
measurement rather than guesses. A job that still exceeds them on a cluster is retried with twice
as much (the rules' resources double with each attempt; profiles/slurm sets `retries`).
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from backprop_study.engine.errors import UserError

MARGIN = 1.5
"""Suggested resources are the largest measured use times this: runs of one rule vary with
their settings, and a cluster kills a job at its limit."""
MEM_STEP_MB = 100  # suggested memory rounded up to this
NOT_MEASURED = "NA"  # what Snakemake writes for a value it could not measure (very short jobs)


class RuleUse(NamedTuple):
    rule: str
    jobs: int  # benchmark files read
    max_seconds: float
    max_rss_mb: float | None  # None when no job's memory was measured

    @property
    def mem_mb(self) -> int | None:
        """Suggested `mem_mb`: the largest peak memory with the margin, in MEM_STEP_MB steps."""
        if self.max_rss_mb is None:
            return None
        return max(MEM_STEP_MB, math.ceil(self.max_rss_mb * MARGIN / MEM_STEP_MB) * MEM_STEP_MB)

    @property
    def runtime(self) -> int:
        """Suggested `runtime` in whole minutes (at least 1): the longest job with the margin."""
        return max(1, math.ceil(self.max_seconds * MARGIN / 60))


def read_benchmark(path: Path) -> tuple[float, float | None]:
    """Largest wall-clock seconds and peak RSS (MB, None if not measured) over a benchmark file's
    rows (one per repetition)."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows or "s" not in rows[0] or "max_rss" not in rows[0]:
        raise UserError(f"{path}: not a Snakemake benchmark file (needs columns s and max_rss)")
    seconds = max(float(row["s"]) for row in rows)
    rss = [float(row["max_rss"]) for row in rows if row["max_rss"] != NOT_MEASURED]
    return seconds, max(rss) if rss else None


def rule_use(benchmarks: Path) -> list[RuleUse]:
    """Per rule (the first folder under `benchmarks`), its jobs' largest time and memory."""
    by_rule: dict[str, list[tuple[float, float | None]]] = {}
    for path in sorted(benchmarks.rglob("*.tsv")):
        rule = path.relative_to(benchmarks).parts[0]
        by_rule.setdefault(rule, []).append(read_benchmark(path))
    if not by_rule:
        raise UserError(f"{benchmarks}: no benchmark files (<rule>/<wildcards>.tsv) found")
    out = []
    for rule, uses in sorted(by_rule.items()):
        rss = [r for _, r in uses if r is not None]
        out.append(RuleUse(rule, len(uses), max(s for s, _ in uses), max(rss) if rss else None))
    return out


def format_table(uses: Iterable[RuleUse]) -> str:
    """A plain-text table, one line per rule."""
    header = ("rule", "jobs", "max s", "max RSS MB", "mem_mb", "runtime min")
    rows = [
        (
            u.rule,
            str(u.jobs),
            f"{u.max_seconds:.1f}",
            "NA" if u.max_rss_mb is None else f"{u.max_rss_mb:.0f}",
            "NA" if u.mem_mb is None else str(u.mem_mb),
            str(u.runtime),
        )
        for u in uses
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in (header, *rows)
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "benchmarks", type=Path, help="a results folder's logs/benchmarks (one folder per rule)"
    )


def run(args: argparse.Namespace) -> int:
    if not args.benchmarks.is_dir():
        raise UserError(f"{args.benchmarks}: not a folder (expected <results>/logs/benchmarks)")
    print(format_table(rule_use(args.benchmarks)))
    print(
        f"mem_mb and runtime: the largest use times {MARGIN}, as a rule's first attempt should"
        " declare them (each retry doubles them)"
    )
    return 0
