"""theory.py: the closed-form update Jacobian at the trivial critical set against central
differences of the reference engine's update, and the spectrum it predicts."""

import math

import numpy as np
import pytest

from backprop_study.analysis import hessian, theory
from backprop_study.engine.losses import LOSS_NAMES, LOSSES
from backprop_study.engine.network import evaluate, gradients

SHAPES = [(4, 2), (8, 3), (8, 5), (16, 4)]
RTOL = 1e-8


def numerical_jacobian(p, loss: str, lam: float, offset: float, eps: float = 1e-5) -> np.ndarray:
    """Central differences of `network.gradients` (with the σ' offset, so not `hessian.hessian`,
    which is the mse Hessian only): column i is (G(θ + ε e_i) − G(θ − ε e_i)) / 2ε."""
    x = np.eye(p.W2.shape[0])
    code = LOSSES[LOSS_NAMES.index(loss)]
    theta = hessian.flatten(p)
    steps = np.eye(theta.size) * eps

    def g(t):
        return hessian.flatten(gradients(hessian.unflatten(t, p), x, x, lam, code, offset))

    return np.array([(g(theta + e) - g(theta - e)) / (2 * eps) for e in steps]).T


def some_point(n: int, m: int, lam: float, seed: int):
    """A point of the critical set with unequal hidden pre-activations; off the weight-free
    point only at λ = 0, where the whole set is critical."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.3, m) if lam == 0 else 0.0
    v = rng.normal(0, 0.7, m) if lam == 0 else 0.0
    return theory.trivial_point(n, m, rng.normal(0, 0.5, m), w, v)


@pytest.mark.parametrize(("n", "m"), SHAPES)
@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize(("lam", "offset"), [(0.0, 0.0), (0.0, 0.1), (0.002, 0.1), (0.01, 0.0)])
def test_closed_form_jacobian_matches_central_differences(n, m, loss, lam, offset):
    p = some_point(n, m, lam, seed=n + m)
    numeric = numerical_jacobian(p, loss, lam, offset)
    closed = theory.update_jacobian(p, loss, lam, offset)
    scale = np.abs(numeric).max()
    assert scale > 1e-3
    assert np.abs(closed - numeric).max() <= RTOL * scale


def test_without_offset_the_jacobian_is_the_projects_mse_hessian():
    p = some_point(8, 3, 0.0, seed=1)
    x = np.eye(8)
    H = hessian.hessian(p, x, x, 0.0)
    closed = theory.update_jacobian(p, "mse")
    np.testing.assert_allclose(closed, closed.T, rtol=0, atol=1e-15)
    assert np.abs(closed - H).max() <= RTOL * np.abs(H).max()


def test_a_wrong_jacobian_is_caught():
    p = some_point(8, 3, 0.0, seed=2)
    closed = theory.update_jacobian(p, "mse", 0.0, 0.1)
    closed[5, 40] += 1e-6 * np.abs(closed).max()
    numeric = numerical_jacobian(p, "mse", 0.0, 0.1)
    assert np.abs(closed - numeric).max() > RTOL * np.abs(numeric).max()


@pytest.mark.parametrize(("n", "m"), SHAPES)
@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("offset", [0.0, 0.1])
def test_the_point_is_critical(n, m, loss, offset):
    for lam in (0.0, 0.01):
        p = some_point(n, m, lam, seed=3)
        x = np.eye(n)
        g = gradients(p, x, x, lam, LOSSES[LOSS_NAMES.index(loss)], offset)
        assert np.abs(hessian.flatten(g)).max() < 1e-14


@pytest.mark.parametrize(("n", "m"), SHAPES)
@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("offset", [0.0, 0.1])
def test_block_spectrum_is_the_jacobians(n, m, loss, offset):
    p = some_point(n, m, 0.0, seed=4)
    full = np.sort(np.linalg.eigvals(theory.update_jacobian(p, loss, 0.0, offset)).real)
    np.testing.assert_allclose(theory.spectrum(p, loss, 0.0, offset), full, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("n", "m"), SHAPES)
@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("offset", [0.0, 0.1])
def test_uniform_hidden_units_give_mu_and_the_count(n, m, loss, offset):
    zeta = 0.4
    p = theory.trivial_point(n, m, zeta, 0.0, -0.5)
    ev = theory.spectrum(p, loss, 0.0, offset)
    mu = theory.mu(zeta, n, loss, offset)
    assert ev[0] == pytest.approx(-mu, rel=1e-10)
    assert np.sum(ev < -1e-12) == theory.n_negative(m, n)
    assert np.sum(np.isclose(ev, -mu, rtol=1e-9, atol=0)) == (m - 1) * (n - 1)


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("offset", [0.0, 0.1])
def test_weight_decay_above_the_largest_unit_mu_makes_the_point_stable(loss, offset):
    rng = np.random.default_rng(5)
    beta = rng.normal(0, 0.8, 3)
    top = theory.mu(beta, 8, loss, offset)
    p = theory.trivial_point(8, 3, beta)
    assert theory.spectrum(p, loss, 1.001 * top, offset)[0] > -1e-15
    assert theory.spectrum(p, loss, 0.999 * top, offset)[0] < 0


def test_gains_reject_an_unknown_loss():
    with pytest.raises(ValueError, match="loss: 'hinge' is not one of mse, cross_entropy"):
        theory.gains(8, "hinge", 0.0)


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_plateau_loss_is_the_engines_loss_at_the_point(loss):
    p = theory.trivial_point(8, 3, 0.3, 0.1, -0.4)
    x = np.eye(8)
    m = evaluate(p, x, x, 0.0, False, LOSSES[LOSS_NAMES.index(loss)])
    assert m.data_loss == pytest.approx(theory.plateau_loss(8, loss), rel=1e-12)


def test_landing_is_critical_and_the_same_for_both_losses():
    mse = theory.landing(8, 3, "mse")
    ce = theory.landing(8, 3, "cross_entropy")
    # in the symmetric subspace σ'(z2) is one number for every output: mse's flow is
    # cross-entropy's with a slower clock, so both land at the same point
    assert mse.zeta == pytest.approx(ce.zeta, rel=1e-6)
    assert mse.zeta > 0.1  # the transient moves the hidden units off ζ = 0
    p = theory.trivial_point(8, 3, mse.zeta, 0.0, mse.v)
    x = np.eye(8)
    g = hessian.flatten(gradients(p, x, x, 0.0))
    assert np.abs(g).max() < 1e-12
    assert mse.mu < theory.mu(0.0, 8, "mse", 0.0)


def test_critical_lambda_is_where_the_landing_point_turns_stable():
    lam_c = theory.critical_lambda(8, 3, "mse", rel_tol=1e-3)
    assert 0 < lam_c < theory.mu(0.0, 8, "mse", 0.0)
    below = theory.landing(8, 3, "mse", 0.97 * lam_c)
    above = theory.landing(8, 3, "mse", 1.03 * lam_c)
    assert below.mu > 0.97 * lam_c
    assert above.mu < 1.03 * lam_c


def test_small_steps_land_where_the_flow_does_and_large_ones_elsewhere():
    flow = theory.landing(8, 3, "mse")
    small = theory.landing(8, 3, "mse", alpha=0.05)
    large = theory.landing(8, 3, "mse", alpha=2.0)
    assert small.zeta == pytest.approx(flow.zeta, rel=2e-3)
    assert abs(large.zeta - flow.zeta) > 10 * abs(small.zeta - flow.zeta)


def test_expected_max_of_normals():
    assert theory.expected_max_normal(1) == 0.0
    assert theory.expected_max_normal(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-6)
    assert theory.expected_max_normal(3) == pytest.approx(1.5 / math.sqrt(math.pi), rel=1e-6)


def test_small_s_bounds_scale_as_derived():
    """ε_nl ∝ s², ε_ζ ∝ s ln(X_f / (s √modes)); both vanish as s → 0; one unit has no spread."""
    a = theory.small_s(8, 3, "mse", 0.0, 0.001, 0.95)
    b = theory.small_s(8, 3, "mse", 0.0, 0.01, 0.95)
    assert b.nonlinear / a.nonlinear == pytest.approx(100.0, rel=1e-9)
    land = theory.landing(8, 3, "mse")
    gap = 0.05 * theory.plateau_loss(8, "mse")
    assert a.nonlinear == pytest.approx(land.mu * 1e-6 * 14 / (2 * gap), rel=1e-9)
    x_f = math.sqrt(2 * gap / land.mu)
    ratio = 10 * math.log(x_f / (0.01 * math.sqrt(14))) / math.log(x_f / (0.001 * math.sqrt(14)))
    assert b.spread / a.spread == pytest.approx(ratio, rel=1e-9)
    assert a.small and not theory.small_s(8, 3, "mse", 0.0, 0.03, 0.95).small
    assert theory.small_s(8, 1, "mse", 0.0, 0.03, 0.95).spread == 0.0
