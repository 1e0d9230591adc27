"""The study's figures, one `FigureEntry` each: its name (the file stem), the experiment whose
tables it reads (plus any `also` experiments), the report section it belongs to, a title and a
caption, the runs whose files it also reads, and its drawing function as a dotted name.

Light on purpose: the workflow imports it to name the figure jobs and their inputs, so it never
loads matplotlib or a drawing module; `FigureEntry.drawer` imports the drawing function when a
figure job draws. Adding a figure is one drawing function plus one entry here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from backprop_study.analysis import axes as vocabulary
from backprop_study.engine.errors import ConfigError
from backprop_study.study.grid import Experiment, Run


def no_runs(experiment: Experiment) -> list[Run]:
    return []


def all_runs(experiment: Experiment) -> list[Run]:
    return experiment.runs()


def first_config_three_seeds(experiment: Experiment) -> list[Run]:
    first = experiment.runs()[0].configuration
    return [r for r in experiment.runs() if r.configuration == first][:3]


def fastest_config_three_seeds(experiment: Experiment) -> list[Run]:
    """Three seeds of the largest learning rate (with the smallest λ): the most converged."""
    lam, alpha = min(experiment.lam), max(experiment.alpha)
    runs = [r for r in experiment.runs() if r.lam == lam and r.alpha == alpha]
    first = runs[0].configuration
    return [r for r in runs if r.configuration == first][:3]


def late_weights_runs(experiment: Experiment) -> list[Run]:
    """Three seeds of the first configuration, and one seed of each other configuration."""
    runs = experiment.runs()
    first = runs[0].configuration
    out = [r for r in runs if r.configuration == first][:3]
    seen = {first}
    for r in runs:
        if r.configuration not in seen:
            seen.add(r.configuration)
            out.append(r)
    return out


@dataclass(frozen=True)
class FigureEntry:
    """One figure of the study. `draw` is a drawing function's dotted name, or a factory's when
    `args` are given (`curves.panels_figure` with its title)."""

    name: str
    experiment: str
    title: str
    caption: str
    draw: str
    args: tuple[Any, ...] = ()
    runs: Callable[[Experiment], list[Run]] = no_runs
    section: str = ""  # report section; default: the experiment's own
    also: tuple[str, ...] = ()  # other experiments whose tables (and selected runs) it reads

    def select_runs(self, experiment: Experiment) -> list[Run]:
        """The runs whose files the figure reads besides the experiments' tables."""
        return self.runs(experiment)

    @property
    def experiments(self) -> tuple[str, ...]:
        return (self.experiment, *self.also)

    @property
    def report_section(self) -> str:
        return self.section or self.experiment

    def drawer(self) -> Callable[[Any], Any]:
        """The drawing function (imports its module)."""
        module, _, name = self.draw.rpartition(".")
        function = getattr(importlib.import_module(module), name)
        return function(*self.args) if self.args else function


COLLAPSE_CAPTION = (
    " A setting marked 'collapsed n/N' ends at the trivial network (every weight near zero, "
    "every output the class mean 1/k): its loss sits on the red dotted line."
)
SATURATED_CAPTION = (
    "Pink crosses: runs that ended saturated, an output wrong on a pattern where its σ′ is 0, "
    "so that error sends no gradient; its flat loss is that flat spot, not a plateau, and has "
    "no plateau length (drawn on the zero line, left out of the median)."
)
LINES_CAPTION = (
    " Vertical lines: the budget (dotted) and the seed report's 400,000 epochs (dashed)."
)


FIGURES: list[FigureEntry] = [
    FigureEntry(
        "loss_by_lambda", "weight_decay", "Loss for each weight decay λ (Fig 4)",
        "Data loss (solid) and objective J (dashed) against epochs, one panel per weight-decay "
        "strength λ over the other λ's medians in grey, log-log axes: median over seeds, band = "
        "interquartile range." + COLLAPSE_CAPTION + LINES_CAPTION,
        "backprop_study.reporting.curves.panels_figure", ("Loss for each weight decay λ",),
    ),
    FigureEntry(
        "loss_by_lambda_early", "weight_decay", "Early epochs for each λ (Fig 5)",
        "The first 5% of the budget, linear axes: the reference λ's data loss (left) and every "
        "other λ's median minus it (right, symmetric-log axis), since the curves lie within a "
        "line width of each other.",
        "backprop_study.reporting.curves.early_figure", ("Early epochs, each weight decay λ",),
    ),
    FigureEntry(
        "loss_by_lambda_late", "weight_decay", "Late epochs for each λ (Fig 6)",
        "The second half of the budget, one panel per λ: where each λ settles." + COLLAPSE_CAPTION,

        "backprop_study.reporting.curves.panels_figure",
        ("Late epochs, each weight decay λ", "data_loss", "late"),
    ),
    FigureEntry(
        "outcomes_by_lambda", "weight_decay", "Plateau length and epochs to solve against λ",
        "Each seed's plateau length and epochs to solve against λ (points; hollow = censored: "
        "never solved, drawn at the budget, or plateau never left, drawn at its observed "
        "length; red ring = collapsed to the trivial network), medians over seeds as a line, "
        "and the Kaplan–Meier curve of the time to solve.",
        "backprop_study.reporting.outcomes.outcomes_figure", ("lam",),
    ),
    FigureEntry(
        "loss_k_vs_k1", "encoding", "k against k-1 encoding (Fig 7)",
        "Data loss against epochs with one-hot (k) targets and with the k-1 encoding (class 0 "
        "as all zeros, 7 inputs and outputs): summed over the output units as in the seed "
        "(left) and per output unit (right), where the two trivial levels coincide: median over "
        "seeds, band = interquartile range." + LINES_CAPTION,
        "backprop_study.reporting.curves.per_output_figure", ("k against k-1 encoding",),
    ),
    FigureEntry(
        "outcomes_by_encoding", "encoding", "Plateau length and epochs to solve, k against k-1",
        "Each seed's plateau length and epochs to solve for each encoding (hollow = censored), "
        "medians over seeds as a line, and the Kaplan–Meier curve of the time to solve.",
        "backprop_study.reporting.outcomes.outcomes_figure", ("encoding",),
    ),
    FigureEntry(
        "plateau_weights", "weight_decay", "Weights inside the plateau (Fig 8)",
        "Hinton diagrams of both weight matrices of three seeds of the first weight-decay "
        "configuration, each at the snapshot nearest the log-middle of its plateau "
        "(plateau.find_plateau): square area = magnitude, red positive, blue negative, bias "
        "column shaded.",
        "backprop_study.reporting.networks.draw_plateau_weights",
        runs=first_config_three_seeds,
        section="plateau",
    ),
    FigureEntry(
        "loss_by_alpha", "learning_rate", "Loss for each learning rate α (Fig 9)",
        "Data loss against epochs, one panel per learning rate α over the others' medians in "
        "grey: median over seeds, band = interquartile range. Against gradient-flow time the "
        "curves coincide (next figure)." + LINES_CAPTION,
        "backprop_study.reporting.curves.panels_figure", ("Loss for each learning rate α",),
    ),
    FigureEntry(
        "outcomes_by_alpha", "learning_rate", "Plateau length and epochs to solve against α",
        "Each seed's plateau length and epochs to solve against α on log axes (hollow = "
        "censored), medians over seeds as a line, and the Kaplan–Meier curve of the time to "
        "solve.",
        "backprop_study.reporting.outcomes.outcomes_figure", ("alpha",),
    ),
    FigureEntry(
        "flow_time", "learning_rate", "Learning rate and batch size only rescale time",
        "Top: every seed's data loss against gradient-flow time t = α × updates, for every "
        "learning rate (left, full batch) and batch size (right, α = 0.01): the curves fall on "
        "one another. Bottom: per seed, the time to solve in t at each α over the same seed's "
        "at the smallest α, and at each batch size over the full batch's (1 = exact rescaling; "
        "grey band = the ±10% equivalence margin; hollow = censored): single seeds stray from "
        "exact rescaling as α grows, the geometric mean does not.",
        "backprop_study.reporting.curves.flow_time_figure",
        runs=all_runs,
        also=("batch_size",),
    ),
    FigureEntry(
        "loss_by_batch_size", "batch_size", "Loss for each batch size (Fig 10)",
        "Data loss against epochs, one panel per mini-batch size over the others' medians in "
        "grey: median over seeds, band = interquartile range." + LINES_CAPTION,
        "backprop_study.reporting.curves.panels_figure", ("Loss for each batch size",),
    ),
    FigureEntry(
        "outcomes_by_batch_size", "batch_size",
        "Plateau length and epochs to solve against batch size",
        "Each seed's plateau length and epochs to solve against the batch size (hollow = "
        "censored), medians over seeds as a line, and the Kaplan–Meier curve of the time to "
        "solve.",
        "backprop_study.reporting.outcomes.outcomes_figure", ("batch_size",),
    ),
    FigureEntry(
        "late_weights", "weights", "Final weights: seeds that learn, and λ = 0.1 (Figs 11-13)",
        "Hinton diagrams of both weight matrices of three seeds at λ = 0 at the end of the "
        "budget (the networks the claim compares), and of a seed at the seed report's λ = 0.1 "
        "at its 350,000 epochs: that run collapsed to the trivial network, so its weights are "
        "too small to draw at the common scale (square area = magnitude, red positive, blue "
        "negative, bias column shaded).",
        "backprop_study.reporting.networks.draw_late_weights",
        runs=late_weights_runs,
    ),
    FigureEntry(
        "hidden_codes", "learning_rate", "Hidden codes of three seeds",
        "Hidden activations of each class at the last snapshot for three seeds of the largest "
        "learning rate (the most converged runs); the binarised code of each class (unit > "
        "0.5) is printed at the right.",
        "backprop_study.reporting.networks.draw_hidden_codes",
        runs=fastest_config_three_seeds,
        section="codes",
    ),
    FigureEntry(
        "plateau_mechanism", "init_scale", "Mechanism of the plateau against t",
        "Per snapshot, the median over seeds for each initial weight scale s (λ = 0, α = 0.1), "
        "against gradient-flow time on a log axis: the data loss (red dotted: the trivial "
        "network), the largest range of a hidden unit's activation across the classes, how far "
        "the rows of the hidden → output weights W2 differ from their mean row, the largest "
        "distance of the output units' effective bias (b2 + W2 × class-mean hidden activation) "
        "from logit(1/k), the RMS distance of the outputs from the class mean, and the "
        "gradient norm. Grey: the median plateau at s = 0.1; band: its IQR over seeds.",
        "backprop_study.reporting.plateau_figures.draw_mechanism",
        section="why_plateau",
    ),
    FigureEntry(
        "hessian_spectrum", "critical_lambda", "The Hessian spectrum: a saddle, then a minimum",
        "All 59 eigenvalues of the Hessian of J for every seed (symmetric-log axis; red = "
        "negative): at the initial network, at the plateau and at the end of the run with "
        "λ = 0, and at the end of the run with the sweep's largest λ, where it collapsed. "
        "Three eigenvalues sit at 0 in every panel: with one-hot inputs, raising a hidden "
        "unit's bias and lowering all its input weights by the same amount changes nothing "
        "at λ = 0, and at the collapsed network (W2 ≈ 0) the hidden biases do nothing.",
        "backprop_study.reporting.plateau_figures.draw_spectrum",
        section="why_plateau",
    ),
    FigureEntry(
        "plateau_by_init_scale", "init_scale", "Escape time against the initial weight scale",
        "Each run's escape time, the first gradient-flow time at which its data loss is below "
        "0.9 J* (J* the trivial network's loss), against ln(1/s); the least-squares line with "
        "its 95% interval from resampling seeds (grey), and the predicted slope 1/(μ* − λ), μ* "
        "the closed form's curvature where descent with the runs' α lands (dashed; "
        "docs/plateau-theory.md), drawn through the same mean point: the law does not predict "
        "the intercept.",
        "backprop_study.reporting.plateau_figures.draw_init_scale",
        runs=all_runs,
        section="why_plateau",
    ),
    FigureEntry(
        "collapse_by_lambda", "critical_lambda", "Collapse against λ, with the predicted threshold",
        "Left: the share of seeds that collapse to the trivial network at each λ of the fine "
        "sweep (95% Clopper–Pearson intervals). Right: every seed's final data loss (red: "
        "collapsed). Gold band and dashed line: the range and median over seeds of μ, the "
        "most negative weight curvature at the λ = 0 plateau; dotted: the median measured "
        "threshold λ_c (per seed, the geometric midpoint of the last λ that learned and the "
        "first that collapsed).",
        "backprop_study.reporting.plateau_figures.draw_critical_lambda",
        section="why_plateau",
    ),
]  # fmt: skip

# The remedies' and benchmarks' figures, drawn beside their report sections.
REMEDY_FIGURES: list[FigureEntry] = [
    FigureEntry(
        "remedies_correct", "remedies", "Patterns right against epochs for each remedy",
        "Patterns decoded correctly (median over seeds) against epochs for each optimizer "
        "(colour) and loss (line style) at the base setting: a measure both losses share.",
        "backprop_study.reporting.remedy_figures.draw_correct_curves", section="remedies",
    ),
    FigureEntry(
        "remedies_outcomes", "remedies", "Epochs to solve and plateau length, seed by seed",
        "Left: each seed's epochs to solve (hollow = never, drawn at the budget). Right: the "
        "plateau's length in decades, log10(end/start), 0 where none was found. Bars: medians. "
        + SATURATED_CAPTION,
        "backprop_study.reporting.remedy_figures.draw_remedy_outcomes", section="remedies",
    ),
    FigureEntry(
        "remedy_saturation_outcomes", "remedy_saturation",
        "RPROP with the squared error: the largest step Δmax and the offset against saturation",
        "RPROP with mse at several largest steps Δmax (50 is the default), with and without "
        "the sigmoid-prime offset 0.1: each seed's epochs to solve and plateau decades as in "
        "the figure above. " + SATURATED_CAPTION,
        "backprop_study.reporting.remedy_figures.draw_remedy_outcomes", section="remedies",
    ),
    FigureEntry(
        "remedy_controls_correct",
        "remedy_controls", "The sigmoid-prime offset and the clock references",
        "Patterns decoded correctly (median over seeds) for gd with and without the "
        "sigmoid-prime offset 0.1, at α = 0.01 and 0.1.",
        "backprop_study.reporting.remedy_figures.draw_correct_curves", section="remedies",
    ),
    FigureEntry(
        "benchmark_rprop_epochs",
        "benchmark_rprop",
        "10-5-10 encoder, study conventions: our epochs beside the published",
        "Under this study's conventions (initial weights N(0, 0.1²)): epochs to the 40-20-40 "
        "criterion for each seed (hollow = not within the budget, drawn at it) and Riedmiller & "
        "Braun's published mean ± SD, per method.",
        "backprop_study.reporting.remedy_figures.draw_benchmark_epochs", section="benchmarks",
    ),
    FigureEntry(
        "benchmark_rb_paper_epochs",
        "benchmark_rb_paper",
        "10-5-10 encoder, paper conventions: our epochs beside the published",
        "Under the paper's conventions as far as they were read (initial weights U(−1, 1), "
        "assumed): epochs to the 40-20-40 criterion for each seed (hollow = not within the "
        "budget, drawn at it) and Riedmiller & Braun's published mean ± SD, per method.",
        "backprop_study.reporting.remedy_figures.draw_benchmark_epochs", section="benchmarks",
    ),
    FigureEntry(
        "benchmark_mitchell_codes",
        "benchmark_mitchell", "8-3-8 online backprop: hidden codes per seed",
        "For each seed after Mitchell's 5,000 online epochs: how many of the 8 binarised hidden "
        "codes differ, and how far the activations are from 0 or 1.",
        "backprop_study.reporting.remedy_figures.draw_benchmark_codes", section="benchmarks",
    ),
]  # fmt: skip
FIGURES += REMEDY_FIGURES


def generic_figures(experiment: Experiment) -> list[FigureEntry]:
    """The figures of an experiment that no entry of FIGURES draws: its loss curves, and its
    outcomes against the axis it sweeps (if it sweeps one), labelled from the axes' vocabulary."""
    name, axes = experiment.name, experiment.varying_axes()
    compared = ", ".join(vocabulary.axis(a).title for a in axes) or "its one setting"
    specs = [
        FigureEntry(
            f"{name}_loss", name, f"Loss of experiment {name} ({compared})",
            f"Data loss against epochs, one panel per setting of experiment {name} over the "
            "others' medians in grey: median over seeds, band = interquartile range."
            + COLLAPSE_CAPTION + LINES_CAPTION,
            "backprop_study.reporting.curves.panels_figure", (f"Loss of experiment {name}",),
        )
    ]  # fmt: skip
    if len(axes) == 1:
        specs.append(
            FigureEntry(
                f"{name}_outcomes", name,
                f"Plateau length and epochs to solve against {vocabulary.axis(axes[0]).title}",
                f"Each seed's plateau length and epochs to solve against "
                f"{vocabulary.axis(axes[0]).title} (hollow = censored), medians over seeds as a "
                "line, and the Kaplan–Meier curve of the time to solve.",
                "backprop_study.reporting.outcomes.outcomes_figure", (axes[0],),
            )
        )  # fmt: skip
    return specs


def applicable(experiments: Mapping[str, Experiment]) -> list[FigureEntry]:
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


def by_experiment(experiments: Mapping[str, Experiment]) -> dict[str, list[FigureEntry]]:
    """The study's figures grouped by the experiments they read, in catalog order: the workflow
    draws each group in one job. A figure that reads several experiments is a group of its own
    ("learning_rate_and_batch_size"), so one experiment's figures need only its own runs."""
    groups: dict[str, list[FigureEntry]] = {}
    for spec in applicable(experiments):
        groups.setdefault("_and_".join(spec.experiments), []).append(spec)
    return groups


def figure_runs(spec: FigureEntry, experiments: Mapping[str, Experiment]) -> list[Run]:
    """The runs whose files a figure reads, over its experiments, each once, in order."""
    runs: dict[str, Run] = {}
    for name in spec.experiments:
        for r in spec.select_runs(experiments[name]):
            runs.setdefault(r.run_id, r)
    return list(runs.values())


def group_reads(
    specs: list[FigureEntry], experiments: Mapping[str, Experiment]
) -> tuple[list[str], list[Run]]:
    """The experiments whose tables a group of figures reads and the runs whose files it reads,
    each once, in order."""
    names = list(dict.fromkeys(e for spec in specs for e in spec.experiments))
    runs = {r.run_id: r for spec in specs for r in figure_runs(spec, experiments)}
    return names, list(runs.values())


def report_caption(spec: FigureEntry) -> str:
    """The figure's caption in `snakemake --report` (reStructuredText)."""
    return (
        f"{spec.caption}\n\nMedian across seeds with the interquartile range as a band (curve "
        f"figures); drawn from ``results/tables/`` by ``backprop-study figure {spec.name}``.\n"
    )


def by_name(name: str, experiments: Mapping[str, Experiment] | None = None) -> FigureEntry:
    """The figure called `name` among FIGURES and the generic figures of `experiments`."""
    specs = applicable(experiments) if experiments is not None else []
    for spec in [*FIGURES, *specs]:
        if spec.name == name:
            return spec
    known = [f.name for f in FIGURES] + [f.name for f in specs if f not in FIGURES]
    raise ConfigError(f"unknown figure {name!r}; allowed: {', '.join(known)}")
