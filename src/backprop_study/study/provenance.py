"""Which software and machines produced a study's runs: distinct provenance records and counts.

The runs table carries each run's provenance record (`engine/provenance.py`, read from its
sidecar; empty for a run trained before sidecars existed). This module summarises it once, for
the study report's settings section and for `backprop-study provenance RESULTS`, which reads the
sidecars directly (so it also works before aggregation, and adds the training time).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from backprop_study.engine.errors import UserError
from backprop_study.engine.provenance import FIELDS, read_sidecar
from backprop_study.study.config import SETTINGS_FILE

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = (*FIELDS, "slurm_job_id")
"""The provenance columns of the runs table (strings, "" when unknown)."""
CONSISTENT = ("python", "numpy", "numba", "pyarrow", "backprop_study", "fingerprint")
"""Fields that should be equal across one study's runs: software that can change the numbers."""
LABELS = {
    "python": "Python",
    "backprop_study": "backprop-study",
    "fingerprint": "engine fingerprint",
    "cpu": "CPU",
    "os": "OS",
}
UNKNOWN = "unknown"


class ProvenanceSummary(NamedTuple):
    groups: pd.DataFrame  # one row per distinct record: FIELDS, n_runs, n_slurm_jobs
    warnings: list[str]  # one sentence each; empty when every run has one known record


def columns_of(record: dict[str, Any] | None) -> dict[str, str]:
    """A sidecar record as runs-table columns: strings, "" for a missing record or field."""
    record = record or {}
    return {col: str(record.get(col) or "") for col in COLUMNS}


def summarise(runs: pd.DataFrame) -> ProvenanceSummary:
    """Distinct provenance records of `runs` with their run counts (most runs first), and
    warnings when the runs disagree on software versions or engine fingerprint, or some have
    no record. A table without provenance columns counts as runs without records."""
    import pandas as pd

    table = pd.DataFrame(
        {col: runs[col].fillna("").astype(str) if col in runs else "" for col in COLUMNS},
        index=runs.index,
    )
    if table.empty:
        return ProvenanceSummary(pd.DataFrame(columns=[*FIELDS, "n_runs", "n_slurm_jobs"]), [])
    grouped = table.groupby(list(FIELDS), sort=True, dropna=False)
    groups = pd.DataFrame(
        {
            "n_runs": grouped.size(),
            "n_slurm_jobs": grouped["slurm_job_id"].agg(lambda ids: ids[ids != ""].nunique()),
        }
    ).reset_index()
    groups = groups.sort_values("n_runs", ascending=False, kind="stable", ignore_index=True)

    warnings = []
    known = table[(table[list(FIELDS)] != "").any(axis=1)]
    missing = len(table) - len(known)
    if missing:
        warnings.append(
            f"{missing} of {len(table)} runs have no provenance record (trained before "
            "provenance.json was written); their versions and machines are unknown."
        )
    differing = [f for f in CONSISTENT if known[f].nunique() > 1]
    if differing:
        detail = "; ".join(
            f"{LABELS.get(f, f)} {', '.join(sorted(known[f].unique()))}" for f in differing
        )
        warnings.append(
            f"The runs of this study were made with different versions or engine fingerprints "
            f"({detail}): their results may not be comparable, retrain them with one setup."
        )
    return ProvenanceSummary(groups, warnings)


def display(groups: pd.DataFrame) -> pd.DataFrame:
    """The groups for people: labelled columns, "unknown" for empty fields, executor with its
    number of SLURM jobs."""
    import pandas as pd

    def executor(row: pd.Series) -> str:
        if row["executor"] == "slurm":
            n = int(row["n_slurm_jobs"])
            return f"slurm ({n} job{'s' if n != 1 else ''})"
        return row["executor"] or UNKNOWN

    columns: dict[str, Any] = {"runs": groups["n_runs"].astype(int)}
    for field in FIELDS:
        values = groups[field].replace("", UNKNOWN)
        if field == "executor":
            values = [executor(row) for _, row in groups.iterrows()]
        columns[LABELS.get(field, field)] = values
    return pd.DataFrame(columns)


def format_text(summary: ProvenanceSummary) -> str:
    """The summary for a terminal: one block per distinct record, then the warnings."""
    shown = display(summary.groups)
    total = int(summary.groups["n_runs"].sum()) if len(summary.groups) else 0
    lines = [f"{total} runs, {len(shown)} distinct provenance record(s)"]
    width = max(len(c) for c in shown.columns)
    for i, row in shown.iterrows():
        lines.append("")
        lines.append(f"record {i + 1}: {row['runs']} runs")
        lines += [f"  {col:<{width}}  {row[col]}" for col in shown.columns if col != "runs"]
    lines += [f"\nwarning: {w}" for w in summary.warnings]
    return "\n".join(lines)


def run_dirs(root: Path) -> list[Path]:
    """Every run directory (holding curve.parquet) of the study at root: under root/runs if
    root is a results folder, else at or under root; never in another study's results folder
    nested inside (results/quick in results), which holds its own settings stamp."""
    base = root / "runs" if (root / "runs").is_dir() else root
    found = []
    for folder, subfolders, files in os.walk(base):
        if "curve.parquet" in files:
            found.append(Path(folder))
        subfolders[:] = [d for d in subfolders if not (Path(folder, d) / SETTINGS_FILE).exists()]
    return sorted(found)


def collect(dirs: Sequence[Path]) -> tuple[pd.DataFrame, float]:
    """The provenance columns of each run directory's sidecar, and their total wall time (s)."""
    import pandas as pd

    rows, seconds = [], 0.0
    for d in dirs:
        record = read_sidecar(d)
        seconds += float((record or {}).get("wall_time_s") or 0.0)
        rows.append(columns_of(record))
    return pd.DataFrame(rows, columns=list(COLUMNS)), seconds


# ---------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="?",
        default="results",
        type=Path,
        help="results directory, or any directory of run directories (default %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    root: Path = args.results
    if not root.is_dir():
        raise UserError(f"RESULTS: {root} is not a directory; allowed: a results directory")
    dirs = run_dirs(root)
    if not dirs:
        raise UserError(
            f"RESULTS: no run directories (curve.parquet) under {root}; "
            "allowed: a directory that holds trained runs, e.g. results/"
        )
    table, seconds = collect(dirs)
    print(format_text(summarise(table)))
    timed = int((table[list(FIELDS)] != "").any(axis=1).sum())
    print(f"\ntraining time: {seconds / 60:.1f} minutes over the {timed} runs with a record")
    return 0
