"""The sections of the experiments that sweep one setting (weight decay, encoding, learning
rate, batch size, and any experiment no other section reports): outcome table and finding.

A finding's wording is chosen by stated rules (`trend_word`), never written for a result.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from backprop_study.analysis.axes import axis, symbol
from backprop_study.analysis.findings import TREND_RATIO
from backprop_study.reporting.sectionbase import ReportData, at, join, section
from backprop_study.study.aggregate import OUTCOME_NOTE, outcome_display, outcome_table


def trend_word(first: float, last: float, ratio: float = TREND_RATIO) -> str:
    """`grows`, `shrinks` or `changes little` from the first to the last median."""
    if not (math.isfinite(first) and math.isfinite(last)):
        return "changes little"
    lo, hi = sorted((abs(first), abs(last)))
    if hi <= lo * ratio or hi == 0:
        return "changes little"
    return "grows" if last > first else "shrinks"


def experiment_finding(
    outcomes: pd.DataFrame, display: pd.DataFrame, axis: str, budget: int
) -> str:
    """Two to four sentences on an experiment's outcome table, numbers as in `display`."""
    col = symbol(axis)
    levels = outcomes[axis].tolist()
    solved = display["solved"].tolist()
    sentences = [
        f"Seeds that solved within the {budget:,}-epoch budget: "
        + join([f"{s} at {at(axis, v)}" for v, s in zip(levels, solved, strict=True)])
        + "."
    ]
    solve = display["epochs to solve, median [IQR]"].str.split(" \\[").str[0].tolist()
    observed = ~outcomes["solve_median_censored"].to_numpy(dtype=bool)
    if observed.any():
        med = outcomes["solve_median"].where(observed)
        fast, slow = int(med.idxmin()), int(outcomes["solve_median"].idxmax())
        if fast != slow:
            sentences.append(
                f"The median run solved fastest at {at(axis, levels[fast])} ({solve[fast]} "
                f"epochs) and slowest at {at(axis, levels[slow])} ({solve[slow]})."
            )
        else:
            sentences.append(f"The median run solved in {solve[fast]} epochs.")
    else:
        sentences.append(f"At no {col} did the median run solve within the budget.")
    plateau = display["plateau length (epochs), median [IQR]"].str.split(" \\[").str[0].tolist()
    if len(levels) > 1:
        word = trend_word(outcomes["plateau_median"].iloc[0], outcomes["plateau_median"].iloc[-1])
        sentences.append(
            f"The median plateau {word} from {plateau[0]} epochs at {at(axis, levels[0])} to "
            f"{plateau[-1]} at {at(axis, levels[-1])}"
            + (" (≥: never left within the budget)." if "≥" in plateau[-1] else ".")
        )
    flow = {
        "alpha": ("plateau length in t (α·updates), median [IQR]", "plateau_median", "plateau"),
        "batch_size": ("t to solve (α·updates), median [IQR]", "solve_median", "time to solve"),
    }.get(axis)
    if flow and flow[0] in display.columns and len(levels) > 1:
        column, key, what = flow
        values = display[column].str.split(" \\[").str[0].tolist()
        scale = outcomes["flow_per_epoch"]
        scaled = (outcomes[key] * scale).to_numpy()
        word = trend_word(scaled[0], scaled[-1])
        raw_key = outcomes[key].to_numpy()
        link = "Also" if trend_word(raw_key[0], raw_key[-1]) == word else "But"
        sentences.append(
            f"{link} in gradient-flow time t = α·updates the median {what} {word}: {values[0]} "
            f"at {at(axis, levels[0])}, {values[-1]} at {at(axis, levels[-1])}."
        )
    if "collapsed" in display.columns and outcomes["n_collapsed"].sum() > 0:
        hit = [(v, c) for v, c in zip(levels, display["collapsed"], strict=True) if c[0] != "0"]
        sentences.append(
            "Runs that collapsed to the trivial network (every weight near zero, every output "
            "the class mean, never solving): "
            + join([f"{c} at {at(axis, v)}" for v, c in hit])
            + "."
        )
    return " ".join(sentences)


EXPERIMENT_SECTIONS = {
    "weight_decay": (
        "Weight decay λ",
        "The seed (§6, Figs 4-6): the smaller λ, the faster the "
        "loss drops and the sooner the plateau is overcome; weight decay works "
        "against the model on this problem.",
        ("lambda_drop", "lambda_plateau", "lambda_slows"),
    ),
    "encoding": (
        "Classes: k against k-1",
        "The seed (§7, Fig 7): the k-1 encoding passes the "
        "plateau far sooner than k and ends at a lower loss, perhaps because it has 52 "
        "instead of 59 parameters.",
        ("k_minus_1",),
    ),
    "learning_rate": (
        "Learning rate α",
        "The seed (§9, Fig 9): a larger α shortens or removes "
        "the plateau; α as high as 5 still finds a solution.",
        ("alpha_plateau", "alpha_succeeds"),
    ),
    "batch_size": (
        "Batch size",
        "The seed (§10, Fig 10): batch size 1 converges in far fewer epochs than the full batch.",
        ("batch_one",),
    ),
    "init_scale": ("Initial weight scale s", "", ()),
    "critical_lambda": ("Critical weight decay: the fine λ sweep", "", ()),
}


def section_title(name: str, axes: list[str]) -> str:
    """An experiment's section title in words: its own, or the settings it sweeps."""
    if name in EXPERIMENT_SECTIONS:
        return EXPERIMENT_SECTIONS[name][0]
    return "Experiment on " + join([axis(a).title for a in axes])


def experiment_section(data: ReportData, name: str) -> dict[str, Any]:
    exp = data.study.experiments[name]
    axes = exp.varying_axes() or ["encoding"]
    title, seed_says, claim_ids = EXPERIMENT_SECTIONS.get(name, (section_title(name, axes), "", ()))
    runs = data.experiment_runs(name)
    outcomes = outcome_table(runs, axes) if len(runs) else None
    intro = (
        f"{exp.description} {len(exp.runs())} runs: {join([symbol(a) for a in axes])} × "
        f"{len(exp.seeds)} seeds. {seed_says}"
    ).strip()
    if outcomes is None or outcomes.empty:
        return section(name, title, intro, data, finding="No runs of this experiment.")
    display = outcome_display(outcomes, axes)
    budget = int(runs["epochs"].max())
    finding = experiment_finding(outcomes, display, axes[0], budget) if len(axes) == 1 else ""
    return section(name, title, intro, data, display, OUTCOME_NOTE, finding, claim_ids)
