"""aggregate.py: an experiment's tables from its runs, the study's runs table, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_study import EPOCHS, tiny_study, train_runs

from backprop_study.analysis.axes import CONFIG_COLUMNS
from backprop_study.cli import main
from backprop_study.engine.errors import RunFileError
from backprop_study.engine.runfiles import read_run
from backprop_study.study import aggregate
from backprop_study.study.across_seeds import CURVE_METRICS, comparison_table, curve_quantiles
from backprop_study.study.atomic import write_parquet
from backprop_study.study.grid import Run, run_dir

DATA_MODEL_COLUMNS = [
    "run_id", "setting", "experiment", "encoding", "lam", "alpha", "batch_size", "classes",
    "hidden", "init_std", "init_distribution", "init_range", "epochs",
    "log_every", "log_dense_until", "log_per_decade", "snapshots", "optimizer", "loss",
    "prime_offset", "momentum", "rprop_delta0", "rprop_eta_plus", "rprop_eta_minus",
    "rprop_delta_max", "rprop_delta_min", "adam_beta1", "adam_beta2", "adam_eps", "quickprop_mu",
    "quickprop_decay", "supersab_eta_plus", "supersab_eta_minus", "supersab_momentum", "seed",
    "epochs_run",
    "diverged", "final_data_loss", "final_objective", "final_correct", "n_patterns",
    "first_all_correct", "first_solved",
]  # fmt: skip


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    train_runs(tiny_study(), root)
    return root


def test_experiment_tables_follow_the_data_model(runs_root):
    exp = tiny_study().experiments["weight_decay"]
    tables = aggregate.read_experiment(exp, runs_root)
    runs = tables.runs
    assert list(runs.columns[: len(DATA_MODEL_COLUMNS)]) == DATA_MODEL_COLUMNS
    assert len(runs) == len(exp.runs()) == runs["run_id"].nunique()
    assert "plateau_found" in runs.columns  # summary.summarise_run columns follow
    assert str(runs["first_solved"].dtype) == "Int64"
    assert str(runs["first_all_correct"].dtype) == "Int64"
    assert (runs["epochs"] == EPOCHS).all() and (runs["n_patterns"] == 8).all()
    # The final values are the curve's last row.
    row = runs.iloc[0]
    curve = read_run(run_dir(runs_root, row["run_id"])).curve
    assert row["final_data_loss"] == curve["data_loss"].iloc[-1]
    assert row["final_correct"] == curve["correct"].iloc[-1]


def test_the_runs_table_carries_provenance_but_no_timings(runs_root, tmp_path):
    import shutil

    from backprop_study.engine.provenance import FIELDS, SIDECAR, read_sidecar
    from backprop_study.study.provenance import COLUMNS

    exp = tiny_study().experiments["encoding"]
    root = tmp_path / "runs"
    shutil.copytree(runs_root, root)
    old = exp.runs()[0]
    (Path(run_dir(root, old)) / SIDECAR).unlink()  # as if trained before sidecars
    runs = aggregate.read_experiment(exp, root).runs.set_index("run_id")
    assert not [c for c in runs.columns if "time" in c]
    assert set(COLUMNS) <= set(runs.columns)
    for run in exp.runs()[1:]:
        record = read_sidecar(run_dir(root, run))
        assert runs.loc[run.run_id, list(FIELDS)].tolist() == [record[f] for f in FIELDS]
        assert runs.loc[run.run_id, "executor"] == "local"
    assert (runs.loc[old.run_id, list(COLUMNS)] == "").all()
    assert str(runs["fingerprint"].dtype) == "string"


def test_retraining_gives_a_byte_identical_runs_table(runs_root, tmp_path):
    """Rerun on the same setup: new sidecars (other wall times), the same table bytes."""
    import hashlib

    exp = tiny_study().experiments["batch_size"]
    train_runs(tiny_study(), tmp_path / "again")
    digests = []
    for root in (runs_root, tmp_path / "again"):
        out = tmp_path / f"{len(digests)}.parquet"
        write_parquet(aggregate.read_experiment(exp, root).runs, out)
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_curve_quantiles_span_the_seeds_on_the_shared_grid(runs_root):
    exp = tiny_study().experiments["learning_rate"]
    tables = aggregate.read_experiment(exp, runs_root)
    q = tables.quantiles
    first = Run.from_id(tables.runs["run_id"].iloc[0])
    curve = read_run(run_dir(runs_root, first)).curve
    for _, group in q.groupby(["encoding", "lam", "alpha", "batch_size"]):
        assert group["epoch"].tolist() == curve["epoch"].tolist()
        assert (group["n_runs"] == len(exp.seeds)).all()
    for metric in CURVE_METRICS:
        assert (q[f"{metric}_q25"] <= q[f"{metric}_median"]).all()
        assert (q[f"{metric}_median"] <= q[f"{metric}_q75"]).all()
    # The median of three seeds is the middle seed's value.
    config = q[(q["alpha"] == first.alpha) & (q["epoch"] == EPOCHS)]
    finals = [
        read_run(run_dir(runs_root, Run("k", 0.0, first.alpha, 8, s))).curve["data_loss"].iloc[-1]
        for s in exp.seeds
    ]
    assert config["data_loss_median"].iloc[0] == pytest.approx(np.median(finals))


def test_long_curves_give_the_quantiles_of_curves_built_run_by_run(runs_root):
    """Configuration values are set once per configuration: the same quantiles (dtypes and
    all) as setting them on every run's curve, also when a configuration's runs are not
    neighbours in the experiment's order."""
    experiment = tiny_study().experiments["weight_decay"]
    runs = experiment.runs()
    runs = runs[::2] + runs[1::2]  # interleave the configurations
    grouped, per_run = {}, []
    for run in runs:
        files = read_run(run_dir(runs_root, run))
        row = aggregate.run_row(run, files)
        curve = files.curve[["epoch", *CURVE_METRICS]]
        config = (run.setting, *(row[c] for c in CONFIG_COLUMNS))
        grouped.setdefault(config, []).append((run.seed, curve))
        one = curve.copy()
        for col, value in zip(["setting", *CONFIG_COLUMNS], config, strict=True):
            one[col] = value
        one["seed"] = run.seed
        per_run.append(one)
    assert len(grouped) > 1
    long = aggregate._long_curves(grouped)
    assert list(long.columns) == list(per_run[0].columns)
    pd.testing.assert_frame_equal(
        curve_quantiles(long),
        curve_quantiles(pd.concat(per_run, ignore_index=True)),
    )


def test_final_weights_are_the_last_snapshot_of_each_run(runs_root):
    exp = tiny_study().experiments["weights"]
    fw = aggregate.read_experiment(exp, runs_root).final_weights
    assert set(fw["run_id"]) == {r.run_id for r in exp.runs()}
    assert (fw["epoch"] == EPOCHS).all()
    assert len(fw) == len(exp.runs()) * (3 * 9 + 8 * 4)


def test_union_keeps_each_shared_run_once():
    a = pd.DataFrame({"run_id": ["r2", "r1"], "x": [2, 1]})
    b = pd.DataFrame({"run_id": ["r1", "r3"], "x": [1, 3]})
    union = aggregate.union_runs_tables([a, b])
    assert union["run_id"].tolist() == ["r1", "r2", "r3"]


def test_run_row_rejects_files_of_another_run(runs_root):
    files = read_run(run_dir(runs_root, "enc~k/lam~0/alpha~0.5/batch~8/seed~0"))
    with pytest.raises(RunFileError, match="seed"):
        aggregate.run_row(Run("k", 0.0, 0.5, 8, 1), files)


def test_cli_writes_every_table(runs_root, tmp_path):
    exp = tiny_study().experiments["batch_size"]
    out = {k: tmp_path / k for k in ("runs.parquet", "c.parquet", "c.md", "q.parquet", "w.parquet")}
    code = main(
        ["aggregate", "experiment", "--grid", exp.grid_json(), "--runs-root", str(runs_root),
         "--runs-out", str(out["runs.parquet"]), "--comparison-out", str(out["c.parquet"]),
         "--markdown-out", str(out["c.md"]), "--quantiles-out", str(out["q.parquet"]),
         "--final-weights-out", str(out["w.parquet"])]
    )  # fmt: skip
    assert code == 0
    assert len(pd.read_parquet(out["runs.parquet"])) == len(exp.runs())
    assert len(pd.read_parquet(out["c.parquet"])) == 2
    union = tmp_path / "all.parquet"
    assert main(["aggregate", "runs-table", str(out["runs.parquet"]), "--out", str(union)]) == 0
    assert len(pd.read_parquet(union)) == len(exp.runs())


def test_cli_reports_a_missing_run_in_one_line(tmp_path, capsys):
    exp = tiny_study().experiments["batch_size"]
    args = ["aggregate", "experiment", "--grid", exp.grid_json(), "--runs-root", str(tmp_path)]
    for flag in ("runs", "comparison", "markdown", "quantiles", "final-weights"):
        args += [f"--{flag}-out", str(tmp_path / flag)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "curve.parquet" in err
    assert not any(tmp_path.iterdir())


def _written(tables: aggregate.ExperimentTables, tmp_path: Path) -> dict[str, Path]:
    paths = {}
    comparison = comparison_table(tables.runs)
    for name, df in {**tables._asdict(), "comparison": comparison}.items():
        paths[name] = tmp_path / f"{name}.parquet"
        df.to_parquet(paths[name], index=False)
    return paths


def test_every_table_gives_each_config_column_one_arrow_type(runs_root, tmp_path):
    """log_every is unset (null) in every run: still int64 in every table, so they join."""
    import pyarrow.parquet as pq

    exp = tiny_study().experiments["weight_decay"]
    paths = _written(aggregate.read_experiment(exp, runs_root), tmp_path)
    types = {
        name: {f.name: str(f.type) for f in pq.read_schema(path)} for name, path in paths.items()
    }
    for name in ("runs", "comparison", "quantiles", "mechanism", "curvature"):
        assert {c: types[name][c] for c in CONFIG_COLUMNS} == {
            c: types["runs"][c] for c in CONFIG_COLUMNS
        }, name
        assert types[name]["setting"] == types[name]["experiment"] == types["runs"]["run_id"]
    assert types["runs"]["log_every"] == "int64"
    assert types["final_weights"]["setting"] == types["runs"]["setting"]
    runs, comparison = (pd.read_parquet(paths[n]) for n in ("runs", "comparison"))
    on_config = runs.merge(comparison, on=CONFIG_COLUMNS)
    on_setting = runs.merge(comparison, on=["setting", "experiment"])
    assert len(on_config) == len(on_setting) == len(runs) == len(exp.runs())
    assert (on_config["n_runs"] == len(exp.seeds)).all()
    assert set(runs["setting"]) == {r.setting for r in exp.runs()}
    # Rows in the order of the values (lam~0 before lam~0.1), not of the settings' text.
    quantiles = pd.read_parquet(paths["quantiles"])
    assert comparison["lam"].tolist() == [0.0, 0.1] and quantiles["lam"].is_monotonic_increasing
    assert list(comparison.columns[:2]) == list(quantiles.columns[:2]) == ["setting", "experiment"]
    assert (runs["experiment"] == "weight_decay").all()


def test_the_study_runs_table_lists_each_runs_experiments():
    a = pd.DataFrame({"run_id": ["r1", "r2"], "experiment": ["b", "b"], "x": [1, 2]})
    b = pd.DataFrame({"run_id": ["r1"], "experiment": ["a"], "x": [1]})
    union = aggregate.union_runs_tables([a, b])
    assert list(union.columns) == ["run_id", "experiments", "x"]
    assert union["experiments"].tolist() == [["a", "b"], ["b"]]
