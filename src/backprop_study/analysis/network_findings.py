"""Findings on the networks themselves, per setting (never pooled across settings): the bias
ratio inside the plateau, and how distinct and how binary the hidden codes are."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from backprop_study.analysis import codes
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
    binarity gap, codebooks up to symmetry; and which settings are the most and least binary."""
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
            Finding(f"{k}.codebooks", codes.n_codebooks(g["code_canonical"]), "codebooks"),
        ]  # fmt: skip
    table = pd.DataFrame(summary)
    with_solved = table[table["solved"] > 0]
    shared = with_solved[with_solved["distinct_solved"] < with_solved["solved"]]
    kind = "none_solved" if with_solved.empty else "all_distinct" if shared.empty else "shared"
    out += [
        Finding("codes.verdict", text=kind),
        Finding("codes.most_binary", text=table.loc[table["gap"].idxmin(), "key"]),
        Finding("codes.least_binary", text=table.loc[table["gap"].idxmax(), "key"]),
    ]
    if kind == "shared":
        share = shared["distinct_solved"] / shared["solved"]
        out.append(Finding("codes.fewest_distinct", text=shared.loc[share.idxmin(), "key"]))
    return out
