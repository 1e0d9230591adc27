"""law_figures.py: the law figure and the divergence figure draw from small tables."""

import numpy as np
import pandas as pd

from backprop_study.analysis import lawfamily
from backprop_study.reporting import law_figures


def law(name: str = "8-3-8 mse c=0.1") -> pd.DataFrame:
    """A setting's law table: slopes at four thresholds, μ twice and λ_c."""
    rows = [{"setting": name, "quantity": f"slope f={f:g}", "predicted": 300.0,
             "measured": 303.0, "ratio": 1.01, "low": 0.99, "high": 1.03, "n": 10}
            for f in (0.7, 0.8, 0.9, 0.95)]  # fmt: skip
    for q, r in (("mu_visited", 1.01), ("mu_growth_0.001", 0.99), ("lambda_c", 1.2)):
        rows.append({"setting": name, "quantity": q, "predicted": 0.003, "measured": 0.003 * r,
                     "ratio": r, "low": r - 0.01, "high": r + 0.01, "n": 10})  # fmt: skip
    return pd.DataFrame(rows)


def test_law_figure_has_every_finite_point_and_the_identity():
    table = lawfamily.family_table([law(), law("4-2-4 mse c=0")])
    fig = law_figures.draw_law(table)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert "identity: measured = predicted" in labels
    assert {"8-3-8 mse c=0.1", "4-2-4 mse c=0"} <= set(labels)
    assert len(ax.containers) == len(table)  # one error bar per setting and prediction
    ratios = fig.axes[1]
    assert len(ratios.containers) == len(table)
    assert [t.get_text() for t in ratios.get_xticklabels()] == list(dict.fromkeys(table["setting"]))


def test_divergence_figure_uses_escaped_runs_below_the_seeds_lambda_c():
    probes = pd.DataFrame({"setting": "8-3-8 mse c=0", "seed": [0, 0, 0, 0],
                           "lam": [0.001, 0.002, 0.0028, 0.0031],
                           "verdict": ["escaped", "escaped", "escaped", "collapsed"],
                           "t_escape": [900.0, 1500.0, 9000.0, np.nan]})  # fmt: skip
    critical = pd.DataFrame({"setting": "8-3-8 mse c=0", "seed": [0], "lam_c": [0.0029]})
    fig = law_figures.draw_divergence(probes, critical, {"8-3-8 mse c=0": 0.003})
    points = fig.axes[0].lines[0].get_xydata()
    np.testing.assert_allclose(points[:, 0], 1 - np.array([0.001, 0.002, 0.0028]) / 0.0029)
    np.testing.assert_allclose(points[:, 1], 0.003 * np.array([900.0, 1500.0, 9000.0]))
    assert law_figures.draw_divergence(probes.iloc[:0], critical.iloc[:0]).axes
