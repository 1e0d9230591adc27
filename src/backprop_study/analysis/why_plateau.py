"""Why the plateau: its mechanism, its curvature and the saddle's two predictions, as numbers.

The numbers come from two experiments: `init_scale` (λ = 0, the initial weight scale s swept)
and `critical_lambda` (a fine λ sweep with λ = 0 for the curvature), with the per-snapshot
mechanism measures and the Hessian spectra of their `mechanism` and `curvature` tables.
`plateau_numbers` computes them once for the figures and `plateau_findings` for the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backprop_study.analysis import escape, init_law
from backprop_study.analysis.findings import Finding, ids
from backprop_study.analysis.stats import Effect, paired_ratio, share

INIT_EXPERIMENT = "init_scale"
LAMBDA_EXPERIMENT = "critical_lambda"
CURVATURE_COLUMNS = ["run_id", "seed", "point", "epoch", "n_negative", "min_eigenvalue",
                     "min_weight_eigenvalue", "eigenvalues"]  # fmt: skip
POINT_MEASURES = [  # mechanism column, label
    ("t", "t = α × updates"),
    ("hidden_spread", "hidden activations: largest range across classes"),
    ("w2_row_spread", "rows of W2: ‖W2 − mean row‖ / ‖W2‖"),
    ("effective_bias_mean", "effective output bias, mean over outputs"),
    ("effective_bias_gap", "effective output bias: largest |b − logit(1/k)|"),
    ("output_distance", "outputs: RMS distance from the class mean"),
    ("grad_norm", "gradient norm ‖∇J‖"),
    ("data_loss", "data loss"),
]
POINT_CURVATURE = [
    ("n_negative", "negative Hessian eigenvalues"),
    ("min_weight_eigenvalue", "smallest eigenvalue of the weight block (−μ)"),
    ("min_eigenvalue", "smallest eigenvalue"),
]
POINTS = ("init", "plateau", "end")


def rows_of(table: pd.DataFrame | None, runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of a per-run table (mechanism, curvature) that belong to `runs`."""
    if table is None or table.empty:
        return pd.DataFrame()
    key = ["run_id", "point" if "point" in table else "epoch"]  # shared runs appear once
    return table[table["run_id"].isin(set(runs["run_id"]))].drop_duplicates(subset=key)


def at_point(curvature: pd.DataFrame | None, point: str) -> pd.DataFrame:
    """The curvature rows at one point (`init`, `plateau`, `end`); empty with the columns when
    there are none."""
    if curvature is None or curvature.empty:
        return pd.DataFrame(columns=CURVATURE_COLUMNS)
    return curvature[curvature["point"] == point]


@dataclass
class PlateauNumbers:
    """Everything the section and its figures state."""

    per_seed: pd.DataFrame  # seed, μ, negative eigenvalues at each point, λ bracket, λ_c, ratio
    fit: escape.LineFit | None = None
    mu_median: float = math.nan
    predicted_slope: float = math.nan
    ratio: Effect | None = None  # geometric mean of λ_c / μ over seeds
    inside: int = 0  # seeds whose μ lies inside their λ bracket
    n_bracketed: int = 0
    step: float = math.nan  # the λ grid's resolution (largest neighbour ratio)
    lam_top: float = math.nan
    top_end_negative: list[int] = field(default_factory=list)  # at the largest λ, end of run
    top_end_min_weight: list[float] = field(default_factory=list)
    scales: pd.DataFrame | None = None  # per init scale: plateaus, lengths, μ, spread growth
    points: pd.DataFrame | None = None  # per init-scale run: x, t_plateau, found, censored
    excluded: int = 0  # init-scale runs without a plateau that was left
    entry_exponent: float = math.nan  # κ in spread at plateau entry ∝ s^κ


def plateau_numbers(
    lam_runs: pd.DataFrame,
    lam_curvature: pd.DataFrame | None,
    init_runs: pd.DataFrame | None = None,
    init_mechanism: pd.DataFrame | None = None,
    init_curvature: pd.DataFrame | None = None,
) -> PlateauNumbers:
    """The numbers from the λ sweep's runs and curvature rows, and (if given) the init-scale
    sweep's runs, mechanism and curvature rows."""
    base = lam_runs[lam_runs["lam"] == 0]
    curv = rows_of(lam_curvature, base)
    per_seed = pd.DataFrame({"seed": sorted(base["seed"].unique())})
    for point in POINTS:
        at = at_point(curv, point).set_index("seed")
        per_seed[f"neg_{point}"] = per_seed["seed"].map(at["n_negative"])
    mu = escape.mu_per_seed(at_point(curv, "plateau")).set_index("seed")["mu"]
    per_seed["mu"] = per_seed["seed"].map(mu)
    swept = lam_runs[lam_runs["lam"] > 0]
    thresholds = escape.critical_lambda(lam_runs).set_index("seed")
    for col in ("lam_below", "lam_above", "lam_c", "monotone"):
        per_seed[col] = per_seed["seed"].map(thresholds[col])
    per_seed["ratio"] = per_seed["lam_c"] / per_seed["mu"]
    ok = per_seed["lam_c"].notna() & per_seed["mu"].notna()
    numbers = PlateauNumbers(per_seed=per_seed)
    numbers.mu_median = float(per_seed["mu"].median())
    numbers.predicted_slope = 1.0 / numbers.mu_median if numbers.mu_median > 0 else math.nan
    numbers.ratio = paired_ratio(per_seed["lam_c"][ok], per_seed["mu"][ok])
    bracketed = per_seed["lam_above"].notna()
    numbers.n_bracketed = int(bracketed.sum())
    inside = (per_seed["mu"] > per_seed["lam_below"]) & (per_seed["mu"] < per_seed["lam_above"])
    numbers.inside = int(inside[bracketed].sum())
    numbers.step = escape.grid_step(swept["lam"].to_numpy())
    if len(swept):
        numbers.lam_top = float(swept["lam"].max())
        top = at_point(rows_of(lam_curvature, swept[swept["lam"] == numbers.lam_top]), "end")
        numbers.top_end_negative = [int(v) for v in top["n_negative"]]
        numbers.top_end_min_weight = [float(v) for v in top["min_weight_eigenvalue"]]
    if init_runs is not None and len(init_runs):
        _init_scale_numbers(numbers, init_runs, init_mechanism, init_curvature)
    return numbers


def _median(values: pd.Series | np.ndarray) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan


def _init_scale_numbers(
    numbers: PlateauNumbers,
    runs: pd.DataFrame,
    mechanism: pd.DataFrame | None,
    curvature: pd.DataFrame | None,
) -> None:
    points = escape.plateau_flow_points(runs)
    use = points["found"] & ~points["censored"]
    numbers.points = points
    numbers.excluded = int((~use).sum())
    numbers.fit = escape.escape_fit(points["x"][use], points["t_plateau"][use], points["seed"][use])
    mech = rows_of(mechanism, runs)
    growth = escape.spread_growth(mech, runs) if len(mech) else pd.DataFrame(columns=["run_id"])
    mu = escape.mu_per_seed(at_point(rows_of(curvature, runs), "plateau"))
    rows = []
    for s, g in runs.groupby("init_std", sort=True):
        p = points[points["init_std"] == s]
        kept = p[p["found"] & ~p["censored"]]
        gr = growth[growth["run_id"].isin(set(g["run_id"]))]
        m = mu[mu["run_id"].isin(set(g["run_id"]))]["mu"]
        rows.append(
            {
                "init_std": float(s),
                "runs": len(p),
                "found": int(p["found"].sum()),
                "left": len(kept),
                "t_plateau": kept["t_plateau"].to_numpy(dtype=float),
                "mu": m.to_numpy(dtype=float),
                "spread_entry": _median(gr["spread_entry"]) if len(gr) else math.nan,
                "spread_rate": _median(gr["spread_rate"]) if len(gr) else math.nan,
                "run_ids": g["run_id"].tolist(),
            }
        )
    numbers.scales = pd.DataFrame(rows)
    if len(growth):
        entry = growth.merge(runs[["run_id", "init_std"]], on="run_id")
        entry = entry[np.isfinite(entry["spread_entry"]) & (entry["init_std"] < 1)]
        med = entry.groupby("init_std")["spread_entry"].median()
        if len(med) >= 2:
            numbers.entry_exponent = float(
                np.polyfit(np.log(med.index.to_numpy()), np.log(med.to_numpy()), 1)[0]
            )


def verdict_on_ratio(effect: Effect | None, step: float) -> str:
    """`holds` when the 95% interval of λ_c/μ lies within the λ grid's resolution (1/step ..
    step), `fails` when it lies outside it, `is inconclusive` otherwise."""
    if effect is None or not (math.isfinite(effect.low) and math.isfinite(effect.high)):
        return "is inconclusive"
    if 1 / step <= effect.low and effect.high <= step:
        return "holds"
    if effect.high < 1 / step or effect.low > step:
        return "fails"
    return "is inconclusive"


def collapse_shares(swept: pd.DataFrame) -> pd.DataFrame:
    """Per λ: the share of seeds collapsed with its exact 95% interval."""
    rows = []
    for lam, g in swept.groupby("lam", sort=True):
        e = share(int(g["collapsed"].sum()), len(g))
        rows.append({"lam": float(lam), "share": e.estimate, "low": e.low, "high": e.high})
    return pd.DataFrame(rows, columns=["lam", "share", "low", "high"])


def spread_findings(key: str, values, unit: str = "", experiment: str = "", run_ids=()):
    """Median [min, max] of the finite values: three rows."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    none = v.size == 0
    return [
        Finding(f"{key}.median", math.nan if none else float(np.median(v)), unit,
                experiment=experiment, run_ids=run_ids),
        Finding(f"{key}.min", math.nan if none else float(v.min()), unit, experiment=experiment),
        Finding(f"{key}.max", math.nan if none else float(v.max()), unit, experiment=experiment),
    ]  # fmt: skip


def point_columns(lam_top: float) -> list[tuple[str, float, str]]:
    """(column key, λ, point) of the four points the section's table shows."""
    cols = [("init", 0.0, "init"), ("plateau", 0.0, "plateau"), ("end", 0.0, "end")]
    return cols + ([("end_top", lam_top, "end")] if math.isfinite(lam_top) else [])


def point_findings(lam_runs, mechanism, curvature, lam_top: float) -> list[Finding]:
    """Mechanism and curvature at the four points: median [min, max] over seeds."""
    out = []
    for col, lam, point in point_columns(lam_top):
        runs = lam_runs[lam_runs["lam"] == lam]
        curv = at_point(rows_of(curvature, runs), point)
        mech = (
            pd.merge(curv[["run_id", "epoch"]], mechanism, on=["run_id", "epoch"])
            if mechanism is not None and len(mechanism) and len(curv)
            else pd.DataFrame()
        )
        for c, _ in POINT_MEASURES:
            values = mech.get(c, [])
            out += spread_findings(f"why_plateau.point.{col}.{c}", values, "",
                                   LAMBDA_EXPERIMENT, ids(curv))  # fmt: skip
        for c, _ in POINT_CURVATURE:
            values = curv[c] if len(curv) else []
            out += spread_findings(f"why_plateau.point.{col}.{c}", values, "", LAMBDA_EXPERIMENT)
    return out


def plateau_findings(
    experiment_runs: Mapping[str, pd.DataFrame],
    tables: Mapping[str, pd.DataFrame | None],
    classes: int,
) -> list[Finding]:
    """The section's numbers as findings (nothing when either experiment is missing)."""
    if INIT_EXPERIMENT not in experiment_runs or LAMBDA_EXPERIMENT not in experiment_runs:
        return []
    init_runs, lam_runs = experiment_runs[INIT_EXPERIMENT], experiment_runs[LAMBDA_EXPERIMENT]
    mech, curv = tables.get("mechanism"), tables.get("curvature")
    n = plateau_numbers(lam_runs, curv, init_runs, mech, curv)
    exp, key = LAMBDA_EXPERIMENT, "why_plateau"
    base = lam_runs[lam_runs["lam"] == 0]
    alpha = float(base["alpha"].max()) if len(base) else math.nan
    out = [
        Finding(f"{key}.budget", float(lam_runs["epochs"].max()) if len(lam_runs) else math.nan,
                "epochs", experiment=exp, run_ids=ids(lam_runs)),
        Finding(f"{key}.alpha", float(lam_runs["alpha"].max()) if len(lam_runs) else math.nan,
                experiment=exp),
        Finding(f"{key}.classes", classes),
        Finding(f"{key}.lam_top", n.lam_top, experiment=exp),
        Finding(f"{key}.top_end_negative_max",
                max(n.top_end_negative) if n.top_end_negative else math.nan, experiment=exp),
        Finding(f"{key}.mu_bracket_inside", n.inside, "seeds", experiment=exp),
        Finding(f"{key}.mu_bracketed", n.n_bracketed, "seeds", experiment=exp),
        Finding(f"{key}.lam_step", n.step, "ratio", experiment=exp),
        Finding(f"{key}.mu_median", n.mu_median, experiment=exp),
        Finding(f"{key}.predicted_slope", n.predicted_slope, "t", experiment=INIT_EXPERIMENT),
        Finding(f"{key}.entry_exponent", n.entry_exponent, experiment=INIT_EXPERIMENT),
        Finding(f"{key}.fit_excluded", n.excluded, "runs", experiment=INIT_EXPERIMENT),
        *spread_findings(f"{key}.mu", n.per_seed["mu"], "", exp, ids(base)),
        *spread_findings(f"{key}.lam_c", n.per_seed["lam_c"], "", exp, ids(lam_runs)),
        *spread_findings(f"{key}.base_solve_t",
                         base["first_solved"].dropna().astype(float) * alpha, "t", exp),
    ]  # fmt: skip
    if n.ratio is not None:
        out.append(Finding(f"{key}.lam_c_over_mu", n.ratio.estimate, "ratio", n.ratio.bound,
                           exp, ids(base), n.ratio.low, n.ratio.high))  # fmt: skip
        out.append(Finding(f"{key}.lam_verdict", text=verdict_on_ratio(n.ratio, n.step),
                           experiment=exp))  # fmt: skip
    fit = n.fit
    if fit is not None and math.isfinite(fit.slope):
        out += [
            Finding(f"{key}.fit_slope", fit.slope, "t", "", INIT_EXPERIMENT, ids(init_runs),
                    fit.low, fit.high),
            Finding(f"{key}.fit_r2", fit.r2, experiment=INIT_EXPERIMENT),
            Finding(f"{key}.fit_runs", fit.n, "runs", experiment=INIT_EXPERIMENT),
            Finding(f"{key}.slope_times_mu", fit.slope * n.mu_median, experiment=INIT_EXPERIMENT),
            Finding(f"{key}.escape_rate", 1 / fit.slope, experiment=INIT_EXPERIMENT),
        ]  # fmt: skip
    for r in n.per_seed.itertuples():
        s = f"{key}.seed[{int(r.seed)}]"
        for col in ("neg_init", "neg_plateau", "neg_end", "mu", "lam_below", "lam_above",
                    "lam_c", "ratio"):  # fmt: skip
            out.append(Finding(f"{s}.{col}", float(getattr(r, col)), experiment=exp))
    if n.scales is not None:
        for r in n.scales.itertuples():
            s = f"{key}.scale[{r.init_std:g}]"
            out += [
                Finding(f"{s}.init_std", r.init_std, experiment=INIT_EXPERIMENT,
                        run_ids=r.run_ids),
                Finding(f"{s}.log_inverse", math.log(1 / r.init_std), experiment=INIT_EXPERIMENT),
                Finding(f"{s}.runs", r.runs, "runs", experiment=INIT_EXPERIMENT),
                Finding(f"{s}.found", r.found, "runs", experiment=INIT_EXPERIMENT),
                Finding(f"{s}.left", r.left, "runs", experiment=INIT_EXPERIMENT),
                *spread_findings(f"{s}.t_plateau", r.t_plateau, "t", INIT_EXPERIMENT),
                *spread_findings(f"{s}.mu", r.mu, "", INIT_EXPERIMENT),
                Finding(f"{s}.spread_entry", r.spread_entry, experiment=INIT_EXPERIMENT),
                Finding(f"{s}.spread_rate", r.spread_rate, experiment=INIT_EXPERIMENT),
            ]  # fmt: skip
    curves = tables.get("curves")
    if curves is not None and len(init_runs):
        out += init_law.law_findings(init_runs, curves, f"{key}.law")
    return out + point_findings(lam_runs, mech, curv, n.lam_top)
