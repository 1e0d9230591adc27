"""From runs to tables: the runs table, per-configuration comparisons and curve quantiles.

One experiment's aggregation reads each of its runs once and derives everything later steps
need, so that plotting never has to load every run: its rows of the runs table (engine metadata,
`summary.summarise_run` and the provenance record of the run's sidecar), a comparison of its
configurations across seeds (median and IQR of the final loss and of the epochs to solve, success
rate), the quartiles across seeds of each configuration's curve on the shared logged-epoch grid,
every run's last weight snapshot (for the claims), and the plateau's mechanism: per snapshot the
measures of `analysis.mechanism`, and the Hessian spectrum at the initial network, the plateau
and the end. The study's runs table is the union of the
experiments' tables (a run that two experiments share appears once). Aggregating per experiment
means adding a value to one experiment re-aggregates that experiment only.

Every table names its rows' setting (the run path without the seed) and experiment, and gives each
configuration column one type (`typed_columns`), so that any two tables join on either. The
curves table puts every run's logged curve in one file for notebooks (`write_curves_table`).

Sub-commands: `backprop-study aggregate experiment ...`, `... runs-table`, `... curves`.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from backprop_study.analysis.axes import (
    CONFIG_COLUMNS,
    PATH_ALWAYS,
    axis,
    config_columns,
    symbol,
    value_text,
)
from backprop_study.engine.errors import RunFileError
from backprop_study.study.grid import Experiment, Run, run_dir
from backprop_study.study.provenance import COLUMNS as PROVENANCE_COLUMNS
from backprop_study.study.provenance import columns_of

if TYPE_CHECKING:
    import pandas as pd

CURVE_METRICS = ["data_loss", "objective", "correct"]
QUANTILES = {"q25": 0.25, "median": 0.5, "q75": 0.75}


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


IDS = ("run_id", "setting", "experiment")
"""Columns naming a row's run (its path), setting (the path without the seed) and experiment."""
_DTYPES = {str: "string", int: "Int64", float: "float64"}


def typed_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Every configuration column with its axis's one dtype (Arrow: string, int64, double),
    whatever the values (None: unset), and the naming columns as strings, so that any two of
    the study's tables join on them."""
    for col in config_columns(df.columns):
        df[col] = df[col].astype(_DTYPES[axis(col).kind])
    for col in IDS:
        if col in df:
            df[col] = df[col].astype("string")
    if "seed" in df:
        df["seed"] = df["seed"].astype("int64")
    return df


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


def curve_quantiles(curves: pd.DataFrame) -> pd.DataFrame:
    """Quartiles across seeds of each configuration's curve, at each logged epoch.

    Input: long curves with CONFIG_COLUMNS (and setting, if known), seed, epoch and
    CURVE_METRICS. Runs that diverged stop early; later epochs use the seeds that are left
    (`n_runs` says how many).
    """
    import pandas as pd

    named = ["setting"] if "setting" in curves else []  # follows from the configuration
    keys = [*config_columns(curves.columns), *named, "epoch"]
    grouped = curves.groupby(keys, sort=True, dropna=False)[CURVE_METRICS]
    parts = [grouped.size().rename("n_runs")]
    for label, q in QUANTILES.items():
        part = grouped.quantile(q)
        part.columns = [f"{m}_{label}" for m in part.columns]
        parts.append(part)
    out = pd.concat(parts, axis=1).reset_index()
    ordered = [*named, *(k for k in keys if k not in named), "n_runs"]
    ordered += [f"{m}_{label}" for m in CURVE_METRICS for label in QUANTILES]
    return out[ordered]


def _censored_quantile(values: Any, q: float) -> float:
    """Quantile where NA means "not within the epochs run" (+inf); NaN if the quantile is."""
    import numpy as np

    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return float("nan")
    arr = np.where(np.isnan(arr), np.inf, arr)
    with np.errstate(invalid="ignore"):  # inf - inf between two "never"s: NaN is the answer
        x = float(np.quantile(arr, q, method="linear"))
    return x if np.isfinite(x) else float("nan")


def comparison_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration across seeds: final loss and epochs to solve (median, IQR), success rate.

    Diverged runs count as failures and are left out of the final-loss statistics. The epochs to
    solve (first epoch solved by the 40-20-40 rule) treat never as later than any epoch, so a
    median is NaN when half the seeds never solved.
    """
    import numpy as np
    import pandas as pd

    rows = []
    named = [c for c in ("setting", "experiment") if c in runs]  # follow from the configuration
    by = [*config_columns(runs.columns), *named]
    for config, group in runs.groupby(by, sort=True, dropna=False):
        ok = group[~group["diverged"].astype(bool)]
        solved_at = group["first_solved"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        solved_at = np.where(group["diverged"].astype(bool), np.nan, solved_at)
        row = dict(zip(by, config, strict=True))
        row |= {
            "n_runs": len(group),
            "n_diverged": int(group["diverged"].sum()),
            "n_solved": int(np.isfinite(solved_at).sum()),
            "success_rate": float(np.isfinite(solved_at).mean()),
        }
        for label, q in QUANTILES.items():
            losses = ok["final_data_loss"]
            row[f"final_data_loss_{label}"] = float(losses.quantile(q)) if len(ok) else np.nan
        row["final_objective_median"] = float(ok["final_objective"].median()) if len(ok) else np.nan
        for label, q in QUANTILES.items():
            row[f"epochs_to_solve_{label}"] = _censored_quantile(solved_at, q)
        rows.append(row)
    table = pd.DataFrame(rows)
    return typed_columns(table[[*named, *(c for c in table.columns if c not in named)]])


def outcome_table(runs: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Per configuration: epochs to solve and plateau length across seeds, censored runs counted.

    The same per-run measures as the claims (`measures.solve_time`, `measures.plateau_length`):
    a run that never solved (or diverged) counts at its budget, a plateau never left at its observed
    length, both flagged censored (the true value is at least the number); a run without a
    plateau has length 0. Quartiles follow `convergence.censored_summary`: a quartile that
    depends on a censored run is flagged (`*_censored`). Also: plateaus found and left, the
    median final data loss (diverged runs left out) and the median bias ratio in the plateau;
    the runs that collapsed to the trivial network (`collapse`) and their median largest weight;
    the Kaplan–Meier median epochs to solve with its 95% interval (`stats.kaplan_meier`).
    Statistics are per configuration: nothing is pooled across settings.
    """
    import numpy as np
    import pandas as pd

    from backprop_study.analysis.convergence import censored_summary
    from backprop_study.analysis.measures import plateau_length, solve_time
    from backprop_study.analysis.stats import kaplan_meier

    by = by or config_columns(runs.columns)
    rows = []
    for config, group in runs.groupby(by, sort=True, dropna=False):
        config = config if isinstance(config, tuple) else (config,)
        row: dict[str, Any] = dict(zip(by, config, strict=True))
        diverged = group["diverged"].to_numpy(dtype=bool)
        ok = group[~diverged]
        row |= {
            "n_runs": len(group),
            "n_diverged": int(diverged.sum()),
            "n_patterns": int(group["n_patterns"].max()),
            "budget": int(group["epochs"].max()),
            "flow_per_epoch": float(
                (group["alpha"] * (group["n_patterns"] // group["batch_size"])).median()
            ),
        }
        for name, metric in (("solve", solve_time), ("plateau", plateau_length)):
            values, censored = metric(group)
            s = censored_summary(np.where(censored, np.nan, values), values)
            if name == "solve":
                row |= {"n_solved": s.n_events, "success_rate": s.success_rate}
                km = kaplan_meier(values, censored)
                row |= {
                    "solve_km_median": km.median,
                    "solve_km_low": km.median_low,
                    "solve_km_high": km.median_high,
                }
            for q in ("q1", "median", "q3"):
                row[f"{name}_{q}"] = getattr(s, q)
                row[f"{name}_{q}_censored"] = getattr(s, f"{q}_censored")
        row |= {
            "n_plateau": int(group["plateau_found"].sum()),
            "n_plateau_left": int(group["plateau_left"].sum()),
            "final_data_loss_median": float(ok["final_data_loss"].median()) if len(ok) else np.nan,
            "bias_ratio_plateau_median": float(group["bias_ratio_plateau"].median()),
        }
        collapsed = group["collapsed"].to_numpy(dtype=bool) if "collapsed" in group else []
        row |= {
            "n_collapsed": int(np.sum(collapsed)),
            "weight_max_end_median": float(group["weight_max_end"].median())
            if "weight_max_end" in group
            else np.nan,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def format_epochs(value: float, censored: bool = False) -> str:
    """An epoch count for people: `20,771`; `≥ 400,000` when censored (at least that many)."""
    if value != value:
        return "—"
    text = f"{value:,.0f}"
    return f"≥ {text}" if censored else text


def outcome_display(outcomes: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """`outcome_table` for people: canonical parameters, epochs with censoring marked (≥).

    Also the Kaplan–Meier median epochs to solve with its 95% interval, and the runs that
    collapsed to the trivial network. Comparing learning rates or batch sizes adds the
    gradient-flow time t = α·updates (epochs × α·m/b) of the plateau and of solving: equal
    values in t mean the settings only rescale time; comparing batch sizes also adds the
    parameter updates to solve (epochs × m / b).
    """
    import pandas as pd

    by = by or config_columns(outcomes.columns)

    def quantiles(prefix: str, scale: Any = 1.0) -> list[str]:
        scale = pd.Series(scale, index=outcomes.index) if not hasattr(scale, "index") else scale
        out = []
        for (_, r), k in zip(outcomes.iterrows(), scale, strict=True):
            m, a, b = (
                format_epochs(r[f"{prefix}_{q}"] * k, r[f"{prefix}_{q}_censored"])
                for q in ("median", "q1", "q3")
            )
            out.append(f"{m} [{a}, {b}]")
        return out

    def km() -> list[str]:
        out = []
        for r in outcomes.itertuples():
            if r.solve_km_median != r.solve_km_median:
                out.append(f"> {format_epochs(r.budget)}")
                continue
            high = "∞" if r.solve_km_high == float("inf") else format_epochs(r.solve_km_high)
            out.append(
                f"{format_epochs(r.solve_km_median)} [{format_epochs(r.solve_km_low)}, {high}]"
            )
        return out

    columns: dict[str, Any] = {symbol(c): outcomes[c].map(_fmt_param(c)) for c in by}
    columns["solved"] = [
        f"{s}/{n}" for s, n in zip(outcomes["n_solved"], outcomes["n_runs"], strict=True)
    ]
    if "n_collapsed" in outcomes:
        columns["collapsed"] = [
            f"{c}/{n}" for c, n in zip(outcomes["n_collapsed"], outcomes["n_runs"], strict=True)
        ]
    columns["epochs to solve, median [IQR]"] = quantiles("solve")
    if "solve_km_median" in outcomes:
        columns["epochs to solve, Kaplan–Meier median [95% CI]"] = km()
    flow = ("alpha" in by or "batch_size" in by) and "flow_per_epoch" in outcomes
    if flow:
        per_epoch = outcomes["flow_per_epoch"]
        if "batch_size" in by:
            updates = outcomes["n_patterns"] // outcomes["batch_size"]
            columns["updates to solve, median [IQR]"] = quantiles("solve", updates)
        columns["t to solve (α·updates), median [IQR]"] = quantiles("solve", per_epoch)
    columns["plateau found / left"] = [
        f"{f} / {v}" for f, v in zip(outcomes["n_plateau"], outcomes["n_plateau_left"], strict=True)
    ]
    columns["plateau length (epochs), median [IQR]"] = quantiles("plateau")
    if flow:
        columns["plateau length in t (α·updates), median [IQR]"] = quantiles("plateau", per_epoch)
    columns["final data loss, median"] = outcomes["final_data_loss_median"].map(format_value)
    if "weight_max_end_median" in outcomes:
        columns["largest weight at the end, median"] = outcomes["weight_max_end_median"].map(
            format_value
        )
    columns["diverged"] = outcomes["n_diverged"].astype(int)
    return pd.DataFrame(columns)


OUTCOME_NOTE = (
    "Epochs to solve: first epoch at which every output is within the 40-20-40 rule. Plateau "
    "length: epochs between the plateau's start and end (plateau.find_plateau); 0 when none was "
    "found. ≥ marks a censored value: runs that never solved count at the budget, plateaus never "
    "left at their observed length, so the true value is at least the number shown. "
    "Kaplan–Meier median: first epoch by which half the seeds are estimated to have solved, "
    "with the 95% interval from the log-log Greenwood band (> budget: fewer than half solved; "
    "∞: the band never reaches one half). Collapsed: runs that end at (or head to) the trivial "
    "network, every weight near zero and every output the class mean 1/k. t = α·updates is "
    "gradient-flow time."
)


def format_value(x: float) -> str:
    """A measured value for people: three significant digits, `—` for none."""
    return "—" if x != x else f"{x:.3g}"


_fmt_float = format_value


def _fmt_epoch(x: float) -> str:
    return "never" if x != x else f"{x:.0f}"


def comparison_display(
    comparison: pd.DataFrame, shown: Sequence[str] = PATH_ALWAYS
) -> pd.DataFrame:
    """The comparison for people: the `shown` settings canonical, numbers rounded, NaN spelled
    out."""
    import pandas as pd

    def triples(prefix: str, fmt: Callable[[float], str]) -> list[str]:
        cols = [f"{prefix}_median", f"{prefix}_q25", f"{prefix}_q75"]
        return [
            f"{fmt(m)} [{fmt(a)}, {fmt(b)}]" for m, a, b in comparison[cols].itertuples(index=False)
        ]

    return pd.DataFrame(
        {
            **{col: comparison[col].map(_fmt_param(col)) for col in shown},
            "final loss, median [IQR]": triples("final_data_loss", _fmt_float),
            "epochs to solve, median [IQR]": triples("epochs_to_solve", _fmt_epoch),
            "solved": [
                f"{s}/{n}"
                for s, n in zip(comparison["n_solved"], comparison["n_runs"], strict=True)
            ],
            "diverged": comparison["n_diverged"].astype(int),
        }
    )


COMPARISON_NOTE = (
    "Final loss: data loss at the last epoch (diverged runs left out). Epochs to solve: first "
    "epoch at which every output is within the 40-20-40 rule; `never` when half the seeds (a "
    "quarter, for the quartiles) never got there."
)


def comparison_markdown(comparison: pd.DataFrame, experiment: Experiment) -> str:
    """The comparison as a Markdown document: title, description, table, how to read it."""
    title = f"# {experiment.name}\n\n"
    if experiment.description:
        title += experiment.description + "\n\n"
    table = comparison_display(comparison, experiment.shown_axes()).to_markdown(
        index=False, disable_numparse=True
    )
    return f"{title}{table}\n\n{COMPARISON_NOTE}\n"


def _fmt_param(col: str) -> Callable[[Any], str]:
    import pandas as pd

    return lambda v: value_text(col, None if pd.isna(v) else v)


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


CURVES_IDS = ("run_id", "setting", "seed")
CURVES_BATCH_ROWS = 1 << 17
"""Rows per row group of the curves table: a run's curve is 300 to 10 million rows, so runs are
gathered to keep row groups neither tiny nor larger than one run needs."""


def run_curve(runs_root: str | Path, run_id: str) -> Any:
    """A run's logged curve (curve.parquet, checked against its checksums) as an Arrow table
    whose rows are led by the run's run_id, setting and seed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from backprop_study.engine.runfiles import FILES, check_intact

    run = Run.from_id(run_id)
    directory = Path(run_dir(runs_root, run))
    check_intact(directory)
    curve = pq.read_table(directory / FILES[0]).replace_schema_metadata(None)
    n = curve.num_rows
    ids = [pa.array([v] * n, pa.large_string()) for v in (run_id, run.setting)]
    ids.append(pa.array([run.seed] * n, pa.int64()))
    return pa.table(ids + curve.columns, names=[*CURVES_IDS, *curve.column_names])


def write_curves_table(run_ids: Sequence[str], runs_root: str | Path, out: str | Path) -> int:
    """Every run's logged curve in one Parquet file (`run_curve`), in run_id order; returns the
    rows written. Streams run by run, so memory stays at one row group whatever the study's
    size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n_rows = 0

    def write(tmp: str) -> None:
        nonlocal n_rows
        writer, batch = None, []
        for run_id in sorted(set(run_ids)):
            batch.append(run_curve(runs_root, run_id))
            if sum(t.num_rows for t in batch) >= CURVES_BATCH_ROWS:
                writer = writer or pq.ParquetWriter(tmp, batch[0].schema)
                writer.write_table(pa.concat_tables(batch))
                n_rows, batch = n_rows + sum(t.num_rows for t in batch), []
        if batch or writer is None:
            table = pa.concat_tables(batch) if batch else pa.table({c: [] for c in CURVES_IDS})
            writer = writer or pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            n_rows += table.num_rows
        writer.close()

    write_atomic(out, write)
    return n_rows


def write_atomic(path: str | Path, write: Callable[[str], None]) -> None:
    """Write via `write(tmp_path)` to a temporary file in the same directory, then rename, so a
    killed job never leaves a file that looks complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))


def _write_text(text: str, path: str | Path) -> None:
    write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


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
        _write_parquet(tables.runs, args.runs_out)
        _write_parquet(comparison, args.comparison_out)
        _write_text(comparison_markdown(comparison, experiment), args.markdown_out)
        _write_parquet(tables.quantiles, args.quantiles_out)
        _write_parquet(tables.final_weights, args.final_weights_out)
        if args.mechanism_out:
            _write_parquet(tables.mechanism, args.mechanism_out)
        if args.curvature_out:
            _write_parquet(tables.curvature, args.curvature_out)
        print(f"{experiment.name}: {len(tables.runs)} runs, {len(comparison)} configurations")
        return 0
    if args.what == "curves":
        runs = _read_table(args.runs_table, columns=["run_id"])
        n = write_curves_table(runs["run_id"].tolist(), args.runs_root, args.out)
        print(f"curves table: {n} rows of {len(runs)} runs")
        return 0
    if args.what == "settings":
        _write_text(args.settings + "\n", args.out)
        print(f"wrote {args.out}")
        return 0
    table = union_runs_tables([_read_table(path) for path in args.tables])
    _write_parquet(table, args.out)
    print(f"runs table: {len(table)} runs")
    return 0


def _read_table(path: str, columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_parquet(path, columns=columns)
    except (OSError, ValueError, KeyError) as exc:
        raise RunFileError(f"{path}: cannot read runs table ({exc})") from None
