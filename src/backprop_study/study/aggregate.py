"""From runs to tables: one experiment's runs table, comparison and curve quartiles, and the
study's runs table.

One experiment's aggregation reads each of its runs once and derives everything later steps
need, so that plotting never has to load every run: its rows of the runs table (engine metadata,
`summary.summarise_run` and the provenance record of the run's sidecar), a comparison of its
configurations across seeds and the quartiles across seeds of each configuration's curve on the
shared logged-epoch grid (`across_seeds`), every run's last weight snapshot (for the claims), and
the plateau's mechanism: per snapshot the measures of `analysis.mechanism`, and the Hessian
spectrum at the initial network, the plateau and the end. The study's runs table is the union of
the experiments' tables (a run that two experiments share appears once). Aggregating per
experiment means adding a value to one experiment re-aggregates that experiment only.

Every table names its rows' setting (the run path without the seed) and experiment, and gives each
configuration column one type (`columns.typed_columns`), so that any two tables join on either.

Sub-commands: `backprop-study aggregate experiment ...`, `... runs-table`, `... curves`
(`curves_table`), `... settings`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from backprop_study.analysis.axes import CONFIG_COLUMNS, PATH_ALWAYS
from backprop_study.engine.errors import RunFileError
from backprop_study.study.across_seeds import CURVE_METRICS, comparison_table, curve_quantiles
from backprop_study.study.atomic import write_parquet, write_text
from backprop_study.study.columns import typed_columns
from backprop_study.study.curves_table import write_curves_table
from backprop_study.study.display import comparison_markdown
from backprop_study.study.grid import Experiment, Run, run_dir
from backprop_study.study.provenance import COLUMNS as PROVENANCE_COLUMNS
from backprop_study.study.provenance import columns_of

if TYPE_CHECKING:
    import pandas as pd


def run_row(run: Run, files: Any, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """One row of the runs table: the run's parameters, engine metadata, its summary and its
    provenance record (`record`, the sidecar; None gives empty provenance columns). No timings:
    the table stays byte-identical across reruns on one setup.

    `files` is a `runfiles.RunFiles` (curve, weights, hidden, meta). Raises RunFileError when the
    files' metadata describe another run than the directory's name.
    """
    from backprop_study.analysis import summary  # the per-run analyses (plateau, codes, weights)

    meta = files.meta
    cfg = meta["config"]
    named = {**{n: getattr(run, n) for n in PATH_ALWAYS}, **dict(run.extra), "seed": run.seed}
    for key, value in named.items():
        if cfg.get(key) != value:
            raise RunFileError(
                f"{run.run_id}: its files hold a run with {key}={cfg.get(key)!r}, not {value!r}"
            )
    last = files.curve.iloc[-1] if len(files.curve) else None
    row: dict[str, Any] = {
        "run_id": run.run_id,
        "setting": run.setting,
        **{n: cfg[n] for n in CONFIG_COLUMNS},
        "seed": run.seed,
        "epochs_run": int(meta["epochs_run"]),
        "diverged": bool(meta["diverged"]),
        "final_data_loss": float(last["data_loss"]) if last is not None else float("nan"),
        "final_objective": float(last["objective"]) if last is not None else float("nan"),
        "final_correct": int(last["correct"]) if last is not None else 0,
        "n_patterns": int(cfg["classes"]),
        "first_all_correct": meta["first_all_correct"],
        "first_solved": meta["first_solved"],
    }
    extra = summary.summarise_run(files)
    provenance = columns_of(record)
    clash = sorted(set(extra) & (set(row) | set(provenance)))
    if clash:
        raise RunFileError(f"summary.summarise_run returned engine columns {clash}")
    return row | extra | provenance


def _typed_runs_table(rows: list[dict[str, Any]], experiment: str) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df.insert(2, "experiment", experiment)
    for col in ("first_all_correct", "first_solved"):
        df[col] = df[col].astype("Int64")
    for col in PROVENANCE_COLUMNS:
        df[col] = df[col].astype("string")
    return typed_columns(df).sort_values("run_id", ignore_index=True)


class ExperimentTables(NamedTuple):
    runs: pd.DataFrame  # one row per run (runs table columns)
    quantiles: pd.DataFrame  # curve quartiles per configuration and logged epoch
    final_weights: pd.DataFrame  # last weight snapshot of every run, with run_id (claims' input)
    mechanism: pd.DataFrame | None = None  # per run and snapshot (analysis.mechanism)
    curvature: pd.DataFrame | None = None  # per run at init, plateau and end: Hessian spectrum


def read_experiment(
    experiment: Experiment, runs_root: str | Path, read_run: Callable[[str], Any] | None = None
) -> ExperimentTables:
    """Read every run of `experiment` once and derive all of its tables."""
    import pandas as pd

    from backprop_study.analysis.mechanism import analyse_run
    from backprop_study.analysis.weightstats import final_weights
    from backprop_study.engine.provenance import read_sidecar

    if read_run is None:
        from backprop_study.engine.runfiles import read_run
    rows, finals, mechanism, curvature = [], [], [], []
    curves: dict[tuple, list[tuple[int, pd.DataFrame]]] = {}  # configuration -> (seed, curve)
    names = {"setting": "", "experiment": experiment.name}
    for run in experiment.runs():
        directory = run_dir(runs_root, run)
        files = read_run(directory)
        rows.append(run_row(run, files, read_sidecar(directory)))
        names["setting"] = run.setting
        finals.append(final_weights(files.weights, run.run_id).assign(**names))
        per_snapshot, points = analyse_run(files)
        ids = {"run_id": run.run_id, **names, **{c: rows[-1][c] for c in CONFIG_COLUMNS}}
        ids["seed"] = run.seed
        mechanism += [ids | r for r in per_snapshot]
        curvature += [ids | r for r in points]
        config = (run.setting, *(rows[-1][col] for col in CONFIG_COLUMNS))
        curves.setdefault(config, []).append((run.seed, files.curve[["epoch", *CURVE_METRICS]]))
    quantiles = curve_quantiles(_long_curves(curves))
    quantiles.insert(1, "experiment", experiment.name)
    return ExperimentTables(
        runs=_typed_runs_table(rows, experiment.name),
        quantiles=typed_columns(quantiles),
        final_weights=typed_columns(pd.concat(finals, ignore_index=True)),
        mechanism=_typed_ids(pd.DataFrame(mechanism)),
        curvature=_typed_ids(pd.DataFrame(curvature)),
    )


def _long_curves(curves: dict[tuple, list[tuple[int, pd.DataFrame]]]) -> pd.DataFrame:
    """The runs' curves as one long table with setting, CONFIG_COLUMNS and seed
    (`curve_quantiles`' input), from each configuration's (seed, curve) pairs. The
    configuration's values are set once per configuration, not once per run (a column insert
    costs as much as reading a run's curve); quantiles do not depend on the order of the rows."""
    import numpy as np
    import pandas as pd

    parts = []
    for config, seeds in curves.items():
        part = pd.concat([curve for _, curve in seeds], ignore_index=True)
        for col, value in zip(["setting", *CONFIG_COLUMNS], config, strict=True):
            part[col] = value
        part["seed"] = np.repeat([seed for seed, _ in seeds], [len(c) for _, c in seeds])
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _typed_ids(df: pd.DataFrame) -> pd.DataFrame:
    """One dtype per identifying column (as in the runs table), whatever the values."""
    if df.empty:
        return df
    return typed_columns(df).sort_values(["run_id", "epoch"], ignore_index=True)


def union_runs_tables(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The study's runs table: every unique run once, sorted by run_id, its `experiment`
    replaced by `experiments`, the sorted list of the experiments that have it."""
    import pandas as pd

    df = pd.concat([t for t in tables if len(t)], ignore_index=True)
    if "experiment" in df:
        names: dict[str, set[str]] = {}
        for run_id, name in zip(df["run_id"], df["experiment"], strict=True):
            names.setdefault(run_id, set()).add(name)
        df = df.drop_duplicates(subset="run_id", keep="first")
        at = df.columns.get_loc("experiment")
        lists = [sorted(names[run_id]) for run_id in df["run_id"]]
        df = df.drop(columns="experiment")
        df.insert(at, "experiments", pd.Series(lists, index=df.index, dtype=object))
    df = df.drop_duplicates(subset="run_id", keep="first")
    return df.sort_values("run_id", ignore_index=True)


# ---------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    exp = sub.add_parser("experiment", help="one experiment's runs, comparison and quantiles")
    exp.add_argument("--grid", required=True, help="the experiment as JSON (study.Experiment)")
    exp.add_argument("--runs-root", required=True, help="directory holding the run directories")
    exp.add_argument("--runs-out", required=True, help="Parquet: the experiment's runs table")
    exp.add_argument("--comparison-out", required=True, help="Parquet: comparison table")
    exp.add_argument("--markdown-out", required=True, help="Markdown: comparison table")
    exp.add_argument("--quantiles-out", required=True, help="Parquet: curve quantiles")
    exp.add_argument("--final-weights-out", required=True, help="Parquet: last weight snapshots")
    exp.add_argument("--mechanism-out", help="Parquet: mechanism measures per snapshot")
    exp.add_argument("--curvature-out", help="Parquet: Hessian spectra at init, plateau, end")
    union = sub.add_parser("runs-table", help="union of experiments' runs tables")
    union.add_argument("tables", nargs="+", help="experiments' runs.parquet files")
    union.add_argument("--out", required=True, help="Parquet: the study's runs table")
    curves = sub.add_parser("curves", help="every run's logged curve in one Parquet file")
    curves.add_argument("--runs-table", required=True, help="the study's runs.parquet")
    curves.add_argument("--runs-root", required=True, help="directory holding the run directories")
    curves.add_argument("--out", required=True, help="Parquet: the curves table")
    stamp = sub.add_parser("settings", help="the study-wide settings of a results folder")
    stamp.add_argument("settings", help="the settings as JSON (study.Study.settings_json)")
    stamp.add_argument("--out", required=True, help="JSON file to write")


def run(args: argparse.Namespace) -> int:
    if args.what == "experiment":
        experiment = Experiment.from_grid(args.grid)
        tables = read_experiment(experiment, args.runs_root)
        comparison = comparison_table(tables.runs)
        write_parquet(tables.runs, args.runs_out)
        write_parquet(comparison, args.comparison_out)
        write_text(comparison_markdown(comparison, experiment), args.markdown_out)
        write_parquet(tables.quantiles, args.quantiles_out)
        write_parquet(tables.final_weights, args.final_weights_out)
        if args.mechanism_out:
            write_parquet(tables.mechanism, args.mechanism_out)
        if args.curvature_out:
            write_parquet(tables.curvature, args.curvature_out)
        print(f"{experiment.name}: {len(tables.runs)} runs, {len(comparison)} configurations")
        return 0
    if args.what == "curves":
        runs = _read_table(args.runs_table, columns=["run_id"])
        n = write_curves_table(runs["run_id"].tolist(), args.runs_root, args.out)
        print(f"curves table: {n} rows of {len(runs)} runs")
        return 0
    if args.what == "settings":
        write_text(args.settings + "\n", args.out)
        print(f"wrote {args.out}")
        return 0
    table = union_runs_tables([_read_table(path) for path in args.tables])
    write_parquet(table, args.out)
    print(f"runs table: {len(table)} runs")
    return 0


def _read_table(path: str, columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_parquet(path, columns=columns)
    except (OSError, ValueError, KeyError) as exc:
        raise RunFileError(f"{path}: cannot read runs table ({exc})") from None
