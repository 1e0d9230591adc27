"""The `findings` sub-command: the study's claims table and findings table, from its runs table
and the experiments' aggregates.

`backprop-study findings claims` writes `tables/claims.parquet` and `claims.md`;
`backprop-study findings table` writes `tables/findings.parquet`. The report only reads them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import pandas as pd

from backprop_study.analysis import (
    claims,
    classic,
    findings,
    network_findings,
    remedies,
    why_plateau,
)
from backprop_study.analysis.claims_table import claims_markdown, claims_table
from backprop_study.analysis.testers import DIFFERENT_DISTANCE
from backprop_study.engine.errors import ConfigError, RunFileError
from backprop_study.study.atomic import write_parquet, write_text
from backprop_study.study.config import load_study
from backprop_study.study.grid import Study
from backprop_study.study.outcome_findings import outcome_findings

PLATEAU_EXPERIMENT = "weight_decay"  # the plateau's weights are read where λ is swept
WEIGHTS_EXPERIMENT = "weights"  # the final weights of runs that learn and that collapse
CURVE_COLUMNS = ("run_id", "epoch", "data_loss")  # what the init-scale law reads of the curves


def read_table(path: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise RunFileError(f"{path}: cannot read table ({exc})") from None


def read_curves(path: str) -> pd.DataFrame:
    """The curves table's columns the findings read (run, epoch, data loss)."""
    try:
        return pd.read_parquet(path, columns=list(CURVE_COLUMNS))
    except (OSError, ValueError) as exc:
        raise RunFileError(f"{path}: cannot read table ({exc})") from None


def union(paths: Sequence[str], keys: list[str]) -> pd.DataFrame | None:
    """Experiments' tables of one kind, each run's rows once (runs two experiments share)."""
    if not paths:
        return None
    frames = [read_table(p) for p in paths]
    return pd.concat(frames, ignore_index=True).drop_duplicates(subset=keys, ignore_index=True)


def union_by_run(paths: Sequence[str]) -> pd.DataFrame | None:
    """Experiments' per-run tables, each run's rows from the first table that has it."""
    seen: set[str] = set()
    parts = []
    for table in (read_table(p) for p in paths):
        fresh = table[~table["run_id"].isin(seen)]
        seen.update(fresh["run_id"].unique())
        parts.append(fresh)
    return pd.concat(parts, ignore_index=True) if parts else None


def experiment_runs(study: Study, runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {name: claims.select(runs, exp.to_grid()) for name, exp in study.experiments.items()}


def study_claims(study: Study, runs: pd.DataFrame, final_weights: pd.DataFrame | None):
    axes = {name: exp.to_grid() for name, exp in study.experiments.items()}
    return claims_table(claims.claims_with_stability(runs, axes, final_weights))


def study_findings(
    study: Study, runs: pd.DataFrame, tables: dict[str, pd.DataFrame | None]
) -> pd.DataFrame:
    """Every finding of the study: counts, remedies and benchmarks, the plateau's numbers."""
    by_experiment = experiment_runs(study, runs)
    rows = findings.study_findings(runs)
    rows.append(findings.Finding("claims.different_distance", DIFFERENT_DISTANCE, "distance"))
    for name, experiment in study.experiments.items():
        rows += outcome_findings(experiment, by_experiment[name])
    rows += remedies.remedy_findings(by_experiment)
    rows += classic.classic_findings(by_experiment)
    rows += why_plateau.plateau_findings(by_experiment, tables, study.settings.classes)
    if PLATEAU_EXPERIMENT in study.experiments:
        axes = study.experiments[PLATEAU_EXPERIMENT].varying_axes() or ["encoding"]
        rows += network_findings.plateau_findings(
            by_experiment[PLATEAU_EXPERIMENT], axes, PLATEAU_EXPERIMENT
        )
    rows += network_findings.code_findings(runs, study.settings.classes)
    if WEIGHTS_EXPERIMENT in study.experiments:
        rows += network_findings.weight_findings(
            by_experiment[WEIGHTS_EXPERIMENT],
            study.experiments[WEIGHTS_EXPERIMENT].varying_axes(),
            tables.get("final_weights"),
            WEIGHTS_EXPERIMENT,
        )
    return findings.findings_frame(rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    for name, help_text in (
        ("claims", "the seed's claims tested: tables/claims.parquet and claims.md"),
        ("table", "every other number the report states: tables/findings.parquet"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--study", required=True, help="the study config as JSON")
        p.add_argument("--runs-table", required=True, help="the study's runs table (Parquet)")
        p.add_argument("--out", required=True, help="Parquet file to write")
        p.add_argument("--final-weights", nargs="*", default=[], help="experiments' weights")
        if name == "claims":
            p.add_argument("--markdown-out", required=True, help="Markdown file to write")
        else:
            p.add_argument("--mechanism", nargs="*", default=[], help="experiments' mechanism")
            p.add_argument("--curvature", nargs="*", default=[], help="experiments' curvature")
            p.add_argument("--curves", default=None, help="the study's curves table (Parquet)")


def run(args: argparse.Namespace) -> int:
    try:
        study = load_study(json.loads(args.study))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--study: not valid JSON ({exc})") from None
    runs = read_table(args.runs_table)
    if args.what == "claims":
        weights = union_by_run(args.final_weights)
        table = study_claims(study, runs, weights)
        write_parquet(table, args.out)
        text = claims_markdown(table)
        write_text(text, args.markdown_out)
        print(f"claims: {table['claim'].nunique()} claims, {len(table)} rows")
        return 0
    tables = {
        "final_weights": union_by_run(args.final_weights),
        "mechanism": union(args.mechanism, ["run_id", "epoch"]),
        "curvature": union(args.curvature, ["run_id", "point"]),
        "curves": read_curves(args.curves) if args.curves else None,
    }
    table = study_findings(study, runs, tables)
    write_parquet(table, args.out)
    print(f"findings: {len(table)} rows")
    return 0
