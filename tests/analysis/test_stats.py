"""stats.py: every statistic on data with a known answer."""

import math

import numpy as np
import pytest

from backprop_study.analysis import stats
from backprop_study.analysis.stats import (
    CONTRADICTED,
    INCONCLUSIVE,
    INSUFFICIENT,
    NO_EFFECT,
    SUPPORTED,
    Effect,
    kaplan_meier,
    one_sample_ratio,
    paired_ratio,
    share,
    share_verdict,
    unpaired_ratio,
    verdict,
)


def lognormal(seed, n, sigma):
    return np.random.default_rng(seed).lognormal(0.0, sigma, n)


# --- paired ratio ---------------------------------------------------------------------------


def test_a_known_paired_shift_is_recovered_within_its_interval():
    b = lognormal(1, 10, 0.5)  # seeds differ a lot ...
    a = b * 1.5 * lognormal(2, 10, 0.05)  # ... the pairs differ by a factor 1.5
    e = paired_ratio(a, b)
    assert e.low < 1.5 < e.high and e.low < e.estimate < e.high
    assert e.estimate == pytest.approx(1.5, rel=0.05)
    assert e.p < 0.01 and e.n == 10 and e.test == "Wilcoxon signed-rank"
    assert verdict(e, "higher") == SUPPORTED
    assert verdict(e, "lower") == CONTRADICTED


def test_a_true_null_gives_no_effect():
    b = lognormal(3, 10, 0.5)
    e = paired_ratio(b * lognormal(4, 10, 0.02), b)
    assert 1 / (1 + stats.MARGIN) < e.low < 1 < e.high < 1 + stats.MARGIN
    assert verdict(e, "lower") == NO_EFFECT and verdict(e, "higher") == NO_EFFECT


def test_true_nulls_are_almost_never_called_an_effect():
    verdicts = []
    for seed in range(40):
        b = lognormal(100 + seed, 10, 0.5)
        verdicts.append(verdict(paired_ratio(b * lognormal(200 + seed, 10, 0.03), b), "lower"))
    assert verdicts.count(NO_EFFECT) >= 36
    assert verdicts.count(SUPPORTED) + verdicts.count(CONTRADICTED) <= 2


def test_a_small_real_shift_inside_the_margin_is_no_effect_not_supported():
    b = lognormal(5, 10, 0.5)
    e = paired_ratio(b * 0.97 * lognormal(6, 10, 0.005), b)  # 3% shorter, every seed
    assert e.high < 1 and e.p < 0.01  # real ...
    assert verdict(e, "lower") == NO_EFFECT  # ... and negligible at a ±10% margin


def test_differences_below_the_tie_tolerance_are_ties():
    b = lognormal(7, 10, 0.5)
    a = b * 1.02
    assert paired_ratio(a, b, tie=0.0).estimate == pytest.approx(1.02)
    tied = paired_ratio(a, b, tie=math.log(1.03))
    assert (tied.estimate, tied.low, tied.high, tied.p) == (1.0, 1.0, 1.0, 1.0)


def test_censored_values_make_the_ratio_a_bound_and_only_support_their_direction():
    b = lognormal(8, 10, 0.2) * 1000
    a = np.full(10, 5000.0)  # never happened within a budget of 5000
    e = paired_ratio(a, b, a_censored=np.ones(10, bool))
    assert e.bound == "≥" and e.text().startswith("≥")
    assert verdict(e, "higher") == SUPPORTED and verdict(e, "lower") == CONTRADICTED
    same = paired_ratio(b, b, a_censored=np.ones(10, bool))  # ≥ 1: could be anything above
    assert verdict(same, "lower") != NO_EFFECT
    both = paired_ratio(a, a, np.ones(10, bool), np.ones(10, bool))
    assert both.n == 0 and verdict(both, "lower") == INSUFFICIENT


def test_cached_tests_give_what_computing_afresh_gives():
    """Bootstrap intervals and Wilcoxon p are cached by the data's bits (the claims ask again at
    each tie scale); a repeat, and the same call with the caches emptied, give the same Effect,
    and other data are not answered from the cache."""
    b = lognormal(13, 10, 0.5)
    a = b * lognormal(14, 10, 0.3) * 0.8
    first = paired_ratio(a, b)
    assert paired_ratio(a, b) == first
    assert stats._wilcoxon_p.cache_info().hits >= 1
    stats._bootstrap_of.cache_clear()
    stats._wilcoxon_p.cache_clear()
    assert paired_ratio(a, b) == first
    other = paired_ratio(a * lognormal(15, 10, 0.3), b)
    assert (other.low, other.high, other.p) != (first.low, first.high, first.p)
    la, lb = np.log(a), np.log(b)
    stats._bootstrap_of.cache_clear()
    fresh = stats._bootstrap((la, lb), stats._mean_diff, paired=False)
    assert stats._bootstrap((la, lb), stats._mean_diff, paired=False) == fresh
    assert stats._bootstrap_of.cache_info().hits == 1


# --- unpaired ratio, one sample, shares -----------------------------------------------------


def test_a_known_unpaired_shift_is_recovered():
    a = 0.6 * lognormal(9, 40, 0.2)
    b = lognormal(10, 40, 0.2)
    for event in (False, True):
        e = unpaired_ratio(a, b, event_times=event)
        assert e.low < 0.6 < e.high and e.p < 1e-6
        assert e.test == ("log-rank" if event else "Mann–Whitney U")
        assert verdict(e, "lower") == SUPPORTED


def test_an_unpaired_null_is_not_an_effect():
    e = unpaired_ratio(lognormal(11, 10, 0.3), lognormal(12, 10, 0.3))
    assert e.low < 1 < e.high
    assert verdict(e, "lower") in (INCONCLUSIVE, NO_EFFECT)


def test_one_sample_ratio_against_one():
    e = one_sample_ratio(3.0 * lognormal(13, 10, 0.1))
    assert e.low < 3.0 < e.high and verdict(e, "higher") == SUPPORTED
    assert verdict(one_sample_ratio(lognormal(14, 10, 0.01)), "higher") == NO_EFFECT
    assert one_sample_ratio(np.array([np.nan, -1.0])).n == 0


def test_shares_have_exact_intervals():
    e = share(10, 10)
    assert e.estimate == 1.0 and e.high == 1.0
    assert e.low == pytest.approx(0.025 ** (1 / 10))  # Clopper–Pearson: (α/2)^(1/n)
    assert share_verdict(e) == SUPPORTED
    assert share_verdict(share(0, 10)) == CONTRADICTED
    assert share_verdict(share(5, 10)) == INCONCLUSIVE
    assert share_verdict(share(0, 0)) == INSUFFICIENT


def test_effect_text():
    assert Effect(0.5, 0.4, 0.6, 0.01, 10, "x").text() == "0.5 [0.4, 0.6]"
    assert Effect(2.0, 1.5, 2.5, 0.01, 10, "x", "≥").text() == "≥2 [1.5, 2.5]"
    assert stats.NO_DATA.text() == "—" and stats.NO_DATA.p_text() == "—"


# --- Kaplan–Meier ---------------------------------------------------------------------------


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    t = np.arange(1.0, 11.0)
    km = kaplan_meier(t, np.zeros(10, bool))
    assert km.survival == pytest.approx(1 - np.arange(1, 11) / 10)
    assert km.median == 5.0  # first t with S(t) <= 1/2
    assert km.median_low <= 5.0 <= km.median_high


def test_kaplan_meier_by_hand_with_censoring():
    # times 1, 2, 3+, 4, 5: S = 4/5, 3/5, (3 censored), 3/5 * 1/2, 0
    km = kaplan_meier(np.array([1.0, 2, 3, 4, 5]), np.array([0, 0, 1, 0, 0], bool))
    assert km.times.tolist() == [1, 2, 3, 4, 5]
    assert km.survival == pytest.approx([0.8, 0.6, 0.6, 0.3, 0.0])
    assert km.median == 4.0


def test_kaplan_meier_median_of_exponential_times_is_log_2_within_its_interval():
    t = np.random.default_rng(15).exponential(1.0, 400)
    budget = 2.0
    km = kaplan_meier(np.minimum(t, budget), t > budget)
    assert km.median_low < math.log(2) < km.median_high
    assert km.median == pytest.approx(math.log(2), rel=0.15)


def test_kaplan_meier_when_fewer_than_half_have_the_event():
    km = kaplan_meier(np.array([1.0, 10, 10, 10]), np.array([0, 1, 1, 1], bool))
    assert math.isnan(km.median) and km.median_high == math.inf
    none = kaplan_meier(np.full(3, 10.0), np.ones(3, bool))
    assert none.n_events == 0 and math.isnan(none.median)


# --- resolution and labels against the margin ------------------------------------------------


def test_resolution_says_whether_the_interval_could_see_the_margin_and_the_seeds_needed():
    wide = Effect(1.0, math.exp(-0.2), math.exp(0.2), 0.5, 10, "Wilcoxon signed-rank")
    res = stats.resolution(wide, seeds=10, decided=False)
    assert res.halfwidth == pytest.approx(math.expm1(0.2)) and not res.resolves
    # h = 0.2 must shrink to log(1.1) around 0 to fit the margin: n (h / h*)^2 seeds
    assert res.seeds_needed == math.ceil(10 * (0.2 / math.log(1.1)) ** 2)
    assert "too wide" in res.text() and f"about {res.seeds_needed:.0f} seeds" in res.text()
    narrow = Effect(1.0, 0.98, 1.02, 0.9, 10, "Wilcoxon signed-rank")
    assert stats.resolution(narrow, 10, decided=True).resolves
    assert math.isnan(stats.resolution(narrow, 10, decided=True).seeds_needed)
    assert "too wide" not in stats.resolution(wide, 10, decided=True).text()
    # an estimate far from 1: excluding 1 settles it (h* = |log estimate|)
    far = Effect(math.exp(0.3), math.exp(-0.1), math.exp(0.7), 0.2, 10, "Wilcoxon signed-rank")
    assert stats.resolution(far, 10, decided=False).seeds_needed == math.ceil(10 * (0.4 / 0.3) ** 2)
    assert math.isnan(stats.resolution(stats.NO_DATA, 10, decided=False).halfwidth)
    # 4 pairs whose spread alone would need 5: the signed-rank test needs 6 to reach p < 0.05
    few = Effect(1.0, math.exp(-0.1), math.exp(0.1), 0.12, 4, "Wilcoxon signed-rank")
    assert stats.resolution(few, 4, decided=False).seeds_needed == 5
    assert stats.resolution(few, 4, decided=False, min_seeds=6).seeds_needed == 6
    n = stats.SIGNED_RANK_MIN_N  # all pairs one way: the smallest p there is
    assert paired_ratio(np.full(n - 1, 2.0), np.ones(n - 1)).p >= stats.SIGNIFICANCE
    assert paired_ratio(np.arange(2.0, n + 2), np.ones(n)).p < stats.SIGNIFICANCE


def test_a_label_is_decided_by_the_interval_against_the_margin_not_the_estimate():
    def ratio(low, high, bound=""):
        return Effect(math.sqrt(low * high), low, high, 0.01, 10, "x", bound)

    assert stats.label_from_ci(ratio(0.95, 1.05)) == stats.WITHIN
    assert stats.label_from_ci(ratio(0.5, 0.8)) == stats.BELOW
    assert stats.label_from_ci(ratio(1.2, 1.5)) == stats.ABOVE
    # the estimate (0.87) is beyond the margin's edge (1/1.1 = 0.909), the interval straddles it
    assert stats.label_from_ci(ratio(0.8, 0.95)) == INCONCLUSIVE
    assert stats.label_from_ci(ratio(0.95, 1.05, "≥")) == INCONCLUSIVE  # open above
    assert stats.label_from_ci(ratio(0.5, 0.8, "≤")) == stats.BELOW
    assert stats.label_from_ci(ratio(0.8, 0.95), margin=0.3) == stats.WITHIN
    assert stats.label_from_ci(stats.NO_DATA) == INSUFFICIENT
