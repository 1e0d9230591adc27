"""The study's figures, drawn from the aggregated tables (and, for weights, from a few runs).

Each figure is one `FigureSpec` in `FIGURES`: its name (the file stem), the experiment whose
tables it reads, a title and caption for the reports, the runs whose files it also needs (if
any), and a `draw` function. Adding a figure is one draw function plus one entry in `FIGURES`; the
workflow makes one job per figure whose experiment is in the config.

Curves are medians across seeds with the interquartile range as a band, so a figure never loads
every run: it reads the experiment's curve quantiles.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backprop_study.errors import ConfigError
from backprop_study.study import Experiment, Run, format_number

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

CONFIG_COLUMNS = ["encoding", "lam", "alpha", "batch_size"]
AXIS_LABELS = {"encoding": "encoding", "lam": "λ", "alpha": "α", "batch_size": "batch size"}
METRIC_LABELS = {
    "data_loss": "data loss  (1/m) Σ ½‖h(x)−y‖²",
    "objective": "objective J = data loss + (λ/2) Σ W²",
    "correct": "patterns decoded correctly",
}
EPOCH_LABEL = "epoch (passes over all patterns)"


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

    def select_runs(self, experiment: Experiment) -> list[Run]:
        """The runs whose files the figure reads besides the experiment's tables."""
        return self.runs(experiment)


# ---------------------------------------------------------------------------------------------
# Curves: median and IQR band across seeds, one line per configuration


def _config_label(config: Mapping[str, Any], axes: list[str]) -> str:
    parts = []
    for axis in axes:
        value = config[axis]
        text = format_number(float(value)) if axis in ("lam", "alpha") else str(value)
        parts.append(f"{AXIS_LABELS[axis]} = {text}")
    return ", ".join(parts)


def _settings_note(data: FigureData, axes: list[str]) -> str:
    """The fixed settings of the experiment (those not compared), for the figure title."""
    exp = data.experiment
    fixed = [a for a in CONFIG_COLUMNS if a not in axes]
    values = {a: getattr(exp, a)[0] for a in fixed}
    note = _config_label(values, fixed)
    return f"{note}; median and IQR over {len(exp.seeds)} seeds"


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
    from matplotlib import colormaps

    q = data.quantiles
    axes = data.experiment.varying_axes() or ["encoding"]
    configs = list(q.groupby(CONFIG_COLUMNS, sort=True))
    cmap = colormaps["viridis"]
    for i, (config, group) in enumerate(configs):
        group = group.sort_values("epoch")
        if log_x:
            group = group[group["epoch"] > 0]
        if xlim is not None:
            group = group[(group["epoch"] >= xlim[0]) & (group["epoch"] <= xlim[1])]
        color = cmap(0.9 * i / max(1, len(configs) - 1))
        label = _config_label(dict(zip(CONFIG_COLUMNS, config, strict=True)), axes)
        x = group["epoch"].to_numpy()
        ax.fill_between(
            x, group[f"{metric}_q25"], group[f"{metric}_q75"], color=color, alpha=0.25, lw=0
        )
        ax.plot(x, group[f"{metric}_median"], color=color, lw=1.6, label=label)
    if log_x:
        ax.set_xscale("log")
    if log_y and metric != "correct" and np.all(q[f"{metric}_q25"] > 0):
        ax.set_yscale("log")
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(EPOCH_LABEL)
    ax.set_ylabel(METRIC_LABELS[metric])
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", title=None, loc="best")


def _new_figure(width: float = 7.5, height: float = 4.8, ncols: int = 1, nrows: int = 1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def curves_figure(
    title: str,
    metrics: tuple[str, ...] = ("data_loss",),
    zoom: str | None = None,
) -> Callable[[FigureData], Figure]:
    """A draw function: loss against epoch per configuration (optionally an early/late zoom)."""

    def draw(data: FigureData) -> Figure:
        epochs = int(data.runs["epochs"].max())
        fig, axes = _new_figure(width=6.5 * len(metrics), ncols=len(metrics))
        for ax, metric in zip(axes[0], metrics, strict=True):
            if zoom == "early":
                draw_curves(data, ax, metric, xlim=(0, epochs / 20), log_x=False, log_y=False)
            elif zoom == "late":
                draw_curves(data, ax, metric, xlim=(epochs / 2, epochs), log_x=False)
            else:
                draw_curves(data, ax, metric)
        axes_varying = data.experiment.varying_axes()
        fig.suptitle(f"{title}\n{_settings_note(data, axes_varying)}", fontsize="medium")
        return fig

    return draw


# ---------------------------------------------------------------------------------------------
# Weights: heat maps of both layers at one snapshot


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


def _heatmap(ax: Any, matrix: pd.DataFrame, row_prefix: str, col_prefix: str, vmax: float):
    import numpy as np

    values = matrix.to_numpy()
    image = ax.imshow(values, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    ax.set_xticks(range(values.shape[1]))
    ax.set_xticklabels([f"{col_prefix}{c}" if c != -1 else "bias" for c in matrix.columns])
    ax.set_yticks(range(values.shape[0]))
    ax.set_yticklabels([f"{row_prefix}{r}" for r in matrix.index])
    for (i, j), v in np.ndenumerate(values):
        color = "white" if abs(v) > 0.6 * vmax else "black"
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6.5, color=color)
    return image


def draw_weight_rows(rows: list[tuple[str, Any, int]], title: str) -> Figure:
    """One row per (label, run files, epoch): hidden-layer and output-layer weight heat maps."""
    import numpy as np

    matrices = [weight_matrices(files.weights, epoch) for _, files, epoch in rows]
    vmax = max(float(np.abs(m[layer].to_numpy()).max()) for m in matrices for layer in m) or 1.0
    fig, axes = _new_figure(width=12, height=1.0 + 2.2 * len(rows), ncols=2, nrows=len(rows))
    image = None
    for (label, _, epoch), m, (ax_h, ax_o) in zip(rows, matrices, axes, strict=True):
        image = _heatmap(ax_h, m["hidden"], "h", "x", vmax)
        ax_h.set_title(f"{label}, epoch {epoch:,}: input → hidden", fontsize="small")
        ax_h.set_xlabel("from input unit")
        ax_h.set_ylabel("to hidden unit")
        # Output weights transposed (hidden units as rows) so both panels are wide.
        _heatmap(ax_o, m["output"].T, "h", "y", vmax)
        ax_o.set_yticklabels([f"h{c}" if c != -1 else "bias" for c in m["output"].columns])
        ax_o.set_xticklabels([f"y{r}" for r in m["output"].index])
        ax_o.set_title(f"{label}, epoch {epoch:,}: hidden → output", fontsize="small")
        ax_o.set_xlabel("to output unit")
        ax_o.set_ylabel("from hidden unit")
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight value")
    fig.suptitle(title, fontsize="medium")
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


def _first_run(experiment: Experiment) -> list[Run]:
    return experiment.runs()[:1]


def _first_config_three_seeds(experiment: Experiment) -> list[Run]:
    first = experiment.runs()[0].configuration
    return [r for r in experiment.runs() if r.configuration == first][:3]


def draw_plateau_weights(data: FigureData) -> Figure:
    (run_id, files), *_ = data.run_files.items()
    run = Run.from_id(run_id)
    label = _config_label(dict(zip(CONFIG_COLUMNS, run.configuration, strict=True)), CONFIG_COLUMNS)
    middle = plateau_epoch(data.runs, run_id)
    if middle is None:  # no plateau detected: show the log-middle of the run instead
        middle = int(round(math.sqrt(max(1, int(files.meta["epochs_run"])))))
        where = "no plateau detected; snapshot at the run's log-middle"
    else:
        where = "snapshot nearest the plateau's log-middle"
    epoch = _nearest_snapshot(files.weights, middle)
    return draw_weight_rows([(f"seed {run.seed}", files, epoch)], f"Weights ({label}; {where})")


def draw_late_weights(data: FigureData) -> Figure:
    exp = data.experiment
    rows = []
    for run_id, files in data.run_files.items():
        target = max(exp.snapshot_at) if exp.snapshot_at else int(files.weights["epoch"].max())
        rows.append(
            (f"seed {Run.from_id(run_id).seed}", files, _nearest_snapshot(files.weights, target))
        )
    run = Run.from_id(next(iter(data.run_files)))
    label = _config_label(dict(zip(CONFIG_COLUMNS, run.configuration, strict=True)), CONFIG_COLUMNS)
    return draw_weight_rows(rows, f"Weights of {len(rows)} seeds late in training ({label})")


FIGURES: list[FigureSpec] = [
    FigureSpec(
        "loss_by_lambda", "weight_decay", "Loss for each weight decay λ (Fig 4)",
        "Data loss (left) and objective J (right) against epochs for each weight-decay strength "
        "λ: median over seeds, band = interquartile range.",
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
        "loss_k_vs_k1", "encoding", "k against k-1 encoding (Fig 7)",
        "Data loss against epochs with one-hot (k) targets and with the k-1 encoding (class 0 "
        "as all zeros): median over seeds, band = interquartile range.",
        curves_figure("k against k-1 encoding"),
    ),
    FigureSpec(
        "plateau_weights", "weight_decay", "Weights inside the plateau (Fig 8)",
        "Weights of the first seed of the first weight-decay configuration at the snapshot "
        "nearest the log-middle of its plateau (plateau.find_plateau). Colour and number give "
        "each weight; the bias column is last.",
        draw_plateau_weights,
        runs=_first_run,
    ),
    FigureSpec(
        "loss_by_alpha", "learning_rate", "Loss for each learning rate α (Fig 9)",
        "Data loss against epochs for each learning rate α: median over seeds, band = "
        "interquartile range.",
        curves_figure("Loss for each learning rate α"),
    ),
    FigureSpec(
        "loss_by_batch_size", "batch_size", "Loss for each batch size (Fig 10)",
        "Data loss against epochs for each mini-batch size: median over seeds, band = "
        "interquartile range.",
        curves_figure("Loss for each batch size"),
    ),
    FigureSpec(
        "late_weights", "weights", "Weights of three seeds late in training (Figs 11-13)",
        "Weights of three seeds of the same configuration at the experiment's extra snapshot "
        "(350,000 epochs in the default study): different seeds, different solutions.",
        draw_late_weights,
        runs=_first_config_three_seeds,
    ),
]  # fmt: skip


def by_name(name: str) -> FigureSpec:
    for spec in FIGURES:
        if spec.name == name:
            return spec
    raise ConfigError(f"unknown figure {name!r}; allowed: {', '.join(f.name for f in FIGURES)}")


def applicable(experiments: Mapping[str, Experiment]) -> list[FigureSpec]:
    """The figures whose experiment is in the study."""
    return [f for f in FIGURES if f.experiment in experiments]


def render(spec: FigureSpec, data: FigureData, out: str | Path) -> None:
    """Draw and save a PNG atomically."""
    from backprop_study.aggregate import write_atomic

    fig = spec.draw(data)
    write_atomic(out, lambda tmp: fig.savefig(tmp, format="png", dpi=130))


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

    from backprop_study.runfiles import read_run

    spec = by_name(args.name)
    experiment = Experiment.from_grid(args.grid)
    run_files = {}
    for directory in args.run:
        run_id = "/".join(Path(directory).parts[-5:])
        run_files[run_id] = read_run(directory)
    data = FigureData(
        experiment=experiment,
        quantiles=pd.read_parquet(args.quantiles),
        runs=pd.read_parquet(args.runs_table),
        run_files=run_files,
    )
    render(spec, data, args.out)
    print(f"{spec.name}: wrote {args.out}")
    return 0
