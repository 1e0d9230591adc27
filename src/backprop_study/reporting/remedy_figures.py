"""The figures of the sections "What shortens the plateau" and "Classic encoder benchmarks".

The numbers behind them (seed-by-seed ratios, verdicts) are `analysis.remedies`'; the published
values drawn beside ours are those of `published.yaml`. A run that ended saturated (an output
stuck wrong on a flat spot, `analysis.saturation`) is drawn as a cross in its own colour: it has
no plateau length, and its flat loss is never drawn as one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from backprop_study.analysis import axes as vocabulary
from backprop_study.analysis.axes import format_number
from backprop_study.analysis.remedies import (
    configurations,
    plateau_decades,
    solve_times,
)
from backprop_study.analysis.saturation import is_saturated
from backprop_study.reporting.figbase import (
    EPOCH_LABEL,
    LINESTYLES,
    MEDIAN_COLOUR,
    POINT_COLOUR,
    FigureData,
    new_figure,
    settings_note,
)
from backprop_study.reporting.outcomes import SATURATED_COLOUR

OPTIMIZER_TEXT = {
    "gd": "gradient descent",
    "momentum": "momentum",
    "rprop": "RPROP",
    "adam": "Adam",
    "quickprop": "Quickprop",
    "supersab": "SuperSAB",
}
OPTIMIZER_COLOUR = {
    "gd": "#222222",
    "momentum": "#1b9e77",
    "rprop": "#d95f02",
    "adam": "#7570b3",
    "quickprop": "#e7298a",
    "supersab": "#66a61e",
}
# Riedmiller & Braun's methods in their table's order, with their published entries.
RB_METHODS = (("gd", "rb_bp"), ("supersab", "rb_supersab"), ("quickprop", "rb_quickprop"),
              ("rprop", "rb_rprop"))  # fmt: skip
SATURATED_STYLE = {"marker": "X", "ms": 7, "color": SATURATED_COLOUR, "ls": "none"}


@cache
def published() -> dict[str, Any]:
    """The published values and their sources (`published.yaml`)."""
    text = resources.files("backprop_study.analysis").joinpath("published.yaml").read_text()
    return yaml.safe_load(text)


def remedy_label(config: Mapping[str, Any]) -> str:
    """`momentum μ = 0.9, cross-entropy, σ′ + 0.1`: a configuration of the remedies."""
    text = OPTIMIZER_TEXT.get(config["optimizer"], config["optimizer"])
    if config["optimizer"] == "momentum":
        text += f" μ = {format_number(float(config['momentum']))}"
    if config["optimizer"] == "rprop" and "rprop_delta_max" in config:
        text += f" Δmax = {format_number(float(config['rprop_delta_max']))}"
    text += f", {str(config['loss']).replace('_', '-')}"
    if config["prime_offset"]:
        text += f", σ′ + {format_number(float(config['prime_offset']))}"
    return text


def draw_correct_curves(data: FigureData) -> Figure:
    """Patterns decoded correctly against epochs, one line per configuration (loss-neutral)."""
    q = data.quantiles
    axes = data.experiment.varying_axes()
    fig, grid = new_figure(width=8.2, height=4.8)
    ax = grid[0][0]
    configs = list(q.groupby(axes, sort=False)) if axes else [((), q)]
    losses = sorted({str(v) for v in q["loss"]}) if "loss" in q else ["mse"]
    for i, (config, group) in enumerate(configs):
        config = config if isinstance(config, tuple) else (config,)
        values = dict(zip(axes, config, strict=True))
        first = group.iloc[0]
        group = group[group["epoch"] > 0].sort_values("epoch")
        colour = OPTIMIZER_COLOUR.get(str(first.get("optimizer", "gd")), POINT_COLOUR)
        if "optimizer" not in axes:
            colour = [MEDIAN_COLOUR, "#1b9e77", "#d95f02", "#7570b3"][i % 4]
        style = LINESTYLES[losses.index(str(first["loss"])) % len(LINESTYLES)]
        if "loss" not in axes:
            style = LINESTYLES[i % len(LINESTYLES)]
        label = vocabulary.label(values, axes)
        ax.plot(group["epoch"], group["correct_median"], color=colour, ls=style, label=label)
    ax.set_xscale("log")
    ax.set_xlabel(EPOCH_LABEL)
    ax.set_ylabel("patterns decoded correctly (median over seeds)")
    ax.set_ylim(-0.2, int(q["correct_median"].max()) + 0.5)
    ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"Patterns right against epochs\n{settings_note(data.experiment, axes)}")
    return fig


def draw_remedy_outcomes(data: FigureData) -> Figure:
    """Each seed's epochs to solve and plateau decades, one column per configuration; runs that
    ended saturated are crosses, at their epochs to solve (or the budget) on the left and on
    the zero line, outside the decades' median, on the right."""
    runs = data.runs
    groups = [(remedy_label(c), g) for c, g in configurations(runs)]
    fig, grid = new_figure(width=12.5, height=4.8, ncols=2)
    ax_s, ax_p = grid[0]
    budget = float(runs["epochs"].max())
    for i, (_, group) in enumerate(groups):
        t, budgets = solve_times(group)
        shown = np.where(np.isfinite(t), t, budgets)
        decades = plateau_decades(group)
        stuck = is_saturated(group)
        jitter = np.linspace(-0.25, 0.25, len(group)) if len(group) > 1 else np.zeros(1)
        colour = OPTIMIZER_COLOUR.get(str(group["optimizer"].iloc[0]), POINT_COLOUR)
        for x, y, c, sat in zip(i + jitter, shown, ~np.isfinite(t), stuck, strict=True):
            if sat:
                ax_s.plot(x, y, **SATURATED_STYLE)
            else:
                ax_s.plot(x, y, "o", ms=5.5, mec=colour, mfc="white" if c else colour, mew=1.2)
        ax_p.plot((i + jitter)[~stuck], decades[~stuck], "o", ms=5.5, color=colour, alpha=0.85)
        ax_p.plot((i + jitter)[stuck], np.zeros(int(stuck.sum())), **SATURATED_STYLE)
        ax_s.plot([i - 0.35, i + 0.35], [np.median(shown)] * 2, color=MEDIAN_COLOUR, lw=2)
        if (~stuck).any():
            ax_p.plot([i - 0.35, i + 0.35], [np.nanmedian(decades[~stuck])] * 2,
                      color=MEDIAN_COLOUR, lw=2)  # fmt: skip
    labels = [label.replace(", ", "\n", 1) for label, _ in groups]
    for ax in (ax_s, ax_p):
        ax.set_xticks(range(len(groups)), labels, fontsize=7.5, rotation=30, ha="right")
        ax.set_xlabel("remedy (optimizer, loss)")
        ax.grid(False, axis="x")
    ax_s.set_yscale("log")
    ax_s.axhline(budget, color="0.4", ls=":", lw=1.2)
    ax_s.set_ylabel("epochs to solve (40-20-40)")
    ax_s.set_title("Epochs to solve (hollow = never solved, drawn at the budget: dotted)")
    ax_p.set_ylabel("plateau length (decades of epochs; 0 = none)")
    ax_p.set_title("Plateau length in decades (a change of clock leaves it unchanged)")
    if any(is_saturated(g).any() for _, g in groups):
        text = "ended saturated: an output stuck wrong\nwhere σ′ = 0 (a flat spot, not a plateau)"
        handles = [Line2D([], [], label=text, **SATURATED_STYLE)]
        for ax, loc in ((ax_s, "center left"), (ax_p, "center right")):
            ax.legend(handles=handles, loc=loc, fontsize=7.5)
    note = settings_note(data.experiment, data.experiment.varying_axes())
    fig.suptitle(f"Remedies seed by seed (bar = median)\n{note}")
    return fig


def draw_benchmark_epochs(data: FigureData) -> Figure:
    """Epochs to the 40-20-40 criterion per seed for each of Riedmiller & Braun's methods, beside
    the published mean ± SD."""
    runs = data.runs
    fig, grid = new_figure(width=8.6, height=4.6)
    ax = grid[0][0]
    values = published()["values"]
    quoted = {opt: (values[key]["mean"], values[key]["sd"]) for opt, key in RB_METHODS}
    opts = [o for o, _ in RB_METHODS if (runs["optimizer"] == o).any()]
    for i, opt in enumerate(opts):
        group = runs[runs["optimizer"] == opt]
        t, budgets = solve_times(group)
        shown = np.where(np.isfinite(t), t, budgets)
        jitter = np.linspace(-0.2, 0.2, len(group)) if len(group) > 1 else np.zeros(1)
        colour = OPTIMIZER_COLOUR[opt]
        for x, y, c in zip(i + jitter, shown, ~np.isfinite(t), strict=True):
            ax.plot(x, y, "o", ms=5, mec=colour, mfc="white" if c else colour, mew=1.1)
        mean, sd = quoted[opt]
        ax.errorbar(i + 0.38, mean, yerr=sd, fmt="D", color="0.3", capsize=4, ms=6)
    ax.set_xticks(range(len(opts)), [OPTIMIZER_TEXT[o] for o in opts])
    ax.set_xlabel("optimizer")
    ax.set_yscale("log")
    ax.set_ylabel("epochs to the 40-20-40 criterion")
    ax.set_title("Ours (circles, one per seed; hollow = censored) and published (◆ mean ± SD)")
    note = settings_note(data.experiment, data.experiment.varying_axes() + ["epochs"])
    fig.suptitle(f"10-5-10 encoder, Riedmiller & Braun 1993\n{note}")
    return fig


def draw_benchmark_codes(data: FigureData) -> Figure:
    """Distinct hidden codes and binarity per seed after online training."""
    runs = data.runs.sort_values("seed")
    fig, grid = new_figure(width=8.0, height=4.2, ncols=2)
    ax_d, ax_g = grid[0]
    seeds = runs["seed"].to_numpy()
    distinct = runs["code_distinct"].to_numpy()
    ax_d.bar(np.arange(len(seeds)), distinct, color=POINT_COLOUR)
    ax_d.axhline(int(runs["classes"].iloc[0]), color="0.4", ls=":", lw=1.2)
    ax_d.set_xticks(np.arange(len(seeds)), [str(s) for s in seeds], fontsize=7)
    ax_d.set_xlabel("seed")
    ax_d.set_ylabel("distinct binarised hidden codes")
    ax_d.set_title("Distinct codes (dotted = one per class)")
    ax_g.bar(np.arange(len(seeds)), runs["code_gap"].to_numpy(), color=POINT_COLOUR)
    ax_g.set_xticks(np.arange(len(seeds)), [str(s) for s in seeds], fontsize=7)
    ax_g.set_xlabel("seed")
    ax_g.set_ylabel("binarity gap, mean min(a, 1 − a)")
    ax_g.set_title("How binary the codes are (0 = binary)")
    note = settings_note(data.experiment, [])
    fig.suptitle(f"Hidden codes at the end, Mitchell's setting\n{note}")
    return fig
