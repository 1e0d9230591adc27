"""Findings on the networks themselves, per setting (never pooled across settings): the bias
ratio inside the plateau, and how distinct and how binary the hidden codes are."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from backprop_study.analysis import codes, weightstats
from backprop_study.analysis.axes import config_columns, symbol, value_text
from backprop_study.analysis.convergence import as_times
from backprop_study.analysis.findings import Finding, ids

PLATEAU_MEDIANS = {  # finding name: runs-table column
    "level": "plateau_level",
    "bias_ratio": "bias_ratio_plateau",
    "bias_ratio_hidden": "bias_ratio_plateau_hidden",
    "bias_ratio_output": "bias_ratio_plateau_output",
    "weight_hidden": "weight_abs_plateau_hidden",
    "bias_ratio_end": "bias_ratio_end",
}


def label(by: Sequence[str], values: Sequence[object]) -> str:
    """`λ = 0.1, α = 0.01`: a setting in the report's words."""
    return ", ".join(
        f"{symbol(c)} = {value_text(c, None if pd.isna(v) else v)}"
        for c, v in zip(by, values, strict=True)
    )


def groups(runs: pd.DataFrame, by: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(key part, runs) per setting of `by`, in order; the key part names every value."""
    out = []
    for values, g in runs.groupby(by, sort=True, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        key = ",".join(f"{c}={v:g}" if isinstance(v, float) else f"{c}={v}"
                       for c, v in zip(by, values, strict=True))  # fmt: skip
        out.append((key, g, values))
    return out


def plateau_findings(runs: pd.DataFrame, axes: list[str], experiment: str) -> list[Finding]:
    """Per setting of the experiment: plateaus found and left, collapsed runs, and medians of
    the plateau's level and of the bias ratio inside it and at the end."""
    out = [Finding("plateau.axes", text=",".join(axes), experiment=experiment)]
    for key, g, values in groups(runs, axes):
        k = f"plateau[{key}]"
        ratio = g["bias_ratio_plateau"]
        out += [
            Finding(f"{k}.label", text=label(axes, values), experiment=experiment,
                    run_ids=ids(g)),
            Finding(f"{k}.runs", len(g), "runs", experiment=experiment),
            Finding(f"{k}.collapsed", int(g["collapsed"].sum()), "runs", experiment=experiment),
            Finding(f"{k}.found", int(g["plateau_found"].sum()), "runs", experiment=experiment),
            Finding(f"{k}.left", int(g["plateau_left"].sum()), "runs", experiment=experiment),
            Finding(f"{k}.bias_ratio_above_one", int((ratio > 1).sum()), "runs",
                    experiment=experiment),
            Finding(f"{k}.bias_ratio_measured", int(ratio.notna().sum()), "runs",
                    experiment=experiment),
        ]  # fmt: skip
        for name, column in PLATEAU_MEDIANS.items():
            median = float(g[column].median()) if column in g else np.nan
            out.append(Finding(f"{k}.{name}", median, experiment=experiment))
    return out


def code_findings(runs: pd.DataFrame, classes: int) -> list[Finding]:
    """Per setting of the study (grouped by the settings that vary across its runs): runs with
    all classes' codes distinct (among all and among solved runs), mean distinct codes, mean
    binarity gap (of all runs, and of the solved runs), codebooks up to symmetry; and, among the
    settings with solved runs only (a collapsed or unsolved network has no code to read), which
    are the most and least binary."""
    if runs.empty:
        return []
    solved = np.isfinite(as_times(runs["first_solved"]))
    runs = runs.assign(_solved=solved)
    by = [c for c in config_columns(runs.columns) if runs[c].nunique(dropna=False) > 1]
    by = by or ["encoding"]
    out = [Finding("codes.by", text=",".join(by)), Finding("codes.classes", classes)]
    summary = []
    for key, g, values in groups(runs, by):
        k = f"codes[{key}]"
        distinct = g["code_all_distinct"].astype(bool)
        row = {
            "key": k,
            "distinct_solved": int((distinct & g["_solved"]).sum()),
            "solved": int(g["_solved"].sum()),
            "gap": float(g["code_gap"].mean()),
            "gap_solved": float(g.loc[g["_solved"], "code_gap"].mean()),
        }
        summary.append(row)
        out += [
            Finding(f"{k}.label", text=label(by, values), run_ids=ids(g)),
            *[Finding(f"{k}.{c}", text=value_text(c, None if pd.isna(v) else v))
              for c, v in zip(by, values, strict=True)],
            Finding(f"{k}.runs", len(g), "runs"),
            Finding(f"{k}.distinct", int(distinct.sum()), "runs"),
            Finding(f"{k}.distinct_solved", row["distinct_solved"], "runs"),
            Finding(f"{k}.solved", row["solved"], "runs"),
            Finding(f"{k}.distinct_mean", float(g["code_distinct"].mean()), "codes"),
            Finding(f"{k}.gap_mean", row["gap"]),
            Finding(f"{k}.gap_solved_mean", row["gap_solved"]),
            Finding(f"{k}.codebooks", codes.n_codebooks(g["code_canonical"]), "codebooks"),
        ]  # fmt: skip
    table = pd.DataFrame(summary)
    with_solved = table[table["solved"] > 0]
    shared = with_solved[with_solved["distinct_solved"] < with_solved["solved"]]
    kind = "none_solved" if with_solved.empty else "all_distinct" if shared.empty else "shared"
    out.append(Finding("codes.verdict", text=kind))
    if not with_solved.empty:
        gaps = with_solved.set_index("key")["gap_solved"]
        out += [
            Finding("codes.most_binary", text=gaps.idxmin()),
            Finding("codes.least_binary", text=gaps.idxmax()),
        ]
    if kind == "shared":
        share = shared["distinct_solved"] / shared["solved"]
        out.append(Finding("codes.fewest_distinct", text=shared.loc[share.idxmin(), "key"]))
    return out


def pairwise_distances(final_weights: pd.DataFrame, run_ids: Sequence[str]) -> dict[str, float]:
    """Per run: aligned relative distance (`weightstats.aligned_distance`) to the nearest other
    run of `run_ids` at the last snapshot (NaN if it has no other run)."""
    wanted = set(run_ids)
    params = {
        rid: weightstats.params_at(w) for rid, w in final_weights.groupby("run_id") if rid in wanted
    }
    order = sorted(params)
    matrix = weightstats.distance_matrix([params[rid] for rid in order])
    nearest = {rid: math.inf for rid in params}
    for i, j in itertools.combinations(range(len(order)), 2):
        a, b, d = order[i], order[j], float(matrix[i, j])
        nearest[a], nearest[b] = min(nearest[a], d), min(nearest[b], d)
    return {rid: (d if math.isfinite(d) else math.nan) for rid, d in nearest.items()}


def _magnitude(weights: pd.DataFrame | None, bias: bool) -> float:
    if weights is None or not len(weights):
        return math.nan
    return float(weights[weights["is_bias"] == bias]["value"].abs().mean())


def _median(values: Sequence[float]) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan


def weight_findings(
    runs: pd.DataFrame, axes: list[str], final_weights: pd.DataFrame | None, experiment: str
) -> list[Finding]:
    """Per setting, each run's end (collapsed, solved, data loss, mean |weight| and |bias|,
    codebook, distance to its nearest other seed) and their medians over seeds."""
    by = axes or ["encoding"]
    out = [Finding("weights.axes", text=",".join(axes), experiment=experiment)]
    for key, g, values in groups(runs.sort_values([*by, "seed"]), by):
        k = f"weights[{key}]"
        distances = pairwise_distances(final_weights, g["run_id"].tolist()) if (
            final_weights is not None) else {}  # fmt: skip
        ends = []
        for r in g.itertuples():
            w = final_weights[final_weights["run_id"] == r.run_id] if (
                final_weights is not None) else None  # fmt: skip
            end = {
                "collapsed": float(bool(getattr(r, "collapsed", False))),
                "solved_at": math.nan if pd.isna(r.first_solved) else float(r.first_solved),
                "final_loss": float(r.final_data_loss),
                "weight_mean": _magnitude(w, False),
                "bias_mean": _magnitude(w, True),
                "distance": distances.get(r.run_id, math.nan),
            }
            ends.append(end)
            run_key = f"weights_run[{key},seed={r.seed}]"
            out += [Finding(f"{run_key}.setting", text=key, experiment=experiment,
                            run_ids=[r.run_id]),
                    Finding(f"{run_key}.seed", int(r.seed), experiment=experiment),
                    Finding(f"{run_key}.codebook", text=str(r.code_codebook),
                            experiment=experiment)]  # fmt: skip
            out += [Finding(f"{run_key}.{n}", v, experiment=experiment) for n, v in end.items()]
        d = [e["distance"] for e in ends]
        out += [
            Finding(f"{k}.label", text=label(axes, values[: len(axes)]) if axes else "",
                    experiment=experiment, run_ids=ids(g)),
            Finding(f"{k}.runs", len(g), "runs", experiment=experiment),
            Finding(f"{k}.collapsed", int(sum(e["collapsed"] for e in ends)), "runs",
                    experiment=experiment),
            Finding(f"{k}.codebooks", int(g["code_canonical"].nunique()), "codebooks",
                    experiment=experiment),
            Finding(f"{k}.distance_max", float(np.nanmax(d)) if np.isfinite(d).any()
                    else math.nan, experiment=experiment),
        ]  # fmt: skip
        for name in ("final_loss", "weight_mean", "bias_mean", "distance"):
            out.append(Finding(f"{k}.{name}", _median([e[name] for e in ends]),
                               experiment=experiment))  # fmt: skip
    return out
