"""Findings as rows: every number a sentence of the report states, with its key, interval, unit
and the runs it comes from (`tables/findings.parquet`).

A finding's value is a number (`value`, with `ci_low`/`ci_high` where there is an interval) or a
word (`text`: a verdict, a bound sign, a label); the report's templates quote them by key, so a
changed number is a changed row, never a changed sentence in code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis.convergence import as_times

COLUMNS = ["key", "value", "ci_low", "ci_high", "unit", "text", "experiment", "n_runs", "run_ids"]
SEED_BUDGET = 400_000  # the seed report's epochs, quoted beside ours
TREND_RATIO = 1.25  # two values within this factor of each other "change little"


@dataclass(frozen=True)
class Finding:
    """One number (or word) of the report."""

    key: str
    value: float = math.nan
    unit: str = ""
    text: str = ""
    experiment: str = ""
    run_ids: Sequence[str] = ()
    ci_low: float = math.nan
    ci_high: float = math.nan

    def row(self) -> dict[str, object]:
        return {
            "key": self.key,
            "value": float(self.value),
            "ci_low": float(self.ci_low),
            "ci_high": float(self.ci_high),
            "unit": self.unit,
            "text": self.text,
            "experiment": self.experiment,
            "n_runs": len(self.run_ids),
            "run_ids": sorted(str(r) for r in self.run_ids),
        }


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """The findings table; a key stated twice is a bug in its producer."""
    rows = [f.row() for f in findings]
    table = pd.DataFrame(rows, columns=COLUMNS)
    twice = table["key"][table["key"].duplicated()].tolist()
    if twice:
        raise ValueError(f"findings stated twice: {', '.join(twice)}")
    return table.astype({"n_runs": "int64"})


def ids(runs: pd.DataFrame) -> list[str]:
    return runs["run_id"].astype(str).tolist()


def study_findings(runs: pd.DataFrame) -> list[Finding]:
    """How many runs, seeds and divergences the study has, and its runs per epoch budget."""
    out = [
        Finding("study.runs", len(runs), "runs", run_ids=ids(runs)),
        Finding("study.seeds", runs["seed"].nunique() if len(runs) else 0, "seeds"),
        Finding(
            "study.diverged",
            int(runs["diverged"].sum()) if len(runs) else 0,
            "runs",
            run_ids=ids(runs[runs["diverged"].astype(bool)]) if len(runs) else (),
        ),
        Finding("study.budget", int(runs["epochs"].max()) if len(runs) else math.nan, "epochs"),
    ]
    for epochs, group in sorted(runs.groupby("epochs"), key=lambda g: -g[0]):
        out.append(Finding(f"study.runs_at_epochs.{int(epochs)}", len(group), "runs",
                           run_ids=ids(group)))  # fmt: skip
    return out + base_budget_findings(runs)


def base_budget_findings(runs: pd.DataFrame) -> list[Finding]:
    """How the base setting (plain gradient descent on mse, k, λ = 0, the full batch, the
    smallest α, the longest budget) fares at its budget and at the seed's 400,000 epochs."""
    if runs.empty or not {"lam", "alpha", "batch_size", "n_patterns"} <= set(runs.columns):
        return []
    plain = {"optimizer": "gd", "loss": "mse", "prime_offset": 0.0}
    mask = (
        (runs["encoding"] == "k") & (runs["lam"] == 0) & (runs["batch_size"] == runs["n_patterns"])
    )
    for column, value in plain.items():
        if column in runs:
            mask &= runs[column] == value
    base = runs[mask]
    base = base[base["alpha"] == base["alpha"].min()] if len(base) else base
    base = base[base["epochs"] == base["epochs"].max()] if len(base) else base
    if base.empty:
        return []
    t = as_times(base["first_solved"])
    run_ids = ids(base)
    return [
        Finding("base.alpha", float(base["alpha"].iloc[0]), "", run_ids=run_ids),
        Finding("base.batch_size", int(base["batch_size"].iloc[0]), "patterns", run_ids=run_ids),
        Finding("base.budget", int(base["epochs"].iloc[0]), "epochs", run_ids=run_ids),
        Finding("base.seeds", len(t), "seeds", run_ids=run_ids),
        Finding("base.solved", int(np.isfinite(t).sum()), "seeds", run_ids=run_ids),
        Finding(
            "base.solved_in_seed_budget", int((t <= SEED_BUDGET).sum()), "seeds", run_ids=run_ids
        ),  # fmt: skip
        Finding("seed.budget", SEED_BUDGET, "epochs"),
    ]


def trend_word(first: float, last: float, ratio: float = TREND_RATIO) -> str:
    """`grows`, `shrinks` or `changes little` from the first to the last median."""
    if not (math.isfinite(first) and math.isfinite(last)):
        return "changes little"
    lo, hi = sorted((abs(first), abs(last)))
    if hi <= lo * ratio or hi == 0:
        return "changes little"
    return "grows" if last > first else "shrinks"


def number_text(x: float | None, digits: int = 3) -> str:
    """A measured value for people: `digits` significant digits, whole numbers with commas from
    1,000 to a million, `—` for none (the one number formatter of tables and the report)."""
    if x is None or x != x:
        return "—"
    return f"{x:,.0f}" if 1000 <= abs(x) < 1e6 else f"{x:.{digits}g}"


def spread_text(values, digits: int = 3) -> str:
    """`median [min, max]` of the finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "—"
    f = number_text
    return f"{f(float(np.median(v)), digits)} [{f(v.min(), digits)}, {f(v.max(), digits)}]"
