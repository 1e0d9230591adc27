"""The `figure` sub-command: draw one figure of the study (`catalog`) from its tables, in the
study's style, and write it atomically.

Every figure is drawn under one style (`STYLE`). Curves are medians across seeds with the
interquartile range as a band, read from the experiment's curve quantiles; outcome figures show
one point per seed, hollow when censored, ringed when the run collapsed to the trivial network.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from backprop_study.analysis.axes import config_columns
from backprop_study.engine.runfiles import (
    FILES,
    check_intact,
    read_frame,
    read_meta,
    replace_atomic,
)
from backprop_study.reporting.catalog import FIGURES, FigureEntry, applicable, by_name
from backprop_study.reporting.figbase import STYLE, FigureData, styled
from backprop_study.study.grid import Experiment

__all__ = [
    "FIGURES",
    "STYLE",
    "FigureData",
    "FigureEntry",
    "applicable",
    "by_name",
    "draw",
    "render",
]


def draw(spec: FigureEntry, data: FigureData) -> Figure:
    """The figure, drawn in the study's style."""
    with styled():
        return spec.drawer()(data)


def render(spec: FigureEntry, data: FigureData, out: str | Path) -> None:
    """Draw and save a PNG atomically, in the study's style."""
    with styled():
        fig = spec.drawer()(data)
        replace_atomic(Path(out), lambda tmp: fig.savefig(tmp, format="png"))


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


def run(args: argparse.Namespace) -> int:
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
