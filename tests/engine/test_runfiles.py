import hashlib
import importlib.metadata
import json
import platform

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from backprop_study import RunConfig, train
from backprop_study.engine.errors import RunFileError
from backprop_study.engine.provenance import FIELDS, SIDECAR, read_sidecar
from backprop_study.engine.runfiles import FILES, WRITTEN, read_run, write_run


@pytest.fixture(scope="module")
def result():
    return train(RunConfig(epochs=300, snapshots=4, snapshot_at=(250,), encoding="k-1", lam=0.01))


def test_round_trip(tmp_path, result) -> None:
    write_run(result, tmp_path, "9.9", "abc")
    run = read_run(tmp_path)
    np.testing.assert_array_equal(run.curve["objective"].to_numpy(), result.curve["objective"])
    assert list(run.curve.columns) == [
        "epoch",
        "data_loss",
        "penalty",
        "objective",
        "correct",
        "max_error",
    ]
    assert run.meta["config"]["encoding"] == "k-1" and run.meta["fingerprint"] == "abc"
    assert run.meta["epochs_run"] == 300 and run.meta["diverged"] is False
    last = run.weights[run.weights.epoch == 300]
    assert len(last) == 52  # the k-1 network's parameters
    bias = last[(last.layer == "hidden") & last.is_bias].sort_values("to_unit")
    np.testing.assert_array_equal(bias.value.to_numpy(), result.final.b1)
    assert (bias.from_unit == -1).all()
    w = last[(last.layer == "output") & (last.to_unit == 2) & (last.from_unit == 1)]
    assert w.value.item() == result.final.W2[2, 1]
    h = run.hidden[(run.hidden.epoch == 250) & (run.hidden["class"] == 5)].sort_values("unit")
    snap = next(s for s in result.snapshots if s.epoch == 250)
    np.testing.assert_array_equal(h.activation.to_numpy(), snap.hidden[5])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(WRITTEN)  # no temp files


def test_every_file_carries_the_metadata(tmp_path, result) -> None:
    write_run(result, tmp_path, "9.9", "abc")
    metas = [json.loads(pq.read_schema(tmp_path / f).metadata[b"backprop_study"]) for f in FILES]
    assert metas[0] == metas[1] == metas[2]


def test_corrupt_and_missing_files_are_named(tmp_path, result) -> None:
    write_run(result, tmp_path, "9.9", "abc")
    (tmp_path / "checksums.sha256").unlink()  # as a run from before checksums
    (tmp_path / "weights.parquet").write_bytes(b"not parquet")
    with pytest.raises(RunFileError, match="weights.parquet: not a readable Parquet file"):
        read_run(tmp_path)
    (tmp_path / "weights.parquet").unlink()
    with pytest.raises(RunFileError, match="weights.parquet: missing"):
        read_run(tmp_path)


def test_the_sidecar_holds_the_run_provenance(tmp_path, result, monkeypatch) -> None:
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    write_run(result, tmp_path, "9.9", "abc")
    record = json.loads((tmp_path / SIDECAR).read_text())
    assert set(record) == {*FIELDS, "slurm_job_id", "wall_time_s"}
    assert record["python"] == platform.python_version()
    assert record["numpy"] == np.__version__ and record["pyarrow"] == pa.__version__
    assert record["numba"] == importlib.metadata.version("numba")
    assert record["fingerprint"] == "abc" and record["backprop_study"] == "9.9"
    assert record["cpu"] and record["os"] == platform.platform()
    assert record["executor"] == "local" and record["slurm_job_id"] is None
    assert record["wall_time_s"] == round(result.wall_time_s, 6) > 0
    assert read_sidecar(tmp_path) == record
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(WRITTEN)


def test_a_slurm_job_is_recorded_as_such(tmp_path, result, monkeypatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    write_run(result, tmp_path, "9.9", "abc")
    record = read_sidecar(tmp_path)
    assert record["executor"] == "slurm" and record["slurm_job_id"] == "4242"


def test_no_timing_or_machine_in_the_parquet_files(tmp_path, result) -> None:
    write_run(result, tmp_path, "9.9", "abc")
    meta = read_run(tmp_path).meta
    assert "wall_time_s" not in meta
    assert not set(meta) & {"cpu", "os", "executor", "slurm_job_id", "python"}


def sha256s(run_dir) -> dict[str, str]:
    return {name: hashlib.sha256((run_dir / name).read_bytes()).hexdigest() for name in FILES}


def test_the_same_config_and_seed_give_byte_identical_files(tmp_path, monkeypatch) -> None:
    """Two trainings of one config, one of them "on SLURM": the Parquet files are the same
    bytes, only the sidecars differ."""
    config = RunConfig(epochs=200, snapshots=3, lam=0.001, alpha=0.5, batch_size=4, seed=7)
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    write_run(train(config), tmp_path / "a", "9.9", "abc")
    monkeypatch.setenv("SLURM_JOB_ID", "17")
    write_run(train(config), tmp_path / "b", "9.9", "abc")
    assert sha256s(tmp_path / "a") == sha256s(tmp_path / "b")
    assert read_sidecar(tmp_path / "a") != read_sidecar(tmp_path / "b")
    other = RunConfig(epochs=200, snapshots=3, lam=0.001, alpha=0.5, batch_size=4, seed=8)
    write_run(train(other), tmp_path / "c", "9.9", "abc")
    assert sha256s(tmp_path / "c")["curve.parquet"] != sha256s(tmp_path / "a")["curve.parquet"]


def test_a_run_without_sidecar_has_no_provenance_and_a_corrupt_one_is_named(
    tmp_path, result
) -> None:
    write_run(result, tmp_path, "9.9", "abc")
    (tmp_path / SIDECAR).unlink()
    assert read_sidecar(tmp_path) is None
    read_run(tmp_path)  # the Parquet files alone are a complete run
    (tmp_path / SIDECAR).write_text("{not json")
    with pytest.raises(RunFileError, match="provenance.json: not a readable provenance file"):
        read_sidecar(tmp_path)


def test_rewriting_a_run_removes_what_a_killed_writer_left(tmp_path, result) -> None:
    """SIGKILL runs no cleanup, so a job killed mid-write leaves a temporary file; the next
    write of that file removes it (and leaves other files' alone)."""
    out = tmp_path / "run"
    out.mkdir()
    leftovers = [out / ".curve.parquet.4242.tmp", out / ".checksums.sha256.17.tmp"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    other = out / ".notes.txt.5.tmp"
    other.write_bytes(b"someone else's")
    write_run(result, out, "0.1.0", "abc")
    assert not any(path.exists() for path in leftovers)
    assert other.read_bytes() == b"someone else's"
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp")) == [other.name]


def test_checksums_tell_a_damaged_run(tmp_path):
    from backprop_study.engine.runfiles import CHECKSUMS, check_run

    out = tmp_path / "run"
    write_run(train(RunConfig(epochs=50)), out, "0.1.0", "abc")
    assert check_run(out) is None
    lines = (out / CHECKSUMS).read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == list(FILES)  # sha256sum -c format
    curve = (out / "curve.parquet").read_bytes()
    (out / "curve.parquet").write_bytes(curve[: len(curve) // 2])  # truncated
    assert check_run(out) == "curve.parquet differs from its checksum"
    with pytest.raises(RunFileError, match=r"damaged run \(curve.parquet differs"):
        read_run(out)
    flipped = bytearray(curve)
    flipped[len(curve) // 2] ^= 1  # one bit, same size
    (out / "curve.parquet").write_bytes(bytes(flipped))
    assert check_run(out) == "curve.parquet differs from its checksum"
    (out / "curve.parquet").unlink()
    assert check_run(out) == "curve.parquet is missing"
    (out / CHECKSUMS).unlink()
    assert check_run(out) is None  # runs from before checksums are not checked


def test_run_state_tells_absent_incomplete_damaged_and_intact(tmp_path):
    from backprop_study.engine.runfiles import CHECKSUMS, run_state

    out = tmp_path / "run"
    assert run_state(out) == ("absent", "no run files")
    write_run(train(RunConfig(epochs=50)), out, "0.1.0", "abc")
    assert run_state(out) is None
    hidden = (out / "hidden.parquet").read_bytes()
    (out / "hidden.parquet").write_bytes(hidden[:-8])
    assert run_state(out) == ("damaged", "hidden.parquet differs from its checksum")
    (out / CHECKSUMS).unlink()
    assert run_state(out) == ("incomplete", f"{CHECKSUMS} is missing")
