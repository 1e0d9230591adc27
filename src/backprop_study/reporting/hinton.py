"""Hinton diagrams: a weight matrix as squares whose area is the weight's magnitude.

A colour table of 59 numbers shows no pattern at a glance (the seed's Figs 8 and 11-13); a Hinton
diagram does: big squares are big weights, colour is the sign, and the bias column is set apart on
a shaded band. One `max_weight` for every panel of a figure keeps sizes comparable across layers
and seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.patches import Rectangle

POSITIVE = "#c0392b"  # red: weight > 0
NEGATIVE = "#2166ac"  # blue: weight < 0
BIAS_BAND = "#ece6d6"  # background of the bias column
FILL = 0.92  # side of the largest square, as a fraction of a cell


def square_side(value: float, max_weight: float) -> float:
    """Side of a value's square in cell units: area proportional to |value|, 0 ≤ side ≤ FILL."""
    if max_weight <= 0 or not math.isfinite(value):
        return 0.0
    return FILL * math.sqrt(min(abs(value), max_weight) / max_weight)


def draw_hinton(
    ax: Any,
    matrix: np.ndarray,
    max_weight: float,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    bias_col: int | None = None,
) -> None:
    """Draw `matrix` (rows × columns) on `ax` as a Hinton diagram, row 0 at the top.

    `bias_col` (a column index) gets a shaded band and a separating line. Squares are patches, so
    the axes keep an equal aspect and one cell per weight.
    """
    values = np.asarray(matrix, dtype=np.float64)
    n_rows, n_cols = values.shape
    ax.set_facecolor("white")
    if bias_col is not None:
        ax.add_patch(Rectangle((bias_col - 0.5, -0.5), 1, n_rows, color=BIAS_BAND, zorder=0, lw=0))
        edge = bias_col - 0.5 if bias_col > 0 else bias_col + 0.5
        ax.axvline(edge, color="0.45", lw=0.8, ls="--", zorder=1)
    for (i, j), v in np.ndenumerate(values):
        side = square_side(v, max_weight)
        if side == 0:
            continue
        ax.add_patch(
            Rectangle(
                (j - side / 2, i - side / 2),
                side,
                side,
                facecolor=POSITIVE if v > 0 else NEGATIVE,
                edgecolor="none",
                zorder=2,
            )
        )
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks(range(n_cols), list(col_labels))
    ax.set_yticks(range(n_rows), list(row_labels))
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, n_cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows, 1), minor=True)
    ax.grid(True, which="minor", color="0.9", lw=0.6)
    ax.grid(False, which="major")
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_color("0.6")


def nice_scale(max_weight: float) -> list[float]:
    """Three round magnitudes up to `max_weight` for the size key (e.g. 8.3 → [2, 4, 8])."""
    if not max_weight > 0 or not math.isfinite(max_weight):
        return []
    top = 10 ** math.floor(math.log10(max_weight))
    for step in (5, 2, 1):
        if step * top <= max_weight:
            top *= step
            break
    return [top / 4, top / 2, top]


def draw_key(ax: Any, max_weight: float) -> None:
    """A legend strip: square sizes for a few magnitudes and the two sign colours."""
    scale = nice_scale(max_weight)
    entries = [(v, POSITIVE, f"+{v:g}") for v in scale] + [
        (-scale[-1], NEGATIVE, f"−{scale[-1]:g}")
    ]
    ax.text(-0.8, 0, "|weight|:", va="center", ha="right", fontsize="small")
    for k, (v, colour, text) in enumerate(entries):
        side = square_side(v, max_weight)
        x = 3.0 * k
        ax.add_patch(Rectangle((x - side / 2, -side / 2), side, side, facecolor=colour, lw=0))
        ax.text(x + 0.65, 0, text, va="center", ha="left", fontsize="small")
    bias_x = 3.0 * len(entries) + 0.5
    ax.add_patch(Rectangle((bias_x - 0.5, -0.5), 1, 1, color=BIAS_BAND, lw=0))
    ax.text(bias_x + 0.7, 0, "bias column", va="center", ha="left", fontsize="small")
    ax.set_xlim(-12, bias_x + 14)
    ax.set_aspect("equal", adjustable="datalim")
    ax.axis("off")
