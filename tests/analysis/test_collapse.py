"""collapse.py: the trivial network and runs that end at it."""

import numpy as np
import pytest
from weight_tables import long_form

from backprop_study.analysis.collapse import collapse_columns, n_outputs, trivial_loss
from backprop_study.engine.encodings import patterns
from backprop_study.engine.network import Params, forward


def trivial(scale, n=8):
    rng = np.random.default_rng(0)
    logit = np.log((1 / 8) / (1 - 1 / 8))
    return Params(rng.normal(0, scale, (3, n)), np.zeros(3), rng.normal(0, scale, (n, 3)),
                  np.full(n, logit))  # fmt: skip


def data_loss(p, encoding="k"):
    x = patterns(encoding, 8)
    return float(0.5 * np.mean(np.sum((forward(p, x)[1] - x) ** 2, axis=1)))


def test_trivial_loss_is_that_of_outputting_the_class_mean():
    assert trivial_loss("k", 8) == pytest.approx(0.4375)
    assert trivial_loss("k-1", 8) == pytest.approx(0.5 * 7 / 64 * 7)  # 0.383
    assert n_outputs("k-1", 8) == 7
    assert data_loss(trivial(0.0)) == pytest.approx(trivial_loss("k", 8))


def test_a_run_at_the_trivial_network_collapsed():
    p = trivial(3e-14)
    cols = collapse_columns(long_form({1: trivial(1e-6), 2: p}), data_loss(p), "k", 8)
    assert cols["collapsed"] and cols["weight_max_end"] < 1e-12
    assert cols["output_spread_end"] < 1e-12


def test_a_run_heading_to_the_trivial_network_collapsed():
    p = trivial(1e-3)
    cols = collapse_columns(long_form({1: trivial(1e-2), 2: p}), data_loss(p), "k", 8)
    assert cols["collapsed"]


def test_a_plateau_with_growing_weights_did_not_collapse():
    p = trivial(0.1)  # near the trivial loss, as on the λ = 0 plateau, but weights grow
    cols = collapse_columns(long_form({1: trivial(0.05), 2: p}), data_loss(p), "k", 8)
    assert not cols["collapsed"]


def test_a_network_that_learned_did_not_collapse():
    p = Params(np.eye(3, 8) * 5, np.zeros(3), np.eye(8, 3) * 5, np.zeros(8))
    cols = collapse_columns(long_form({1: trivial(1.0), 2: p}), data_loss(p), "k", 8)
    assert not cols["collapsed"] and cols["weight_max_end"] == 5.0
    assert not collapse_columns(long_form({})[:0], 0.4375, "k", 8)["collapsed"]


def _trained(lam, alpha, epochs):
    """A real run's weights and final data loss (fast engine)."""
    from backprop_study import RunConfig, train
    from backprop_study.engine.runfiles import weights_table

    result = train(RunConfig(lam=lam, alpha=alpha, epochs=epochs, seed=3, snapshots=10))
    return result, weights_table(result).to_pandas(), float(result.curve["data_loss"][-1])


def test_a_trained_run_with_strong_weight_decay_collapsed():
    result, weights, loss = _trained(0.1, 1.0, 3000)  # t = 3,000 at λ = 0.1
    cols = collapse_columns(weights, loss, "k", 8)
    assert result.first_solved is None
    assert cols["collapsed"] and cols["weight_max_end"] < 1e-6


def test_a_trained_run_that_solved_did_not_collapse():
    result, weights, loss = _trained(0.0, 1.0, 20_000)  # t = 20,000, past every plateau
    cols = collapse_columns(weights, loss, "k", 8)
    assert result.first_solved is not None
    assert not cols["collapsed"] and cols["weight_max_end"] > 1 and loss < 0.05
