"""The optimizers: first steps against numbers worked out by hand, neutral settings, state."""

import math

import numpy as np
import pytest

from backprop_study import RunConfig, train
from backprop_study.engine import fastpath, optimizers
from backprop_study.engine.optimizers import HYPER, State

DEFAULTS = np.array([RunConfig.__dataclass_fields__[n].default for n in HYPER])


def _reference(theta, g, code, alpha, hyper, s):
    optimizers.step(theta, g, code, alpha, hyper, s)


def _fast(theta, g, code, alpha, hyper, s):
    fastpath._step(theta, g, code, alpha, hyper, *s)


STEPS = [_reference, _fast]


def _steps(name: str, grads: list[list[float]], alpha: float, step) -> list[np.ndarray]:
    """θ after each of the gradients (θ starts at 0)."""
    theta = np.zeros(len(grads[0]))
    s = State.new(name, theta.size, DEFAULTS)
    out = []
    for g in grads:
        step(theta, np.array(g, dtype=float), optimizers.optimizer_code(name), alpha, DEFAULTS, s)
        out.append(theta.copy())
    return out


@pytest.mark.parametrize("step", STEPS, ids=["reference", "fast"])
def test_rprop_first_three_steps_by_hand(step) -> None:
    # Four weights, gradient signs over three steps: + + +, + + -, + - +, - 0 -.
    grads = [[2.0, 0.3, 1.0, -5.0], [0.5, 0.1, -4.0, 0.0], [7.0, -0.2, 3.0, -1.0]]
    got = _steps("rprop", grads, alpha=123.0, step=step)  # alpha must not matter
    # step 1: no previous gradient, so every weight moves by Δ0 = 0.1 against its sign
    # step 2: same sign -> Δ = 0.1 * 1.2 = 0.12; sign change -> undo step 1 (back to 0),
    #         Δ = 0.1 * 0.5 = 0.05, forget the gradient; zero gradient -> no move
    # step 3: w0 same sign again -> Δ = 0.144; w1 sign change -> undo step 2's -0.12;
    #         w2 after a backtrack -> plain step of the shrunk Δ = 0.05 against the sign (+);
    #         w3 previous gradient 0 -> plain step of Δ = 0.1 against the sign (-)
    expected = [
        [-0.1, -0.1, -0.1, 0.1],
        [-0.1 - 0.12, -0.1 - 0.12, 0.0, 0.1],
        [-0.1 - 0.12 - 0.144, -0.1, -0.05, 0.2],
    ]
    for k in range(3):
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-15, atol=1e-15, err_msg=str(k))


@pytest.mark.parametrize("step", STEPS, ids=["reference", "fast"])
def test_rprop_steps_stay_within_their_bounds(step) -> None:
    theta = np.zeros(2)
    s = State.new("rprop", 2, DEFAULTS)
    for k in range(120):
        g = [1.0, -1.0] if k < 40 else [(-1.0) ** k, (-1.0) ** (k + 1)]
        step(theta, np.array(g), optimizers.RPROP, 0.01, DEFAULTS, s)
        assert s.a.min() >= 1e-6 and s.a.max() <= 50.0
        if k == 39:
            np.testing.assert_array_equal(s.a, 50.0)  # always the same sign: grown to Δmax
    np.testing.assert_array_equal(s.a, 1e-6)  # the sign flips every step: shrunk to Δmin


@pytest.mark.parametrize("step", STEPS, ids=["reference", "fast"])
def test_adam_first_three_steps_by_hand(step) -> None:
    alpha, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    grads = [[0.5, -2.0], [-0.25, -2.0], [1.0, 0.0]]
    got = _steps("adam", grads, alpha, step)
    # m_t = 0.1 g_t + 0.9 m_{t-1}; v_t = 0.001 g_t^2 + 0.999 v_{t-1}; bias-corrected by
    # 1 - 0.9^t and 1 - 0.999^t: the first step is alpha * g / (|g| + eps) ~ alpha * sign(g).
    m1 = [0.05, -0.2]
    v1 = [0.00025, 0.004]
    m2 = [0.9 * 0.05 + 0.1 * -0.25, 0.9 * -0.2 + 0.1 * -2.0]  # [0.02, -0.38]
    v2 = [0.999 * 0.00025 + 0.001 * 0.0625, 0.999 * 0.004 + 0.001 * 4.0]
    m3 = [0.9 * m2[0] + 0.1 * 1.0, 0.9 * m2[1]]
    v3 = [0.999 * v2[0] + 0.001 * 1.0, 0.999 * v2[1]]
    theta = [0.0, 0.0]
    expected = []
    for t, (m, v) in enumerate([(m1, v1), (m2, v2), (m3, v3)], start=1):
        for i in range(2):
            m_hat, v_hat = m[i] / (1 - b1**t), v[i] / (1 - b2**t)
            theta[i] -= alpha * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(list(theta))
    assert expected[0] == pytest.approx([-0.01, 0.01], rel=1e-7)  # the sign step
    assert expected[1][1] == pytest.approx(0.02, rel=1e-7)  # a constant gradient: alpha per step
    for k in range(3):
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-14, err_msg=str(k))


@pytest.mark.parametrize("step", STEPS, ids=["reference", "fast"])
def test_momentum_first_three_steps_by_hand(step) -> None:
    got = _steps("momentum", [[1.0], [1.0], [-2.0]], alpha=0.1, step=step)
    # v1 = -0.1; v2 = 0.9 * -0.1 - 0.1 = -0.19; v3 = 0.9 * -0.19 + 0.2 = 0.029
    np.testing.assert_allclose([g[0] for g in got], [-0.1, -0.29, -0.261], rtol=1e-14)


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("batch_size", [8, 1])
def test_zero_momentum_is_plain_gradient_descent_bit_for_bit(engine: str, batch_size) -> None:
    epochs = 2000 if engine == "fast" else 150
    common = dict(epochs=epochs, seed=4, alpha=0.5, batch_size=batch_size, log_every=1)
    gd = train(RunConfig(**common), engine=engine)
    mu0 = train(RunConfig(optimizer="momentum", momentum=0.0, **common), engine=engine)
    for name in gd.curve:
        np.testing.assert_array_equal(gd.curve[name], mu0.curve[name])
    for a, b in zip(gd.final, mu0.final, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "settings",
    [
        dict(optimizer="adam", alpha=0.01, batch_size=2),
        dict(optimizer="rprop", loss="cross_entropy"),
        dict(optimizer="momentum", prime_offset=0.1, batch_size=4),
    ],
    ids=lambda s: s["optimizer"],
)
def test_optimizer_state_carries_across_engine_calls(monkeypatch, settings) -> None:
    """The state is part of the run: a run cut into many engine calls is the same bits."""
    from backprop_study.engine import training

    config = RunConfig(epochs=1500, seed=2, log_every=1, snapshots=4, **settings)
    whole = train(config)
    monkeypatch.setattr(training, "CHUNK_EPOCHS", 97)
    chunked = train(config)
    for name in whole.curve:
        np.testing.assert_array_equal(whole.curve[name], chunked.curve[name])
    for a, b in zip(whole.final, chunked.final, strict=True):
        np.testing.assert_array_equal(a, b)


def test_rprop_ignores_alpha() -> None:
    runs = [train(RunConfig(epochs=300, optimizer="rprop", alpha=a)) for a in (0.01, 7.0)]
    np.testing.assert_array_equal(runs[0].curve["objective"], runs[1].curve["objective"])
