"""flowrun.py: the study's initial network, the clock, the early stop and continuation."""

import numpy as np

from backprop_study.analysis import flowrun
from backprop_study.engine.network import init_params
from backprop_study.engine.training import random_streams


def test_initial_network_is_the_studys():
    setting = flowrun.Setting(8, 3)
    p = flowrun.initial_network(setting, 0.01, seed=3)
    q = init_params(8, 3, 0.01, random_streams(3)[0])
    for a, b in zip(p, q, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_clock_the_stop_and_a_continuation():
    setting = flowrun.Setting(4, 2, "cross_entropy", alpha=0.5)
    start = flowrun.initial_network(setting, 0.1, seed=0)
    whole = flowrun.run(setting, start, t_max=100.0, log_every=4)
    np.testing.assert_allclose(np.diff(whole.column("t")), 2.0)
    first = flowrun.run(setting, start, t_max=50.0, log_every=4)
    rest = flowrun.run(setting, first.final, t_max=50.0, log_every=4, t0=50.0)
    np.testing.assert_allclose(rest.rows[1:], whole.rows[26:], rtol=0, atol=1e-12)
    assert not whole.escaped
    stop = 0.9 * setting.plateau
    short = flowrun.run(setting, start, t_max=5000.0, log_every=4, stop_below=stop)
    assert short.escaped
    assert short.column("data_loss")[-1] < stop <= short.column("data_loss")[-2]


def test_the_fast_engine_gives_the_reference_engines_record():
    setting = flowrun.Setting(8, 3, "mse", offset=0.1, lam=0.001, alpha=0.5)
    start = flowrun.initial_network(setting, 0.05, seed=2)
    fast = flowrun.run(setting, start, t_max=400.0, log_every=16, visited=True)
    ref = flowrun.run(setting, start, t_max=400.0, log_every=16, visited=True, engine="reference")
    np.testing.assert_allclose(fast.rows, ref.rows, rtol=1e-12, atol=0)
    assert np.isfinite(fast.column("visited_mu")).any()  # near the plateau it is filled
    assert np.ptp(fast.column("data_loss")) > 1e-3  # the runs moved
