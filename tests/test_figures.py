"""figures.py: the registry, and every figure drawn from a tiny real study's tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tiny_study import tiny_study, train_runs

from backprop_study import aggregate, figures
from backprop_study.cli import main
from backprop_study.errors import ConfigError
from backprop_study.runfiles import read_run
from backprop_study.study import run_dir

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def study_tables(tmp_path_factory) -> tuple[Path, Path]:
    """(runs root, tables root) of the tiny study, aggregated per experiment like the workflow."""
    root = tmp_path_factory.mktemp("study")
    study = tiny_study()
    train_runs(study, root / "runs")
    for name, exp in study.experiments.items():
        tables = aggregate.read_experiment(exp, root / "runs")
        (root / "tables" / name).mkdir(parents=True)
        tables.runs.to_parquet(root / "tables" / name / "runs.parquet")
        tables.quantiles.to_parquet(root / "tables" / name / "curve_quantiles.parquet")
    return root / "runs", root / "tables"


def test_registry_names_are_unique_and_experiments_are_the_studys():
    names = [f.name for f in figures.FIGURES]
    assert len(names) == len(set(names))
    assert {f.experiment for f in figures.FIGURES} == set(tiny_study().experiments)
    assert figures.by_name("loss_by_lambda").experiment == "weight_decay"
    with pytest.raises(ConfigError, match="allowed: "):
        figures.by_name("no_such_figure")


def test_only_figures_of_configured_experiments_apply():
    experiments = dict(tiny_study().experiments)
    del experiments["weights"]
    applicable = {f.name for f in figures.applicable(experiments)}
    assert "late_weights" not in applicable and "loss_by_lambda" in applicable


def test_weight_figures_ask_for_few_runs():
    study = tiny_study()
    late = figures.by_name("late_weights").select_runs(study.experiments["weights"])
    assert [r.seed for r in late] == [0, 1, 2]
    assert len({r.configuration for r in late}) == 1
    assert figures.by_name("loss_by_alpha").select_runs(study.experiments["learning_rate"]) == []


@pytest.mark.parametrize("spec", figures.FIGURES, ids=lambda f: f.name)
def test_every_figure_renders_from_the_tables(spec, study_tables, tmp_path):
    runs_root, tables = study_tables
    exp = tiny_study().experiments[spec.experiment]
    data = figures.FigureData(
        experiment=exp,
        quantiles=pd.read_parquet(tables / exp.name / "curve_quantiles.parquet"),
        runs=pd.read_parquet(tables / exp.name / "runs.parquet"),
        run_files={r.run_id: read_run(run_dir(runs_root, r)) for r in spec.select_runs(exp)},
    )
    fig = spec.draw(data)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_xlabel() and ax.get_ylabel(), f"{spec.name}: unlabelled axis"
    out = tmp_path / f"{spec.name}.png"
    figures.render(spec, data, out)
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_curve_figures_have_one_legend_entry_per_configuration(study_tables):
    _, tables = study_tables
    exp = tiny_study().experiments["learning_rate"]
    data = figures.FigureData(
        exp,
        pd.read_parquet(tables / exp.name / "curve_quantiles.parquet"),
        pd.read_parquet(tables / exp.name / "runs.parquet"),
    )
    fig = figures.by_name("loss_by_alpha").draw(data)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["α = 0.5", "α = 2"]


def test_weight_matrices_put_the_bias_last(study_tables):
    runs_root, _ = study_tables
    files = read_run(run_dir(runs_root, "enc~k/lam~0.1/alpha~0.5/batch~8/seed~0"))
    m = figures.weight_matrices(files.weights, 250)
    assert m["hidden"].shape == (3, 9) and m["output"].shape == (8, 4)
    assert list(m["hidden"].columns)[-1] == -1
    with pytest.raises(ConfigError, match="no weight snapshot"):
        figures.weight_matrices(files.weights, 12345)


def test_plateau_epoch_is_the_log_middle_of_the_plateau():
    runs = pd.DataFrame(
        {"run_id": ["a", "b"], "plateau_found": [True, False],
         "plateau_start": [100.0, float("nan")], "plateau_end": [10000.0, float("nan")]}
    )  # fmt: skip
    assert figures.plateau_epoch(runs, "a") == 1000
    assert figures.plateau_epoch(runs, "b") is None


def test_cli_draws_a_figure(study_tables, tmp_path):
    runs_root, tables = study_tables
    exp = tiny_study().experiments["weights"]
    out = tmp_path / "late.png"
    args = [
        "figure", "late_weights", "--grid", exp.grid_json(),
        "--quantiles", str(tables / "weights" / "curve_quantiles.parquet"),
        "--runs-table", str(tables / "weights" / "runs.parquet"), "--out", str(out),
    ]  # fmt: skip
    for run in figures.by_name("late_weights").select_runs(exp):
        args += ["--run", run_dir(runs_root, run)]
    assert main(args) == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
