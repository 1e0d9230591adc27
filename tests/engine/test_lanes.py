"""Many runs at once (`lanes`, through `training.train_many`): every run bit-identical to
training it alone, whatever else is in its block, diverging or not."""

import dataclasses

import numpy as np
import pytest

from backprop_study import RunConfig
from backprop_study.engine import lanes, training
from backprop_study.engine.training import TrainResult, train, train_many


def assert_same(alone: TrainResult, together: TrainResult) -> None:
    assert together.config == alone.config
    assert (together.epochs_run, together.diverged, together.diverged_epoch) == (
        alone.epochs_run,
        alone.diverged,
        alone.diverged_epoch,
    )
    assert together.first_all_correct == alone.first_all_correct
    assert together.first_solved == alone.first_solved
    assert together.curve.keys() == alone.curve.keys()
    for name, column in alone.curve.items():
        assert column.dtype == together.curve[name].dtype
        assert np.array_equal(column, together.curve[name], equal_nan=True), name
    for a, b in zip(
        (*alone.initial, *alone.final), (*together.initial, *together.final), strict=True
    ):
        assert np.array_equal(a, b, equal_nan=True)
    assert [s.epoch for s in together.snapshots] == [s.epoch for s in alone.snapshots]
    for s, t in zip(alone.snapshots, together.snapshots, strict=True):
        for a, b in zip((*s.params, s.hidden), (*t.params, t.hidden), strict=True):
            assert np.array_equal(a, b)


MODES = [
    dict(),
    dict(batch_size=4),
    dict(batch_size=2, loss="cross_entropy"),
    dict(batch_size=1),
    dict(batch_size=1, prime_offset=0.1, lam=1e-3),
    dict(encoding="k-1", lam=1e-3),
    dict(loss="cross_entropy", prime_offset=0.1),
    dict(optimizer="momentum", alpha=0.1),
    dict(optimizer="rprop", alpha=0.01, lam=1e-3),
    dict(optimizer="adam", alpha=0.005),
    dict(optimizer="adam", alpha=0.005, batch_size=1, loss="cross_entropy"),
    dict(classes=6, hidden=2, batch_size=3),  # a batch size that is not a power of two
    dict(optimizer="quickprop", alpha=0.5),
    dict(optimizer="quickprop", alpha=2.0, loss="cross_entropy", prime_offset=0.1, lam=1e-3),
    dict(optimizer="supersab", alpha=0.5),
    dict(optimizer="supersab", alpha=0.1, loss="cross_entropy"),
    dict(init_distribution="uniform", init_range=1.0),
]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: ",".join(f"{k}={v}" for k, v in m.items()))
def test_every_run_is_the_run_trained_alone(mode: dict) -> None:
    """A full block, then a partial one with free lanes (seeds 0..LANES + MIN_LANE_RUNS - 1)."""
    configs = [
        RunConfig(epochs=600, seed=s, snapshots=3, **mode)
        for s in range(lanes.LANES + training.MIN_LANE_RUNS)
    ]
    results = list(train_many(configs))
    assert [r.config for r in results] == configs
    for config, together in zip(configs, results, strict=True):
        assert_same(train(config), together)


@pytest.mark.parametrize(
    "mode",
    [
        dict(alpha=5.0, lam=0.42, epochs=3800),  # seeds diverge at epochs 3711 to 3713
        dict(alpha=1e3, lam=0.0021, batch_size=1, epochs=500),  # at 458 or 459
    ],
)
def test_runs_that_diverge_at_different_epochs_leave_the_others_alone(mode: dict) -> None:
    configs = [RunConfig(seed=s, **mode) for s in range(lanes.LANES)]
    results = list(train_many(configs))
    epochs = {r.diverged_epoch for r in results}
    assert None not in epochs and len(epochs) > 1  # the case this test is about
    for config, together in zip(configs, results, strict=True):
        assert_same(train(config), together)


def test_runs_of_other_settings_and_too_few_seeds_train_alone(monkeypatch) -> None:
    blocks = []
    real = training._train_lanes

    def spy(configs):
        blocks.append([c.seed for c in configs])
        return real(configs)

    monkeypatch.setattr(training, "_train_lanes", spy)
    base = RunConfig(epochs=50)
    many = [dataclasses.replace(base, seed=s) for s in range(lanes.LANES + 1)]
    other = [dataclasses.replace(base, seed=s, lam=0.1) for s in range(training.MIN_LANE_RUNS - 1)]
    configs = many + other
    results = list(train_many(configs))
    assert blocks == [list(range(lanes.LANES))]  # the 9th seed and the other setting: alone
    assert [r.config for r in results] == configs
    assert_same(train(configs[-1]), results[-1])
    k = lanes.MAX_UNITS + 1
    big = [RunConfig(epochs=5, classes=k, batch_size=k, seed=s) for s in range(8)]
    assert [r.config for r in train_many(big)] == big and len(blocks) == 1
    ref = [dataclasses.replace(base, seed=s) for s in range(8)]
    assert all(r.engine == "reference" for r in train_many(ref, engine="reference"))
    assert len(blocks) == 1
