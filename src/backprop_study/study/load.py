"""A finished study as pandas tables, for a notebook: `backprop_study.load("results")`.

Every table names its rows' `setting` (the run path without `/seed~N`) and experiment, and gives
each configuration column one type, so runs, comparisons, quantiles and curves join on either.
Tables are read when first used; the curves come from `tables/curves.parquet` (one file for all
runs) or, in a results folder without it, from the run folders.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa

from backprop_study.analysis.axes import config_columns
from backprop_study.engine.errors import UserError
from backprop_study.engine.runfiles import FILES, check_intact, read_frame
from backprop_study.study.curves_table import run_curve
from backprop_study.study.grid import Run, run_dir

RUNS = "tables/runs.parquet"
CURVES = "tables/curves.parquet"


class StudyResults:
    """The tables of one results folder (`load`)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not (self.folder / RUNS).is_file():
            raise UserError(
                f"results: {self.folder} holds no {RUNS}; allowed: the results folder of a "
                "finished study (e.g. results or results/quick)"
            )
        self.tables = self.folder / "tables"
        self.runs_root = self.folder / "runs"

    def __repr__(self) -> str:
        return f"StudyResults({str(self.folder)!r}: {len(self.experiments)} experiments)"

    @cached_property
    def experiments(self) -> list[str]:
        """The experiments' names: the folders of tables/ that hold a runs table."""
        return sorted(p.parent.name for p in self.tables.glob("*/runs.parquet"))

    @cached_property
    def config_columns(self) -> list[str]:
        """The runs' settings as columns (one per axis): a run is its settings and seed."""
        return config_columns(self.runs.columns)

    @cached_property
    def runs(self) -> pd.DataFrame:
        """One row per run: its settings, seed, outcome, summary and provenance;
        `experiments` lists the experiments that have it."""
        return pd.read_parquet(self.folder / RUNS)

    @cached_property
    def claims(self) -> pd.DataFrame | None:
        """The seed's claims tested per setting (tables/claims.parquet), if the study has it."""
        return self._optional("claims.parquet")

    @cached_property
    def findings(self) -> pd.DataFrame | None:
        """The study's findings (tables/findings.parquet), if the study has it."""
        return self._optional("findings.parquet")

    def _optional(self, name: str) -> pd.DataFrame | None:
        path = self.tables / name
        return pd.read_parquet(path) if path.is_file() else None

    def table(self, name: str, experiment: str | None = None) -> pd.DataFrame:
        """An experiment's table (`runs`, `comparison`, `curve_quantiles`, `final_weights`,
        `mechanism`, `curvature`), or every experiment's rows of it, one after another (each
        row names its experiment; a run two experiments share appears under each)."""
        names = [experiment] if experiment is not None else self.experiments
        unknown = [n for n in names if n not in self.experiments]
        if unknown:
            raise UserError(
                f"experiment: {unknown[0]!r} is not in {self.folder}; "
                f"allowed: {', '.join(self.experiments)}"
            )
        paths = [self.tables / n / f"{name}.parquet" for n in names]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise UserError(
                f"table: {missing[0]} is missing; allowed: runs, comparison, curve_quantiles, "
                "final_weights, mechanism, curvature"
            )
        return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)

    def comparison(self, experiment: str | None = None) -> pd.DataFrame:
        """Per setting across seeds: final loss and epochs to solve (median, IQR), success
        rate; of one experiment, or of all (`experiment` says which)."""
        return self.table("comparison", experiment)

    def curves(
        self, run_ids: Iterable[str] | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """The logged curves of every run (or of `run_ids`) in one long table: run_id,
        setting, seed, then the curve's columns (epoch, data_loss, penalty, objective,
        correct, max_error), in run_id and epoch order. `columns` picks a few to save memory."""
        wanted = None if run_ids is None else sorted(set(run_ids))
        if (self.folder / CURVES).is_file():
            filters = None if wanted is None else [("run_id", "in", wanted)]
            return pd.read_parquet(self.folder / CURVES, columns=columns, filters=filters)
        ids = self.runs["run_id"].tolist() if wanted is None else wanted
        parts = [run_curve(self.runs_root, run_id) for run_id in sorted(ids)]
        table = pa.concat_tables(parts)
        return table.select(columns).to_pandas() if columns else table.to_pandas()

    def weights(self, run_id: str) -> pd.DataFrame:
        """One run's weight snapshots, long form: epoch, layer, to_unit, from_unit (-1: the
        bias), is_bias, value."""
        directory = Path(run_dir(self.runs_root, Run.from_id(run_id)))
        check_intact(directory)
        return read_frame(directory / FILES[1])


def load(results_folder: str | Path = "results") -> StudyResults:
    """The tables of a finished study (`snakemake` has run on its config) as pandas objects."""
    return StudyResults(results_folder)
