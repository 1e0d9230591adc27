"""The optimizers: first steps against numbers worked out by hand, neutral settings, state."""

import math

import numpy as np
import pytest

from backprop_study import RunConfig, train
from backprop_study.engine import fastpath, network, optimizers
from backprop_study.engine.encodings import patterns
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.optimizers import HYPER, State

DEFAULTS = np.array([RunConfig.__dataclass_fields__[n].default for n in HYPER])


def _reference(theta, g, code, alpha, hyper, s):
    optimizers.step(theta, g, code, alpha, hyper, s)


def _fast(theta, g, code, alpha, hyper, s):
    fastpath._step(theta, g, code, alpha, hyper, *s)


STEPS = [_reference, _fast]


def _steps(name: str, grads: list[list[float]], alpha: float, step) -> list[np.ndarray]:
    """θ after each of the gradients (θ starts at 0, default settings)."""
    return _run_steps(name, np.zeros(len(grads[0])), grads, alpha, DEFAULTS, step)


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
    s = State.new("rprop", 2, DEFAULTS, 0.01)
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


def _hyper(**settings: float) -> np.ndarray:
    return np.array([settings.get(n, RunConfig.__dataclass_fields__[n].default) for n in HYPER])


def _run_steps(name: str, theta: np.ndarray, grads: list, alpha: float, hyper, step) -> list:
    s = State.new(name, theta.size, hyper, alpha)
    out = []
    for g in grads:
        step(theta, np.array(g, dtype=float), optimizers.optimizer_code(name), alpha, hyper, s)
        out.append(theta.copy())
    return out


@pytest.mark.parametrize("step", STEPS, ids=["reference", "fast"])
def test_quickprop_first_three_steps_by_hand(step) -> None:
    eps, mu, d = 0.5, 1.75, 0.1  # epsilon = alpha; decay d adds d * theta to every slope
    # s = mu / (1 + mu) = 7/11: beyond s * S⁻ the parabola's step would exceed mu times the last
    hyper = _hyper(quickprop_mu=mu, quickprop_decay=d)
    grads = [[2.0, -1.0, 4.0, 1.0], [1.0, -0.5, -4.0, 1.5], [0.0, 0.0, 0.0, 0.0]]
    got = _run_steps("quickprop", np.zeros(4), grads, eps, hyper, step)
    # step 1: no previous change, theta = 0 (no decay): a gradient step -eps * S
    t1 = [-1.0, 0.5, -2.0, -0.5]
    # step 2: S = g + 0.1 * t1 = [0.9, -0.45, -4.2, 1.45], S⁻ = [2, -1, 4, 1], last = t1
    #   w0: S * last < 0 (still downhill) -> -eps S = -0.45; last * (S - s S⁻) = 0.373 > 0
    #       -> parabola S / (S⁻ - S) * last = 0.9 / 1.1 * -1
    #   w1: downhill -> +0.225; 0.5 * (-0.45 + 7/11) > 0 -> parabola -0.45 / -0.55 * 0.5
    #   w2: S * last > 0 (overshot) -> no gradient term; parabola -4.2 / 8.2 * -2 (steps back)
    #   w3: downhill -> -0.725; -0.5 * (1.45 - 7/11) < 0 (slope grew) -> mu * last = -0.875
    c2 = [-0.45 + 0.9 / 1.1 * -1.0, 0.225 + -0.45 / -0.55 * 0.5, -4.2 / 8.2 * -2.0, -1.6]
    t2 = [a + b for a, b in zip(t1, c2, strict=True)]
    # step 3: g = 0, so S = 0.1 * t2 = [-0.2268, 0.1134, -0.0976, -0.21], S⁻ = step 2's S
    #   w0: S * c2 > 0 -> no gradient term; -1.27 * (-0.227 - 0.573) > 0 -> parabola
    #   w1: S * c2 > 0 -> none; 0.634 * (0.113 + 0.286) > 0 -> parabola
    #   w2: S * c2 < 0 -> -eps S; 1.02 * (-0.0976 + 2.67) > 0 -> parabola
    #   w3: S * c2 > 0 -> none; -1.6 * (-0.21 - 0.923) > 0 -> parabola
    S2 = [0.9, -0.45, -4.2, 1.45]
    S3 = [0.1 * t for t in t2]
    c3 = [S3[i] / (S2[i] - S3[i]) * c2[i] for i in range(4)]
    c3[2] += -eps * S3[2]
    t3 = [a + b for a, b in zip(t2, c3, strict=True)]
    for k, want in enumerate([t1, t2, t3]):
        np.testing.assert_allclose(got[k], want, rtol=1e-14, atol=1e-15, err_msg=str(k))


@pytest.mark.parametrize("step", STEPS, ids=["reference", "fast"])
def test_quickprop_takes_no_jump_where_the_slope_did_not_change(step) -> None:
    """S⁻ = S, uphill of the last change or 0 (a saturated unit without decay): Fahlman's code
    divides by zero; here the change is 0, and the next step, with no last change, is a
    gradient step."""
    hyper = _hyper(quickprop_decay=0.0)
    theta = np.zeros(2)
    s = State.new("quickprop", 2, hyper, 0.5)
    s.b[:] = [0.0, 1.0]  # S⁻
    s.c[:] = [0.3, 0.3]  # the last change
    code = optimizers.QUICKPROP
    step(theta, np.array([0.0, 1.0]), code, 0.5, hyper, s)
    np.testing.assert_array_equal(theta, [0.0, 0.0])
    np.testing.assert_array_equal(s.c, [0.0, 0.0])
    step(theta, np.array([2.0, 1.0]), code, 0.5, hyper, s)
    np.testing.assert_array_equal(theta, [-1.0, -0.5])


@pytest.mark.parametrize("step", STEPS, ids=["reference", "fast"])
def test_supersab_first_three_steps_by_hand(step) -> None:
    hyper = _hyper(supersab_eta_plus=1.05, supersab_eta_minus=0.5, supersab_momentum=0.9)
    grads = [[1.0, -2.0, 3.0], [2.0, 1.0, 0.0], [1.0, 4.0, -1.0]]
    got = _run_steps("supersab", np.zeros(3), grads, 0.1, hyper, step)
    # step 1: every rate starts at alpha = 0.1, no previous change: -0.1 g
    # step 2: w0 same sign -> rate 0.105, change -0.105 * 2 + 0.9 * -0.1 = -0.3;
    #         w1 sign flip -> rate 0.05, undo step 1 (back to 0), forget change and gradient;
    #         w2 zero gradient -> rate stays 0.1, momentum alone: 0.9 * -0.3 = -0.27
    # step 3: w0 same sign -> rate 0.11025, change -0.11025 + 0.9 * -0.3;
    #         w1 after the backtrack: plain step of the shrunk rate, -0.05 * 4 (no momentum);
    #         w2 previous gradient 0: rate 0.1, change 0.1 + 0.9 * -0.27
    expected = [
        [-0.1, 0.2, -0.3],
        [-0.4, 0.0, -0.57],
        [-0.4 - 0.11025 - 0.27, -0.2, -0.57 + 0.1 - 0.243],
    ]
    for k in range(3):
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-14, atol=1e-15, err_msg=str(k))


@pytest.mark.parametrize("name", ["quickprop", "supersab"])
def test_new_optimizer_steps_agree_bit_for_bit_over_a_run(name: str) -> None:
    """Both engines' steps from one state and the same gradients, those of a whole reference
    run (1000 epochs, past solving): the same bits every step (the full engines drift apart
    only through the gradients' rounding, see test_fastpath)."""
    config = RunConfig(optimizer=name, alpha=0.5, epochs=1000, prime_offset=0.05)
    X = patterns("k", 8)
    theta, p = network.pack(network.init_params(8, 3, 0.5, np.random.default_rng(1)))
    other = theta.copy()
    hyper = np.array([getattr(config, n) for n in HYPER])
    code = optimizers.optimizer_code(name)
    ours, theirs = State.new(name, theta.size, hyper, 0.5), State.new(name, theta.size, hyper, 0.5)
    for _ in range(config.epochs):
        g = np.concatenate([a.ravel() for a in network.gradients(p, X, X, 0.0, prime_offset=0.05)])
        optimizers.step(theta, g, code, 0.5, hyper, ours)
        fastpath._step(other, g, code, 0.5, hyper, *theirs)
        np.testing.assert_array_equal(theta, other)
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)
    solved = network.evaluate(p, X, X, 0.0, k_minus_1=False).correct == 8
    assert solved  # the run left the plateau: every branch of the rule was taken


@pytest.mark.parametrize("name", ["quickprop", "supersab"])
def test_new_optimizers_are_full_batch_only(name: str) -> None:
    with pytest.raises(ConfigError, match="^batch_size: 4 is not allowed with optimizer"):
        RunConfig(optimizer=name, batch_size=4)


def test_supersab_starts_at_alpha_and_quickprop_reads_it() -> None:
    for name in ("quickprop", "supersab"):
        runs = [train(RunConfig(epochs=50, optimizer=name, alpha=a)) for a in (0.1, 0.2)]
        assert runs[0].curve["objective"][1] != runs[1].curve["objective"][1]
        assert "alpha" not in runs[0].config.unused_settings()
