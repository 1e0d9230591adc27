"""Escape time from the plateau, and its slope against ln(1/s), measured at several thresholds.

A run leaves the plateau at the first flow time t = α × updates at which its data loss is below
f × J*, J* the loss of the trivial network (`theory.plateau_loss`), for each f of `FRACTIONS`.
No log-time rule decides where the plateau ends, so nothing moves with the init scale s but the
run. The law (docs/plateau-theory.md, section 6) predicts t_f = c_f + ln(1/s)/(μ − λ): one slope
for every f. `slopes` fits it per f; the slope counts as threshold-independent when every f's
slope lies within `SLOPE_TOLERANCE` (relative) of their median, fixed before the data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backprop_study.analysis.escape import LineFit, escape_fit

FRACTIONS = (0.95, 0.9, 0.8, 0.7)
SLOPE_TOLERANCE = 0.05


def escape_time(t: np.ndarray, data_loss: np.ndarray, level: float) -> float:
    """The first t at which `data_loss` is below `level`, linearly interpolated between that
    logged point and the one before it (the exact crossing lies between them); NaN if never,
    or if the run starts below `level`."""
    t = np.asarray(t, dtype=np.float64)
    loss = np.asarray(data_loss, dtype=np.float64)
    below = np.flatnonzero(loss < level)
    if len(below) == 0 or below[0] == 0:
        return math.nan
    i = below[0]
    t0, t1, y0, y1 = t[i - 1], t[i], loss[i - 1], loss[i]
    return float(t0 + (t1 - t0) * (y0 - level) / (y0 - y1))


def escape_times(
    t: np.ndarray, data_loss: np.ndarray, plateau: float, fractions: tuple[float, ...] = FRACTIONS
) -> dict[float, float]:
    """`escape_time` at each level f × `plateau`."""
    return {f: escape_time(t, data_loss, f * plateau) for f in fractions}


def slopes(points: pd.DataFrame) -> pd.DataFrame:
    """Per fraction f: the least-squares slope of t_escape on x = ln(1/s) over the runs that
    escaped, with its seed-resampled 95% interval (`escape.escape_fit`). `points` has columns
    `seed`, `init_std`, `fraction`, `t_escape`."""
    rows = []
    for f, g in points.groupby("fraction", sort=True):
        x = np.log(1.0 / g["init_std"].to_numpy(dtype=np.float64))
        fit: LineFit = escape_fit(x, g["t_escape"].to_numpy(), g["seed"].to_numpy())
        rows.append(
            {
                "fraction": float(f),
                "slope": fit.slope,
                "low": fit.low,
                "high": fit.high,
                "intercept": fit.intercept,
                "n": fit.n,
                "n_seeds": fit.n_groups,
                "r2": fit.r2,
                "censored": int(g["t_escape"].isna().sum()),
            }
        )
    return pd.DataFrame(rows)


def threshold_spread(fits: pd.DataFrame) -> float:
    """The largest relative distance of a fraction's slope from the median slope."""
    s = fits["slope"].to_numpy(dtype=np.float64)
    s = s[np.isfinite(s)]
    if len(s) < 2:
        return math.nan
    median = float(np.median(s))
    return float(np.max(np.abs(s - median)) / abs(median))


def threshold_independent(fits: pd.DataFrame, tolerance: float = SLOPE_TOLERANCE) -> bool:
    """Whether every fraction's slope is within `tolerance` of the median slope."""
    spread = threshold_spread(fits)
    return bool(math.isfinite(spread) and spread <= tolerance)
