"""escape.py: the init-scale fit and the critical weight decay."""

import math

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis import escape


def synthetic(slope, noise, seeds=10, scales=(0.01, 0.03, 0.1, 0.3), rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    x, y, g = [], [], []
    for s in range(seeds):
        offset = rng.normal(0, noise)  # a seed's own intercept: its runs are not independent
        for scale in scales:
            x.append(math.log(1 / scale))
            y.append(40 + offset + slope * x[-1] + rng.normal(0, noise))
            g.append(s)
    return np.array(x), np.array(y), np.array(g)


@pytest.mark.parametrize("slope", [285.0, 110.0, 0.0])
def test_escape_fit_recovers_a_known_slope(slope):
    x, y, g = synthetic(slope, noise=20.0)
    fit = escape.escape_fit(x, y, g)
    assert fit.n == 40 and fit.n_groups == 10
    assert fit.covers(slope)
    assert fit.slope == pytest.approx(slope, abs=25)
    assert fit.high - fit.low < 60  # informative, not a blanket interval


def test_escape_fit_interval_excludes_a_wrong_slope():
    x, y, g = synthetic(110.0, noise=20.0)
    assert not escape.escape_fit(x, y, g).covers(285.0)


def test_escape_fit_without_spread_in_x_says_nothing():
    fit = escape.escape_fit(np.ones(5), np.arange(5.0), np.arange(5))
    assert math.isnan(fit.slope)


def sweep(thresholds, lams=(0, 0.001, 0.002, 0.004, 0.008)):
    rows = []
    for seed, threshold in enumerate(thresholds):
        for lam in lams:
            rows.append({"seed": seed, "lam": lam, "collapsed": lam > threshold})
    return pd.DataFrame(rows)


def test_critical_lambda_brackets_each_seed():
    out = escape.critical_lambda(sweep([0.003, 0.0015, 0.01]))
    first = out.iloc[0]
    assert (first.lam_below, first.lam_above) == (0.002, 0.004)
    assert first.lam_c == pytest.approx(math.sqrt(0.002 * 0.004))
    assert out.iloc[1].lam_below == 0.001 and out.iloc[1].lam_above == 0.002
    never = out.iloc[2]  # never collapsed: the threshold is above the sweep
    assert math.isnan(never.lam_above) and math.isnan(never.lam_c)
    assert out["monotone"].all()


def test_critical_lambda_flags_a_seed_that_collapses_then_recovers():
    df = sweep([0.003])
    df.loc[df["lam"] == 0.008, "collapsed"] = False
    assert not escape.critical_lambda(df)["monotone"].iloc[0]


def test_grid_step_is_the_coarsest_neighbour_ratio():
    assert escape.grid_step(np.array([0, 0.001, 0.002, 0.003])) == pytest.approx(2.0)
