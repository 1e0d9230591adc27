"""The study's figures, drawn from the aggregated tables (and, for weights and codes, a few runs).

Each figure is one `FigureSpec` in `FIGURES`: its name (the file stem), the experiment whose
tables it reads, the report section it belongs to, a title and caption for the reports, the runs
whose files it also needs (if any), and a `draw` function. Adding a figure is one draw function
plus one entry in `FIGURES`; the workflow makes one job per figure whose experiment is in the
config.

Every figure is drawn under one style (`STYLE`, applied by `draw` and `render`). Curves are
medians across seeds with the interquartile range as a band, read from the experiment's curve
quantiles, so a figure never loads every run. Outcome figures show one point per seed: a run
that never solved, or never left its plateau, is censored and drawn hollow at the value it is
known to exceed (`aggregate.outcome_table`, `claims.solve_time`, `claims.plateau_length`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backprop_study.analysis import axes as vocabulary
from backprop_study.analysis.axes import config_columns, value_text
from backprop_study.engine.errors import ConfigError
from backprop_study.study.grid import Experiment, Run

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

METRIC_LABELS = {
    "data_loss": "data loss  (1/m) Σ ½‖h(x)−y‖²",
    "objective": "objective J = data loss + (λ/2) Σ W²",
    "correct": "patterns decoded correctly",
}
EPOCH_LABEL = "epoch (passes over all patterns)"

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
CENSORED_NOTE = "hollow = censored (true value ≥ shown)"


@contextmanager
def styled() -> Iterator[None]:
    """The study's matplotlib style, for drawing and saving a figure."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


@dataclass
class FigureData:
    """What a draw function gets: the experiment, its tables and the runs the spec asked for."""

    experiment: Experiment
    quantiles: pd.DataFrame
    runs: pd.DataFrame
    run_files: dict[str, Any] = field(default_factory=dict)  # run_id -> runfiles.RunFiles


def _no_runs(experiment: Experiment) -> list[Run]:
    return []


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the study."""

    name: str
    experiment: str
    title: str
    caption: str
    draw: Callable[[FigureData], Figure]
    runs: Callable[[Experiment], list[Run]] = _no_runs
    section: str = ""  # report section; default: the experiment's own

    def select_runs(self, experiment: Experiment) -> list[Run]:
        """The runs whose files the figure reads besides the experiment's tables."""
        return self.runs(experiment)

    @property
    def report_section(self) -> str:
        return self.section or self.experiment


def _new_figure(width: float = 7.5, height: float = 4.8, ncols: int = 1, nrows: int = 1, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _value_text(axis: str, value: Any) -> str:
    import pandas as pd

    return value_text(axis, None if pd.isna(value) else value)


def _config_label(config: Mapping[str, Any], axes: list[str]) -> str:
    return ", ".join(f"{vocabulary.symbol(a)} = {_value_text(a, config[a])}" for a in axes)


def _settings_note(experiment: Experiment, axes: list[str]) -> str:
    """The fixed settings worth naming (those not compared) and the number of seeds."""
    fixed = [a for a in experiment.shown_axes() if a not in axes]
    values = {a: getattr(experiment, a)[0] for a in fixed}
    return f"{vocabulary.label(values, fixed)}; {len(experiment.seeds)} seeds"


def _colours(n: int) -> list[Any]:
    """Ordered colours for n configurations (dark to light along the compared axis)."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.85 * i / max(1, n - 1)) for i in range(n)]


def _budget(data: FigureData) -> int:
    return int(data.runs["epochs"].max())


# ---------------------------------------------------------------------------------------------
# Curves: median and IQR band across seeds, one line per configuration


def draw_curves(
    data: FigureData,
    ax: Any,
    metric: str = "data_loss",
    xlim: tuple[float, float] | None = None,
    log_x: bool = True,
    log_y: bool = True,
) -> None:
    """One line (median) and band (IQR) per configuration on `ax`."""
    import numpy as np
    from matplotlib.ticker import StrMethodFormatter

    q = data.quantiles
    axes = data.experiment.varying_axes() or ["encoding"]
    by = config_columns(q.columns)
    configs = list(q.groupby(by, sort=True, dropna=False))
    colours = _colours(len(configs))
    for i, (config, group) in enumerate(configs):
        group = group.sort_values("epoch")
        if log_x:
            group = group[group["epoch"] > 0]
        if xlim is not None:
            group = group[(group["epoch"] >= xlim[0]) & (group["epoch"] <= xlim[1])]
        name = _config_label(dict(zip(by, config, strict=True)), axes)
        x = group["epoch"].to_numpy()
        ax.fill_between(
            x, group[f"{metric}_q25"], group[f"{metric}_q75"], color=colours[i], alpha=0.22, lw=0
        )
        ax.plot(
            x,
            group[f"{metric}_median"],
            color=colours[i],
            ls=LINESTYLES[i % len(LINESTYLES)],
            label=name,
        )
    if log_x:
        ax.set_xscale("log")
    if log_y and metric != "correct" and np.all(q[f"{metric}_q25"] > 0):
        ax.set_yscale("log")
    else:
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(EPOCH_LABEL)
    ax.set_ylabel(METRIC_LABELS[metric])
    ax.legend(loc="best", title="median, IQR band")


def curves_figure(
    title: str,
    metrics: tuple[str, ...] = ("data_loss",),
    zoom: str | None = None,
) -> Callable[[FigureData], Figure]:
    """A draw function: loss against epoch per configuration (optionally an early/late zoom)."""

    def draw(data: FigureData) -> Figure:
        epochs = _budget(data)
        fig, axes = _new_figure(width=5.6 * len(metrics) + 0.4, height=4.4, ncols=len(metrics))
        for ax, metric in zip(axes[0], metrics, strict=True):
            if zoom == "early":
                draw_curves(data, ax, metric, xlim=(0, epochs / 20), log_x=False, log_y=False)
                ax.set_title(f"first {epochs // 20:,} epochs (linear axes)")
            elif zoom == "late":
                draw_curves(data, ax, metric, xlim=(epochs / 2, epochs), log_x=False)
                ax.set_title(f"epochs {epochs // 2:,} to {epochs:,} (linear epoch axis)")
            else:
                draw_curves(data, ax, metric)
                ax.set_title(METRIC_LABELS[metric].split("  ")[0].split(" = ")[0])
        note = _settings_note(data.experiment, data.experiment.varying_axes())
        fig.suptitle(f"{title}\n{note}")
        return fig

    return draw


# ---------------------------------------------------------------------------------------------
# Outcomes: plateau length, epochs to solve and success rate against the compared axis


@dataclass(frozen=True)
class _Positions:
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
        from matplotlib.ticker import NullLocator

        if self.scale == "category":
            ax.set_xlim(-0.6, len(self.levels) - 0.4)
        else:
            ax.set_xscale("log", base=2 if self.scale == "log2" else 10)
            lo, hi = min(self.x.values()), max(self.x.values())
            pad = (2.0 if self.scale == "log2" else 10.0) ** (0.5 * self._log_spacing())
            ax.set_xlim(lo / pad, hi * pad)
            ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks([self.x[v] for v in self.levels], [_value_text(axis, v) for v in self.levels])
        ax.set_xlabel(vocabulary.axis(axis).title)


def _positions(levels: list[Any], axis: str) -> _Positions:
    """Names (encoding) and axes with a 0 (λ) are categories; batch size on log2, other positive
    numbers on a log axis."""
    numeric = vocabulary.axis(axis).kind is not str
    if numeric and all(float(v) > 0 for v in levels) and len(levels) > 1:
        scale = "log2" if axis == "batch_size" else "log"
        return _Positions(levels, {v: float(v) for v in levels}, scale)
    return _Positions(levels, {v: float(i) for i, v in enumerate(levels)}, "category")


def _seed_points(
    ax: Any,
    pos: _Positions,
    df: pd.DataFrame,
    axis: str,
    values: Any,
    censored: Any,
    floor: float | None = None,
) -> None:
    """One marker per seed: filled if observed, hollow if censored, × at `floor` if zero."""
    import numpy as np

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


def _median_line(
    ax: Any,
    pos: _Positions,
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


def _outcome_legend(ax: Any, censored: bool, extra: list[tuple[str, dict[str, Any]]]) -> None:
    from matplotlib.lines import Line2D

    seed = {"marker": "o", "ls": "none", "mec": POINT_COLOUR, "mew": 1.2}
    handles = [Line2D([], [], mfc=POINT_COLOUR, label="seed", **seed)]
    if censored:
        handles.append(Line2D([], [], mfc="white", label="seed, censored (≥ shown)", **seed))
    handles.append(Line2D([], [], marker="D", color=MEDIAN_COLOUR, label="median over seeds"))
    handles += [Line2D([], [], label=label, **style) for label, style in extra]
    ax.legend(handles=handles, loc="best", fontsize=8)


def outcomes_figure(axis: str) -> Callable[[FigureData], Figure]:
    """A draw function: plateau length, epochs to solve and success rate against `axis`."""

    def draw(data: FigureData) -> Figure:
        import numpy as np

        from backprop_study.analysis.claims import plateau_length, solve_time
        from backprop_study.study.aggregate import outcome_table

        runs = data.runs.sort_values([axis, "seed"], ignore_index=True)
        outcomes = outcome_table(runs, [axis])
        levels = outcomes[axis].tolist()
        pos = _positions(levels, axis)
        budget = _budget(data)
        fig, axes = _new_figure(width=12.5, height=4.4, ncols=3)
        ax_p, ax_s, ax_r = axes[0]

        length, length_cens = plateau_length(runs)
        positive = length[length > 0]
        floor = float(positive.min()) / 3 if len(positive) else 1.0
        _seed_points(ax_p, pos, runs, axis, length, length_cens, floor=floor)
        _median_line(ax_p, pos, outcomes, axis, "plateau", floor=floor)
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
        _outcome_legend(ax_p, bool(length_cens.any()), extra)

        solve, solve_cens = solve_time(runs)
        _seed_points(ax_s, pos, runs, axis, solve, solve_cens)
        _median_line(ax_s, pos, outcomes, axis, "solve")
        ax_s.axhline(budget, color="0.4", ls=":", lw=1.2)
        ax_s.set_yscale("log")
        ax_s.set_ylabel("epochs to solve (40-20-40 rule)")
        ax_s.set_title("Epochs to solve")
        _outcome_legend(
            ax_s,
            bool(solve_cens.any()),
            [(f"budget ({budget:,} epochs)", {"color": "0.4", "ls": ":", "lw": 1.2})],
        )
        top = max(float(np.nanmax(solve)) if len(solve) else budget, budget)
        ax_s.set_ylim(top=top * 1.6)

        colours = _colours(len(levels))
        for i, level in enumerate(levels):
            row = outcomes[outcomes[axis] == level].iloc[0]
            x = float(i)
            ax_r.bar(x, row["success_rate"], color=colours[i], width=0.7)
            ax_r.text(
                x,
                row["success_rate"] + 0.02,
                f"{row['n_solved']}/{row['n_runs']}",
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax_r.set_xticks(range(len(levels)), [_value_text(axis, v) for v in levels])
        ax_r.set_xlabel(vocabulary.axis(axis).title)
        ax_r.set_ylim(0, 1.12)
        ax_r.set_ylabel(f"share of seeds solved within {budget:,} epochs")
        ax_r.set_title("Success rate")
        ax_r.grid(False, axis="x")

        for ax in (ax_p, ax_s):
            pos.apply(ax, axis)
        fig.suptitle(
            f"Plateau length and epochs to solve against {vocabulary.axis(axis).title}  "
            f"({_settings_note(data.experiment, [axis])})"
        )
        return fig

    return draw


# ---------------------------------------------------------------------------------------------
# Weights: Hinton diagrams of both layers at one snapshot per run


def weight_matrices(weights: pd.DataFrame, epoch: int) -> dict[str, pd.DataFrame]:
    """Both layers at one snapshot epoch as matrices: rows = receiving unit, columns = sending
    unit with the bias last."""
    snap = weights[weights["epoch"] == epoch]
    if snap.empty:
        raise ConfigError(f"no weight snapshot at epoch {epoch}")
    out = {}
    for layer in ("hidden", "output"):
        part = snap[snap["layer"] == layer]
        matrix = part.pivot(index="to_unit", columns="from_unit", values="value")
        cols = [c for c in matrix.columns if c != -1] + [-1]
        out[layer] = matrix[cols]
    return out


LAYER_TEXT = {
    "hidden": ("input → hidden  (W1 | b1)", "from input unit", "to hidden unit", "x", "h"),
    "output": ("hidden → output  (W2 | b2)", "from hidden unit", "to output unit", "h", "y"),
}


def draw_hinton_columns(columns: list[tuple[str, Any, int]], title: str) -> Figure:
    """One column per (label, run files, epoch): Hinton diagrams of the input → hidden layer
    (top) and the hidden → output layer (bottom), one magnitude scale for every panel."""
    import numpy as np

    from backprop_study.reporting import hinton

    matrices = [weight_matrices(files.weights, epoch) for _, files, epoch in columns]
    max_weight = max(float(np.abs(m[layer].to_numpy()).max()) for m in matrices for layer in m)
    max_weight = max_weight or 1.0
    n = len(columns)
    n_hidden, n_out = matrices[0]["hidden"].shape[0], matrices[0]["output"].shape[0]
    fig, axes = _new_figure(
        width=3.9 * n + 0.6,
        height=1.2 + 0.42 * (n_hidden + n_out) + 0.9,
        ncols=n,
        nrows=3,
        gridspec_kw={"height_ratios": [n_hidden + 1.2, n_out + 1.2, 1.0]},
    )
    for j, ((label, _, epoch), m) in enumerate(zip(columns, matrices, strict=True)):
        for i, layer in enumerate(("hidden", "output")):
            heading, xlabel, ylabel, col_prefix, row_prefix = LAYER_TEXT[layer]
            matrix = m[layer]
            ax = axes[i][j]
            hinton.draw_hinton(
                ax,
                matrix.to_numpy(),
                max_weight,
                row_labels=[f"{row_prefix}{r}" for r in matrix.index],
                col_labels=[f"{col_prefix}{c}" if c != -1 else "b" for c in matrix.columns],
                bias_col=matrix.shape[1] - 1,
            )
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.set_title(f"{label}, epoch {epoch:,}\n{heading}" if i == 0 else heading)
    grid = axes[2][0].get_gridspec()
    for ax in axes[2]:
        ax.remove()
    hinton.draw_key(fig.add_subplot(grid[2, :]), max_weight)
    fig.suptitle(
        f"{title}\nsquare area ∝ |weight| (one scale, largest {max_weight:.2g}); "
        "red positive, blue negative"
    )
    return fig


def plateau_epoch(runs: pd.DataFrame, run_id: str) -> int | None:
    """The log-middle of the run's plateau (summary columns of the runs table), None if none."""
    row = runs[runs["run_id"] == run_id]
    if row.empty or not bool(row["plateau_found"].iloc[0]):
        return None
    start, end = float(row["plateau_start"].iloc[0]), float(row["plateau_end"].iloc[0])
    return round(math.sqrt(max(start, 1.0) * max(end, 1.0)))


def _nearest_snapshot(weights: pd.DataFrame, epoch: int) -> int:
    import numpy as np

    snaps = np.unique(weights["epoch"].to_numpy())
    return int(snaps[np.argmin(np.abs(np.log1p(snaps) - np.log1p(epoch)))])


def _first_config_three_seeds(experiment: Experiment) -> list[Run]:
    first = experiment.runs()[0].configuration
    return [r for r in experiment.runs() if r.configuration == first][:3]


def _fastest_config_three_seeds(experiment: Experiment) -> list[Run]:
    """Three seeds of the largest learning rate (with the smallest λ): the most converged."""
    lam, alpha = min(experiment.lam), max(experiment.alpha)
    runs = [r for r in experiment.runs() if r.lam == lam and r.alpha == alpha]
    first = runs[0].configuration
    return [r for r in runs if r.configuration == first][:3]


def _label_of(run_id: str) -> str:
    run = Run.from_id(run_id)
    named = {n: getattr(run, n) for n in vocabulary.PATH_ALWAYS} | dict(run.extra)
    return _config_label(named, list(named))


def draw_plateau_weights(data: FigureData) -> Figure:
    columns = []
    for run_id, files in data.run_files.items():
        middle = plateau_epoch(data.runs, run_id)
        where = "in plateau"
        if middle is None:  # no plateau detected: show the log-middle of the run instead
            middle = int(round(math.sqrt(max(1, int(files.meta["epochs_run"])))))
            where = "no plateau; log-middle"
        epoch = _nearest_snapshot(files.weights, middle)
        columns.append((f"seed {Run.from_id(run_id).seed} ({where})", files, epoch))
    label = _label_of(next(iter(data.run_files)))
    return draw_hinton_columns(
        columns, f"Weights inside the plateau ({label}; snapshot nearest its log-middle)"
    )


def draw_late_weights(data: FigureData) -> Figure:
    exp = data.experiment
    columns = []
    for run_id, files in data.run_files.items():
        target = max(exp.snapshot_at) if exp.snapshot_at else int(files.weights["epoch"].max())
        epoch = _nearest_snapshot(files.weights, target)
        columns.append((f"seed {Run.from_id(run_id).seed}", files, epoch))
    label = _label_of(next(iter(data.run_files)))
    return draw_hinton_columns(
        columns, f"Weights of {len(columns)} seeds late in training ({label})"
    )


# ---------------------------------------------------------------------------------------------
# Hidden codes: class × hidden-unit activations at the last snapshot, the binary code printed


def draw_hidden_codes(data: FigureData) -> Figure:
    """One heat map per run: rows = classes, columns = hidden units, cell = activation, with the
    class's binarised code (unit > 0.5) at the right."""
    import numpy as np

    from backprop_study.analysis import codes

    items = list(data.run_files.items())
    n = len(items)
    fig, axes = _new_figure(width=3.6 * n + 1.2, height=5.0, ncols=n)
    image = None
    for ax, (run_id, files) in zip(axes[0], items, strict=True):
        epoch, a = codes.activation_matrix(files.hidden)
        c = codes.codes_of(a, epoch)
        image = ax.imshow(a, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        for (i, j), v in np.ndenumerate(a):
            ax.text(
                j,
                i,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 0.55 else "black",
            )
        bits = c.codebook.split(",")
        ax.set_yticks(range(a.shape[0]), [f"class {k}" for k in range(a.shape[0])])
        ax.set_xticks(range(a.shape[1]), [f"h{u}" for u in range(a.shape[1])])
        ax.grid(False)
        # The binary code of each class beside its row; a code two classes share in red.
        ax.text(a.shape[1] - 0.35, -0.6, "code", ha="left", va="bottom", fontsize=9)
        for k, code in enumerate(bits):
            shared = bits.count(code) > 1
            ax.text(
                a.shape[1] - 0.35,
                k,
                code,
                ha="left",
                va="center",
                family="monospace",
                fontsize=10,
                color=DUPLICATE_COLOUR if shared else "black",
                fontweight="bold" if shared else "normal",
            )
        ax.set_xlabel("hidden unit")
        ax.set_ylabel("class (input pattern)")
        ax.set_title(
            f"seed {Run.from_id(run_id).seed}, epoch {epoch:,}\n"
            f"{c.distinct} distinct codes, gap {c.gap:.2f}"
        )
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="hidden activation")
    label = _label_of(items[0][0])
    fig.suptitle(
        f"Hidden codes of {n} seeds at the last snapshot ({label})\n"
        "cell = a hidden unit's activation for a class; code = activations > 0.5, red if shared"
    )
    return fig


FIGURES: list[FigureSpec] = [
    FigureSpec(
        "loss_by_lambda", "weight_decay", "Loss for each weight decay λ (Fig 4)",
        "Data loss (left) and objective J (right) against epochs for each weight-decay strength "
        "λ, log-log axes: median over seeds, band = interquartile range.",
        curves_figure("Loss for each weight decay λ", ("data_loss", "objective")),
    ),
    FigureSpec(
        "loss_by_lambda_early", "weight_decay", "Early epochs for each λ (Fig 5)",
        "The first 5% of the epochs of the weight-decay runs, linear axes: the drop onto the "
        "plateau.",
        curves_figure("Early epochs, each weight decay λ", zoom="early"),
    ),
    FigureSpec(
        "loss_by_lambda_late", "weight_decay", "Late epochs for each λ (Fig 6)",
        "The second half of the epochs of the weight-decay runs: where each λ settles.",
        curves_figure("Late epochs, each weight decay λ", zoom="late"),
    ),
    FigureSpec(
        "outcomes_by_lambda", "weight_decay", "Plateau length and epochs to solve against λ",
        "Each seed's plateau length and epochs to solve against λ (points; hollow = censored: "
        "never solved, drawn at the budget, or plateau never left, drawn at its observed "
        "length), medians over seeds as a line, and the share of seeds that solved.",
        outcomes_figure("lam"),
    ),
    FigureSpec(
        "loss_k_vs_k1", "encoding", "k against k-1 encoding (Fig 7)",
        "Data loss against epochs with one-hot (k) targets and with the k-1 encoding (class 0 "
        "as all zeros): median over seeds, band = interquartile range.",
        curves_figure("k against k-1 encoding"),
    ),
    FigureSpec(
        "outcomes_by_encoding", "encoding", "Plateau length and epochs to solve, k against k-1",
        "Each seed's plateau length and epochs to solve for each encoding (hollow = censored), "
        "medians over seeds as a line, and the share of seeds that solved.",
        outcomes_figure("encoding"),
    ),
    FigureSpec(
        "plateau_weights", "weight_decay", "Weights inside the plateau (Fig 8)",
        "Hinton diagrams of both weight matrices of three seeds of the first weight-decay "
        "configuration, each at the snapshot nearest the log-middle of its plateau "
        "(plateau.find_plateau): square area = magnitude, red positive, blue negative, bias "
        "column shaded.",
        draw_plateau_weights,
        runs=_first_config_three_seeds,
        section="plateau",
    ),
    FigureSpec(
        "loss_by_alpha", "learning_rate", "Loss for each learning rate α (Fig 9)",
        "Data loss against epochs for each learning rate α: median over seeds, band = "
        "interquartile range.",
        curves_figure("Loss for each learning rate α"),
    ),
    FigureSpec(
        "outcomes_by_alpha", "learning_rate", "Plateau length and epochs to solve against α",
        "Each seed's plateau length and epochs to solve against α on log axes (hollow = "
        "censored), medians over seeds as a line, and the share of seeds that solved.",
        outcomes_figure("alpha"),
    ),
    FigureSpec(
        "loss_by_batch_size", "batch_size", "Loss for each batch size (Fig 10)",
        "Data loss against epochs for each mini-batch size: median over seeds, band = "
        "interquartile range.",
        curves_figure("Loss for each batch size"),
    ),
    FigureSpec(
        "outcomes_by_batch_size", "batch_size",
        "Plateau length and epochs to solve against batch size",
        "Each seed's plateau length and epochs to solve against the batch size (hollow = "
        "censored), medians over seeds as a line, and the share of seeds that solved.",
        outcomes_figure("batch_size"),
    ),
    FigureSpec(
        "late_weights", "weights", "Weights of three seeds late in training (Figs 11-13)",
        "Hinton diagrams of both weight matrices of three seeds of the same configuration at "
        "the experiment's extra snapshot (350,000 epochs in the default study): square area = "
        "magnitude, red positive, blue negative, bias column shaded.",
        draw_late_weights,
        runs=_first_config_three_seeds,
    ),
    FigureSpec(
        "hidden_codes", "learning_rate", "Hidden codes of three seeds",
        "Hidden activations of each class at the last snapshot for three seeds of the largest "
        "learning rate (the most converged runs); the binarised code of each class (unit > "
        "0.5) is printed at the right.",
        draw_hidden_codes,
        runs=_fastest_config_three_seeds,
        section="codes",
    ),
]  # fmt: skip


# The remedies and benchmarks figures live in their own module, which adds them to FIGURES.
import backprop_study.reporting.remedies  # noqa: E402, F401


def generic_figures(experiment: Experiment) -> list[FigureSpec]:
    """The figures of an experiment that no entry of FIGURES draws: its loss curves, and its
    outcomes against the axis it sweeps (if it sweeps one), labelled from the axes' vocabulary."""
    name, axes = experiment.name, experiment.varying_axes()
    compared = ", ".join(vocabulary.axis(a).title for a in axes) or "its one setting"
    specs = [
        FigureSpec(
            f"{name}_loss", name, f"Loss of experiment {name} ({compared})",
            f"Data loss against epochs for each setting of experiment {name}: median over "
            "seeds, band = interquartile range.",
            curves_figure(f"Loss of experiment {name}"),
        )
    ]  # fmt: skip
    if len(axes) == 1:
        specs.append(
            FigureSpec(
                f"{name}_outcomes", name,
                f"Plateau length and epochs to solve against {vocabulary.axis(axes[0]).title}",
                f"Each seed's plateau length and epochs to solve against "
                f"{vocabulary.axis(axes[0]).title} (hollow = censored), medians over seeds as a "
                "line, and the share of seeds that solved.",
                outcomes_figure(axes[0]),
            )
        )  # fmt: skip
    return specs


def applicable(experiments: Mapping[str, Experiment]) -> list[FigureSpec]:
    """The study's figures: those of FIGURES whose experiment is in the study, and the generic
    ones of every other experiment."""
    named = [f for f in FIGURES if f.experiment in experiments]
    covered = {f.experiment for f in named}
    generic = [
        spec
        for name, exp in experiments.items()
        if name not in covered
        for spec in generic_figures(exp)
    ]
    return named + generic


def by_name(name: str, experiments: Mapping[str, Experiment] | None = None) -> FigureSpec:
    """The figure called `name` among FIGURES and the generic figures of `experiments`."""
    specs = applicable(experiments) if experiments is not None else []
    for spec in [*FIGURES, *specs]:
        if spec.name == name:
            return spec
    known = [f.name for f in FIGURES] + [f.name for f in specs if f not in FIGURES]
    raise ConfigError(f"unknown figure {name!r}; allowed: {', '.join(known)}")


def draw(spec: FigureSpec, data: FigureData) -> Figure:
    """The figure, drawn in the study's style."""
    with styled():
        return spec.draw(data)


def render(spec: FigureSpec, data: FigureData, out: str | Path) -> None:
    """Draw and save a PNG atomically, in the study's style."""
    from backprop_study.study.aggregate import write_atomic

    with styled():
        fig = spec.draw(data)
        write_atomic(out, lambda tmp: fig.savefig(tmp, format="png"))


# ---------------------------------------------------------------------------------------------
# CLI: backprop-study figure NAME --grid JSON --quantiles Q --runs-table R [--run DIR ...] --out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="figure name: " + ", ".join(f.name for f in FIGURES))
    parser.add_argument("--grid", required=True, help="the experiment as JSON (study.Experiment)")
    parser.add_argument("--quantiles", required=True, help="the experiment's curve quantiles")
    parser.add_argument("--runs-table", required=True, help="the experiment's runs table")
    parser.add_argument("--run", action="append", default=[], help="a run directory to read")
    parser.add_argument("--out", required=True, help="PNG file to write")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from backprop_study.engine.runfiles import read_run

    experiment = Experiment.from_grid(args.grid)
    spec = by_name(args.name, {experiment.name: experiment})
    run_files = {}
    for directory in args.run:
        parts = Path(directory).parts
        first = next((i for i, p in enumerate(parts) if p.startswith("enc~")), 0)
        run_files["/".join(parts[first:])] = read_run(directory)
    data = FigureData(
        experiment=experiment,
        quantiles=pd.read_parquet(args.quantiles),
        runs=pd.read_parquet(args.runs_table),
        run_files=run_files,
    )
    render(spec, data, args.out)
    print(f"{spec.name}: wrote {args.out}")
    return 0
