"""load.py: a finished study's tables as pandas objects, and the example that uses them."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from tiny_study import TINY_CONFIG, train_runs

import backprop_study
from backprop_study.cli import main
from backprop_study.engine.errors import UserError
from backprop_study.engine.runfiles import read_run
from backprop_study.study.config import load_study
from backprop_study.study.grid import run_dir

EXPERIMENTS = ("weight_decay", "encoding", "learning_rate")
EXAMPLE = Path(__file__).parents[2] / "examples" / "explore_study.py"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A results folder as the workflow leaves it: runs, each experiment's tables, the study's
    runs and curves tables (through the same commands as the rules)."""
    folder = tmp_path_factory.mktemp("results")
    config = TINY_CONFIG | {"experiments": {n: TINY_CONFIG["experiments"][n] for n in EXPERIMENTS}}
    study = load_study(config)
    train_runs(study, folder / "runs")
    tables = folder / "tables"
    for name, exp in study.experiments.items():
        args = ["aggregate", "experiment", "--grid", exp.grid_json()]
        args += ["--runs-root", str(folder / "runs")]
        for flag, file in (("runs", "runs.parquet"), ("comparison", "comparison.parquet"),
                           ("markdown", "comparison.md"), ("quantiles", "curve_quantiles.parquet"),
                           ("final-weights", "final_weights.parquet")):  # fmt: skip
            args += [f"--{flag}-out", str(tables / name / file)]
        assert main(args) == 0
    union = [str(tables / n / "runs.parquet") for n in EXPERIMENTS]
    assert main(["aggregate", "runs-table", *union, "--out", str(tables / "runs.parquet")]) == 0
    curves = ["aggregate", "curves", "--runs-table", str(tables / "runs.parquet")]
    curves += ["--runs-root", str(folder / "runs"), "--out", str(tables / "curves.parquet")]
    assert main(curves) == 0
    return folder


def test_load_reads_the_runs_and_joins_them_to_a_comparison_on_the_setting(results):
    study = backprop_study.load(results)
    assert study.experiments == sorted(EXPERIMENTS)
    runs = study.runs
    comparison = study.comparison("weight_decay")
    joined = runs.merge(comparison, on="setting", suffixes=("", "_setting"))
    assert len(joined) == 2 * len(TINY_CONFIG["seeds"])  # lam 0 and 0.1, three seeds each
    assert (joined["lam"] == joined["lam_setting"]).all()
    on_config = runs.merge(comparison, on=study.config_columns)
    assert sorted(on_config["run_id"]) == sorted(joined["run_id"])
    shared = runs[runs["setting"] == "enc~k/lam~0/alpha~0.5/batch~8"]
    assert all(list(e) == sorted(EXPERIMENTS) for e in shared["experiments"])
    every = study.comparison()
    assert set(every["experiment"]) == set(EXPERIMENTS)
    assert study.claims is None and study.findings is None  # not written by this study


def test_curves_are_every_runs_curve_in_one_call(results):
    study = backprop_study.load(results)
    curves = study.curves()
    assert sorted(curves["run_id"].unique()) == sorted(study.runs["run_id"])
    first = study.runs["run_id"].iloc[0]
    mine = curves[curves["run_id"] == first].reset_index(drop=True)
    expected = read_run(run_dir(results / "runs", first)).curve
    pd.testing.assert_frame_equal(mine[list(expected.columns)], expected)
    some = study.curves(run_ids=[first], columns=["run_id", "epoch", "data_loss"])
    assert list(some.columns) == ["run_id", "epoch", "data_loss"]
    assert len(some) == len(expected)


def test_without_a_curves_table_the_curves_come_from_the_run_folders(results, tmp_path):
    import shutil

    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    (copy / "tables" / "curves.parquet").unlink()
    from_runs = backprop_study.load(copy).curves()
    pd.testing.assert_frame_equal(from_runs, backprop_study.load(results).curves())


def test_weights_are_a_runs_snapshots(results):
    study = backprop_study.load(results)
    run_id = study.runs["run_id"].iloc[-1]
    expected = read_run(run_dir(results / "runs", run_id)).weights
    pd.testing.assert_frame_equal(study.weights(run_id), expected)


def test_load_names_what_is_missing_in_one_line(results, tmp_path):
    with pytest.raises(UserError, match=r"^results: .* holds no tables/runs.parquet; allowed"):
        backprop_study.load(tmp_path)
    with pytest.raises(UserError, match=r"^experiment: 'nope' is not in .*; allowed: encoding"):
        backprop_study.load(results).comparison("nope")


def test_importing_the_package_does_not_import_pandas():
    code = "import sys, backprop_study as b; print('pandas' in sys.modules, callable(b.load))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_the_example_runs_on_a_finished_study(results, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("BACKPROP_RESULTS", str(results))
    plt.switch_backend("Agg")
    cells = runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert len(cells["joined"]) == 2 * len(TINY_CONFIG["seeds"])
    assert list(cells["median"].columns) == [0.0, 0.1]  # one median curve per weight decay
    assert len(cells["ax"].get_lines()) == 2
    plt.close("all")
    assert cells["last"]["epoch"].nunique() == 1
