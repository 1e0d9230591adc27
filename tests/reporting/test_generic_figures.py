"""Figures of an experiment over a setting no figure is written for: labelled from the axis
vocabulary, with no per-axis code."""

import pytest
from tiny_study import TINY_CONFIG, train_runs

from backprop_study.engine.runfiles import read_run
from backprop_study.reporting import figures
from backprop_study.study import aggregate
from backprop_study.study.config import load_study

CONFIG = TINY_CONFIG | {
    "seeds": [0, 1],
    "experiments": {"init_sweep": {"alpha": [0.5], "init_std": [0.1, 1]}},
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    study = load_study(CONFIG)
    root = tmp_path_factory.mktemp("runs")
    train_runs(study, root)
    exp = study.experiments["init_sweep"]
    tables = aggregate.read_experiment(exp, root, lambda d: read_run(d))
    return figures.FigureData(exp, tables.quantiles, tables.runs), root


def test_a_new_axis_gets_its_own_labelled_figures(data):
    data, root = data
    assert (root / "enc~k/lam~0/alpha~0.5/batch~8/init~1/seed~1/curve.parquet").exists()
    specs = figures.applicable(load_study(CONFIG).experiments)
    assert [s.name for s in specs] == ["init_sweep_loss", "init_sweep_outcomes"]
    loss = figures.draw(specs[0], data)
    titles = [ax.get_title() for ax in loss.axes]
    assert [t.split("\n")[0] for t in titles] == ["init std = 0.1", "init std = 1"], titles
    title = loss._suptitle.get_text()
    assert "α = 0.5" in title and "init std" not in title  # fixed settings named, not the axis
    outcomes = figures.draw(specs[1], data)
    xlabels = [ax.get_xlabel() for ax in outcomes.axes if ax.get_xlabel()]
    # Plateau length and epochs to solve against init std; the Kaplan-Meier panel is in epochs.
    assert [x.split(" (")[0] for x in xlabels] == ["init std", "init std", "epoch"], xlabels
    assert sorted(data.runs["init_std"].unique()) == [0.1, 1.0]  # the table has the axis
