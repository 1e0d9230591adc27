"""The study's figures: the registry (`FIGURES`), drawing in the study's style, and the CLI.

Each figure is one `FigureSpec` (`figbase`): its name (the file stem), the experiment whose
tables it reads (plus any `also` experiments), the report section it belongs to, a title and
caption for the reports, the runs whose files it also needs (if any), and a `draw` function.
Adding a figure is one draw function plus one entry in `FIGURES`; the workflow makes one job per
figure whose experiments are in the config. The draw functions live by kind: loss curves against
epochs or gradient-flow time (`curves`), outcomes per seed with Kaplan–Meier curves
(`outcomes`), weights and hidden codes (`networks`).

Every figure is drawn under one style (`STYLE`, applied by `draw` and `render`). Curves are
medians across seeds with the interquartile range as a band, read from the experiment's curve
quantiles; outcome figures show one point per seed, hollow when censored, ringed when the run
collapsed to the trivial network.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backprop_study.analysis import axes as vocabulary
from backprop_study.engine.errors import ConfigError
from backprop_study.reporting.curves import (
    early_figure,
    flow_time_figure,
    panels_figure,
    per_output_figure,
)
from backprop_study.reporting.figbase import (
    STYLE,
    FigureData,
    FigureSpec,
    styled,
)
from backprop_study.reporting.networks import (
    _fastest_config_three_seeds,
    _first_config_three_seeds,
    _late_weights_runs,
    draw_hidden_codes,
    draw_late_weights,
    draw_plateau_weights,
    plateau_epoch,
    weight_matrices,
)
from backprop_study.reporting.outcomes import outcomes_figure, positions
from backprop_study.reporting.plateau_figures import (
    draw_critical_lambda,
    draw_init_scale,
    draw_mechanism,
    draw_spectrum,
)
from backprop_study.reporting.remedy_figures import FIGURES as REMEDY_FIGURES
from backprop_study.study.grid import Experiment, Run

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "FIGURES", "STYLE", "FigureData", "FigureSpec", "applicable", "by_name", "draw",
    "plateau_epoch", "positions", "render", "weight_matrices",
]  # fmt: skip

COLLAPSE_CAPTION = (
    " A setting marked 'collapsed n/N' ends at the trivial network (every weight near zero, "
    "every output the class mean 1/k): its loss sits on the red dotted line."
)
LINES_CAPTION = (
    " Vertical lines: the budget (dotted) and the seed report's 400,000 epochs (dashed)."
)


def _all_runs(experiment: Experiment) -> list[Run]:
    return experiment.runs()


FIGURES: list[FigureSpec] = [
    FigureSpec(
        "loss_by_lambda", "weight_decay", "Loss for each weight decay λ (Fig 4)",
        "Data loss (solid) and objective J (dashed) against epochs, one panel per weight-decay "
        "strength λ over the other λ's medians in grey, log-log axes: median over seeds, band = "
        "interquartile range." + COLLAPSE_CAPTION + LINES_CAPTION,
        panels_figure("Loss for each weight decay λ"),
    ),
    FigureSpec(
        "loss_by_lambda_early", "weight_decay", "Early epochs for each λ (Fig 5)",
        "The first 5% of the budget, linear axes: the reference λ's data loss (left) and every "
        "other λ's median minus it (right, symmetric-log axis), since the curves lie within a "
        "line width of each other.",
        early_figure("Early epochs, each weight decay λ"),
    ),
    FigureSpec(
        "loss_by_lambda_late", "weight_decay", "Late epochs for each λ (Fig 6)",
        "The second half of the budget, one panel per λ: where each λ settles." + COLLAPSE_CAPTION,
        panels_figure("Late epochs, each weight decay λ", zoom="late"),
    ),
    FigureSpec(
        "outcomes_by_lambda", "weight_decay", "Plateau length and epochs to solve against λ",
        "Each seed's plateau length and epochs to solve against λ (points; hollow = censored: "
        "never solved, drawn at the budget, or plateau never left, drawn at its observed "
        "length; red ring = collapsed to the trivial network), medians over seeds as a line, "
        "and the Kaplan–Meier curve of the time to solve.",
        outcomes_figure("lam"),
    ),
    FigureSpec(
        "loss_k_vs_k1", "encoding", "k against k-1 encoding (Fig 7)",
        "Data loss against epochs with one-hot (k) targets and with the k-1 encoding (class 0 "
        "as all zeros, 7 inputs and outputs): summed over the output units as in the seed "
        "(left) and per output unit (right), where the two trivial levels coincide: median over "
        "seeds, band = interquartile range." + LINES_CAPTION,
        per_output_figure("k against k-1 encoding"),
    ),
    FigureSpec(
        "outcomes_by_encoding", "encoding", "Plateau length and epochs to solve, k against k-1",
        "Each seed's plateau length and epochs to solve for each encoding (hollow = censored), "
        "medians over seeds as a line, and the Kaplan–Meier curve of the time to solve.",
        outcomes_figure("encoding"),
    ),
    FigureSpec(
        "plateau_weights", "weight_decay", "Weights inside the plateau (Fig 8)",
        "Hinton diagrams of both weight matrices of three seeds of the first weight-decay "
        "configuration, each at the snapshot nearest the log-middle of its plateau "
        "(plateau.find_plateau): square area = magnitude, red positive, blue negative, bias "
        "column shaded.",
        draw_plateau_weights,
        runs=_first_config_three_seeds,
        section="plateau",
    ),
    FigureSpec(
        "loss_by_alpha", "learning_rate", "Loss for each learning rate α (Fig 9)",
        "Data loss against epochs, one panel per learning rate α over the others' medians in "
        "grey: median over seeds, band = interquartile range. Against gradient-flow time the "
        "curves coincide (next figure)." + LINES_CAPTION,
        panels_figure("Loss for each learning rate α"),
    ),
    FigureSpec(
        "outcomes_by_alpha", "learning_rate", "Plateau length and epochs to solve against α",
        "Each seed's plateau length and epochs to solve against α on log axes (hollow = "
        "censored), medians over seeds as a line, and the Kaplan–Meier curve of the time to "
        "solve.",
        outcomes_figure("alpha"),
    ),
    FigureSpec(
        "flow_time", "learning_rate", "Learning rate and batch size only rescale time",
        "Top: every seed's data loss against gradient-flow time t = α × updates, for every "
        "learning rate (left, full batch) and batch size (right, α = 0.01): the curves fall on "
        "one another. Bottom: per seed, the time to solve in t at each α over the same seed's "
        "at the smallest α, and at each batch size over the full batch's (1 = exact rescaling; "
        "grey band = the ±10% equivalence margin; hollow = censored): single seeds stray from "
        "exact rescaling as α grows, the geometric mean does not.",
        flow_time_figure,
        runs=_all_runs,
        also=("batch_size",),
    ),
    FigureSpec(
        "loss_by_batch_size", "batch_size", "Loss for each batch size (Fig 10)",
        "Data loss against epochs, one panel per mini-batch size over the others' medians in "
        "grey: median over seeds, band = interquartile range." + LINES_CAPTION,
        panels_figure("Loss for each batch size"),
    ),
    FigureSpec(
        "outcomes_by_batch_size", "batch_size",
        "Plateau length and epochs to solve against batch size",
        "Each seed's plateau length and epochs to solve against the batch size (hollow = "
        "censored), medians over seeds as a line, and the Kaplan–Meier curve of the time to "
        "solve.",
        outcomes_figure("batch_size"),
    ),
    FigureSpec(
        "late_weights", "weights", "Final weights: seeds that learn, and λ = 0.1 (Figs 11-13)",
        "Hinton diagrams of both weight matrices of three seeds at λ = 0 at the end of the "
        "budget (the networks the claim compares), and of a seed at the seed report's λ = 0.1 "
        "at its 350,000 epochs: that run collapsed to the trivial network, so its weights are "
        "too small to draw at the common scale (square area = magnitude, red positive, blue "
        "negative, bias column shaded).",
        draw_late_weights,
        runs=_late_weights_runs,
    ),
    FigureSpec(
        "hidden_codes", "learning_rate", "Hidden codes of three seeds",
        "Hidden activations of each class at the last snapshot for three seeds of the largest "
        "learning rate (the most converged runs); the binarised code of each class (unit > "
        "0.5) is printed at the right.",
        draw_hidden_codes,
        runs=_fastest_config_three_seeds,
        section="codes",
    ),
    FigureSpec(
        "plateau_mechanism", "init_scale", "Mechanism of the plateau against t",
        "Per snapshot, the median over seeds for each initial weight scale s (λ = 0, α = 0.1), "
        "against gradient-flow time on a log axis: the data loss (red dotted: the trivial "
        "network), the largest range of a hidden unit's activation across the classes, how far "
        "the rows of the hidden → output weights W2 differ from their mean row, the largest "
        "distance of the output units' effective bias (b2 + W2 × class-mean hidden activation) "
        "from logit(1/k), the RMS distance of the outputs from the class mean, and the "
        "gradient norm. Grey: the median plateau at s = 0.1; band: its IQR over seeds.",
        draw_mechanism,
        section="why_plateau",
    ),
    FigureSpec(
        "hessian_spectrum", "critical_lambda", "The Hessian spectrum: a saddle, then a minimum",
        "All 59 eigenvalues of the Hessian of J for every seed (symmetric-log axis; red = "
        "negative): at the initial network, at the plateau and at the end of the run with "
        "λ = 0, and at the end of the run with the sweep's largest λ, where it collapsed. "
        "Three eigenvalues sit at 0 in every panel: with one-hot inputs, raising a hidden "
        "unit's bias and lowering all its input weights by the same amount changes nothing "
        "at λ = 0, and at the collapsed network (W2 ≈ 0) the hidden biases do nothing.",
        draw_spectrum,
        section="why_plateau",
    ),
    FigureSpec(
        "plateau_by_init_scale", "init_scale", "Plateau length against the initial weight scale",
        "Each seed's plateau length in gradient-flow time against ln(1/s) (× = no plateau, "
        "left out of the fit), the least-squares line with its 95% interval from resampling "
        "seeds (grey), and the saddle prediction's slope 1/μ, μ the median curvature at the "
        "s = 0.1 plateau (dashed), drawn through the same mean point.",
        draw_init_scale,
        section="why_plateau",
    ),
    FigureSpec(
        "collapse_by_lambda", "critical_lambda", "Collapse against λ, with the predicted threshold",
        "Left: the share of seeds that collapse to the trivial network at each λ of the fine "
        "sweep (95% Clopper–Pearson intervals). Right: every seed's final data loss (red: "
        "collapsed). Gold band and dashed line: the range and median over seeds of μ, the "
        "most negative weight curvature at the λ = 0 plateau; dotted: the median measured "
        "threshold λ_c (per seed, the geometric midpoint of the last λ that learned and the "
        "first that collapsed).",
        draw_critical_lambda,
        section="why_plateau",
    ),
]  # fmt: skip

# The remedies' and benchmarks' figures live with their report sections.
FIGURES += REMEDY_FIGURES


def generic_figures(experiment: Experiment) -> list[FigureSpec]:
    """The figures of an experiment that no entry of FIGURES draws: its loss curves, and its
    outcomes against the axis it sweeps (if it sweeps one), labelled from the axes' vocabulary."""
    name, axes = experiment.name, experiment.varying_axes()
    compared = ", ".join(vocabulary.axis(a).title for a in axes) or "its one setting"
    specs = [
        FigureSpec(
            f"{name}_loss", name, f"Loss of experiment {name} ({compared})",
            f"Data loss against epochs, one panel per setting of experiment {name} over the "
            "others' medians in grey: median over seeds, band = interquartile range."
            + COLLAPSE_CAPTION + LINES_CAPTION,
            panels_figure(f"Loss of experiment {name}"),
        )
    ]  # fmt: skip
    if len(axes) == 1:
        specs.append(
            FigureSpec(
                f"{name}_outcomes", name,
                f"Plateau length and epochs to solve against {vocabulary.axis(axes[0]).title}",
                f"Each seed's plateau length and epochs to solve against "
                f"{vocabulary.axis(axes[0]).title} (hollow = censored), medians over seeds as a "
                "line, and the Kaplan–Meier curve of the time to solve.",
                outcomes_figure(axes[0]),
            )
        )  # fmt: skip
    return specs


def applicable(experiments: Mapping[str, Experiment]) -> list[FigureSpec]:
    """The study's figures: those of FIGURES whose experiments are all in the study, and the
    generic ones of every other experiment."""
    named = [f for f in FIGURES if all(e in experiments for e in f.experiments)]
    covered = {f.experiment for f in named}
    generic = [
        spec
        for name, exp in experiments.items()
        if name not in covered
        for spec in generic_figures(exp)
    ]
    return named + generic


def by_name(name: str, experiments: Mapping[str, Experiment] | None = None) -> FigureSpec:
    """The figure called `name` among FIGURES and the generic figures of `experiments`."""
    specs = applicable(experiments) if experiments is not None else []
    for spec in [*FIGURES, *specs]:
        if spec.name == name:
            return spec
    known = [f.name for f in FIGURES] + [f.name for f in specs if f not in FIGURES]
    raise ConfigError(f"unknown figure {name!r}; allowed: {', '.join(known)}")


def draw(spec: FigureSpec, data: FigureData) -> Figure:
    """The figure, drawn in the study's style."""
    with styled():
        return spec.draw(data)


def render(spec: FigureSpec, data: FigureData, out: str | Path) -> None:
    """Draw and save a PNG atomically, in the study's style."""
    from backprop_study.study.aggregate import write_atomic

    with styled():
        fig = spec.draw(data)
        write_atomic(out, lambda tmp: fig.savefig(tmp, format="png"))


# ---------------------------------------------------------------------------------------------
# CLI: backprop-study figure NAME --grid JSON --quantiles Q... --runs-table R... [--run DIR ...]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="figure name: " + ", ".join(f.name for f in FIGURES))
    parser.add_argument("--grid", required=True, help="the experiment as JSON (study.Experiment)")
    parser.add_argument(
        "--quantiles", nargs="+", required=True, help="the experiments' curve quantiles"
    )
    parser.add_argument("--runs-table", nargs="+", required=True, help="the experiments' runs")
    parser.add_argument("--run", action="append", default=[], help="a run directory to read")
    parser.add_argument("--mechanism", nargs="*", default=[], help="the experiments' mechanism")
    parser.add_argument("--curvature", nargs="*", default=[], help="the experiments' curvature")
    parser.add_argument("--out", required=True, help="PNG file to write")


def _union(tables: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Tables of several experiments as one, each row once (experiments share runs)."""
    import pandas as pd

    from backprop_study.analysis.axes import config_columns

    if len(tables) == 1:
        return tables[0]
    df = pd.concat(tables, ignore_index=True)
    subset = keys if keys == ["run_id"] else [*config_columns(df.columns), *keys]
    return df.drop_duplicates(subset=subset, ignore_index=True)


class RunOnDemand:
    """A run directory as `runfiles.RunFiles` (curve, weights, hidden, meta), each file parsed
    when a figure first uses it: the flow-time figure draws 90 runs' curves and never their
    weights or hidden activations. Every file is checked against the run's checksums up front,
    as `runfiles.read_run` does, so a damaged run still fails before any drawing."""

    def __init__(self, directory: str | Path) -> None:
        from backprop_study.engine.runfiles import check_intact

        self.directory = Path(directory)
        check_intact(self.directory)
        self._read: dict[str, Any] = {}

    def _frame(self, name: str) -> pd.DataFrame:
        from backprop_study.engine.runfiles import read_frame

        if name not in self._read:
            self._read[name] = read_frame(self.directory / name)
        return self._read[name]

    @property
    def curve(self) -> pd.DataFrame:
        return self._frame("curve.parquet")

    @property
    def weights(self) -> pd.DataFrame:
        return self._frame("weights.parquet")

    @property
    def hidden(self) -> pd.DataFrame:
        return self._frame("hidden.parquet")

    @property
    def meta(self) -> dict[str, Any]:
        from backprop_study.engine.runfiles import FILES, read_meta

        if "meta" not in self._read:
            self._read["meta"] = read_meta(self.directory / FILES[0])
        return self._read["meta"]


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    experiment = Experiment.from_grid(args.grid)
    spec = by_name(args.name, {experiment.name: experiment})
    run_files = {}
    for directory in args.run:
        parts = Path(directory).parts
        first = next((i for i, p in enumerate(parts) if p.startswith("enc~")), 0)
        run_files["/".join(parts[first:])] = RunOnDemand(directory)
    data = FigureData(
        experiment=experiment,
        quantiles=_union([pd.read_parquet(p) for p in args.quantiles], ["epoch"]),
        runs=_union([pd.read_parquet(p) for p in args.runs_table], ["run_id"]),
        run_files=run_files,
        tables={
            name: _union([pd.read_parquet(p) for p in paths], keys)
            for name, paths, keys in (
                ("mechanism", args.mechanism, ["run_id", "epoch"]),
                ("curvature", args.curvature, ["run_id", "point"]),
            )
            if paths
        },
    )
    render(spec, data, args.out)
    print(f"{spec.name}: wrote {args.out}")
    return 0
