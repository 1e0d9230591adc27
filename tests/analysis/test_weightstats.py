import math

import numpy as np
import pytest
from weight_tables import long_form

from backprop_study.analysis.weightstats import (
    aligned_distance,
    bias_ratios,
    distance_matrix,
    end_drift,
    final_weights,
    flatten,
    hidden_transforms,
    params_at,
    snapshot_inside,
)
from backprop_study.engine.network import Params


def random_params(rng, n=8, h=3, scale=1.0):
    return Params(
        rng.normal(0, scale, (h, n)),
        rng.normal(0, scale, h),
        rng.normal(0, scale, (n, h)),
        rng.normal(0, scale, n),
    )


def outputs(p, X):
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return s(s(X @ p.W1.T + p.b1) @ p.W2.T + p.b2)


def test_params_round_trip_through_long_form():
    rng = np.random.default_rng(0)
    p, q = random_params(rng), random_params(rng)
    w = long_form({10: p, 20: q})
    for got, want in zip(params_at(w, 10), p, strict=True):
        assert np.array_equal(got, want)
    assert np.array_equal(flatten(params_at(w)), flatten(q))  # default: last snapshot


def test_bias_ratios_by_hand():
    p = Params(np.full((3, 8), 0.1), np.full(3, -2.0), np.full((8, 3), -0.2), np.full(8, 1.0))
    r = bias_ratios(long_form({5: p}))
    assert r.loc[5, "hidden"] == pytest.approx(20.0)
    assert r.loc[5, "output"] == pytest.approx(5.0)
    assert r.loc[5, "all"] == pytest.approx((3 * 2 + 8 * 1) / 11 / 0.15)


def test_snapshot_inside_takes_the_log_middle():
    snaps = np.array([0, 1, 10, 100, 1000, 10_000, 100_000])
    assert snapshot_inside(snaps, 100, 10_000) == 1000
    assert math.isnan(snapshot_inside(snaps, 200, 900))
    assert math.isnan(snapshot_inside(snaps, math.nan, math.nan))


def test_hidden_transforms_keep_the_function():
    rng = np.random.default_rng(1)
    p = random_params(rng)
    X = np.eye(8)
    ts = hidden_transforms(p)
    assert len(ts) == 6 * 8
    for t in ts:
        assert np.allclose(outputs(t, X), outputs(p, X))
    assert len({flatten(t).round(12).tobytes() for t in ts}) == 48


def test_aligned_distance_sees_through_symmetries():
    rng = np.random.default_rng(2)
    p, q = random_params(rng), random_params(rng)
    flipped = hidden_transforms(p)[13]  # some permutation with some flips
    assert aligned_distance(p, flipped) == pytest.approx(0.0, abs=1e-12)
    assert aligned_distance(p, flipped, flips=False) > 0.1
    permuted = hidden_transforms(p)[8]  # a pure permutation (no flips)
    assert aligned_distance(p, permuted, flips=False) == pytest.approx(0.0, abs=1e-12)
    assert aligned_distance(p, q) > 0.5


def test_distance_matrix_is_aligned_distance_of_every_pair_to_the_bit():
    rng = np.random.default_rng(4)
    nets = [random_params(rng) for _ in range(5)]
    nets.append(hidden_transforms(nets[0])[13])  # a copy of the first up to symmetry
    for flips in (True, False):
        d = distance_matrix(nets, flips=flips)
        assert d.shape == (6, 6) and np.isnan(np.diag(d)).all()
        for i in range(6):
            for j in range(i + 1, 6):
                want = aligned_distance(nets[i], nets[j], flips=flips)
                assert d[i, j] == want and d[j, i] == want  # exactly, not approximately
    assert distance_matrix(nets)[0, 5] == pytest.approx(0.0, abs=1e-12)
    assert distance_matrix(nets[:1]).shape == (1, 1)


def test_params_at_reads_one_snapshot_whatever_the_row_order():
    rng = np.random.default_rng(5)
    p, q = random_params(rng), random_params(rng)
    w = long_form({0: p, 100: q}).sample(frac=1.0, random_state=1)  # rows shuffled
    for epoch, want in ((0, p), (100, q), (None, q)):
        assert np.array_equal(flatten(params_at(w, epoch)), flatten(want))
    with pytest.raises(ValueError, match="no snapshot at epoch 50"):
        params_at(w, 50)


def test_end_drift_and_final_weights():
    rng = np.random.default_rng(3)
    p = random_params(rng)
    q = Params(*(a * 1.1 for a in p))
    w = long_form({0: random_params(rng), 100: p, 200: q})
    assert end_drift(w) == pytest.approx(0.1 / 1.1)
    assert math.isnan(end_drift(long_form({0: p})))
    last = final_weights(w, "run/1")
    assert set(last["epoch"]) == {200} and set(last["run_id"]) == {"run/1"}
    assert len(last) == 59
