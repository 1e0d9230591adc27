import numpy as np
import pytest

from backprop_study import RunConfig, train
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.network import Params
from backprop_study.engine.training import epoch_orders, random_streams


def test_same_seed_same_bits() -> None:
    cfg = RunConfig(epochs=3000, batch_size=2, alpha=0.5, seed=11)
    a, b = train(cfg), train(cfg)
    for col in a.curve:
        np.testing.assert_array_equal(a.curve[col], b.curve[col])
    for x, y in zip(a.final, b.final, strict=True):
        np.testing.assert_array_equal(x, y)


def test_seed_alone_fixes_the_initial_network() -> None:
    base = train(RunConfig(epochs=1, seed=5))
    for other in (dict(lam=0.1), dict(alpha=2.0), dict(batch_size=1)):
        r = train(RunConfig(epochs=1, seed=5, **other))
        for x, y in zip(base.initial, r.initial, strict=True):
            np.testing.assert_array_equal(x, y)
    r6 = train(RunConfig(epochs=1, seed=6))
    assert not np.array_equal(base.initial.W1, r6.initial.W1)


def test_batch_orders_do_not_depend_on_chunking() -> None:
    _, rng1 = random_streams(4)
    _, rng2 = random_streams(4)
    whole = epoch_orders(rng1, 10, 8)
    parts = np.vstack([epoch_orders(rng2, 3, 8), epoch_orders(rng2, 7, 8)])
    np.testing.assert_array_equal(whole, parts)
    assert all(sorted(row) == list(range(8)) for row in whole.tolist())


def test_explicit_init_is_used_and_checked() -> None:
    init = Params(np.full((3, 8), 0.2), np.zeros(3), np.full((8, 3), -0.1), np.zeros(8))
    r = train(RunConfig(epochs=2), init=init)
    np.testing.assert_array_equal(r.initial.W1, init.W1)
    assert r.snapshots[0].epoch == 0
    np.testing.assert_array_equal(r.snapshots[0].params.W2, init.W2)
    with pytest.raises(ValueError, match="W1 has shape"):
        train(
            RunConfig(epochs=2), init=(np.zeros((8, 3)), np.zeros(3), np.zeros((8, 3)), np.zeros(8))
        )


def test_events_are_exact_not_logged() -> None:
    # log rarely; the first all-correct epoch must still be exact
    cfg = RunConfig(epochs=3000, alpha=2.0, seed=2, log_every=1000)
    sparse = train(cfg)
    dense = train(RunConfig(epochs=3000, alpha=2.0, seed=2, log_every=1))
    assert sparse.first_all_correct == dense.first_all_correct
    first = int(np.argmax(dense.curve["correct"] == 8))
    assert (
        dense.curve["correct"][first] == 8
        and dense.first_all_correct == dense.curve["epoch"][first]
    )
    solved = int(np.argmax(dense.curve["max_error"] < 0.4))
    assert dense.first_solved == dense.curve["epoch"][solved]


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_divergence_stops_cleanly(engine: str, recwarn: pytest.WarningsRecorder) -> None:
    # alpha * lam > 2 makes the weight decay factor |1 - alpha*lam| > 1: weights blow up
    r = train(RunConfig(epochs=5000, alpha=500.0, lam=0.01), engine=engine)
    assert r.diverged and r.diverged_epoch is not None
    assert r.epochs_run == r.diverged_epoch - 1
    # every epoch up to 1000 is logged: the curve runs to the last finite epoch
    assert 0 < r.epochs_run < 1000
    np.testing.assert_array_equal(r.curve["epoch"], np.arange(r.epochs_run + 1))
    assert np.all(np.isfinite(r.curve["objective"]))
    assert r.curve["penalty"][-1] > 1e100  # the blow-up is in the curve, up to overflow
    assert all(s.epoch <= r.epochs_run for s in r.snapshots) and len(r.snapshots) > 1
    assert len(recwarn) == 0


def test_huge_alpha_without_decay_does_not_crash() -> None:
    r = train(RunConfig(epochs=2000, alpha=500.0))
    assert r.epochs_run == 2000 or r.diverged
    assert len(r.curve["epoch"]) > 0


def test_curve_and_snapshots_cover_the_run() -> None:
    r = train(RunConfig(epochs=5000, snapshot_at=(4321,)))
    assert r.curve["epoch"][0] == 0 and r.curve["epoch"][-1] == 5000
    epochs = [s.epoch for s in r.snapshots]
    assert epochs[0] == 0 and epochs[-1] == 5000 and 4321 in epochs
    assert r.snapshots[-1].hidden.shape == (8, 3)
    np.testing.assert_array_equal(r.snapshots[-1].params.W1, r.final.W1)


def test_other_sizes_work() -> None:
    r = train(RunConfig(classes=10, hidden=5, batch_size=5, epochs=200))
    assert r.final.W1.shape == (5, 10) and r.snapshots[-1].hidden.shape == (10, 5)
    r = train(RunConfig(classes=4, hidden=2, encoding="k-1", batch_size=4, epochs=200))
    assert r.final.W2.shape == (3, 2)


def test_memory_does_not_grow_with_epochs_beyond_the_logged_rows():
    """The per-epoch slot arrays cover one engine call, not the run (10^8 epochs used 1.7 GB)."""
    import tracemalloc

    from backprop_study.engine import training

    def peak(epochs: int) -> int:
        config = RunConfig(epochs=epochs, log_every=epochs // 4, snapshots=2, alpha=0.5)
        tracemalloc.start()
        train(config)
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    short, long = peak(2 * training.CHUNK_EPOCHS), peak(20 * training.CHUNK_EPOCHS)
    assert long < short + 100_000, (short, long)  # 10x the epochs, the same memory


def test_a_chunked_run_equals_one_long_call(monkeypatch):
    """Slots are per engine call: rows and snapshots land the same for any chunk size."""
    from backprop_study.engine import training

    config = RunConfig(epochs=3000, alpha=0.5, batch_size=2, log_dense_until=50, snapshots=7)
    whole = train(config)
    monkeypatch.setattr(training, "CHUNK_EPOCHS", 97)
    chunked = train(config)
    for name in whole.curve:
        np.testing.assert_array_equal(whole.curve[name], chunked.curve[name])
    for a, b in zip(whole.snapshots, chunked.snapshots, strict=True):
        assert a.epoch == b.epoch
        for x, y in zip(a.params, b.params, strict=True):
            np.testing.assert_array_equal(x, y)


def test_a_logging_schedule_too_large_for_memory_is_refused():
    with pytest.raises(ConfigError, match=r"^log_every: logs 100,000,002 rows over"):
        RunConfig(epochs=100_000_000, log_every=1)
