"""Two predictions of the saddle picture of the plateau, and how they are tested.

**Init scale.** Near a saddle with curvature −μ along its escape direction, gradient flow grows
a small displacement δ like δ₀ e^{μt}, so the time to leave is ≈ ln(1/δ₀)/μ, and δ₀ is set by
the initial weights: with every weight ~ N(0, s²), δ₀ ∝ s. This is the picture Saxe, McClelland
& Ganguli (2014) solve exactly for deep linear networks, where the time to learn a mode grows
like ln(1/u₀) over its strength. Prediction: plateau length in gradient-flow time t against
x = ln(1/s) is a line of slope 1/μ. `escape_fit` fits t = a + b·x by least squares over every
run and gives b a 95% interval by resampling seeds (cluster bootstrap: one seed's runs start
from the same direction scaled by s, so they are not independent of each other).

**Critical weight decay.** Weight decay adds λ to the curvature of every weight direction
(`hessian`), so once λ exceeds μ (the most negative weight curvature at the λ = 0 plateau) the
saddle becomes a minimum: the trivial network, where the run stays (collapses). Prediction: the
critical λ, above which runs collapse, is ≈ μ. `critical_lambda` reads it per seed from a λ
sweep: the bracket between the largest λ at which the seed did not collapse and the smallest at
which it did (`collapse`), and its geometric midpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis.stats import CONFIDENCE, N_RESAMPLES, RNG_SEED


@dataclass(frozen=True)
class LineFit:
    """y = intercept + slope·x, with the slope's percentile interval over resampled groups."""

    slope: float
    low: float
    high: float
    intercept: float
    n: int  # points
    n_groups: int  # seeds
    r2: float

    def text(self, digits: int = 3) -> str:
        f = f"{{:.{digits}g}}".format
        return f"{f(self.slope)} [{f(self.low)}, {f(self.high)}]"

    def covers(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    xm, ym = x.mean(), y.mean()
    sxx = np.sum((x - xm) ** 2)
    slope = float(np.sum((x - xm) * (y - ym)) / sxx) if sxx > 0 else math.nan
    return slope, float(ym - slope * xm)


def escape_fit(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, n_resamples: int = N_RESAMPLES
) -> LineFit:
    """Least-squares line of y on x; the slope's interval resamples whole groups (seeds) with
    replacement, `n_resamples` times, with the study's fixed generator seed."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    groups = np.asarray(groups)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, groups = x[ok], y[ok], groups[ok]
    labels = np.unique(groups)
    if len(x) < 3 or np.ptp(x) == 0:
        return LineFit(math.nan, math.nan, math.nan, math.nan, len(x), len(labels), math.nan)
    slope, intercept = _ols(x, y)
    resid = y - (intercept + slope * x)
    total = np.sum((y - y.mean()) ** 2)
    r2 = float(1 - np.sum(resid**2) / total) if total > 0 else math.nan
    members = [np.flatnonzero(groups == g) for g in labels]
    rng = np.random.default_rng(RNG_SEED)
    slopes = []
    for _ in range(n_resamples if len(labels) > 1 else 0):
        pick = np.concatenate([members[i] for i in rng.integers(0, len(labels), len(labels))])
        s, _ = _ols(x[pick], y[pick])
        if math.isfinite(s):
            slopes.append(s)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(slopes, [tail, 100 - tail]) if slopes else (math.nan, math.nan)
    return LineFit(slope, float(low), float(high), intercept, len(x), len(labels), r2)


def critical_lambda(runs: pd.DataFrame) -> pd.DataFrame:
    """Per seed of a λ sweep (runs-table rows with `seed`, `lam`, `collapsed`): `lam_below`,
    the largest λ below the first collapsed one at which the seed did not collapse;
    `lam_above`, the smallest λ at which it collapsed (NaN: none did); `lam_c`, their geometric
    midpoint (NaN when either is missing or `lam_below` is 0); `monotone`, whether every λ
    above `lam_above` collapsed too."""
    rows = []
    for seed, g in runs.groupby("seed", sort=True):
        g = g.sort_values("lam")
        lam = g["lam"].to_numpy(dtype=np.float64)
        collapsed = g["collapsed"].to_numpy(dtype=bool)
        hit = np.flatnonzero(collapsed)
        above = float(lam[hit[0]]) if len(hit) else math.nan
        below_mask = (lam < above) & ~collapsed if len(hit) else ~collapsed
        below = float(lam[below_mask].max()) if below_mask.any() else math.nan
        ok = math.isfinite(above) and math.isfinite(below) and below > 0
        rows.append(
            {
                "seed": int(seed),
                "lam_below": below,
                "lam_above": above,
                "lam_c": math.sqrt(below * above) if ok else math.nan,
                "monotone": bool(len(hit) == 0 or collapsed[hit[0] :].all()),
            }
        )
    return pd.DataFrame(rows)


def grid_step(lams: np.ndarray) -> float:
    """The largest ratio between neighbouring positive λ of a sweep: its resolution."""
    lams = np.unique(np.asarray(lams, dtype=np.float64))
    lams = lams[lams > 0]
    return float(np.max(lams[1:] / lams[:-1])) if len(lams) > 1 else math.nan


def mu_per_seed(curvature: pd.DataFrame) -> pd.DataFrame:
    """μ of each run from its curvature rows at the plateau: minus the smallest eigenvalue of
    the weight block of ∇²J (`hessian.Curvature.min_weight_eigenvalue`), with the run's
    settings; runs without a plateau have no row."""
    at = curvature[curvature["point"] == "plateau"].copy()
    at["mu"] = -at["min_weight_eigenvalue"]
    return at.drop(columns=["eigenvalues"], errors="ignore").reset_index(drop=True)


def plateau_flow_points(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run of an init-scale sweep: x = ln(1/init_std), the plateau length in gradient-flow
    time (`measures.plateau_flow_length`), whether a plateau was found, and whether it is
    censored (never left). The fit uses runs with a plateau that was left."""
    from backprop_study.analysis.measures import plateau_flow_length

    length, censored = plateau_flow_length(runs)
    return pd.DataFrame(
        {
            "run_id": runs["run_id"].to_numpy(),
            "seed": runs["seed"].to_numpy(),
            "init_std": runs["init_std"].to_numpy(dtype=np.float64),
            "x": np.log(1.0 / runs["init_std"].to_numpy(dtype=np.float64)),
            "t_plateau": length,
            "found": runs["plateau_found"].to_numpy(dtype=bool),
            "censored": censored,
        }
    )


def spread_growth(mechanism: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per run: the rate at which the hidden activations' spread across classes grows inside the
    plateau, the least-squares slope of ln(hidden_spread) against t over the snapshots between
    the plateau's start and end (NaN with fewer than 3), and the spread at the first of them.
    In the saddle picture the rate is μ."""
    bounds = runs.set_index("run_id")[["plateau_found", "plateau_start", "plateau_end"]]
    rows = []
    for run_id, g in mechanism.groupby("run_id", sort=True):
        rate, entry = math.nan, math.nan
        if run_id in bounds.index and bool(bounds.at[run_id, "plateau_found"]):
            start, end = bounds.at[run_id, "plateau_start"], bounds.at[run_id, "plateau_end"]
            inside = g[(g["epoch"] >= start) & (g["epoch"] <= end)].sort_values("epoch")
            if len(inside) >= 3:
                rate, _ = _ols(inside["t"].to_numpy(), np.log(inside["hidden_spread"].to_numpy()))
                entry = float(inside["hidden_spread"].iloc[0])
        rows.append({"run_id": run_id, "spread_rate": rate, "spread_entry": entry})
    return pd.DataFrame(rows)
