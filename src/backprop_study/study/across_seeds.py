"""Per configuration, across its seeds: curve quartiles, the comparison and the outcomes.

Each takes a long table (a row per run, or per run and logged epoch) and gives a row per
configuration (and logged epoch). The aggregate step writes the first two per experiment; the
report derives the outcomes from the study's runs table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backprop_study.analysis.axes import config_columns
from backprop_study.study.columns import typed_columns

if TYPE_CHECKING:
    import pandas as pd

CURVE_METRICS = ["data_loss", "objective", "correct"]
QUANTILES = {"q25": 0.25, "median": 0.5, "q75": 0.75}


def curve_quantiles(curves: pd.DataFrame) -> pd.DataFrame:
    """Quartiles across seeds of each configuration's curve, at each logged epoch.

    Input: long curves with CONFIG_COLUMNS (and setting, if known), seed, epoch and
    CURVE_METRICS. Runs that diverged stop early; later epochs use the seeds that are left
    (`n_runs` says how many).
    """
    import pandas as pd

    named = ["setting"] if "setting" in curves else []  # follows from the configuration
    keys = [*config_columns(curves.columns), *named, "epoch"]
    grouped = curves.groupby(keys, sort=True, dropna=False)[CURVE_METRICS]
    parts = [grouped.size().rename("n_runs")]
    for label, q in QUANTILES.items():
        part = grouped.quantile(q)
        part.columns = [f"{m}_{label}" for m in part.columns]
        parts.append(part)
    out = pd.concat(parts, axis=1).reset_index()
    ordered = [*named, *(k for k in keys if k not in named), "n_runs"]
    ordered += [f"{m}_{label}" for m in CURVE_METRICS for label in QUANTILES]
    return out[ordered]


def _censored_quantile(values: Any, q: float) -> float:
    """Quantile where NA means "not within the epochs run" (+inf); NaN if the quantile is."""
    import numpy as np

    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return float("nan")
    arr = np.where(np.isnan(arr), np.inf, arr)
    with np.errstate(invalid="ignore"):  # inf - inf between two "never"s: NaN is the answer
        x = float(np.quantile(arr, q, method="linear"))
    return x if np.isfinite(x) else float("nan")


def comparison_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration across seeds: final loss and epochs to solve (median, IQR), success rate,
    runs that ended saturated (`saturation`).

    Diverged runs count as failures and are left out of the final-loss statistics. The epochs to
    solve (first epoch solved by the 40-20-40 rule) treat never as later than any epoch, so a
    median is NaN when half the seeds never solved.
    """
    import numpy as np
    import pandas as pd

    rows = []
    named = [c for c in ("setting", "experiment") if c in runs]  # follow from the configuration
    by = [*config_columns(runs.columns), *named]
    for config, group in runs.groupby(by, sort=True, dropna=False):
        ok = group[~group["diverged"].astype(bool)]
        solved_at = group["first_solved"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        solved_at = np.where(group["diverged"].astype(bool), np.nan, solved_at)
        row = dict(zip(by, config, strict=True))
        row |= {
            "n_runs": len(group),
            "n_diverged": int(group["diverged"].sum()),
            "n_solved": int(np.isfinite(solved_at).sum()),
            "success_rate": float(np.isfinite(solved_at).mean()),
            "n_saturated": int(group["saturated"].fillna(False).sum())
            if "saturated" in group
            else 0,
        }
        for label, q in QUANTILES.items():
            losses = ok["final_data_loss"]
            row[f"final_data_loss_{label}"] = float(losses.quantile(q)) if len(ok) else np.nan
        row["final_objective_median"] = float(ok["final_objective"].median()) if len(ok) else np.nan
        for label, q in QUANTILES.items():
            row[f"epochs_to_solve_{label}"] = _censored_quantile(solved_at, q)
        rows.append(row)
    table = pd.DataFrame(rows)
    return typed_columns(table[[*named, *(c for c in table.columns if c not in named)]])


def outcome_table(runs: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Per configuration: epochs to solve and plateau length across seeds, censored runs counted.

    The same per-run measures as the claims (`measures.solve_time`, `measures.plateau_length`):
    a run that never solved (or diverged) counts at its budget, a plateau never left at its observed
    length, both flagged censored (the true value is at least the number); a run without a
    plateau has length 0. Quartiles follow `convergence.censored_summary`: a quartile that
    depends on a censored run is flagged (`*_censored`). Also: plateaus found and left, the
    median final data loss (diverged runs left out) and the median bias ratio in the plateau;
    the runs that collapsed to the trivial network (`collapse`) and their median largest weight;
    the runs that ended saturated, an output stuck wrong on a flat spot (`saturation`);
    the Kaplan–Meier median epochs to solve with its 95% interval (`stats.kaplan_meier`).
    Statistics are per configuration: nothing is pooled across settings.
    """
    import numpy as np
    import pandas as pd

    from backprop_study.analysis.convergence import censored_summary
    from backprop_study.analysis.measures import plateau_length, solve_time
    from backprop_study.analysis.stats import kaplan_meier

    by = by or config_columns(runs.columns)
    rows = []
    for config, group in runs.groupby(by, sort=True, dropna=False):
        config = config if isinstance(config, tuple) else (config,)
        row: dict[str, Any] = dict(zip(by, config, strict=True))
        diverged = group["diverged"].to_numpy(dtype=bool)
        ok = group[~diverged]
        row |= {
            "n_runs": len(group),
            "n_diverged": int(diverged.sum()),
            "n_patterns": int(group["n_patterns"].max()),
            "budget": int(group["epochs"].max()),
            "flow_per_epoch": float(
                (group["alpha"] * (group["n_patterns"] // group["batch_size"])).median()
            ),
        }
        for name, metric in (("solve", solve_time), ("plateau", plateau_length)):
            values, censored = metric(group)
            s = censored_summary(np.where(censored, np.nan, values), values)
            if name == "solve":
                row |= {"n_solved": s.n_events, "success_rate": s.success_rate}
                km = kaplan_meier(values, censored)
                row |= {
                    "solve_km_median": km.median,
                    "solve_km_low": km.median_low,
                    "solve_km_high": km.median_high,
                }
            for q in ("q1", "median", "q3"):
                row[f"{name}_{q}"] = getattr(s, q)
                row[f"{name}_{q}_censored"] = getattr(s, f"{q}_censored")
        row |= {
            "n_plateau": int(group["plateau_found"].sum()),
            "n_plateau_left": int(group["plateau_left"].sum()),
            "final_data_loss_median": float(ok["final_data_loss"].median()) if len(ok) else np.nan,
            "bias_ratio_plateau_median": float(group["bias_ratio_plateau"].median()),
        }
        collapsed = group["collapsed"].to_numpy(dtype=bool) if "collapsed" in group else []
        saturated = (
            group["saturated"].fillna(False).to_numpy(dtype=bool) if "saturated" in group else []
        )
        row |= {
            "n_collapsed": int(np.sum(collapsed)),
            "n_saturated": int(np.sum(saturated)),
            "weight_max_end_median": float(group["weight_max_end"].median())
            if "weight_max_end" in group
            else np.nan,
        }
        rows.append(row)
    return pd.DataFrame(rows)
