"""Outcome figures: plateau length, epochs to solve and the Kaplan–Meier curve of solving,
against the compared axis, one point per seed.

A run that never solved, or never left its plateau, is censored and drawn hollow at the value it
is known to exceed (`across_seeds.outcome_table`, `measures.solve_time`, `measures.plateau_length`);
a run that collapsed to the trivial network is ringed in red, one that ended saturated (an output
stuck wrong where σ′ = 0, `analysis.saturation`: a flat spot, never a plateau) in pink, and a
panel whose points sit on the budget line says how many and why. The Kaplan–Meier panel
(`stats.kaplan_meier`) shows the share of seeds not yet solved against epochs, censored runs as
ticks, with both the budget and the seed's 400,000 epochs marked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from backprop_study.analysis import axes as vocabulary
from backprop_study.analysis.measures import plateau_length, solve_time
from backprop_study.analysis.stats import kaplan_meier
from backprop_study.reporting.figbase import (
    BUDGET_STYLE,
    COLLAPSE_COLOUR,
    LINESTYLES,
    MEDIAN_COLOUR,
    POINT_COLOUR,
    SEED_BUDGET,
    SEED_BUDGET_STYLE,
    FigureData,
    budget,
    colours,
    new_figure,
    settings_note,
    value_label,
)
from backprop_study.study.across_seeds import outcome_table

SATURATED_COLOUR = "#e7298a"  # a run that ended saturated: an output stuck on a flat spot


@dataclass(frozen=True)
class Positions:
    """Where each level of the compared axis sits on the x axis, and how to spread seeds."""

    levels: list[Any]
    x: dict[Any, float]
    scale: str  # "log", "log2" or "category"

    def jittered(self, level: Any, k: int, n: int) -> float:
        offset = 0.0 if n <= 1 else (k / (n - 1) - 0.5) * 0.3
        if self.scale == "category":
            return self.x[level] + offset
        step = 2.0 if self.scale == "log2" else 10.0
        spacing = self._log_spacing()
        return self.x[level] * step ** (offset * spacing)

    def _log_spacing(self) -> float:
        base = 2.0 if self.scale == "log2" else 10.0
        logs = sorted(math.log(v, base) for v in self.x.values())
        gaps = [b - a for a, b in zip(logs, logs[1:], strict=False)]
        return min(gaps) if gaps else 1.0

    def apply(self, ax: Any, axis: str) -> None:
        if self.scale == "category":
            ax.set_xlim(-0.6, len(self.levels) - 0.4)
        else:
            ax.set_xscale("log", base=2 if self.scale == "log2" else 10)
            lo, hi = min(self.x.values()), max(self.x.values())
            pad = (2.0 if self.scale == "log2" else 10.0) ** (0.5 * self._log_spacing())
            ax.set_xlim(lo / pad, hi * pad)
            ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks([self.x[v] for v in self.levels], [value_label(axis, v) for v in self.levels])
        ax.set_xlabel(vocabulary.axis(axis).title)


def positions(levels: list[Any], axis: str) -> Positions:
    """Names (encoding) and axes with a 0 (λ) are categories; batch size on log2, other positive
    numbers on a log axis."""
    numeric = vocabulary.axis(axis).kind is not str
    if numeric and all(float(v) > 0 for v in levels) and len(levels) > 1:
        scale = "log2" if axis == "batch_size" else "log"
        return Positions(levels, {v: float(v) for v in levels}, scale)
    return Positions(levels, {v: float(i) for i, v in enumerate(levels)}, "category")


def seed_points(
    ax: Any,
    pos: Positions,
    df: pd.DataFrame,
    axis: str,
    values: Any,
    censored: Any,
    floor: float | None = None,
) -> None:
    """One marker per seed: filled if observed, hollow if censored, × at `floor` if zero."""
    values = np.asarray(values, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    for level in pos.levels:
        idx = np.flatnonzero(df[axis].to_numpy() == level)
        for k, i in enumerate(idx):
            x = pos.jittered(level, k, len(idx))
            if values[i] <= 0 and floor is not None:
                ax.plot(x, floor, marker="x", color=POINT_COLOUR, ms=6, mew=1.2, ls="none")
            else:
                face = "white" if censored[i] else POINT_COLOUR
                ax.plot(
                    x,
                    values[i],
                    marker="o",
                    ms=5.5,
                    mfc=face,
                    mec=POINT_COLOUR,
                    mew=1.2,
                    ls="none",
                    alpha=0.85,
                )


def median_line(
    ax: Any,
    pos: Positions,
    outcomes: pd.DataFrame,
    axis: str,
    prefix: str,
    floor: float | None = None,
) -> None:
    """Medians across seeds joined by a line; a censored median is drawn hollow."""
    xs, ys = [], []
    for level in pos.levels:
        row = outcomes[outcomes[axis] == level].iloc[0]
        y = float(row[f"{prefix}_median"])
        if y <= 0 and floor is not None:
            y = floor
        xs.append(pos.x[level])
        ys.append(y)
        face = "white" if bool(row[f"{prefix}_median_censored"]) else MEDIAN_COLOUR
        ax.plot(
            pos.x[level],
            y,
            marker="D",
            ms=7,
            mfc=face,
            mec=MEDIAN_COLOUR,
            mew=1.4,
            ls="none",
            zorder=5,
        )
    ax.plot(xs, ys, color=MEDIAN_COLOUR, lw=1.4, zorder=4)


def outcome_legend(
    ax: Any, censored: bool, extra: list[tuple[str, dict[str, Any]]], loc: str = "best"
) -> None:
    seed = {"marker": "o", "ls": "none", "mec": POINT_COLOUR, "mew": 1.2}
    handles = [Line2D([], [], mfc=POINT_COLOUR, label="seed", **seed)]
    if censored:
        handles.append(Line2D([], [], mfc="white", label="seed, censored (≥ shown)", **seed))
    handles.append(Line2D([], [], marker="D", color=MEDIAN_COLOUR, label="median over seeds"))
    handles += [Line2D([], [], label=label, **style) for label, style in extra]
    ax.legend(handles=handles, loc=loc, fontsize=8)


def _collapse_rings(
    ax: Any, pos: Positions, df: pd.DataFrame, axis: str, values: Any, column: str = "collapsed"
) -> bool:
    """A ring around every seed whose `column` is true (red: collapsed; pink: saturated); True
    if any is."""
    if column not in df:
        return False
    marked = df[column].fillna(False).to_numpy(dtype=bool)
    colour = COLLAPSE_COLOUR if column == "collapsed" else SATURATED_COLOUR
    for level in pos.levels:
        idx = np.flatnonzero(df[axis].to_numpy() == level)
        for k, i in enumerate(idx):
            if marked[i]:
                ax.plot(pos.jittered(level, k, len(idx)), values[i], marker="o", ms=10, mfc="none",
                        mec=colour, mew=1.2, ls="none")  # fmt: skip
    return bool(marked.any())


def _on_budget_note(ax: Any, df: pd.DataFrame, axis: str, censored: Any) -> None:
    """Say which settings' seeds sit on the budget line, and whether they collapsed."""
    parts = []
    for level, g in df.assign(_c=np.asarray(censored)).groupby(axis, sort=True):
        n = int(g["_c"].sum())
        if n:
            col = int(g["collapsed"].sum()) if "collapsed" in g else 0
            sat = int(g["saturated"].fillna(False).sum()) if "saturated" in g else 0
            why = (f", {col} collapsed" if col else "") + (f", {sat} saturated" if sat else "")
            parts.append(
                f"{vocabulary.symbol(axis)} = {value_label(axis, level)}: {n}/{len(g)}{why}"
            )
    if parts:
        ax.text(0.02, 0.98, "on the budget line (never solved):\n" + "\n".join(parts),
                transform=ax.transAxes, ha="left", va="top", fontsize=7.5, color="0.25",
                bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9})  # fmt: skip


def km_panel(ax: Any, runs: pd.DataFrame, axis: str, levels: list[Any], budget_epochs: int) -> None:
    """Kaplan–Meier: share of seeds not yet solved against epochs, one step curve per level."""
    cols = colours(len(levels))
    never, first = [], math.inf
    for i, level in enumerate(levels):
        g = runs[runs[axis] == level]
        t, c = solve_time(g)
        km = kaplan_meier(t, c)
        name = f"{vocabulary.symbol(axis)} = {value_label(axis, level)}"
        if km.n_events == 0:  # a flat line at 1 would hide under the next one: named instead
            never.append(f"{name} (0/{km.n})")
            continue
        first = min(first, float(km.times[0]))
        xs = np.concatenate([[1.0], km.times, [budget_epochs]])
        ys = np.concatenate([[1.0], km.survival, [km.survival[-1]]])
        ax.step(xs, ys, where="post", color=cols[i], ls=LINESTYLES[i % len(LINESTYLES)],
                label=f"{name} ({km.n_events}/{km.n} solved)")  # fmt: skip
        if c.any():
            ax.plot(t[c], np.full(int(c.sum()), ys[-1]), marker="|", ms=9, color=cols[i], ls="none")
    if never:
        text = "never solved (S = 1 throughout):\n" + "\n".join(never)
        ax.text(0.02, 0.5, text, transform=ax.transAxes, ha="left", va="center", fontsize=7.5,
                color="0.25")  # fmt: skip
    ax.axvline(budget_epochs, **BUDGET_STYLE, label=f"budget ({budget_epochs:,} epochs)")
    if budget_epochs > SEED_BUDGET:
        ax.axvline(SEED_BUDGET, **SEED_BUDGET_STYLE, label=f"the seed's {SEED_BUDGET:,} epochs")
    ax.set_xscale("log")
    if math.isfinite(first):
        ax.set_xlim(left=min(first, SEED_BUDGET) / 2, right=budget_epochs * 1.3)
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlabel("epoch (passes over all patterns)")
    ax.set_ylabel("share of seeds not yet solved (Kaplan–Meier)")
    ax.set_title("Kaplan–Meier: time to solve")
    ax.legend(loc="best", fontsize=7.5)


def outcomes_figure(axis: str) -> Callable[[FigureData], Figure]:
    """A draw function: plateau length, epochs to solve and the Kaplan–Meier curve against
    `axis`."""

    def draw(data: FigureData) -> Figure:
        runs = data.runs.sort_values([axis, "seed"], ignore_index=True)
        outcomes = outcome_table(runs, [axis])
        levels = outcomes[axis].tolist()
        pos = positions(levels, axis)
        budget_epochs = budget(data)
        fig, axes = new_figure(width=14.0, height=4.8, ncols=3)
        ax_p, ax_s, ax_k = axes[0]

        length, length_cens = plateau_length(runs)
        positive = length[length > 0]
        floor = float(positive.min()) / 3 if len(positive) else 1.0
        seed_points(ax_p, pos, runs, axis, length, length_cens, floor=floor)
        median_line(ax_p, pos, outcomes, axis, "plateau", floor=floor)
        shown = np.where(length > 0, length, floor)
        ringed = _collapse_rings(ax_p, pos, runs, axis, shown)
        sat_ringed = _collapse_rings(ax_p, pos, runs, axis, shown, "saturated")
        ax_p.set_yscale("log")
        ax_p.set_ylabel("plateau length (epochs)")
        ax_p.set_title("Plateau length")
        extra = []
        if (length <= 0).any():
            extra.append(
                (
                    "no plateau found (drawn at the floor)",
                    {"marker": "x", "ls": "none", "color": POINT_COLOUR},
                )
            )
        ring = ("collapsed to the trivial network", {"marker": "o", "ls": "none", "mfc": "none",
                "mec": COLLAPSE_COLOUR, "ms": 9})  # fmt: skip
        sat_ring = ("ended saturated (flat spot, not a plateau)", {"marker": "o", "ls": "none",
                    "mfc": "none", "mec": SATURATED_COLOUR, "ms": 9})  # fmt: skip
        rings = ([ring] if ringed else []) + ([sat_ring] if sat_ringed else [])
        outcome_legend(ax_p, bool(length_cens.any()), extra + rings)

        solve, solve_cens = solve_time(runs)
        seed_points(ax_s, pos, runs, axis, solve, solve_cens)
        median_line(ax_s, pos, outcomes, axis, "solve")
        ringed = _collapse_rings(ax_s, pos, runs, axis, solve)
        sat_ringed = _collapse_rings(ax_s, pos, runs, axis, solve, "saturated")
        ax_s.axhline(budget_epochs, **BUDGET_STYLE)
        ax_s.axhline(SEED_BUDGET, **SEED_BUDGET_STYLE)
        ax_s.set_yscale("log")
        ax_s.set_ylabel("epochs to solve (40-20-40 rule)")
        ax_s.set_title("Epochs to solve")
        outcome_legend(
            ax_s,
            bool(solve_cens.any()),
            [
                (f"budget ({budget_epochs:,} epochs)", BUDGET_STYLE),
                (f"the seed's {SEED_BUDGET:,} epochs", SEED_BUDGET_STYLE),
            ]
            + ([ring] if ringed else [])
            + ([sat_ring] if sat_ringed else []),
            loc="lower right",
        )
        _on_budget_note(ax_s, runs, axis, solve_cens)
        top = max(float(np.nanmax(solve)) if len(solve) else budget_epochs, budget_epochs)
        ax_s.set_ylim(top=top * 3)

        km_panel(ax_k, runs, axis, levels, budget_epochs)
        for ax in (ax_p, ax_s):
            pos.apply(ax, axis)
        fig.suptitle(
            f"Plateau length and epochs to solve against {vocabulary.axis(axis).title}  "
            f"({settings_note(data.experiment, [axis])})"
        )
        return fig

    return draw
