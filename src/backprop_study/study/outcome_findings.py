"""Each experiment's outcome table (`across_seeds.outcome_table`, per setting across seeds) as
findings: its cells as people read them, and what the sentences about it pick out (the fastest
and slowest setting, whether the median plateau grows or shrinks)."""

from __future__ import annotations

import pandas as pd

from backprop_study.analysis.axes import symbol, value_text
from backprop_study.analysis.findings import Finding, ids, trend_word
from backprop_study.study.across_seeds import outcome_table
from backprop_study.study.display import outcome_display
from backprop_study.study.grid import Experiment

SOLVE = "epochs to solve, median [IQR]"
PLATEAU = "plateau length (epochs), median [IQR]"
FLOW = {  # axis: (column, outcome column, what)
    "alpha": ("plateau length in t (α·updates), median [IQR]", "plateau_median", "plateau"),
    "batch_size": ("t to solve (α·updates), median [IQR]", "solve_median", "time to solve"),
}


def _median_cell(cell: str) -> str:
    return cell.split(" [")[0]


def outcome_findings(experiment: Experiment, runs: pd.DataFrame) -> list[Finding]:
    """`experiment[<name>]` (what it is, its budget, its table's columns) and, per setting,
    `outcome[<name>#<row>]` (each cell); with one swept axis also what the finding states."""
    name = experiment.name
    axes = experiment.varying_axes() or ["encoding"]
    key = f"experiment[{name}]"
    out = [
        Finding(f"{key}.description", text=experiment.description, experiment=name),
        Finding(f"{key}.planned_runs", len(experiment.runs()), "runs", experiment=name),
        Finding(f"{key}.seeds", len(experiment.seeds), "seeds", experiment=name),
        Finding(f"{key}.axes", text=",".join(axes), experiment=name),
    ]
    if runs.empty:
        return out
    outcomes = outcome_table(runs, axes)
    display = outcome_display(outcomes, axes)
    out += [
        Finding(f"{key}.budget", int(runs["epochs"].max()), "epochs", experiment=name,
                run_ids=ids(runs)),
        Finding(f"{key}.columns", text="\t".join(display.columns), experiment=name),
    ]  # fmt: skip
    for i, row in display.iterrows():
        k = f"outcome[{name}#{i:03d}]"
        for column, cell in row.items():
            out.append(Finding(f"{k}.{column}", text=str(cell), experiment=name))
        if len(axes) == 1:
            level = outcomes[axes[0]].iloc[i]
            at = f"{symbol(axes[0])} = {value_text(axes[0], None if pd.isna(level) else level)}"
            out += [
                Finding(f"{k}.at", text=at, experiment=name),
                Finding(f"{k}.solve_median", text=_median_cell(row[SOLVE]), experiment=name),
                Finding(f"{k}.plateau_median", text=_median_cell(row[PLATEAU]), experiment=name),
            ]
            if axes[0] in FLOW and FLOW[axes[0]][0] in row:
                out.append(Finding(f"{k}.flow_median", text=_median_cell(row[FLOW[axes[0]][0]]),
                                   experiment=name))  # fmt: skip
    if len(axes) == 1:
        out += _sentence_findings(name, axes[0], outcomes, display)
    return out


def _sentence_findings(
    name: str, axis: str, outcomes: pd.DataFrame, display: pd.DataFrame
) -> list[Finding]:
    """The rows the experiment's finding names, and its trend words (`trend_word`)."""
    key = f"experiment[{name}]"
    out = []
    observed = ~outcomes["solve_median_censored"].to_numpy(dtype=bool)
    if observed.any():
        med = outcomes["solve_median"].where(observed)
        out += [
            Finding(f"{key}.fastest", int(med.idxmin()), experiment=name),
            Finding(f"{key}.slowest", int(outcomes["solve_median"].idxmax()), experiment=name),
        ]
    if len(outcomes) > 1:
        plateau = outcomes["plateau_median"]
        out.append(Finding(f"{key}.plateau_trend", text=trend_word(plateau.iloc[0],
                           plateau.iloc[-1]), experiment=name))  # fmt: skip
    if axis in FLOW and FLOW[axis][0] in display.columns and len(outcomes) > 1:
        _, column, what = FLOW[axis]
        scaled = (outcomes[column] * outcomes["flow_per_epoch"]).to_numpy()
        raw = outcomes[column].to_numpy()
        word = trend_word(scaled[0], scaled[-1])
        link = "Also" if trend_word(raw[0], raw[-1]) == word else "But"
        out += [
            Finding(f"{key}.flow_trend", text=word, experiment=name),
            Finding(f"{key}.flow_link", text=link, experiment=name),
            Finding(f"{key}.flow_what", text=what, experiment=name),
        ]
    return out
