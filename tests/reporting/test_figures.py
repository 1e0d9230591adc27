"""The figure catalog, and every figure drawn from a tiny real study's tables (`figures`)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_study import tiny_study, train_runs

from backprop_study.cli import main
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runfiles import read_run
from backprop_study.reporting import figures
from backprop_study.reporting.catalog import by_experiment, figure_runs, group_reads
from backprop_study.reporting.networks import plateau_epoch, weight_matrices
from backprop_study.reporting.outcomes import positions
from backprop_study.study import aggregate
from backprop_study.study.grid import run_dir

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_valid(path: Path) -> None:
    """A figure file that its format's readers accept: PNG signature, SVG as XML, PDF header."""
    if path.suffix == ".png":
        assert path.read_bytes()[:8] == PNG_MAGIC
    elif path.suffix == ".svg":
        assert ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    else:
        assert path.suffix == ".pdf" and path.read_bytes()[:5] == b"%PDF-"


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
        tables.mechanism.to_parquet(root / "tables" / name / "mechanism.parquet")
        tables.curvature.to_parquet(root / "tables" / name / "curvature.parquet")
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
    # Three seeds of the first setting (λ = 0, which learns) and one of every other (λ = 0.1).
    assert [(r.lam, r.seed) for r in late] == [(0, 0), (0, 1), (0, 2), (0.1, 0)]
    assert figures.by_name("loss_by_alpha").select_runs(study.experiments["learning_rate"]) == []
    codes = figures.by_name("hidden_codes").select_runs(study.experiments["learning_rate"])
    assert [r.seed for r in codes] == [0, 1, 2]
    assert {r.alpha for r in codes} == {max(study.experiments["learning_rate"].alpha)}


@pytest.mark.parametrize("spec", figures.FIGURES, ids=lambda f: f.name)
def test_every_figure_renders_from_the_tables(spec, study_tables, tmp_path):
    runs_root, tables = study_tables
    exp = tiny_study().experiments[spec.experiment]
    data = figures.FigureData(
        experiment=exp,
        quantiles=pd.read_parquet(tables / exp.name / "curve_quantiles.parquet"),
        runs=pd.read_parquet(tables / exp.name / "runs.parquet"),
        run_files={r.run_id: read_run(run_dir(runs_root, r)) for r in spec.select_runs(exp)},
        tables={
            name: pd.read_parquet(tables / exp.name / f"{name}.parquet")
            for name in ("mechanism", "curvature")
        },
    )
    fig = figures.draw(spec, data)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.axison:  # colour bar, Hinton size key
            continue
        assert ax.get_xlabel() and ax.get_ylabel(), f"{spec.name}: unlabelled axis"
    out = tmp_path / f"{spec.name}.png"
    figures.render(spec, data, out, formats=["svg", "pdf"])
    written = sorted(tmp_path.iterdir())  # PNG always; no temporary file left
    assert [p.name for p in written] == [f"{spec.name}.{fmt}" for fmt in ("pdf", "png", "svg")]
    for path in written:
        assert_valid(path)


def test_curve_figures_have_one_legend_entry_per_configuration(study_tables):
    _, tables = study_tables
    exp = tiny_study().experiments["learning_rate"]
    data = figures.FigureData(
        exp,
        pd.read_parquet(tables / exp.name / "curve_quantiles.parquet"),
        pd.read_parquet(tables / exp.name / "runs.parquet"),
    )
    fig = figures.draw(figures.by_name("loss_by_alpha"), data)
    # One panel per configuration, titled by it: no curve can hide under another's.
    titles = [ax.get_title() for ax in fig.axes if ax.axison]
    assert titles == ["α = 0.5", "α = 2"]
    for ax in fig.axes[:2]:  # its own median in colour, the other's in grey behind it
        colours = {str(line.get_color()) for line in ax.get_lines()}
        assert "0.78" in colours and len(colours) >= 2


def test_weight_matrices_put_the_bias_last(study_tables):
    runs_root, _ = study_tables
    files = read_run(run_dir(runs_root, "enc~k/lam~0.1/alpha~0.5/batch~8/seed~0"))
    m = weight_matrices(files.weights, 250)
    assert m["hidden"].shape == (3, 9) and m["output"].shape == (8, 4)
    assert list(m["hidden"].columns)[-1] == -1
    with pytest.raises(ConfigError, match="no weight snapshot"):
        weight_matrices(files.weights, 12345)


def test_runs_on_demand_are_read_run_parsed_when_used(study_tables, tmp_path):
    import shutil

    from backprop_study.engine.errors import RunFileError

    runs_root, _ = study_tables
    run = tmp_path / "run"
    shutil.copytree(run_dir(runs_root, "enc~k/lam~0.1/alpha~0.5/batch~8/seed~0"), run)
    want, got = read_run(run), figures.RunOnDemand(run)
    for name in ("curve", "weights", "hidden"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name))
    assert got.meta == want.meta and got.meta["config"]["lam"] == 0.1
    lazy = figures.RunOnDemand(run)
    assert len(lazy.curve)
    (run / "hidden.parquet").unlink()  # after the checksums were checked: read only when used
    with pytest.raises(RunFileError, match="hidden.parquet: missing"):
        _ = lazy.hidden
    with pytest.raises(RunFileError, match="damaged run"):  # checked before anything is drawn
        figures.RunOnDemand(run)


def test_plateau_epoch_is_the_log_middle_of_the_plateau():
    runs = pd.DataFrame(
        {"run_id": ["a", "b"], "plateau_found": [True, False],
         "plateau_start": [100.0, float("nan")], "plateau_end": [10000.0, float("nan")]}
    )  # fmt: skip
    assert plateau_epoch(runs, "a") == 1000
    assert plateau_epoch(runs, "b") is None


def test_figures_are_grouped_by_experiment_with_what_each_group_reads():
    study = tiny_study()
    groups = by_experiment(study.experiments)
    assert [f for specs in groups.values() for f in specs] == sorted(
        figures.applicable(study.experiments),
        key=lambda f: list(groups).index("_and_".join(f.experiments)),
    )
    assert all("_and_".join(f.experiments) == name for name, specs in groups.items() for f in specs)
    # One experiment's figures read only it; the flow-time figure, which reads two, is its own.
    assert group_reads(groups["learning_rate"], study.experiments)[0] == ["learning_rate"]
    names, runs = group_reads(groups["learning_rate_and_batch_size"], study.experiments)
    assert names == ["learning_rate", "batch_size"]
    flow = figures.by_name("flow_time")
    assert {r.run_id for r in runs} >= {r.run_id for r in figure_runs(flow, study.experiments)}
    assert len(runs) == len({r.run_id for r in runs})


def _figure_args(names, experiments, runs, tables, out, *extra) -> list[str]:
    study = tiny_study()
    args = ["figure", *names, "--grid", *(study.experiments[e].grid_json() for e in experiments)]
    args += ["--tables", str(tables), "--out-dir", str(out), *extra]
    for run in runs:
        args += ["--run", run]
    return args


def test_cli_draws_an_experiments_figures_in_each_format(study_tables, tmp_path):
    runs_root, tables = study_tables
    study = tiny_study()
    specs = by_experiment(study.experiments)["learning_rate"]
    names, runs = group_reads(specs, study.experiments)
    run_dirs = [run_dir(runs_root, r) for r in runs]
    together, alone = tmp_path / "together", tmp_path / "alone"
    extra = ["--formats", "svg", "pdf", "--captions", str(together / "captions")]
    assert (
        main(_figure_args([s.name for s in specs], names, run_dirs, tables, together, *extra)) == 0
    )
    for spec in specs:
        for fmt in ("png", "svg", "pdf"):
            assert_valid(together / f"{spec.name}.{fmt}")
        caption = (together / "captions" / f"{spec.name}.rst").read_text(encoding="utf-8")
        assert caption.startswith(spec.caption) and f"figure {spec.name}``" in caption
    # A figure drawn after others in one process is the figure drawn alone, byte for byte.
    last = specs[-1]
    flow_runs = [run_dir(runs_root, r) for r in figure_runs(last, study.experiments)]
    alone_args = _figure_args(
        [last.name], names, flow_runs, tables, alone, "--formats", "svg", "pdf"
    )
    assert main(alone_args) == 0
    for fmt in ("png", "svg", "pdf"):
        name = f"{last.name}.{fmt}"
        assert (alone / name).read_bytes() == (together / name).read_bytes()


def test_cli_names_a_missing_run_or_experiment(study_tables, tmp_path, capsys):
    _, tables = study_tables
    assert main(_figure_args(["late_weights"], ["weights"], [], tables, tmp_path)) == 2
    assert "--run: figure late_weights reads run enc~k/lam~0/" in capsys.readouterr().err
    assert main(_figure_args(["flow_time"], ["learning_rate"], [], tables, tmp_path)) == 2
    assert "--grid: figure flow_time reads experiment batch_size" in capsys.readouterr().err


def _data(tables: Path, name: str, runs_root: Path | None = None, spec=None) -> figures.FigureData:
    exp = tiny_study().experiments[name]
    run_files = {}
    if spec is not None:
        run_files = {r.run_id: read_run(run_dir(runs_root, r)) for r in spec.select_runs(exp)}
    return figures.FigureData(
        exp,
        pd.read_parquet(tables / name / "curve_quantiles.parquet"),
        pd.read_parquet(tables / name / "runs.parquet"),
        run_files,
    )


def _markers(ax, marker: str) -> list:
    return [line for line in ax.get_lines() if line.get_marker() == marker]


def test_outcome_figure_draws_every_seed_and_censored_runs_hollow(study_tables):
    _, tables = study_tables
    data = _data(tables, "learning_rate")
    fig = figures.draw(figures.by_name("outcomes_by_alpha"), data)
    ax_plateau, ax_solve, ax_rate = fig.axes[:3]
    runs = data.runs
    never = int(runs["first_solved"].isna().sum())
    seeds = _markers(ax_solve, "o")
    assert len(seeds) == len(runs)
    hollow = [line for line in seeds if line.get_markerfacecolor() == "white"]
    assert len(hollow) == never
    # Censored runs sit at the budget; the budget is drawn and labelled.
    assert all(line.get_ydata()[0] == runs["epochs"].max() for line in hollow)
    assert any("budget" in t.get_text() for t in ax_solve.get_legend().get_texts())
    # Log axes for epochs and α; one median marker per learning rate.
    assert ax_solve.get_yscale() == "log" and ax_solve.get_xscale() == "log"
    assert len(_markers(ax_solve, "D")) == runs["alpha"].nunique()
    assert len(_markers(ax_plateau, "o")) + len(_markers(ax_plateau, "x")) >= len(runs)
    # Kaplan–Meier panel: a step curve per learning rate that solved, the others named.
    solved = runs.groupby("alpha")["first_solved"].count()
    n_seeds = runs.groupby("alpha").size()
    text = " ".join(t.get_text() for t in ax_rate.texts)
    legend = [t.get_text() for t in ax_rate.get_legend().get_texts()]
    for alpha, s in solved.items():
        name = f"α = {alpha:g}"
        if s == 0:
            assert f"{name} (0/{n_seeds[alpha]})" in text
        else:
            assert f"{name} ({s}/{n_seeds[alpha]} solved)" in legend
    assert any("400,000" in t for t in legend) or runs["epochs"].max() <= 400_000


def test_lambda_with_zero_is_categorical_and_alpha_is_log():
    lam = positions([0.0, 0.001, 0.1], "lam")
    assert lam.scale == "category" and lam.x == {0.0: 0.0, 0.001: 1.0, 0.1: 2.0}
    assert positions([0.01, 0.5, 5.0], "alpha").scale == "log"
    assert positions([1, 2, 4, 8], "batch_size").scale == "log2"
    assert positions(["k", "k-1"], "encoding").scale == "category"


def test_hinton_weights_share_one_scale_and_mark_the_bias(study_tables):
    runs_root, tables = study_tables
    spec = figures.by_name("late_weights")
    data = _data(tables, "weights", runs_root, spec)
    fig = figures.draw(spec, data)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 2 * len(data.run_files)  # both layers of each seed
    for ax in panels:
        assert ax.get_xticklabels()[-1].get_text() == "b"
        assert any(p.get_zorder() == 0 for p in ax.patches)  # the shaded bias column
    assert "one scale" in fig._suptitle.get_text()


def test_hidden_codes_print_each_class_code(study_tables):
    runs_root, tables = study_tables
    spec = figures.by_name("hidden_codes")
    data = _data(tables, "learning_rate", runs_root, spec)
    fig = figures.draw(spec, data)
    runs = data.runs.set_index("run_id")
    for ax, run_id in zip(fig.axes, data.run_files, strict=False):
        printed = [t.get_text() for t in ax.texts if re.fullmatch("[01]{3}", t.get_text())]
        assert printed == runs.loc[run_id, "code_codebook"].split(",")


def test_one_style_for_every_figure(study_tables):
    import matplotlib

    _, tables = study_tables
    before = matplotlib.rcParams["axes.spines.top"]
    fig = figures.draw(figures.by_name("loss_by_alpha"), _data(tables, "learning_rate"))
    assert fig.axes[0].spines["top"].get_visible() is figures.STYLE["axes.spines.top"]
    assert matplotlib.rcParams["axes.spines.top"] == before  # the style does not leak


def test_flow_time_figure_reads_two_experiments_and_draws_every_seed(study_tables, tmp_path):
    runs_root, tables = study_tables
    study = tiny_study()
    spec = figures.by_name("flow_time")
    assert spec.experiments == ("learning_rate", "batch_size")
    runs = {r.run_id for e in spec.experiments for r in spec.select_runs(study.experiments[e])}
    run_dirs = [run_dir(runs_root, run_id) for run_id in sorted(runs)]
    assert main(_figure_args(["flow_time"], spec.experiments, run_dirs, tables, tmp_path)) == 0
    assert (tmp_path / "flow_time.png").read_bytes()[:8] == PNG_MAGIC
    # Drawn directly: one thin line per seed on the α panel (2 α × 3 seeds) and the batch panel
    # (2 batch sizes × 3 seeds), against t.
    lr = pd.read_parquet(tables / "learning_rate" / "runs.parquet")
    bs = pd.read_parquet(tables / "batch_size" / "runs.parquet")
    both = pd.concat([lr, bs]).drop_duplicates("run_id")
    data = figures.FigureData(
        study.experiments["learning_rate"], pd.DataFrame(), both,
        {rid: read_run(run_dir(runs_root, rid)) for rid in runs},
    )  # fmt: skip
    fig = figures.draw(spec, data)
    ax_alpha, ax_batch = fig.axes[:2]
    thin = [line for line in ax_alpha.get_lines() if line.get_linewidth() < 1]
    assert len(thin) == len(lr)
    thin = [line for line in ax_batch.get_lines() if line.get_linewidth() < 1]
    assert len(thin) == len(bs)
    assert "gradient-flow time" in ax_alpha.get_xlabel()


def test_collapsed_settings_are_named_and_budget_lines_drawn(study_tables):
    _, tables = study_tables
    data = _data(tables, "weight_decay")
    fig = figures.draw(figures.by_name("loss_by_lambda"), data)
    titles = [ax.get_title() for ax in fig.axes if ax.axison]
    n = int(data.runs[data.runs["lam"] == 0.1]["collapsed"].sum())
    assert titles[0] == "λ = 0"
    assert titles[1] == ("λ = 0.1" + (f" — collapsed {n}/3" if n else ""))
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    legend = [t.get_text() for lg in legends for t in lg.get_texts()]
    assert any(t.startswith("trivial network") for t in legend)
    assert any(t.startswith("budget (300 epochs)") for t in legend)


def test_early_figure_shows_the_differences(study_tables):
    _, tables = study_tables
    data = _data(tables, "weight_decay")
    fig = figures.draw(figures.by_name("loss_by_lambda_early"), data)
    ax_diff = fig.axes[1]
    assert ax_diff.get_yscale() == "symlog"
    diffs = [line for line in ax_diff.get_lines() if line.get_label() == "λ = 0.1" or
             line.get_label().startswith("λ = 0.1 —")]  # fmt: skip
    assert len(diffs) == 1 and np.nanmax(np.abs(diffs[0].get_ydata())) > 0


def test_curves_can_be_drawn_against_gradient_flow_time(study_tables):
    _, tables = study_tables
    data = _data(tables, "learning_rate")

    def median_line(fig):
        return next(line for line in fig.axes[0].get_lines() if line.get_label() == "α = 0.5")

    timed = {
        "panels_figure": ("x", "data_loss", None, True),
        "curves_figure": ("x", ("data_loss",), True),
    }
    for make, args in timed.items():
        by_epoch = figures.draw(spec_of(make, ("x",)), data)
        by_time = figures.draw(spec_of(make, args), data)
        assert "epoch" in by_epoch.axes[0].get_xlabel()
        assert "gradient-flow time" in by_time.axes[0].get_xlabel()
        # The same curve, its x multiplied by α·m/b (α = 0.5, full batch: 0.5 per epoch).
        e, t = median_line(by_epoch).get_xdata(), median_line(by_time).get_xdata()
        assert np.allclose(t, 0.5 * e)


def spec_of(factory: str, args: tuple) -> figures.FigureEntry:
    return figures.FigureEntry(
        "x", "learning_rate", "x", "x", f"backprop_study.reporting.curves.{factory}", args
    )


def test_the_catalog_loads_no_drawing_module():
    """The workflow imports the catalog to name its jobs: it must stay light."""
    code = (
        "import sys; import backprop_study.reporting.catalog as c;"
        "[f.select_runs for f in c.FIGURES];"
        "print(sorted(m for m in sys.modules if m.startswith(('matplotlib', "
        "'backprop_study.reporting.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['backprop_study.reporting.catalog']"


@pytest.mark.parametrize("spec", figures.FIGURES, ids=lambda f: f.name)
def test_every_drawing_function_exists(spec):
    assert callable(spec.drawer())
