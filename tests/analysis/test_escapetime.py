"""escapetime.py: threshold crossings and the per-threshold slopes on synthetic curves."""

import math

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis import escapetime


def test_escape_time_interpolates_the_crossing():
    t = np.array([0.0, 10.0, 20.0, 30.0])
    loss = np.array([1.0, 0.8, 0.4, 0.2])
    assert escapetime.escape_time(t, loss, 0.6) == pytest.approx(15.0)
    assert escapetime.escape_time(t, loss, 0.8 - 1e-12) == pytest.approx(10.0, abs=1e-9)


def test_escape_time_is_nan_when_never_below_or_below_from_the_start():
    t = np.arange(4.0)
    assert math.isnan(escapetime.escape_time(t, np.ones(4), 0.5))
    assert math.isnan(escapetime.escape_time(t, np.full(4, 0.1), 0.5))


def law_points(slopes: dict[float, float], seeds: int = 6) -> pd.DataFrame:
    """t = c_f + seed offset + slope_f · ln(1/s), as the law has it."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        offset = rng.normal(0, 30)
        for s in (0.001, 0.003, 0.01, 0.03):
            for f, b in slopes.items():
                t = 100 + 50 * (1 - f) + offset + b * math.log(1 / s) + rng.normal(0, 2)
                rows.append({"seed": seed, "init_std": s, "fraction": f, "t_escape": t})
    return pd.DataFrame(rows)


def test_one_slope_for_every_threshold_is_recovered_and_called_independent():
    fits = escapetime.slopes(law_points(dict.fromkeys(escapetime.FRACTIONS, 313.0)))
    assert list(fits["fraction"]) == sorted(escapetime.FRACTIONS)
    np.testing.assert_allclose(fits["slope"], 313.0, rtol=0.01)
    assert (fits["low"] < 313.0).all() and (fits["high"] > 313.0).all()
    assert escapetime.threshold_spread(fits) < 0.01
    assert escapetime.threshold_independent(fits)


def test_a_threshold_with_another_slope_is_caught():
    slopes = dict.fromkeys(escapetime.FRACTIONS, 313.0) | {0.7: 313.0 * 1.1}
    fits = escapetime.slopes(law_points(slopes))
    assert escapetime.threshold_spread(fits) > escapetime.SLOPE_TOLERANCE
    assert not escapetime.threshold_independent(fits)


def test_censored_runs_are_counted_not_fitted():
    points = law_points({0.9: 300.0})
    points.loc[points.index[:2], "t_escape"] = np.nan
    fits = escapetime.slopes(points)
    assert int(fits["censored"].iloc[0]) == 2
    assert int(fits["n"].iloc[0]) == len(points) - 2
