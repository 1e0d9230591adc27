"""saturation.py: a run that ends with an output wrong where its slope factor is 0."""

import math

import numpy as np
import pandas as pd
import pytest
from weight_tables import long_form

from backprop_study.analysis.saturation import (
    FACTOR_BOUND,
    SWEEP_BOUNDS,
    bound_sweep,
    is_saturated,
    saturation_columns,
    saturation_of,
)
from backprop_study.engine.encodings import patterns
from backprop_study.engine.network import Params, forward


def solved(hidden_scale=10.0, out_scale=10.0):
    """An 8-3-8 encoder that solves: class i's hidden code is i in binary, margin 5 at the
    outputs (every output within 0.01 of its target)."""
    bits = np.array([[(i >> j) & 1 for i in range(8)] for j in range(3)], dtype=float)  # (3, 8)
    W1 = hidden_scale * (2 * bits - 1)
    W2 = out_scale * (2 * bits.T - 1)
    b2 = -out_scale * (bits.sum(axis=0) - 0.5)
    return Params(W1, np.zeros(3), W2, b2)


def with_output_bias(p, unit, shift):
    b2 = p.b2.copy()
    b2[unit] += shift
    return Params(p.W1, p.b1, p.W2, b2)


def plateau_network():
    """Near the saddle: tiny weights, every output near the class mean 1/8."""
    rng = np.random.default_rng(0)
    logit = math.log((1 / 8) / (1 - 1 / 8))
    return Params(rng.normal(0, 0.01, (3, 8)), np.zeros(3), rng.normal(0, 0.01, (8, 3)),
                  np.full(8, logit))  # fmt: skip


def config(**kw):
    return {"encoding": "k", "classes": 8, "loss": "mse", "prime_offset": 0.0} | kw


def test_the_solved_network_solves_and_is_not_saturated():
    p = solved()
    x = patterns("k", 8)
    assert np.abs(forward(p, x)[1] - x).max() < 0.01
    s = saturation_of(p, "k", 8)
    assert (s.saturated, s.outputs, s.hidden, s.patterns, s.wrong) == (False, 0, 0, 0, 0)


def test_an_output_driven_far_below_zero_on_its_own_pattern_is_saturated():
    p = with_output_bias(solved(), 0, -2000.0)  # net input of output 0 on pattern 0 ≈ −1995
    a2 = forward(p, patterns("k", 8))[1]
    assert a2[0, 0] == 0.0  # the sigmoid has underflowed: σ′ = 0 exactly
    s = saturation_of(p, "k", 8)
    assert (s.saturated, s.outputs, s.patterns, s.pairs, s.wrong) == (True, 1, 1, 1, 1)
    assert s.hidden == 0  # hidden net inputs ±10: σ′ ≈ 4.5e-5, well above the bound


def test_hidden_units_stuck_on_the_wrong_pattern_are_counted():
    p = with_output_bias(solved(hidden_scale=40.0), 0, -2000.0)  # hidden a = 1 exactly or 4e-18
    s = saturation_of(p, "k", 8)
    assert s.saturated and s.hidden == 3


def test_a_wrong_output_with_slope_left_is_not_saturated():
    p = with_output_bias(solved(), 0, -10.0)  # net −5 on its own pattern: wrong, σ′ ≈ 0.0066
    s = saturation_of(p, "k", 8)
    assert s.wrong == 1 and not s.saturated


def test_a_plateau_network_is_not_saturated():
    s = saturation_of(plateau_network(), "k", 8)
    assert s.wrong == 8  # every output near 1/8: each pattern's own output is wrong
    assert not s.saturated and s.hidden == 0


def test_the_offset_and_cross_entropy_leave_no_flat_spot():
    p = with_output_bias(solved(hidden_scale=40.0), 0, -2000.0)
    assert saturation_of(p, "k", 8).saturated
    assert not saturation_of(p, "k", 8, prime_offset=0.1).saturated
    assert not saturation_of(p, "k", 8, loss="cross_entropy").saturated
    assert saturation_of(p, "k", 8, loss="cross_entropy").hidden == 3  # hidden units keep σ′


def test_k_minus_1_encoding():
    bits = np.array([[(i >> j) & 1 for i in range(1, 8)] for j in range(3)], dtype=float)
    p = Params(10 * (2 * bits - 1), np.full(3, -5.0), 10 * (2 * bits.T - 1),
               -10 * (bits.sum(axis=0) - 0.5))  # fmt: skip
    x = patterns("k-1", 8)
    assert np.abs(forward(p, x)[1] - x).max() < 0.4
    assert not saturation_of(p, "k-1", 8).saturated
    assert saturation_of(with_output_bias(p, 2, -3000.0), "k-1", 8).saturated


@pytest.mark.parametrize(
    "p",
    [
        with_output_bias(solved(hidden_scale=800.0), 0, -2000.0),
        with_output_bias(with_output_bias(solved(), 3, -5000.0), 5, 800.0),
        solved(),
        plateau_network(),
        with_output_bias(solved(), 0, -10.0),
    ],
)
def test_counts_do_not_depend_on_the_bound_from_1e_300_to_1e_12(p):
    """Like the saturated runs read (their stuck factors are exactly 0): the same counts at
    every bound of the sweep."""
    sweep = bound_sweep(p, "k", 8)
    assert list(sweep["bound"]) == list(SWEEP_BOUNDS) and FACTOR_BOUND in SWEEP_BOUNDS
    counts = sweep[sweep["bound"] >= 1e-300].drop(columns="bound")
    assert (counts == counts.iloc[-1]).all().all()


def test_the_sweep_sees_a_hidden_unit_whose_factor_is_tiny_but_not_zero():
    # hidden net inputs ±40: a = 1 exactly (σ′ = 0) or 4e-18 (σ′ ≈ 4e-18)
    p = with_output_bias(solved(hidden_scale=40.0), 0, -2000.0)
    sweep = bound_sweep(p, "k", 8).set_index("bound")["hidden"]
    assert sweep[1e-12] == 3 and sweep[1e-20] < 3


def test_the_sweep_sees_a_unit_between_two_bounds():
    # net −100 on its own pattern: σ′ ≈ 3.7e-44, below 1e-30 but above 1e-50
    p = with_output_bias(solved(), 0, -105.0)
    sweep = bound_sweep(p, "k", 8).set_index("bound")["saturated"]
    assert sweep[1e-30] and sweep[1e-12] and not sweep[1e-50] and not sweep[0.0]


def test_columns_from_a_weights_table():
    p = with_output_bias(solved(hidden_scale=40.0), 0, -2000.0)
    cols = saturation_columns(long_form({100: p}), config())
    assert cols["saturated"] is True
    assert (cols["saturated_outputs"], cols["saturated_hidden"], cols["saturated_patterns"]) == (
        1, 3, 1)  # fmt: skip
    assert cols["output_net_max_end"] > 1900
    healthy = saturation_columns(long_form({100: solved()}), config())
    assert healthy["saturated"] is False and healthy["saturated_outputs"] == 0
    empty = saturation_columns(long_form({100: solved()}).iloc[0:0], config())
    assert empty["saturated"] is False and math.isnan(empty["saturated_outputs"])


def test_is_saturated_reads_the_column_or_says_none():
    runs = pd.DataFrame({"saturated": [True, False, None]})
    assert list(is_saturated(runs)) == [True, False, False]
    assert list(is_saturated(pd.DataFrame({"x": [1, 2]}))) == [False, False]
