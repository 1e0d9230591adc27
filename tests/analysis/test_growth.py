"""growth.py: the unstable amplitude sees the unstable mode only, and its growth rate on a run
started next to the critical point is the closed form's μ."""

import numpy as np
import pytest

from backprop_study.analysis import flowrun, growth, theory
from backprop_study.engine.network import Params


def moved(p: Params, a: np.ndarray, b: np.ndarray, u: np.ndarray, eps: float) -> Params:
    """p plus eps·(a uᵀ, u bᵀ) in (W1, W2): a centred move along output direction u."""
    return Params(p.W1 + eps * np.outer(a, u), p.b1, p.W2 + eps * np.outer(u, b), p.b2)


@pytest.mark.parametrize("offset", [0.0, 0.1])
def test_amplitude_sees_the_unstable_pair_and_not_its_stable_partner(offset):
    zeta = 0.5
    p = theory.trivial_point(8, 3, zeta, 0.0, -0.5)
    d = theory.Place(np.full(3, zeta), np.zeros(3)).d[0]
    u = np.zeros(8)
    u[0], u[1] = 1 / np.sqrt(2), -1 / np.sqrt(2)
    perp = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)  # ⊥ h for equal hidden units
    up = moved(p, np.sqrt(d + offset) * perp, np.sqrt(d) * perp, u, 1e-3)
    down = moved(p, np.sqrt(d + offset) * perp, -np.sqrt(d) * perp, u, 1e-3)
    along_h = moved(p, np.ones(3), np.ones(3), u, 1e-3)
    assert growth.unstable_amplitude(up, offset) > 1e-4
    assert growth.unstable_amplitude(down, offset) < 1e-12
    assert growth.unstable_amplitude(along_h, offset) < 1e-12
    assert growth.unstable_amplitude(p, offset) < 1e-15


def test_growth_rate_of_a_synthetic_exponential_inside_the_band():
    t = np.linspace(0, 2000, 201)
    amp = 1e-3 * np.exp(0.003 * t)
    loss = np.where(t < 1500, 0.4375 * (1 + 1e-4), 0.3)  # out of the band after 1500
    assert growth.growth_rate(t, amp, loss, 0.4375) == pytest.approx(0.003, rel=1e-9)
    assert np.isnan(growth.growth_rate(t, amp, np.full_like(t, 0.3), 0.4375))


def test_visited_mu_at_equal_hidden_units_is_the_closed_form():
    p = theory.trivial_point(8, 3, 0.529, 0.0, -0.52)
    assert growth.visited_mu(p, "mse") == pytest.approx(theory.mu(0.529, 8, "mse", 0.0), rel=1e-10)


def test_a_run_next_to_the_critical_point_grows_at_mu():
    land = theory.landing(8, 3, "mse")
    p = theory.trivial_point(8, 3, land.zeta, 0.0, land.v)
    rng = np.random.default_rng(0)
    start = Params(
        p.W1 + 1e-6 * rng.standard_normal(p.W1.shape), p.b1,
        p.W2 + 1e-6 * rng.standard_normal(p.W2.shape), p.b2,
    )  # fmt: skip
    setting = flowrun.Setting(8, 3, "mse", alpha=0.1)
    trace = flowrun.run(setting, start, t_max=1500.0, log_every=50)
    rate = growth.growth_rate(
        trace.column("t"), trace.column("amplitude"), trace.column("data_loss"), setting.plateau
    )
    assert rate == pytest.approx(land.mu, rel=0.01)
