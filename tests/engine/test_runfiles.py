import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from backprop_study import RunConfig, train
from backprop_study.engine.errors import RunFileError
from backprop_study.engine.runfiles import FILES, read_run, write_run


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
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no temporary files


def test_every_file_carries_the_metadata(tmp_path, result) -> None:
    write_run(result, tmp_path, "9.9", "abc")
    metas = [json.loads(pq.read_schema(tmp_path / f).metadata[b"backprop_study"]) for f in FILES]
    assert metas[0] == metas[1] == metas[2]


def test_corrupt_and_missing_files_are_named(tmp_path, result) -> None:
    write_run(result, tmp_path, "9.9", "abc")
    (tmp_path / "weights.parquet").write_bytes(b"not parquet")
    with pytest.raises(RunFileError, match="weights.parquet: not a readable Parquet file"):
        read_run(tmp_path)
    (tmp_path / "weights.parquet").unlink()
    with pytest.raises(RunFileError, match="weights.parquet: missing"):
        read_run(tmp_path)
