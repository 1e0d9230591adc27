"""The init-scale escape law tested on a study's logged curves (docs/plateau-theory.md, §6-7).

Per run of the init-scale experiment, `escape_points` reads the escape time at each threshold
f of `escapetime.FRACTIONS`: the first flow time t = α × updates at which the data loss is
below f × J*. A run enters the fit when its loss came within `growth.BAND` (relative) of J*
before that crossing and its crossing was logged (a run that never crosses is censored at the
budget and counted). A run that starts above J* passes through that band on its way down, so
the rule leaves out only runs that start below the threshold or whose logged points skip the
band: large-s runs without a plateau stay in, and the per-scale escape times show their effect.
`escapetime.slopes` fits t_f against ln(1/s) per f with a seed-resampled 95% interval; the
prediction is 1/(μ* − λ), μ* at the point descent with the runs' step α lands on from θ = 0
(`theory.landing(..., alpha=α)`).

The law is a small-s statement: `theory.small_s` (docs/plateau-theory.md §6, "When is s small")
bounds, from the closed form alone, the relative bias of the slope at each scale; a scale is small
when both bounds are ≤ `theory.SMALL_S` at the strictest threshold. If any scale of the fit is not
small the verdict is `outside the small-s regime` (`OUTSIDE`): the fit is shown but it does not test
the law. Otherwise, the verdict, fixed before the data: per f the ratio measured / predicted slope
carries the slope's interval divided by the prediction, labelled against the ±`MARGIN` band
(`stats.label_from_ci`). The law is `consistent` when every threshold's interval lies within the
band and the slopes are threshold-independent (every f within `escapetime.SLOPE_TOLERANCE` of their
median); `inconsistent` when some threshold's interval lies wholly outside the band or the slopes
differ by more than the tolerance; `inconclusive` otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis import escapetime, growth, theory
from backprop_study.analysis.findings import Finding
from backprop_study.analysis.stats import ABOVE, BELOW, MARGIN, WITHIN, Effect, label_from_ci

SETTING_COLUMNS = ("classes", "hidden", "loss", "prime_offset", "alpha", "lam")
CONSISTENT, INCONSISTENT, INCONCLUSIVE = "consistent", "inconsistent", "inconclusive"
OUTSIDE = "outside the small-s regime"
EXPERIMENT = "init_scale"
SHOWN_FRACTION = 0.9  # the threshold whose escape times the report tabulates and draws


def flow_time(runs: pd.DataFrame, curves: pd.DataFrame) -> pd.Series:
    """t = α × epoch × updates per epoch for each curve row (the run's settings from `runs`)."""
    per = runs.set_index("run_id")
    step = per["alpha"].astype(float) * per["updates_per_epoch"].astype(float)
    return curves["epoch"].astype(float) * curves["run_id"].map(step).astype(float)


def visited_before(loss: np.ndarray, plateau: float, level: float, band: float) -> bool:
    """Whether `loss` came within `band` (relative) of `plateau` before first falling below
    `level` (or at all, when it never does)."""
    below = np.flatnonzero(loss < level)
    head = loss[: below[0]] if len(below) else loss
    return bool(np.any(np.abs(head / plateau - 1.0) < band))


def escape_points(
    runs: pd.DataFrame, curves: pd.DataFrame, band: float = growth.BAND
) -> pd.DataFrame:
    """Long table, one row per run and fraction: run_id, seed, init_std, fraction, t_escape
    (NaN when never crossed), visited (the plateau, before the crossing), censored (never
    crossed), usable (visited and crossed)."""
    curves = curves[curves["run_id"].isin(set(runs["run_id"]))].sort_values(["run_id", "epoch"])
    t_all = flow_time(runs, curves)
    rows = []
    for r in runs.sort_values(["init_std", "seed"]).itertuples():
        mine = (curves["run_id"] == r.run_id).to_numpy()
        t = t_all[mine].to_numpy(dtype=np.float64)
        loss = curves["data_loss"][mine].to_numpy(dtype=np.float64)
        plateau = theory.plateau_loss(int(r.classes), str(r.loss))
        for f, te in escapetime.escape_times(t, loss, plateau).items():
            seen = len(loss) > 0 and visited_before(loss, plateau, f * plateau, band)
            never = len(loss) > 0 and not bool(np.any(loss < f * plateau))
            rows.append(
                {"run_id": r.run_id, "seed": int(r.seed), "init_std": float(r.init_std),
                 "fraction": f, "t_escape": te, "visited": seen, "censored": never,
                 "usable": seen and math.isfinite(te)}
            )  # fmt: skip
    return pd.DataFrame(rows)


def setting_of(runs: pd.DataFrame) -> dict[str, object]:
    """The one value of each of `SETTING_COLUMNS` the runs share."""
    out = {}
    for col in SETTING_COLUMNS:
        values = runs[col].dropna().unique()
        if len(values) != 1:
            raise ValueError(
                f"{col}: the init-scale law needs one value across the runs, got {list(values)}"
            )
        out[col] = values[0].item() if hasattr(values[0], "item") else values[0]
    return out


def predicted_slope(setting: dict[str, object]) -> tuple[float, float]:
    """(μ*, 1/(μ* − λ)) at the landing of descent with the runs' step from θ = 0."""
    lam = float(setting["lam"])
    land = theory.landing(
        int(setting["classes"]), int(setting["hidden"]), str(setting["loss"]), lam,
        float(setting["prime_offset"]), alpha=float(setting["alpha"]),
    )  # fmt: skip
    return land.mu, theory.escape_slope(land.mu, lam)


def slope_ratio(fit: pd.Series, predicted: float) -> Effect:
    """measured / predicted slope, the interval the slope's divided by the prediction."""
    ok = math.isfinite(predicted) and predicted > 0 and math.isfinite(fit["slope"])
    if not ok:
        return Effect(math.nan, math.nan, math.nan, math.nan, 0, "slope / prediction")
    return Effect(
        fit["slope"] / predicted, fit["low"] / predicted, fit["high"] / predicted, math.nan,
        int(fit["n_seeds"]), "slope / prediction",
    )  # fmt: skip


def verdict(labels: list[str], spread: float, tolerance: float = escapetime.SLOPE_TOLERANCE) -> str:
    """The module docstring's rule, from each threshold's label and the slopes' spread."""
    if any(label in (BELOW, ABOVE) for label in labels) or (
        math.isfinite(spread) and spread > tolerance
    ):
        return INCONSISTENT
    if labels and all(label == WITHIN for label in labels) and math.isfinite(spread):
        return CONSISTENT
    return INCONCLUSIVE


def small_scales(setting: dict[str, object], scales: list[float]) -> pd.DataFrame:
    """Per init scale: the two small-s bounds of `theory.small_s` at the strictest threshold
    and whether both are ≤ `theory.SMALL_S`."""
    rows = []
    for s in scales:
        b = theory.small_s(
            int(setting["classes"]), int(setting["hidden"]), str(setting["loss"]),
            float(setting["prime_offset"]), float(s), max(escapetime.FRACTIONS),
            float(setting["alpha"]),
        )  # fmt: skip
        rows.append({"init_std": float(s), "eps_nonlinear": b.nonlinear,
                     "eps_spread": b.spread, "small": b.small})  # fmt: skip
    return pd.DataFrame(rows, columns=["init_std", "eps_nonlinear", "eps_spread", "small"])


@dataclass
class InitLaw:
    """The law's measures on one init-scale experiment."""

    points: pd.DataFrame  # escape_points
    fits: pd.DataFrame  # per fraction: escapetime.slopes + ratio, low, high, label
    mu: float
    predicted: float
    spread: float
    verdict: str
    setting: dict[str, object]
    scales: pd.DataFrame  # small_scales of the scales in the fit


def init_law(runs: pd.DataFrame, curves: pd.DataFrame, margin: float = MARGIN) -> InitLaw:
    """Escape times, slopes per threshold, the prediction and the verdict."""
    setting = setting_of(runs)
    points = escape_points(runs, curves)
    fits = escapetime.slopes(points[points["usable"]])
    if fits.empty:
        fits = pd.DataFrame(columns=["fraction", "slope", "low", "high", "n", "n_seeds"])
    mu, predicted = predicted_slope(setting)
    ratios = [slope_ratio(fit, predicted) for _, fit in fits.iterrows()]
    fits["ratio"] = [e.estimate for e in ratios]
    fits["ratio_low"] = [e.low for e in ratios]
    fits["ratio_high"] = [e.high for e in ratios]
    fits["label"] = [label_from_ci(e, margin) for e in ratios]
    spread = escapetime.threshold_spread(fits) if len(fits) else math.nan
    fitted = sorted(points.loc[points["usable"], "init_std"].unique())
    scales = small_scales(setting, fitted)
    said = verdict(list(fits["label"]), spread)
    if len(scales) and not scales["small"].all():
        said = OUTSIDE
    return InitLaw(points, fits, mu, predicted, spread, said, setting, scales)


def _spread(key: str, values: np.ndarray, unit: str, run_ids: list[str]) -> list[Finding]:
    v = values[np.isfinite(values)]
    stat = (float(np.median(v)), float(v.min()), float(v.max())) if v.size else (math.nan,) * 3
    return [Finding(f"{key}.{name}", x, unit, experiment=EXPERIMENT, run_ids=run_ids)
            for name, x in zip(("median", "min", "max"), stat, strict=True)]  # fmt: skip


def law_findings(runs: pd.DataFrame, curves: pd.DataFrame, key: str) -> list[Finding]:
    """The law's numbers as findings under `key`: the prediction, each threshold's slope and
    ratio, the spread across thresholds, the verdict, and per init scale the escape times at
    `SHOWN_FRACTION`."""
    law = init_law(runs, curves)
    ids = runs["run_id"].astype(str).tolist()
    pts = law.points
    first = pts[pts["fraction"] == SHOWN_FRACTION]
    out = [
        Finding(f"{key}.alpha", float(law.setting["alpha"]), experiment=EXPERIMENT),
        Finding(f"{key}.mu_star", law.mu, experiment=EXPERIMENT),
        Finding(f"{key}.predicted_slope", law.predicted, "t", experiment=EXPERIMENT),
        Finding(f"{key}.spread", law.spread, "relative", experiment=EXPERIMENT),
        Finding(f"{key}.tolerance", escapetime.SLOPE_TOLERANCE, "relative"),
        Finding(f"{key}.margin", MARGIN, "relative"),
        Finding(f"{key}.band", growth.BAND, "relative"),
        Finding(f"{key}.shown_fraction", SHOWN_FRACTION),
        Finding(f"{key}.verdict", text=law.verdict, experiment=EXPERIMENT, run_ids=ids),
        Finding(f"{key}.runs", len(runs), "runs", experiment=EXPERIMENT),
        Finding(f"{key}.not_visited", int((~first["visited"]).sum()), "runs",
                experiment=EXPERIMENT, run_ids=first["run_id"][~first["visited"]].tolist()),
        Finding(f"{key}.small_s_limit", theory.SMALL_S, "relative"),
        Finding(f"{key}.small_scales", int(law.scales["small"].sum()), "scales",
                experiment=EXPERIMENT),
        Finding(f"{key}.fitted_scales", len(law.scales), "scales", experiment=EXPERIMENT),
    ]  # fmt: skip
    for b in law.scales.itertuples():
        k = f"{key}.scale[{b.init_std:g}]"
        out += [
            Finding(f"{k}.eps_nonlinear", b.eps_nonlinear, "relative", experiment=EXPERIMENT),
            Finding(f"{k}.eps_spread", b.eps_spread, "relative", experiment=EXPERIMENT),
            Finding(f"{k}.small", text="yes" if b.small else "no", experiment=EXPERIMENT),
        ]  # fmt: skip
    for fit in law.fits.itertuples():
        k = f"{key}.fraction[{fit.fraction:g}]"
        used = pts[(pts["fraction"] == fit.fraction) & pts["usable"]]
        censored = pts[(pts["fraction"] == fit.fraction) & pts["censored"] & pts["visited"]]
        out += [
            Finding(f"{k}.fraction", fit.fraction, experiment=EXPERIMENT),
            Finding(f"{k}.slope", fit.slope, "t", experiment=EXPERIMENT,
                    run_ids=used["run_id"].tolist(), ci_low=fit.low, ci_high=fit.high),
            Finding(f"{k}.ratio", fit.ratio, "ratio", experiment=EXPERIMENT,
                    ci_low=fit.ratio_low, ci_high=fit.ratio_high),
            Finding(f"{k}.label", text=fit.label, experiment=EXPERIMENT),
            Finding(f"{k}.r2", fit.r2, experiment=EXPERIMENT),
            Finding(f"{k}.runs", fit.n, "runs", experiment=EXPERIMENT),
            Finding(f"{k}.seeds", fit.n_seeds, "seeds", experiment=EXPERIMENT),
            Finding(f"{k}.censored", len(censored), "runs", experiment=EXPERIMENT,
                    run_ids=censored["run_id"].tolist()),
        ]  # fmt: skip
    for s, g in first.groupby("init_std", sort=True):
        k = f"{key}.scale[{s:g}]"
        used = g[g["usable"]]
        out += [
            Finding(f"{k}.init_std", float(s), experiment=EXPERIMENT),
            Finding(f"{k}.log_inverse", math.log(1 / s), experiment=EXPERIMENT),
            Finding(f"{k}.runs", len(g), "runs", experiment=EXPERIMENT),
            Finding(f"{k}.used", len(used), "runs", experiment=EXPERIMENT),
            *_spread(f"{k}.t_escape", used["t_escape"].to_numpy(dtype=float), "t",
                     used["run_id"].tolist()),
        ]  # fmt: skip
    return out
