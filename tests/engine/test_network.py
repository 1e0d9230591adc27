import numpy as np
import pytest

from backprop_study import RunConfig, train
from backprop_study.engine import network
from backprop_study.engine.encodings import patterns
from backprop_study.engine.losses import LOSSES, Loss
from backprop_study.engine.training import random_streams


def _loss(p: network.Params, X: np.ndarray, lam: float, loss: Loss) -> float:
    """The objective of these patterns as the gradient is defined: mean loss + penalty, written
    out here from the textbook formulas (not from `losses`)."""
    _, a2 = network.forward(p, X)
    if loss.name == "mse":
        data = 0.5 * np.sum((a2 - X) ** 2) / X.shape[0]
    else:
        data = -np.sum(X * np.log(a2) + (1 - X) * np.log(1 - a2)) / X.shape[0]
    return data + 0.5 * lam * (np.sum(p.W1**2) + np.sum(p.W2**2))


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
@pytest.mark.parametrize("encoding", ["k", "k-1"])
@pytest.mark.parametrize("lam", [0.0, 0.1])
@pytest.mark.parametrize("batch", [1, 2, 4, 8])
def test_gradient_matches_central_differences(
    encoding: str, lam: float, batch: int, loss: Loss
) -> None:
    X = patterns(encoding, 8)
    init, _ = random_streams(7)
    # larger weights than the default init so every term of the gradient matters
    p = network.init_params(X.shape[1], 3, 1.0, init)
    Xb = X[np.arange(batch) * (8 // batch)]  # a batch of `batch` distinct patterns
    g = network.gradients(p, Xb, Xb, lam, loss)
    eps = 1e-6
    for which, (param, grad) in enumerate(zip(p, g, strict=True)):
        numeric = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + eps
            up = _loss(p, Xb, lam, loss)
            param[idx] = old - eps
            down = _loss(p, Xb, lam, loss)
            param[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        rel = np.linalg.norm(grad - numeric) / max(
            np.linalg.norm(grad) + np.linalg.norm(numeric), 1e-300
        )
        assert rel < 1e-7, (network.Params._fields[which], rel)


def test_biases_are_not_penalised() -> None:
    X = patterns("k", 8)
    init, _ = random_streams(1)
    p = network.init_params(8, 3, 0.5, init)
    g0 = network.gradients(p, X, X, 0.0)
    g1 = network.gradients(p, X, X, 0.3)
    np.testing.assert_array_equal(g0.b1, g1.b1)
    np.testing.assert_array_equal(g0.b2, g1.b2)
    np.testing.assert_allclose(g1.W1 - g0.W1, 0.3 * p.W1, rtol=1e-12)


def test_evaluate_splits_data_loss_and_penalty() -> None:
    X = patterns("k", 8)
    zero = network.Params(np.zeros((3, 8)), np.zeros(3), np.zeros((8, 3)), np.zeros(8))
    m = network.evaluate(zero, X, X, 0.5, k_minus_1=False)
    # every output is sigmoid(0) = 0.5: each pattern has one 0.5 error and seven 0.5 errors
    assert m.data_loss == pytest.approx(0.5 * 8 * 0.25)
    assert m.penalty == 0.0
    assert m.max_error == 0.5
    ones = network.Params(np.ones((3, 8)), np.zeros(3), np.ones((8, 3)), np.zeros(8))
    m1 = network.evaluate(ones, X, X, 0.5, k_minus_1=False)
    assert m1.penalty == pytest.approx(0.25 * 48)
    assert m1.objective == pytest.approx(m1.data_loss + m1.penalty)


def test_init_draws_in_documented_order() -> None:
    rng = np.random.default_rng(3)
    p = network.init_params(8, 3, 0.1, rng)
    flat = np.random.default_rng(3).standard_normal(59) * 0.1
    np.testing.assert_array_equal(np.concatenate([a.ravel() for a in p]), flat)


def test_normal_init_is_the_draw_it_always_was() -> None:
    """Seed 0's first weight as the init code before init_distribution drew it: N(0, 0.1²) from
    the run's init stream (training.random_streams)."""
    p = network.init_params(8, 3, 0.1, random_streams(0)[0])
    assert p.W1[0, 0] == WEIGHT_0_SEED_0
    assert train(RunConfig(epochs=1, seed=0)).initial.W1[0, 0] == WEIGHT_0_SEED_0


WEIGHT_0_SEED_0 = float.fromhex("0x1.27aafbfcc47fbp-3")  # 0.14436909546981255, from 8eac877


@pytest.mark.parametrize("half_range", [0.5, 3.0])
def test_uniform_init_draws_in_range_in_documented_order(half_range: float) -> None:
    p = network.init_params(8, 3, 0.1, np.random.default_rng(3), "uniform", half_range)
    flat = np.concatenate([a.ravel() for a in p])
    assert flat.min() >= -half_range and flat.max() < half_range
    assert flat.max() - flat.min() > half_range  # spread over the range, not N(0, 0.1²)
    expected = np.random.default_rng(3).uniform(-half_range, half_range, 59)
    np.testing.assert_array_equal(flat, expected)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_evaluate_reports_the_loss_that_is_differentiated(loss: Loss) -> None:
    X = patterns("k", 8)
    init, _ = random_streams(2)
    p = network.init_params(8, 3, 2.0, init)
    m = network.evaluate(p, X, X, 0.0, k_minus_1=False, loss=loss)
    assert m.data_loss == pytest.approx(_loss(p, X, 0.0, loss), rel=1e-13)


def test_cross_entropy_stays_finite_when_outputs_saturate() -> None:
    """A wrong output at z = 40 rounds to exactly 1.0; its loss is about 40, not infinite."""
    X = patterns("k", 8)
    p = network.Params(np.zeros((3, 8)), np.zeros(3), np.zeros((8, 3)), np.full(8, 40.0))
    m = network.evaluate(p, X, X, 0.0, k_minus_1=False, loss=LOSSES[1])
    assert m.data_loss == pytest.approx(7 * 40.0 + np.log1p(np.exp(-40.0)), rel=1e-12)


def test_prime_offset_adds_to_the_sigmoid_derivative_of_every_unit_under_mse() -> None:
    """Fahlman's offset: delta = error * (a (1 - a) + offset), at the outputs and hidden units."""
    X = patterns("k", 8)[:1]
    init, _ = random_streams(4)
    p = network.init_params(8, 3, 1.0, init)
    a1, a2 = network.forward(p, X)
    off = 0.1
    d2 = (a2 - X) * (a2 * (1 - a2) + off)
    d1 = (d2 @ p.W2) * (a1 * (1 - a1) + off)
    g = network.gradients(p, X, X, 0.0, LOSSES[0], prime_offset=off)
    np.testing.assert_allclose(g.W2, d2.T @ a1, rtol=1e-14)
    np.testing.assert_allclose(g.W1, d1.T @ X, rtol=1e-14)
    # cross-entropy's output delta has no sigmoid derivative to offset; the hidden one does
    g = network.gradients(p, X, X, 0.0, LOSSES[1], prime_offset=off)
    d2 = a2 - X
    np.testing.assert_allclose(g.W2, d2.T @ a1, rtol=1e-14)
    np.testing.assert_allclose(g.W1, ((d2 @ p.W2) * (a1 * (1 - a1) + off)).T @ X, rtol=1e-14)
