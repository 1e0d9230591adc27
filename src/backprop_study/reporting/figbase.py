"""What every figure shares: the style, a figure's data and small helpers. The study's figures
are listed in `catalog`; each drawing function gets a `FigureData`.

Two reference lines recur: the budget the runs had, and the seed report's 400,000 epochs
(`SEED_BUDGET`), so a reader sees which results the seed's budget would have cut off; and
the loss of the trivial network (every output the class mean 1/k), where collapsed runs end.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from backprop_study.analysis import axes as vocabulary
from backprop_study.analysis.axes import value_text
from backprop_study.analysis.findings import SEED_BUDGET
from backprop_study.study.grid import Experiment

METRIC_LABELS = {
    "data_loss": "data loss  (1/m) Σ ½‖h(x)−y‖²",
    "objective": "objective J = data loss + (λ/2) Σ W²",
    "correct": "patterns decoded correctly",
}
EPOCH_LABEL = "epoch (passes over all patterns)"
FLOW_LABEL = "gradient-flow time t = α × updates  (= epochs × α·m/b)"

# One style for every figure of the study (matplotlib rcParams).
STYLE: dict[str, Any] = {
    "font.size": 10,
    "font.family": "DejaVu Sans",
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "0.88",
    "grid.linewidth": 0.7,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 1.8,
    "figure.titlesize": 11,
    "figure.facecolor": "white",
    "savefig.dpi": 130,
    "savefig.facecolor": "white",
}
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2))]
POINT_COLOUR = "#4c72b0"  # one seed
MEDIAN_COLOUR = "#222222"  # median over seeds
DUPLICATE_COLOUR = "#c0392b"  # a hidden code two classes share
COLLAPSE_COLOUR = "#c0392b"  # a run that collapsed to the trivial network
BUDGET_STYLE = {"color": "0.35", "ls": ":", "lw": 1.2}
SEED_BUDGET_STYLE = {"color": "#b8860b", "ls": "--", "lw": 1.1}
TRIVIAL_STYLE = {"color": COLLAPSE_COLOUR, "ls": (0, (1, 2)), "lw": 1.1}
CENSORED_NOTE = "hollow = censored (true value ≥ shown)"


@contextmanager
def styled() -> Iterator[None]:
    """The study's matplotlib style, for drawing and saving a figure."""
    with matplotlib.rc_context(STYLE):
        yield


@dataclass
class FigureData:
    """What a draw function gets: the experiment, its tables (unions with the tables of the
    spec's `also` experiments) and the runs the spec asked for."""

    experiment: Experiment
    quantiles: pd.DataFrame
    runs: pd.DataFrame
    run_files: dict[str, Any] = field(default_factory=dict)  # run_id -> runfiles.RunFiles
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # mechanism, curvature


def new_figure(width: float = 7.5, height: float = 4.8, ncols: int = 1, nrows: int = 1, **kw):
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def value_label(axis: str, value: Any) -> str:
    return value_text(axis, None if pd.isna(value) else value)


def config_label(config: Mapping[str, Any], axes: list[str]) -> str:
    return ", ".join(f"{vocabulary.symbol(a)} = {value_label(a, config[a])}" for a in axes)


NOTE_WIDTH = 90  # characters per line of a settings note (a title about 8 inches wide)


def settings_note(experiment: Experiment, axes: list[str]) -> str:
    """The fixed settings worth naming (those not compared) and the number of seeds, wrapped at
    `NOTE_WIDTH` characters so that a long list stays inside a figure's title."""
    fixed = [a for a in experiment.shown_axes() if a not in axes]
    values = {a: getattr(experiment, a)[0] for a in fixed}
    note = f"{vocabulary.label(values, fixed)}; {len(experiment.seeds)} seeds"
    return "\n".join(textwrap.wrap(note, NOTE_WIDTH, break_on_hyphens=False))


def colours(n: int) -> list[Any]:
    """Ordered colours for n configurations (dark to light along the compared axis)."""
    cmap = colormaps["viridis"]
    return [cmap(0.85 * i / max(1, n - 1)) for i in range(n)]


def budget(data: FigureData) -> int:
    return int(data.runs["epochs"].max())


def collapsed_note(runs: pd.DataFrame) -> str:
    """` — collapsed 10/10` for a configuration's runs, '' when none collapsed."""
    if "collapsed" not in runs or not runs["collapsed"].astype(bool).any():
        return ""
    return f" — collapsed {int(runs['collapsed'].sum())}/{len(runs)}"


def config_runs(runs: pd.DataFrame, config: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of `runs` with the given configuration values (None, NaN or NA: unset)."""
    mask = np.ones(len(runs), dtype=bool)
    for col, v in config.items():
        if col not in runs:
            continue
        if v is None or v is pd.NA or v != v:
            mask &= runs[col].isna().to_numpy()
        else:
            mask &= (runs[col] == v).fillna(False).to_numpy(dtype=bool)
    return runs[mask]


def epoch_lines(ax: Any, budget_epochs: int, flow_per_epoch: float | None = None) -> list:
    """Vertical lines at the budget and at the seed's 400,000 epochs (in t if `flow_per_epoch`
    is given); returns legend handles."""
    scale = 1.0 if flow_per_epoch is None else flow_per_epoch
    lo, hi = ax.get_xlim()
    handles = []
    for epochs, style, label in (
        (budget_epochs, BUDGET_STYLE, f"budget ({budget_epochs:,} epochs)"),
        (SEED_BUDGET, SEED_BUDGET_STYLE, f"the seed's {SEED_BUDGET:,} epochs"),
    ):
        x = epochs * scale
        if lo <= x <= hi * 1.0001:
            ax.axvline(x, **style)
            handles.append(Line2D([], [], label=label, **style))
    ax.set_xlim(lo, hi)
    return handles


def trivial_line(ax: Any, loss: float, label: str = "trivial network (every output 1/k)") -> Any:
    ax.axhline(loss, **TRIVIAL_STYLE)
    return Line2D([], [], label=f"{label}: {loss:.4g}", **TRIVIAL_STYLE)
