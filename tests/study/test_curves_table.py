"""curves_table.py: every run's logged curve in one Parquet file, led by the run's names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from tiny_study import TINY_CONFIG, train_runs

from backprop_study.cli import main
from backprop_study.engine.runfiles import read_run
from backprop_study.study import curves_table
from backprop_study.study.config import load_study
from backprop_study.study.grid import Study, run_dir

EXPERIMENTS = ("learning_rate", "batch_size")


@pytest.fixture(scope="module")
def study() -> Study:
    experiments = {n: TINY_CONFIG["experiments"][n] for n in EXPERIMENTS}
    return load_study(TINY_CONFIG | {"experiments": experiments})


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory, study) -> Path:
    root = tmp_path_factory.mktemp("runs")
    train_runs(study, root)
    return root


def test_the_curves_table_holds_every_runs_curve_with_its_names(study, runs_root, tmp_path):
    exp = study.experiments["learning_rate"]
    out = tmp_path / "curves.parquet"
    run_ids = [r.run_id for r in exp.runs()]
    n = curves_table.write_curves_table(run_ids[::-1], runs_root, out)
    curves = pd.read_parquet(out)
    assert n == len(curves)
    as_in_the_tables = pa.Schema.from_pandas(pd.DataFrame({"x": ["a"]}).astype("string"))
    for name in ("run_id", "setting"):  # the type pandas writes in every other table
        assert pq.read_schema(out).field(name).type == as_in_the_tables.field("x").type
    assert list(curves.columns[:4]) == ["run_id", "setting", "seed", "epoch"]
    assert curves["run_id"].is_monotonic_increasing
    for run in exp.runs():
        mine = curves[curves["run_id"] == run.run_id].reset_index(drop=True)
        curve = read_run(run_dir(runs_root, run)).curve
        pd.testing.assert_frame_equal(mine[curve.columns.tolist()], curve)
        assert (mine["setting"] == run.setting).all() and (mine["seed"] == run.seed).all()
    one = exp.runs()[0].setting
    filtered = ds.dataset(out).to_table(filter=ds.field("setting") == one)
    assert set(filtered["setting"].to_pylist()) == {one}


def test_the_curves_table_is_written_in_row_groups_of_whole_runs(
    study, runs_root, tmp_path, monkeypatch
):
    monkeypatch.setattr(curves_table, "CURVES_BATCH_ROWS", 1)
    exp = study.experiments["batch_size"]
    out = tmp_path / "curves.parquet"
    curves_table.write_curves_table([r.run_id for r in exp.runs()], runs_root, out)
    assert pq.ParquetFile(out).num_row_groups == len(exp.runs())
    runs = tmp_path / "runs.parquet"
    pd.DataFrame({"run_id": [r.run_id for r in exp.runs()]}).to_parquet(runs)
    assert main(["aggregate", "curves", "--runs-table", str(runs), "--runs-root",
                 str(runs_root), "--out", str(tmp_path / "again.parquet")]) == 0  # fmt: skip
    assert len(pd.read_parquet(tmp_path / "again.parquet")) == len(pd.read_parquet(out))
