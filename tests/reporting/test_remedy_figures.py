"""The remedies' outcome figure marks saturated runs apart from plateaus."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tiny_study import tiny_study

from backprop_study.reporting import remedy_figures
from backprop_study.reporting.figbase import FigureData
from backprop_study.reporting.outcomes import SATURATED_COLOUR


def _runs(delta_max: float, saturated: list[bool]) -> pd.DataFrame:
    n = len(saturated)
    return pd.DataFrame(
        {
            "run_id": [f"rprop/{delta_max}/{s}" for s in range(n)],
            "seed": range(n),
            "optimizer": "rprop",
            "loss": "mse",
            "prime_offset": 0.0,
            "momentum": 0.9,
            "alpha": 0.5,
            "rprop_delta_max": delta_max,
            "first_solved": pd.array([None if s else 40 for s in saturated], dtype="Int64"),
            "diverged": False,
            "epochs": 300,
            "plateau_found": [not s for s in saturated],
            "plateau_left": [not s for s in saturated],
            "plateau_decades": [np.nan if s else 0.5 for s in saturated],
            "saturated": saturated,
        }
    )


def _points(ax, colour):
    return [line for line in ax.get_lines() if line.get_color() == colour]


def test_saturated_runs_are_crosses_with_a_legend_and_no_plateau_length():
    runs = pd.concat([_runs(50.0, [True, True, False]), _runs(0.1, [False] * 3)])
    data = FigureData(tiny_study().experiments["remedy_saturation"], pd.DataFrame(), runs)
    fig = remedy_figures.draw_remedy_outcomes(data)
    ax_s, ax_p = fig.axes[:2]
    crosses = _points(ax_s, SATURATED_COLOUR)
    assert len(crosses) == 2 and all(c.get_marker() == "X" for c in crosses)
    assert sum(len(c.get_xdata()) for c in _points(ax_p, SATURATED_COLOUR)) == 2
    legend = [t.get_text() for t in ax_p.get_legend().get_texts()]
    assert any("saturated" in t and "not a plateau" in t for t in legend)
    ticks = [t.get_text() for t in ax_s.get_xticklabels()]
    assert any("Δmax = 50" in t for t in ticks) and any("Δmax = 0.1" in t for t in ticks)


def test_no_saturation_legend_without_saturated_runs():
    runs = _runs(0.1, [False] * 3)
    data = FigureData(tiny_study().experiments["remedy_saturation"], pd.DataFrame(), runs)
    fig = remedy_figures.draw_remedy_outcomes(data)
    assert fig.axes[1].get_legend() is None
