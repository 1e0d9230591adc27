"""bisection.py: the collapse judge on synthetic records and the bisection with a growing
budget on a synthetic critical point."""

import math

import numpy as np
import pytest

from backprop_study.analysis import bisection
from backprop_study.analysis.bisection import COLLAPSED, ESCAPED, UNDECIDED

PLATEAU = 0.4375


def record(rate: float, slide: float = 0.01, t_end: float = 4000.0, escape_at: float = math.inf):
    t = np.linspace(0, t_end, 401)
    norm = 0.1 * np.exp(rate * t)
    common = 0.5 * np.exp(-slide * t)
    loss = np.where(t < escape_at, PLATEAU * (1 + 1e-4), 0.5 * PLATEAU)
    return t, loss, norm, common


def test_a_loss_below_the_level_is_an_escape():
    assert bisection.judge(*record(0.001, escape_at=3000.0), PLATEAU) == ESCAPED


def test_decaying_centred_weights_after_the_slide_are_a_collapse():
    assert bisection.judge(*record(-0.002), PLATEAU) == COLLAPSED


def test_no_verdict_before_the_slide_is_over_or_while_the_drop_is_small():
    assert bisection.judge(*record(-0.002, slide=0.0005), PLATEAU) == UNDECIDED
    assert bisection.judge(*record(-0.0002), PLATEAU) == UNDECIDED
    assert bisection.judge(*record(0.0005), PLATEAU) == UNDECIDED


def test_centred_weights_grown_20_fold_and_not_falling_are_an_escape():
    """Near λ_c a decayed network can leave the saddle and settle above 0.9 J*."""
    assert bisection.judge(*record(0.001), PLATEAU) == ESCAPED  # 4 nats, still growing
    t, loss, _, common = record(0.0)
    settled = 0.1 * np.exp(np.minimum(0.002 * t, 3.5))  # grew 3.5 nats, then flat
    assert bisection.judge(t, loss, settled, common, PLATEAU) == ESCAPED
    risen_then_falling = 0.1 * np.exp(np.where(t < 1000, 0.004 * t, 4.0 - 0.002 * (t - 1000)))
    assert bisection.judge(t, loss, risen_then_falling, common, PLATEAU) == COLLAPSED


def slow_near(lam_c: float, calls: list):
    """A synthetic critical point: a run at λ needs a budget of 10 / |λ − λ_c| / λ_c to be
    decided (critical slowing)."""

    def evaluate(lam: float, budget: float) -> str:
        calls.append((lam, budget))
        if abs(lam - lam_c) / lam_c < 10.0 / budget:
            return UNDECIDED
        return ESCAPED if lam < lam_c else COLLAPSED

    return evaluate


def test_bisection_brackets_the_critical_point_to_the_tolerance_with_growing_budgets():
    calls: list = []
    b = bisection.bisect(slow_near(0.003, calls), 0.001, 0.01, budget=100, max_budget=1e5)
    assert b.decided
    assert b.lam_escaped < 0.003 <= b.lam_collapsed
    assert b.rel_width <= bisection.REL_TOL
    assert b.lam_c == pytest.approx(0.003, rel=bisection.REL_TOL)
    assert b.largest_budget > 100  # the budget had to grow near λ_c
    assert b.evaluations >= 5


def test_a_run_undecided_at_the_cap_stops_the_bisection_undecided():
    b = bisection.bisect(slow_near(0.003, []), 0.001, 0.01, budget=100, max_budget=400)
    assert not b.decided
    assert b.lam_escaped < 0.003 <= b.lam_collapsed


def test_ends_that_do_not_escape_and_collapse_are_reported():
    b = bisection.bisect(slow_near(0.003, []), 0.004, 0.01, budget=1e4, max_budget=1e5)
    assert not b.decided
    assert b.evaluations == 1


def test_centred_weights_decayed_to_zero_are_a_collapse():
    t, loss, norm, common = record(-0.002)
    norm[-100:] = 0.0
    assert bisection.judge(t, loss, norm, common, PLATEAU) == COLLAPSED


def test_an_undecided_midpoint_is_stepped_around():
    calls: list = []
    lam_c = 0.002  # the first midpoint √(0.001 · 0.004) = 0.002 sits on it
    b = bisection.bisect(slow_near(lam_c, calls), 0.001, 0.004, budget=100, max_budget=1e4)
    assert b.decided
    assert b.lam_escaped < lam_c <= b.lam_collapsed
    assert b.rel_width <= bisection.REL_TOL * 1.0001
