"""The `figure` sub-command: draw figures of the study (`catalog`) from their experiments'
tables, in the study's style, and write each atomically in every format asked for.

The workflow draws an experiment's figures in one process, so the imports (pandas, matplotlib)
and the tables are paid for once per experiment, not once per figure. Every figure is drawn
under one style (`STYLE`). Curves are medians across seeds with the interquartile range as a
band, read from the experiment's curve quantiles; outcome figures show one point per seed,
hollow when censored, ringed when the run collapsed to the trivial network.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from backprop_study.analysis.axes import config_columns
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runfiles import (
    FILES,
    check_intact,
    read_frame,
    read_meta,
    replace_atomic,
)
from backprop_study.reporting.catalog import (
    FIGURES,
    FigureEntry,
    applicable,
    by_name,
    figure_runs,
    report_caption,
)
from backprop_study.reporting.figbase import STYLE, FigureData, styled
from backprop_study.study.atomic import write_text
from backprop_study.study.grid import Experiment

__all__ = [
    "FIGURES",
    "FORMATS",
    "STYLE",
    "FigureData",
    "FigureEntry",
    "applicable",
    "by_name",
    "draw",
    "render",
]

FORMATS = ("png", "svg", "pdf")
"""The formats a figure can be written in; PNG always (the HTML reports inline it)."""
# No date in vector files, and fixed SVG element ids: the same data give the same bytes.
SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "png": {},
    "svg": {"metadata": {"Date": None}},
    "pdf": {"metadata": {"CreationDate": None}},
}
SVG_SALT = "backprop-study"
TABLES = ("runs", "curve_quantiles", "mechanism", "curvature")


def draw(spec: FigureEntry, data: FigureData) -> Figure:
    """The figure, drawn in the study's style."""
    with styled():
        return spec.drawer()(data)


def render(
    spec: FigureEntry, data: FigureData, out: str | Path, formats: Iterable[str] = ("png",)
) -> None:
    """Draw the figure once and save it atomically as `out` with each format's suffix (PNG
    first, always), in the study's style."""
    wanted = ["png", *(f for f in formats if f != "png")]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError(f"figure format {unknown[0]!r} is not allowed; allowed: png, svg, pdf")
    with styled(), matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
        fig = spec.drawer()(data)
        for fmt in wanted:
            options = SAVE_OPTIONS[fmt]
            replace_atomic(
                Path(out).with_suffix(f".{fmt}"),
                lambda tmp, fmt=fmt, options=options: fig.savefig(tmp, format=fmt, **options),
            )


# ---------------------------------------------------------------------------------------------
# CLI: backprop-study figure NAME... --grid JSON... --tables DIR [--run DIR ...] --out-dir DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="+", metavar="NAME", help="figures: " + ", ".join(f.name for f in FIGURES)
    )
    parser.add_argument(
        "--grid",
        nargs="+",
        required=True,
        help="the figures' experiments as JSON (study.Experiment), those they read tables of",
    )
    parser.add_argument(
        "--tables", required=True, help="the tables folder: <tables>/<experiment>/<table>.parquet"
    )
    parser.add_argument("--run", action="append", default=[], help="a run directory to read")
    parser.add_argument("--out-dir", required=True, help="folder for the figures (<name>.png)")
    parser.add_argument(
        "--formats", nargs="+", default=["png"], choices=FORMATS, help="formats besides PNG"
    )
    parser.add_argument(
        "--captions", help="folder for each figure's caption in snakemake --report (<name>.rst)"
    )


def _union(tables: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Tables of several experiments as one, each row once (experiments share runs)."""
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
        self.directory = Path(directory)
        check_intact(self.directory)
        self._read: dict[str, Any] = {}

    def _frame(self, name: str) -> pd.DataFrame:
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
        if "meta" not in self._read:
            self._read["meta"] = read_meta(self.directory / FILES[0])
        return self._read["meta"]


def run_id(directory: str | Path) -> str:
    """A run directory's id: its path from the first `enc~` folder on."""
    parts = Path(directory).parts
    first = next((i for i, p in enumerate(parts) if p.startswith("enc~")), 0)
    return "/".join(parts[first:])


def figure_data(
    spec: FigureEntry,
    experiments: Mapping[str, Experiment],
    tables: Mapping[tuple[str, str], pd.DataFrame],
    run_files: Mapping[str, Any],
) -> FigureData:
    """What `spec` draws from: its experiments' tables (unions) and the runs it selects."""
    names = spec.experiments

    def union(table: str, keys: list[str]) -> pd.DataFrame:
        return _union([tables[name, table] for name in names], keys)

    wanted = figure_runs(spec, experiments)
    missing = [r.run_id for r in wanted if r.run_id not in run_files]
    if missing:
        raise ConfigError(f"--run: figure {spec.name} reads run {missing[0]}; pass its directory")
    return FigureData(
        experiment=experiments[spec.experiment],
        quantiles=union("curve_quantiles", ["epoch"]),
        runs=union("runs", ["run_id"]),
        run_files={r.run_id: run_files[r.run_id] for r in wanted},
        tables={
            "mechanism": union("mechanism", ["run_id", "epoch"]),
            "curvature": union("curvature", ["run_id", "point"]),
        },
    )


def run(args: argparse.Namespace) -> int:
    grids = [Experiment.from_grid(g) for g in args.grid]
    experiments = {e.name: e for e in grids}
    specs = [by_name(name, experiments) for name in args.names]
    for spec in specs:
        absent = [e for e in spec.experiments if e not in experiments]
        if absent:
            raise ConfigError(f"--grid: figure {spec.name} reads experiment {absent[0]}; pass it")
    # Every run is checked against its checksums before any drawing (RunOnDemand).
    run_files = {run_id(d): RunOnDemand(d) for d in args.run}
    tables = {
        (name, table): pd.read_parquet(Path(args.tables) / name / f"{table}.parquet")
        for name in dict.fromkeys(e for spec in specs for e in spec.experiments)
        for table in TABLES
    }
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    formats = list(dict.fromkeys(["png", *args.formats]))
    for spec in specs:
        data = figure_data(spec, experiments, tables, run_files)
        render(spec, data, out_dir / f"{spec.name}.png", formats)
        if args.captions:
            write_text(report_caption(spec), Path(args.captions) / f"{spec.name}.rst")
        print(f"{spec.name}: wrote {', '.join(formats)} in {out_dir}")
    return 0
