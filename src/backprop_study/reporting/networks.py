"""Network figures: Hinton diagrams of the weights at one snapshot per run, and the hidden codes.

These read a few runs' files (`catalog.FigureEntry.runs` picks them): three seeds inside the
plateau, seeds late in training (a learning setting and the seed's λ = 0.1, which collapses),
and the hidden activations of the most converged runs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from backprop_study.analysis import axes as vocabulary
from backprop_study.analysis import codes
from backprop_study.engine.errors import ConfigError
from backprop_study.reporting import hinton
from backprop_study.reporting.figbase import (
    DUPLICATE_COLOUR,
    FigureData,
    config_label,
    new_figure,
)
from backprop_study.study.grid import Run


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
    matrices = [weight_matrices(files.weights, epoch) for _, files, epoch in columns]
    max_weight = max(float(np.abs(m[layer].to_numpy()).max()) for m in matrices for layer in m)
    max_weight = max_weight or 1.0
    n = len(columns)
    n_hidden, n_out = matrices[0]["hidden"].shape[0], matrices[0]["output"].shape[0]
    fig, axes = new_figure(
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
            ax.set_title(f"{label}, epoch {epoch:,}\n{heading}" if i == 0 else heading, fontsize=9)
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
    snaps = np.unique(weights["epoch"].to_numpy())
    return int(snaps[np.argmin(np.abs(np.log1p(snaps) - np.log1p(epoch)))])


def _label_of(run_id: str) -> str:
    run = Run.from_id(run_id)
    named = {n: getattr(run, n) for n in vocabulary.PATH_ALWAYS} | dict(run.extra)
    return config_label(named, list(named))


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
    """The tested networks: each run at its last snapshot; a run that collapsed is shown at the
    experiment's extra snapshot (the seed's 350,000 epochs) and labelled with its largest
    weight, too small to draw."""
    exp = data.experiment
    columns = []
    runs = data.runs.set_index("run_id")
    for run_id, files in data.run_files.items():
        run = Run.from_id(run_id)
        collapsed = run_id in runs.index and bool(runs.loc[run_id].get("collapsed", False))
        end = int(files.weights["epoch"].max())
        target = max(exp.snapshot_at) if (collapsed and exp.snapshot_at) else end
        epoch = _nearest_snapshot(files.weights, target)
        heading = f"λ = {vocabulary.value_text('lam', run.lam)}, seed {run.seed}"
        if collapsed:
            at = files.weights[(files.weights["epoch"] == epoch) & ~files.weights["is_bias"]]
            heading += f"\nCOLLAPSED: largest |weight| {np.abs(at['value']).max():.1g}"
        columns.append((heading, files, epoch))
    return draw_hinton_columns(
        columns,
        "Final weights of seeds that learn (λ = 0) and of the seed's λ = 0.1, which collapses "
        "to the trivial network (weights too small to see)",
    )


# ---------------------------------------------------------------------------------------------
# Hidden codes: class × hidden-unit activations at the last snapshot, the binary code printed


def draw_hidden_codes(data: FigureData) -> Figure:
    """One heat map per run: rows = classes, columns = hidden units, cell = activation, with the
    class's binarised code (unit > 0.5) at the right."""
    items = list(data.run_files.items())
    n = len(items)
    fig, axes = new_figure(width=3.6 * n + 1.2, height=5.0, ncols=n)
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
