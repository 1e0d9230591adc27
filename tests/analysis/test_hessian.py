"""hessian.py: the central-difference Hessian against an exact one, and what λ does to it."""

import numpy as np
import pytest

from backprop_study.analysis import hessian, theory
from backprop_study.engine.encodings import patterns
from backprop_study.engine.losses import LOSS_NAMES, LOSSES
from backprop_study.engine.network import Params, gradients, init_params


def _s(z):
    return 1.0 / (1.0 + np.exp(-z))


def exact_hessian_2_1_2(p: Params, X: np.ndarray, Y: np.ndarray, lam: float) -> np.ndarray:
    """∇²J of a 2-1-2 sigmoid net in closed form, by the second-order chain rule (independent of
    backpropagation): θ = (w1, w2, c, v1, v2, d1, d2), h = σ(w·x + c), o_i = σ(v_i h + d_i),
    J = (1/m) Σ ½ Σ_i (o_i − y_i)² + (λ/2)(w1² + w2² + v1² + v2²)."""
    w, c, v, d = p.W1[0], p.b1[0], p.W2[:, 0], p.b2
    H = np.zeros((7, 7))
    for x, y in zip(X, Y, strict=True):
        u = w @ x + c
        h = _s(u)
        dh = h * (1 - h)
        grad_u = np.array([x[0], x[1], 1.0, 0, 0, 0, 0])
        grad_h = dh * grad_u
        hess_h = dh * (1 - 2 * h) * np.outer(grad_u, grad_u)
        for i in range(2):
            z = v[i] * h + d[i]
            o = _s(z)
            do, ddo = o * (1 - o), o * (1 - o) * (1 - 2 * o)
            e_v, e_d = np.eye(7)[3 + i], np.eye(7)[5 + i]
            grad_z = v[i] * grad_h + h * e_v + e_d
            hess_z = v[i] * hess_h + np.outer(e_v, grad_h) + np.outer(grad_h, e_v)
            grad_o = do * grad_z
            hess_o = ddo * np.outer(grad_z, grad_z) + do * hess_z
            H += (o - y[i]) * hess_o + np.outer(grad_o, grad_o)
    H /= len(X)
    H += lam * np.diag([1.0, 1, 0, 1, 1, 0, 0])
    return H


@pytest.mark.parametrize("lam", [0.0, 0.03])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hessian_matches_the_exact_one_on_a_2_1_2_net(seed, lam):
    rng = np.random.default_rng(seed)
    p = init_params(2, 1, 1.5, rng)
    X = np.eye(2)
    H = hessian.hessian(p, X, X, lam)
    exact = exact_hessian_2_1_2(p, X, X, lam)
    assert H.shape == (7, 7)
    np.testing.assert_allclose(H, exact, rtol=0, atol=1e-8)
    assert np.abs(exact).max() > 1e-3  # the comparison is not between two zero matrices


def test_the_exact_hessian_catches_a_wrong_one():
    p = init_params(2, 1, 1.5, np.random.default_rng(0))
    X = np.eye(2)
    H = hessian.hessian(p, X, X, 0.0)
    H[0, 3] += 1e-4  # an error of this size must show
    assert not np.allclose(H, exact_hessian_2_1_2(p, X, X, 0.0), rtol=0, atol=1e-8)


def test_weight_decay_adds_lambda_on_the_weights_only():
    X = patterns("k", 8)
    p = init_params(8, 3, 0.3, np.random.default_rng(4))
    diff = hessian.hessian(p, X, X, 0.01) - hessian.hessian(p, X, X, 0.0)
    mask = hessian.weight_mask(p)
    assert mask.sum() == 48 and mask.size == 59
    np.testing.assert_allclose(diff, 0.01 * np.diag(mask.astype(float)), atol=1e-9)


def test_flatten_round_trips_in_engine_order():
    p = init_params(8, 3, 0.1, np.random.default_rng(1))
    theta = hessian.flatten(p)
    assert np.array_equal(theta[:24], p.W1.ravel()) and np.array_equal(theta[-8:], p.b2)
    back = hessian.unflatten(theta, p)
    assert all(np.array_equal(a, b) for a, b in zip(back, p, strict=True))


def test_the_trivial_network_is_a_saddle_without_weight_decay_and_a_minimum_with_enough():
    """At W = 0 with outputs at the class mean, W1 and W2 couple into ±c pairs of curvature:
    negative directions at λ = 0, none once λ exceeds the most negative weight curvature."""
    X = patterns("k", 8)
    logit = np.log(1 / 7)
    p = Params(np.zeros((3, 8)), np.zeros(3), np.zeros((8, 3)), np.full(8, logit))
    free = hessian.curvature(p, X, X, 0.0)
    assert free.n_negative > 0 and free.min_weight_eigenvalue < -1e-4
    mu = -free.min_weight_eigenvalue
    assert hessian.curvature(p, X, X, 0.5 * mu).n_negative > 0
    above = hessian.curvature(p, X, X, 1.5 * mu)
    assert above.min_weight_eigenvalue > 0


def _hessian_one_gradient_at_a_time(p: Params, X: np.ndarray, lam: float) -> np.ndarray:
    """The Hessian as first written: one `network.gradients` call per column and sign."""
    theta, eps = hessian.flatten(p), hessian.EPSILON
    H = np.empty((theta.size, theta.size))
    for i in range(theta.size):
        step = np.zeros(theta.size)
        step[i] = eps
        up = hessian.flatten(gradients(hessian.unflatten(theta + step, p), X, X, lam))
        down = hessian.flatten(gradients(hessian.unflatten(theta - step, p), X, X, lam))
        H[:, i] = (up - down) / (2 * eps)
    return 0.5 * (H + H.T)


@pytest.mark.parametrize("encoding", ["k", "k-1"])
@pytest.mark.parametrize("lam", [0.0, 1e-4, 0.03])
@pytest.mark.parametrize("std", [0.1, 1.0, 6.0])
def test_the_stacked_hessian_has_the_bits_of_one_gradient_at_a_time(encoding, lam, std):
    X = patterns(encoding, 8)
    for seed in range(4):
        p = init_params(X.shape[1], 3, std, np.random.default_rng(seed))
        assert np.array_equal(
            hessian.hessian(p, X, X, lam), _hessian_one_gradient_at_a_time(p, X, lam)
        )


def test_stacked_gradients_are_the_reference_engines_gradients_bit_for_bit():
    X = patterns("k", 8)
    nets = [init_params(8, 3, 2.0, np.random.default_rng(s)) for s in range(5)]
    thetas = np.stack([hessian.flatten(p) for p in nets])
    got = hessian.stacked_gradients(thetas, nets[0], X, X, 0.01)
    want = np.stack([hessian.flatten(gradients(p, X, X, 0.01)) for p in nets])
    assert np.array_equal(got, want)
    assert np.abs(want).max() > 1e-3  # not two zero arrays


@pytest.mark.parametrize(("loss", "offset"), [("mse", 0.1), ("cross_entropy", 0.0),
                                              ("cross_entropy", 0.1)])  # fmt: skip
def test_stacked_gradients_follow_the_runs_loss_and_offset(loss, offset):
    X = patterns("k", 8)
    nets = [init_params(8, 3, 2.0, np.random.default_rng(s)) for s in range(3)]
    thetas = np.stack([hessian.flatten(p) for p in nets])
    got = hessian.stacked_gradients(thetas, nets[0], X, X, 0.01, loss, offset)
    code = LOSSES[LOSS_NAMES.index(loss)]
    want = np.stack([hessian.flatten(gradients(p, X, X, 0.01, code, offset)) for p in nets])
    assert np.array_equal(got, want)
    mse = hessian.stacked_gradients(thetas, nets[0], X, X, 0.01)
    assert np.abs(got - mse).max() > 1e-3  # the loss and offset change the matrix


@pytest.mark.parametrize(("n", "m"), [(8, 3), (4, 2)])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("offset", [0.0, 0.1])
def test_the_hessian_at_the_critical_set_is_the_closed_form_update_jacobian(n, m, loss, offset):
    """Off the mse no-offset case the matrix must be the run's own: at a point of the trivial
    critical set with unequal hidden biases and nonzero common weights, central differences of
    the engine's update equal `theory.update_jacobian` (closed form) for every loss and offset."""
    X = patterns("k", n)
    p = theory.trivial_point(n, m, np.linspace(-0.4, 0.7, m), 0.2, -0.3)
    H = hessian.hessian(p, X, X, 0.002, loss=loss, offset=offset)
    exact = theory.update_jacobian(p, loss, 0.002, offset)
    np.testing.assert_allclose(H, exact, rtol=0, atol=1e-8 * np.abs(exact).max())
    curv = hessian.curvature(p, X, X, 0.0, loss, offset)
    want = theory.spectrum(p, loss, 0.0, offset)
    np.testing.assert_allclose(curv.eigenvalues, want, rtol=0, atol=1e-7)
    if offset:  # the update with an offset is not a gradient: its Jacobian is not symmetric
        assert np.abs(H - H.T).max() > 1e-4
