"""Per-run measures the claims and outcome tables compare, read from the runs table.

Each measure maps a runs table to (values, censored): one value per row, and whether it is
right-censored (the true value is at least the one given: a run that never solved counts at its
budget, a plateau never left at its observed length). Times come in epochs, or in
gradient-flow time t = α × (parameter updates) = α · epochs · m / b: plain gradient descent with
step α follows the gradient flow dθ/dt = −∇J, so runs that differ only in α or in the batch
size b trace (nearly) the same path in t, and their epoch counts differ by the factor α · m / b.

`MEASURES` names each one with its unit, its clock (the verdict is "in epochs" or "in flow
time") and resolution: the relative difference below which two values cannot be told apart (on
the log scale), used as the tie tolerance. Events checked every epoch (solve, all correct) are
exact; the drop time and the rounded-outputs time are read from the logged epochs
(`log_per_decade` per decade); the plateau from the detector's grid
(`plateau.PlateauParams.grid_per_decade` points per decade).

Runs with different budgets in a measure's clock are compared at their common horizon
(`common_horizon`, `within`): the shorter budget in that clock, where both arms could still
have been seen. In t a batch of 1 gets 8 updates per epoch, so its 800,000-epoch budget is 8×
longer than the full batch's; a time past the common horizon is censored there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis.collapse import n_outputs
from backprop_study.analysis.convergence import as_times
from backprop_study.analysis.plateau import PlateauParams

Values = tuple[np.ndarray, np.ndarray]


def _budget(df: pd.DataFrame) -> np.ndarray:
    return df["epochs"].to_numpy(dtype=np.float64)


def flow_per_epoch(df: pd.DataFrame) -> np.ndarray:
    """Gradient-flow time per epoch of each run: α · m / b."""
    alpha = df["alpha"].to_numpy(dtype=np.float64)
    return alpha * (df["n_patterns"] // df["batch_size"]).to_numpy(dtype=np.float64)


def _event(df: pd.DataFrame, column: str) -> Values:
    t = as_times(df[column])
    censored = ~np.isfinite(t)
    return np.where(censored, _budget(df), t), censored


def solve_time(df: pd.DataFrame) -> Values:
    """Epochs to the 40-20-40 rule; never → censored at the budget."""
    return _event(df, "first_solved")


def all_correct_time(df: pd.DataFrame) -> Values:
    """Epochs until every pattern decodes to its class; never → censored at the budget."""
    return _event(df, "first_all_correct")


def solve_updates(df: pd.DataFrame) -> Values:
    """Parameter updates to the 40-20-40 rule (epochs · m / b)."""
    t, c = solve_time(df)
    return t * (df["n_patterns"] // df["batch_size"]).to_numpy(dtype=np.float64), c


def solve_flow_time(df: pd.DataFrame) -> Values:
    """Gradient-flow time to the 40-20-40 rule, t = α · updates."""
    t, c = solve_time(df)
    return t * flow_per_epoch(df), c


def plateau_length(df: pd.DataFrame) -> Values:
    """Plateau length in epochs; none → 0; never left → censored at its observed length."""
    found = df["plateau_found"].to_numpy(dtype=bool)
    length = np.where(found, df["plateau_epochs"].to_numpy(dtype=np.float64), 0.0)
    return length, found & ~df["plateau_left"].to_numpy(dtype=bool)


def plateau_flow_length(df: pd.DataFrame) -> Values:
    """Plateau length in gradient-flow time (length · α · m / b)."""
    length, c = plateau_length(df)
    return length * flow_per_epoch(df), c


def plateau_exit(df: pd.DataFrame) -> Values:
    """Epoch the plateau is left; none → 0 (never stuck); never left → censored at budget."""
    found = df["plateau_found"].to_numpy(dtype=bool)
    left = df["plateau_left"].to_numpy(dtype=bool)
    end = df["plateau_end"].to_numpy(dtype=np.float64)
    value = np.where(~found, 0.0, np.where(left, end, _budget(df)))
    return value, found & ~left


def rounded_correct_time(df: pd.DataFrame) -> Values:
    """First logged epoch at which every output is on its target's side of 0.5 (max error < 0.5):
    the decoding that treats k and k-1 alike; never → censored at the budget; NaN everywhere when
    the runs table has no `first_rounded_correct` column."""
    if "first_rounded_correct" not in df:
        return np.full(len(df), np.nan), np.zeros(len(df), dtype=bool)
    t = df["first_rounded_correct"].to_numpy(dtype=np.float64, na_value=np.nan)
    censored = ~np.isfinite(t)
    return np.where(censored, _budget(df), t), censored


def plateau_exit_t(df: pd.DataFrame) -> Values:
    """Gradient-flow time the plateau is left (exit epoch · α · m / b)."""
    v, c = plateau_exit(df)
    return v * flow_per_epoch(df), c


def drop_time(df: pd.DataFrame) -> Values:
    """First logged epoch at half the initial objective; never → censored at the budget."""
    t = df["drop_epoch"].to_numpy(dtype=np.float64)
    censored = ~np.isfinite(t)
    return np.where(censored, _budget(df), t), censored


def loss_per_output(df: pd.DataFrame) -> Values:
    """Final data loss divided by the number of output units (k: k, k-1: k - 1): comparable
    across encodings, which sum the error over different numbers of outputs."""
    outputs = np.array(
        [n_outputs(e, c) for e, c in zip(df["encoding"], df["n_patterns"], strict=True)],
        dtype=np.float64,
    )
    v = df["final_data_loss"].to_numpy(dtype=np.float64) / outputs
    return v, np.zeros(len(v), dtype=bool)


def solved_share(df: pd.DataFrame) -> float:
    """Fraction of runs that solved within their budget."""
    return float(np.isfinite(as_times(df["first_solved"])).mean()) if len(df) else math.nan


def _per_decade(df: pd.DataFrame, column: str, default: float) -> float:
    if column in df and df[column].notna().any():
        return float(df[column].min())
    return default


def _epochs_scale(df: pd.DataFrame) -> np.ndarray:
    return np.ones(len(df))


@dataclass(frozen=True)
class Measure:
    """A measure for people: what it is, its unit, whether it is a time to an event (censored
    runs, Kaplan–Meier, log-rank) and its resolution (log scale) for a runs table.

    `clock` is what a verdict on it is "in" (epochs, flow time); `scale` gives a run's clock
    units per epoch for times (None for a measure that is not a time); `length` marks a
    duration from the plateau's start rather than a time from epoch 0."""

    key: str
    name: str
    unit: str
    values: Callable[[pd.DataFrame], Values]
    event: bool
    resolution: Callable[[pd.DataFrame], float]
    clock: str = "epochs"
    scale: Callable[[pd.DataFrame], np.ndarray] | None = _epochs_scale
    length: bool = False

    def budget(self, df: pd.DataFrame) -> np.ndarray:
        """Each run's budget in this measure's clock (inf for a measure that is not a time)."""
        if self.scale is None:
            return np.full(len(df), np.inf)
        return _budget(df) * self.scale(df)

    def within(self, df: pd.DataFrame, horizon: float) -> Values:
        """The values censored at `horizon` (in the measure's clock): what a run shows if it is
        only watched that long. A plateau still on at the horizon is censored at its length
        so far (0 if it starts later)."""
        v, c = self.values(df)
        if self.scale is None or not np.isfinite(horizon):
            return v, c
        if self.length:
            scale = self.scale(df)
            left = df["plateau_left"].to_numpy(dtype=bool)
            end = np.where(left, df["plateau_end"].to_numpy(dtype=np.float64), _budget(df))
            start = df["plateau_start"].to_numpy(dtype=np.float64) * scale
            late = (v > 0) & (end * scale > horizon)
            return np.where(late, np.maximum(horizon - start, 0.0), v), c | late
        late = (v > horizon) | (c & (v >= horizon))
        return np.where(late, horizon, v), c | late


def common_horizon(measure: Measure, *dfs: pd.DataFrame) -> float:
    """The shortest budget, in the measure's clock, of the runs compared."""
    budgets = [measure.budget(d) for d in dfs if len(d)]
    return float(min(b.min() for b in budgets)) if budgets else math.inf


def _exact(df: pd.DataFrame) -> float:
    return 0.0


def _logged(df: pd.DataFrame) -> float:
    return math.log(10) / _per_decade(df, "log_per_decade", 1000)


def _detector(df: pd.DataFrame) -> float:
    return math.log(10) / PlateauParams().grid_per_decade


MEASURES = {
    m.key: m
    for m in (
        Measure("solve", "time to solve", "epochs", solve_time, True, _exact),
        Measure("solve_t", "time to solve", "t = α·updates", solve_flow_time, True, _exact,
                "flow time", flow_per_epoch),
        Measure("all_correct", "time to all patterns correct", "epochs", all_correct_time, True,
                _exact),
        Measure("rounded_correct", "time to every output on its target's side of 0.5",
                "epochs", rounded_correct_time, True, _logged),
        Measure("drop", "time to half the initial loss", "epochs", drop_time, True, _logged),
        Measure("plateau", "plateau length", "epochs", plateau_length, False, _detector,
                length=True),
        Measure("plateau_t", "plateau length", "t = α·updates", plateau_flow_length, False,
                _detector, "flow time", flow_per_epoch, length=True),
        Measure("plateau_exit", "epoch the plateau is left", "epochs", plateau_exit, True,
                _detector),
        Measure("plateau_exit_t", "time the plateau is left", "t = α·updates", plateau_exit_t,
                True, _detector, "flow time", flow_per_epoch),
        Measure("loss_per_output", "final data loss per output", "loss", loss_per_output, False,
                _exact, "loss per output", None),
    )
}  # fmt: skip
