"""hinton.py: square sizes, the size key's scale, and what a diagram draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from backprop_study.reporting import hinton


def test_square_area_is_proportional_to_magnitude():
    full = hinton.square_side(2.0, 2.0)
    assert full == pytest.approx(hinton.FILL)
    assert hinton.square_side(-0.5, 2.0) ** 2 == pytest.approx(full**2 / 4)
    assert hinton.square_side(0.0, 2.0) == 0.0
    assert hinton.square_side(5.0, 2.0) == full  # clipped at the scale's maximum
    assert hinton.square_side(1.0, 0.0) == 0.0
    assert hinton.square_side(math.nan, 1.0) == 0.0


@pytest.mark.parametrize(
    ("max_weight", "expected"),
    [(8.3, [1.25, 2.5, 5.0]), (1.9, [0.25, 0.5, 1.0]), (0.3, [0.05, 0.1, 0.2])],
)
def test_key_uses_round_magnitudes_up_to_the_largest(max_weight, expected):
    assert hinton.nice_scale(max_weight) == pytest.approx(expected)
    assert hinton.nice_scale(0.0) == []


def test_diagram_draws_one_square_per_nonzero_weight_coloured_by_sign():
    matrix = np.array([[1.0, -0.5, 0.0], [0.25, 0.0, -1.0]])
    ax = Figure().subplots()
    hinton.draw_hinton(ax, matrix, 1.0, ["a", "b"], ["x", "y", "bias"], bias_col=2)
    squares = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_zorder() == 2]
    assert len(squares) == 4
    colours = sorted(tuple(p.get_facecolor()[:3]) for p in squares)
    assert len(set(colours)) == 2  # positive and negative
    band = [p for p in ax.patches if p.get_zorder() == 0]
    assert len(band) == 1 and band[0].get_x() == pytest.approx(1.5)
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # row 0 at the top, like the matrix
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "bias"]
