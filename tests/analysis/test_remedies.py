"""The remedies' and benchmarks' numbers: seed-by-seed median ratios, verdict rules, findings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis import remedies
from backprop_study.analysis.findings import findings_frame


def _runs(solve, decades, found=None, saturated=None, **settings) -> pd.DataFrame:
    n = len(solve)
    found = [d > 0 for d in decades] if found is None else found
    config = dict(optimizer="gd", loss="mse", prime_offset=0.0, momentum=0.9, alpha=0.01,
                  rprop_delta_max=50.0)  # fmt: skip
    config |= settings
    return pd.DataFrame(
        {
            "run_id": [f"{config['optimizer']}/{config['alpha']}/{s}" for s in range(n)],
            "seed": range(n),
            "first_solved": pd.array([None if t is None else t for t in solve], dtype="Int64"),
            "diverged": False,
            "epochs": 400_000,
            "classes": 8,
            "plateau_found": found,
            "plateau_left": found,
            "plateau_decades": decades,
            "updates_per_epoch": 1,
            "code_all_distinct": True,
            "code_gap": 0.1,
            "saturated": [False] * n if saturated is None else saturated,
            "saturated_outputs": [1 if x else 0 for x in (saturated or [False] * n)],
            "saturated_hidden": 3,
            "output_net_max_end": 1e4,
            **config,
        }
    )


def test_paired_ratio_is_seed_by_seed_and_bounds_censored_pairs() -> None:
    a = _runs([100, 200, 400, None, None], [1.0] * 5)
    b = _runs([10, 20, 40, 50, None], [1.0] * 5)
    r = remedies.median_ratio(a, b)
    # seed 3: a never solved, so its ratio is at least 400,000 / 50, above the median of 10:
    # the censored pair cannot move the median; seed 4 solved in neither, left out
    assert (r.median, r.n_pairs, r.n_censored, r.n_left_out, r.bound) == (10.0, 4, 1, 1, "")
    # a censored pair below the median makes the median a lower bound
    slow = remedies.median_ratio(
        _runs([None, None, 300], [1.0] * 3), _runs([1e5, 2e5, 1], [1.0] * 3)
    )
    assert slow.bound == "≥ " and slow.median == 4.0  # ratios 4, 2 (both ≥) and 300
    assert remedies.median_ratio(_runs([100], [1.0]), _runs([None], [1.0])).bound == "≤ "


def test_paired_ratio_interval_covers_the_spread() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(1000, 5000, 30)
    a = _runs(list(base), [1.0] * 30)
    b = _runs(list((base / rng.uniform(1.5, 2.5, 30)).astype(int)), [1.0] * 30)
    r = remedies.median_ratio(a, b)
    assert 1.5 < r.lo < r.median < r.hi < 2.5


@pytest.mark.parametrize(
    ("solve", "decades", "expected"),
    [
        ([None] * 6 + [10] * 4, [1.0] * 10, "fails"),
        ([10] * 10, [0.0] * 8 + [1.0] * 2, "removes the plateau"),
        ([10] * 10, [1.1] * 10, "rescales the clock"),
        ([10] * 10, [0.5] * 10, "shortens the plateau"),
        ([4000] * 10, [2.0] * 10, "lengthens the plateau"),
        # decades 1.0 or 1.6 against 1.0: the geometric mean 1.26 is past the ×1.25 edge, but
        # its interval straddles it, so no label
        ([10] * 10, [1.0, 1.6] * 5, "inconclusive"),
        # the same point estimate from a tight spread is a label
        ([10] * 10, [1.26] * 10, "lengthens the plateau"),
    ],
)
def test_verdict_rules(solve, decades, expected) -> None:
    base = _runs([1000] * 10, [1.0] * 10)
    mine = _runs(solve, decades, optimizer="adam")
    assert remedies.verdict(mine, base) == expected


def test_a_configuration_that_mostly_saturates_is_not_said_to_fail_or_plateau() -> None:
    base = _runs([1000] * 10, [1.0] * 10)
    stuck = _runs([None] * 7 + [30] * 3, [0.0] * 10, saturated=[True] * 9 + [False],
                  optimizer="rprop")  # fmt: skip
    assert remedies.verdict(stuck, base) == "saturates"
    # saturated runs leave the plateau share: 4 saturated, 6 with plateaus → not "removes"
    some = _runs([10] * 10, [0.0] * 4 + [1.1] * 6, saturated=[True] * 4 + [False] * 6,
                 optimizer="adam")  # fmt: skip
    assert remedies.verdict(some, base) == "rescales the clock"
    d = remedies.plateau_decades(some)
    assert np.isnan(d[:4]).all() and (d[4:] == 1.1).all()
    assert remedies.decades_ratio(some, base).n == 6  # the saturated seeds are not paired


def test_saturation_is_counted_per_delta_max() -> None:
    base = _runs([1000] * 4, [1.0] * 4)
    big = _runs([None] * 4, [0.0] * 4, saturated=[True] * 4, optimizer="rprop")
    small = _runs([40] * 4, [0.0] * 4, optimizer="rprop", rprop_delta_max=0.1)
    small["run_id"] += "/small"
    f = _findings(pd.concat([base, big, small]))
    small_key = RPROP.replace("rprop_delta_max=50", "rprop_delta_max=0.1")
    assert f[f"{RPROP}.saturated"].value == 4 and f[f"{small_key}.saturated"].value == 0
    assert f[f"{RPROP}.verdict"].text == "saturates"
    assert f[f"{small_key}.verdict"].text == "removes the plateau"
    assert f[f"{RPROP}.saturated_outputs"].value == 1
    assert math.isnan(f[f"{RPROP}.decades.median"].value)  # no plateau known: not 0
    assert f[f"{GD}.rprop_delta_max"].text == "not used" and "rprop_delta_max" not in GD


def test_the_decades_ratio_is_paired_by_seed_and_censors_plateaus_never_left() -> None:
    base = _runs([1000] * 4, [1.0, 2.0, 1.0, 2.0])
    mine = _runs([10] * 4, [0.5, 1.0, 0.5, 1.0], optimizer="adam")
    r = remedies.decades_ratio(mine, base)
    assert (r.estimate, r.low, r.high, r.n) == pytest.approx((0.5, 0.5, 0.5, 4))
    stuck = mine.assign(plateau_left=False)
    assert remedies.decades_ratio(stuck, base).bound == "≥"


def _findings(runs: pd.DataFrame) -> dict[str, pd.Series]:
    table = findings_frame(remedies.remedy_findings({remedies.REMEDIES: runs}))
    return {r.key: r for r in table.itertuples(index=False)}


GD = "remedies[optimizer=gd,loss=mse,prime_offset=0,momentum=0.9,alpha=0.01]"
MOMENTUM = GD.replace("optimizer=gd", "optimizer=momentum")
RPROP = GD.replace("optimizer=gd", "optimizer=rprop").replace("]", ",rprop_delta_max=50]")


def test_remedy_findings_have_a_reference_and_one_group_per_configuration() -> None:
    base = _runs([1000] * 5, [1.0] * 5)
    other = _runs([100] * 5, [1.05] * 5, optimizer="momentum")
    rprop = _runs([50] * 5, [0.0] * 5, optimizer="rprop")
    f = _findings(pd.concat([base, other, rprop]))
    assert [f[f"{k}.verdict"].text for k in (GD, MOMENTUM, RPROP)] == [
        "reference", "rescales the clock", "removes the plateau",
    ]  # fmt: skip
    assert f"{GD}.speedup" not in f  # the reference is not compared with itself
    assert f[f"{MOMENTUM}.speedup"].value == 10.0 and f[f"{MOMENTUM}.speedup.pairs"].value == 5
    assert f"{MOMENTUM}.clock" not in f  # no gd at α/(1 − μ) = 0.1
    assert f[f"{RPROP}.alpha"].text == "not used"
    # gradient-flow time: α per update for gd, α/(1 − μ) for momentum, none for rprop
    assert f[f"{GD}.flow_median"].value == pytest.approx(f[f"{MOMENTUM}.flow_median"].value) == 10
    assert f"{RPROP}.flow_median" not in f
    assert set(f[f"{MOMENTUM}.runs"].run_ids) == set(other["run_id"])


def test_momentum_is_compared_with_gd_at_alpha_over_one_minus_mu() -> None:
    slow = _runs([1000, 1100, 1200, 900, 1000], [1.0] * 5)
    fast = _runs([100, 110, 120, 90, 100], [1.0] * 5, alpha=0.1)
    mom = _runs([101, 109, 121, 90, 99], [1.0] * 5, optimizer="momentum")
    f = _findings(pd.concat([slow, fast, mom]))
    assert f[f"{MOMENTUM}.clock"].value == 1.0
    assert f["remedies.momentum_clock.alpha_same"].value == 0.1
    assert f["remedies.momentum_clock.word"].text == "consistent"
    assert f["remedies.momentum_clock.prediction"].value == 10


def test_the_clock_reference_has_the_same_loss() -> None:
    slow = _runs([1000] * 3, [1.0] * 3)
    fast = _runs([100] * 3, [1.0] * 3, alpha=0.1)
    mom_ce = _runs([20] * 3, [1.0] * 3, optimizer="momentum", loss="cross_entropy")
    f = _findings(pd.concat([slow, fast, mom_ce]))
    assert f"{MOMENTUM.replace('loss=mse', 'loss=cross_entropy')}.clock" not in f


def test_median_ratio_of_no_solved_pairs_is_nan() -> None:
    assert math.isnan(remedies.median_ratio(_runs([None], [0.0]), _runs([None], [0.0])).median)
