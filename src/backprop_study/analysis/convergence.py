"""Convergence statistics with never-solved runs counted, not dropped.

Per run the engine records two exact epochs (data-model.md): `first_all_correct` (every pattern
decoded to its own class) and `first_solved` (the 40-20-40 rule: every output within 0.4 of its
target); NA if never within the run. A run that never gets there is *right-censored at its
budget* (`epochs`, the epochs it was asked for, also for a diverged run, which never solves):
its time is "more than the budget". Quantiles are computed on the times with censored runs set
to their budget; a quantile is flagged censored when it depends on a censored run, i.e. the
true value is at least the number shown ("> budget" in a table).

Per update: a batch size b makes m / b parameter updates per epoch (m patterns; b divides m), so
epochs * m / b updates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CensoredSummary:
    """Median and quartiles of times to an event, censored runs counted at their budget."""

    n: int
    n_events: int
    success_rate: float
    q1: float
    median: float
    q3: float
    q1_censored: bool
    median_censored: bool
    q3_censored: bool


def _quantile(sorted_vals: np.ndarray, censored: np.ndarray, q: float) -> tuple[float, bool]:
    """Linear-interpolation quantile (numpy's default) and whether it touches a censored run."""
    n = len(sorted_vals)
    pos = q * (n - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    value = sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)
    return float(value), bool(censored[lo] or censored[hi])


def censored_summary(times: np.ndarray, budgets: np.ndarray | float) -> CensoredSummary:
    """Summary of event times (NaN = never) censored at `budgets` (per run or one number)."""
    t = np.asarray(times, dtype=np.float64)
    b = np.broadcast_to(np.asarray(budgets, dtype=np.float64), t.shape)
    n = len(t)
    if n == 0:
        nan = math.nan
        return CensoredSummary(0, 0, nan, nan, nan, nan, False, False, False)
    censored = ~np.isfinite(t)
    values = np.where(censored, b, t)
    # censored runs sort after any event at the same value (they are "at least" it)
    order = np.lexsort((censored, values))
    vals, cens = values[order], censored[order]
    (q1, c1), (med, cm), (q3, c3) = (_quantile(vals, cens, q) for q in (0.25, 0.5, 0.75))
    n_events = int((~censored).sum())
    return CensoredSummary(n, n_events, n_events / n, q1, med, q3, c1, cm, c3)


def updates_per_epoch(n_patterns: int, batch_size: int) -> int:
    """Parameter updates per epoch: m / b."""
    return int(n_patterns) // int(batch_size)


def as_times(column: pd.Series) -> np.ndarray:
    """A nullable Int64 (or float) epoch column as floats with NaN for never."""
    return (
        pd.to_numeric(column, errors="coerce")
        .astype("Float64")
        .to_numpy(dtype=np.float64, na_value=np.nan)
    )


def convergence_table(
    runs: pd.DataFrame, by: list[str], event: str = "first_solved", per_update: bool = False
) -> pd.DataFrame:
    """Per configuration (`by` columns of the runs table): n, successes, rate, median and IQR.

    `event` is `first_solved` or `first_all_correct`; with `per_update` times and budgets are
    multiplied by the updates per epoch (columns `n_patterns`, `batch_size`).
    """
    rows = []
    for key, g in runs.groupby(by, sort=True, dropna=False):
        times = as_times(g[event])
        budgets = g["epochs"].to_numpy(dtype=np.float64)
        if per_update:
            upe = (g["n_patterns"] // g["batch_size"]).to_numpy(dtype=np.float64)
            times, budgets = times * upe, budgets * upe
        s = censored_summary(times, budgets)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key, strict=True)), **s.__dict__})
    return pd.DataFrame(rows)
