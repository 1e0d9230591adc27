"""The curves table: every run's logged curve in one Parquet file, for notebooks.

Its rows are led by the run's run_id, setting and seed, so it joins the other tables on either;
`load.StudyResults` reads it. Sub-command: `backprop-study aggregate curves`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from backprop_study.engine.runfiles import replace_atomic
from backprop_study.study.grid import Run, run_dir

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

    def write(tmp: Path) -> None:
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

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    replace_atomic(out, write)
    return n_rows
