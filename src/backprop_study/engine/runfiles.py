"""A run's three Parquet files: written atomically with the run's metadata, read back checked.

Layout and columns are documented in docs/data-model.md. A file is first written beside its
final name and renamed into place, so a killed run never leaves a file that looks complete.
The Parquet files hold only what the config and seed determine, so they are byte-identical on
any machine; the run's provenance (versions, machine, executor, wall time) goes to a JSON
sidecar beside them (`engine/provenance.py`).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from backprop_study.engine import provenance
from backprop_study.engine.errors import RunFileError

if TYPE_CHECKING:
    import pandas as pd

    from backprop_study.engine.training import TrainResult

FILES = ("curve.parquet", "weights.parquet", "hidden.parquet")
CHECKSUMS = "checksums.sha256"
"""The Parquet files' sha256 in `sha256sum` format (`sha256sum -c checksums.sha256` checks it),
written last: what `check_run` compares a run's files against."""
WRITTEN = (provenance.SIDECAR, *FILES, CHECKSUMS)
"""Every file `write_run` writes, in order."""
META_KEY = b"backprop_study"


class RunFiles(NamedTuple):
    curve: pd.DataFrame
    weights: pd.DataFrame
    hidden: pd.DataFrame
    meta: dict[str, Any]


def existing_results(out_dir: str | Path) -> list[str]:
    """Names of run files already present in out_dir."""
    out = Path(out_dir)
    return [name for name in FILES if (out / name).exists()]


def run_metadata(result: TrainResult, version: str, fingerprint: str) -> dict[str, Any]:
    return {
        "config": result.config.to_dict(),
        "version": version,
        "fingerprint": fingerprint,
        **result.summary(),
    }


def _arrow(values: np.ndarray) -> pa.Array:
    """A numpy column as an Arrow array, zero-copy where possible.

    `pa.array` would import pandas (about 0.8 s per training job) just to check the input type;
    building from buffers keeps `backprop-study train` start-up lean.
    """
    n = len(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(bits)])
    if values.dtype.kind == "U":
        encoded = [v.encode() for v in values.tolist()]
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum([len(v) for v in encoded], out=offsets[1:])
        data = pa.py_buffer(b"".join(encoded))
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), data])
    arrow_type = {np.dtype(np.int64): pa.int64(), np.dtype(np.float64): pa.float64()}
    contiguous = np.ascontiguousarray(values)
    return pa.Array.from_buffers(arrow_type[contiguous.dtype], n, [None, pa.py_buffer(contiguous)])


def curve_table(result: TrainResult) -> pa.Table:
    return pa.table({name: _arrow(values) for name, values in result.curve.items()})


def weights_table(result: TrainResult) -> pa.Table:
    """Long form: one row per parameter per snapshot; from_unit = -1 marks a bias."""
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("epoch", "layer", "to", "from", "value")}
    for snap in result.snapshots:
        for layer, W, b in (
            ("hidden", snap.params.W1, snap.params.b1),
            ("output", snap.params.W2, snap.params.b2),
        ):
            rows, width = W.shape
            full = np.hstack([W, b[:, None]])  # bias as the last column, labelled -1 below
            to_unit = np.repeat(np.arange(rows), width + 1)
            from_unit = np.tile(np.append(np.arange(width), -1), rows)
            cols["epoch"].append(np.full(full.size, snap.epoch, dtype=np.int64))
            cols["layer"].append(np.full(full.size, layer))
            cols["to"].append(to_unit.astype(np.int64))
            cols["from"].append(from_unit.astype(np.int64))
            cols["value"].append(full.ravel())
    cat = {k: np.concatenate(v) if v else np.array([]) for k, v in cols.items()}
    return pa.table(
        {
            "epoch": _arrow(cat["epoch"]),
            "layer": _arrow(cat["layer"]),
            "to_unit": _arrow(cat["to"]),
            "from_unit": _arrow(cat["from"]),
            "is_bias": _arrow(cat["from"] == -1),
            "value": _arrow(cat["value"].astype(np.float64)),
        }
    )


def hidden_table(result: TrainResult) -> pa.Table:
    """Hidden activations of every class at every snapshot."""
    epochs, classes, units, values = [], [], [], []
    for snap in result.snapshots:
        m, h = snap.hidden.shape
        epochs.append(np.full(m * h, snap.epoch, dtype=np.int64))
        classes.append(np.repeat(np.arange(m, dtype=np.int64), h))
        units.append(np.tile(np.arange(h, dtype=np.int64), m))
        values.append(snap.hidden.ravel())
    return pa.table(
        {
            "epoch": _arrow(np.concatenate(epochs)),
            "class": _arrow(np.concatenate(classes)),
            "unit": _arrow(np.concatenate(units)),
            "activation": _arrow(np.concatenate(values)),
        }
    )


def replace_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write via `write(tmp)` to a temporary file beside `path`, fsync it, rename it into place
    (the one atomic writer of run files and of the workflow's manifests). Temporary files of
    `path` left by a writer that was killed (SIGKILL runs no cleanup) go first: one job at a
    time writes a given file."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        leftover.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(table: pa.Table, path: Path, meta: dict[str, Any]) -> None:
    """Write `table` with `meta` to `path` via a temporary file and a rename."""
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[META_KEY] = json.dumps(meta, sort_keys=True).encode()
    table = table.replace_schema_metadata(schema_meta)
    replace_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_run(result: TrainResult, out_dir: str | Path, version: str, fingerprint: str) -> None:
    """Write the provenance sidecar, the curve, weights and hidden Parquet files, then their
    checksums (last: a run with checksums is complete, and they tell a damaged file later)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    record = provenance.collect(fingerprint, version, result.wall_time_s)
    replace_atomic(
        out / provenance.SIDECAR, lambda tmp: tmp.write_bytes(provenance.to_json(record))
    )
    meta = run_metadata(result, version, fingerprint)
    write_atomic(curve_table(result), out / "curve.parquet", meta)
    write_atomic(weights_table(result), out / "weights.parquet", meta)
    write_atomic(hidden_table(result), out / "hidden.parquet", meta)
    sums = "".join(f"{_sha256(out / name)}  {name}\n" for name in FILES)
    replace_atomic(out / CHECKSUMS, lambda tmp: tmp.write_text(sums, encoding="utf-8"))


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def checksums_digest(run_dir: str | Path) -> str:
    """sha256 of a run's checksums file: one string that changes with any of its files (what a
    setting's manifest records per run)."""
    return _sha256(Path(run_dir) / CHECKSUMS)


def check_run(run_dir: str | Path) -> str | None:
    """Why a finished run's files are damaged (one phrase), or None if they match their
    checksums. A run without checksums (trained before they were written) is not checked."""
    run = Path(run_dir)
    try:
        lines = (run / CHECKSUMS).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return f"{CHECKSUMS} is unreadable ({exc})"
    expected = dict(reversed(line.split("  ", 1)) for line in lines if "  " in line)
    if sorted(expected) != sorted(FILES):
        return f"{CHECKSUMS} does not list {', '.join(FILES)}"
    for name in FILES:
        try:
            if _sha256(run / name) != expected[name]:
                return f"{name} differs from its checksum"
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as exc:
            return f"{name} is unreadable ({exc})"
    return None


def run_state(run_dir: str | Path) -> tuple[str, str] | None:
    """What keeps a run directory from holding a finished, intact run: ("absent", ...) when
    none of its files exist, ("incomplete", "NAME is missing") when some do, ("damaged", why)
    when they do not match their checksums; None when it is complete and intact."""
    run = Path(run_dir)
    missing = [name for name in WRITTEN if not (run / name).exists()]
    if len(missing) == len(WRITTEN):
        return "absent", "no run files"
    if missing:
        return "incomplete", f"{missing[0]} is missing"
    damage = check_run(run)
    return None if damage is None else ("damaged", damage)


def read_meta(path: str | Path) -> dict[str, Any]:
    """The run metadata of one run file."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise RunFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise RunFileError(f"{path}: no backprop_study metadata; not a run file")
    return json.loads(raw)


def check_intact(run_dir: str | Path) -> None:
    """RunFileError (one line) unless the run's files match their checksums."""
    damage = check_run(run_dir)
    if damage is not None:
        raise RunFileError(
            f"{run_dir}: damaged run ({damage}); the next `snakemake` sets it aside and retrains it"
        )


def read_frame(path: str | Path) -> pd.DataFrame:
    """One Parquet file of a run as a DataFrame; RunFileError (one line) if missing or
    unreadable."""
    path = Path(path)
    if not path.exists():
        raise RunFileError(f"{path}: missing; a run directory holds {', '.join(FILES)}")
    try:
        return pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise RunFileError(f"{path}: not a readable Parquet file ({exc})") from exc


def read_run(run_dir: str | Path) -> RunFiles:
    """Read a run directory back as DataFrames plus the metadata dict, after checking its files
    against their checksums."""
    run = Path(run_dir)
    check_intact(run)
    return RunFiles(*(read_frame(run / name) for name in FILES), read_meta(run / FILES[0]))
