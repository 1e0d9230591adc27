import itertools

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis.codes import (
    activation_matrix,
    canonical_codebook,
    codebook_string,
    codes_of,
    codes_table,
    last_codes,
    n_codebooks,
)

THREE_BIT = np.array(list(itertools.product((0, 1), repeat=3)), dtype=float)  # 8 x 3


def hidden_table(acts_by_epoch):
    rows = []
    for epoch, a in acts_by_epoch.items():
        for c, u in itertools.product(range(a.shape[0]), range(a.shape[1])):
            rows.append((epoch, c, u, a[c, u]))
    return pd.DataFrame(rows, columns=["epoch", "class", "unit", "activation"])


def test_perfect_three_bit_code():
    a = np.where(THREE_BIT > 0, 0.95, 0.05)
    c = codes_of(a, epoch=7)
    assert c.distinct == 8 and c.all_distinct
    assert c.gap == pytest.approx(0.05)
    assert c.codebook == "000,001,010,011,100,101,110,111"
    assert c.epoch == 7


def test_undifferentiated_hidden_layer_has_one_code():
    a = np.full((8, 3), 0.5) + np.linspace(0.001, 0.002, 24).reshape(8, 3)
    c = codes_of(a)
    assert c.distinct == 1 and not c.all_distinct
    assert c.gap == pytest.approx(0.5, abs=0.003)


def test_gap_is_mean_distance_to_nearest_binary_value():
    a = np.array([[0.1, 0.7], [0.9, 0.4]])
    assert codes_of(a).gap == pytest.approx((0.1 + 0.3 + 0.1 + 0.4) / 4)
    assert codes_of(a).codebook == "01,10"


def test_canonical_codebook_ignores_unit_order_and_flips():
    rng = np.random.default_rng(3)
    bits = THREE_BIT[rng.permutation(8)].astype(np.int8)
    ref = canonical_codebook(bits)
    for perm in itertools.permutations(range(3)):
        for flips in itertools.product((0, 1), repeat=3):
            other = bits[:, perm] ^ np.array(flips, dtype=np.int8)
            assert canonical_codebook(other) == ref
    swapped = bits.copy()
    swapped[[0, 1]] = swapped[[1, 0]]  # two classes exchange codes: a different solution
    assert canonical_codebook(swapped) != ref


def brute_force_canonical(bits: np.ndarray) -> str:
    """The definition: the smallest string over every unit permutation and flip."""
    units = bits.shape[1]
    return min(
        codebook_string(bits[:, perm] ^ np.array(flips, dtype=np.int8))
        for perm in itertools.permutations(range(units))
        for flips in itertools.product((0, 1), repeat=units)
    )


@pytest.mark.parametrize(("classes", "units"), [(8, 3), (2, 1), (10, 5), (4, 6), (9, 2)])
def test_canonical_codebook_is_the_smallest_string_over_all_transforms(classes, units):
    rng = np.random.default_rng(classes * 10 + units)
    for _ in range(3):
        bits = rng.integers(0, 2, size=(classes, units)).astype(np.int8)
        assert canonical_codebook(bits) == brute_force_canonical(bits)
    assert canonical_codebook(np.zeros((classes, units), dtype=np.int8)) == codebook_string(
        np.zeros((classes, units), dtype=int)
    )


def test_no_canonical_codebook_beyond_six_units():
    assert canonical_codebook(np.zeros((8, 7), dtype=np.int8)) == ""


def test_codebook_string():
    assert codebook_string(np.array([[1, 0, 1], [0, 0, 0]])) == "101,000"


def test_last_snapshot_is_used():
    early = np.full((8, 3), 0.5)
    late = np.where(THREE_BIT > 0, 0.9, 0.1)
    h = hidden_table({0: early, 5000: late})
    epoch, a = activation_matrix(h)
    assert epoch == 5000 and np.allclose(a, late)
    assert last_codes(h.sample(frac=1, random_state=0)).all_distinct  # row order irrelevant


def test_codes_table_and_codebook_count():
    runs = pd.DataFrame(
        {
            "lam": [0.0, 0.0, 0.1, 0.1],
            "code_all_distinct": [True, False, False, False],
            "code_distinct": [8, 7, 1, 2],
            "code_gap": [0.1, 0.2, 0.4, 0.3],
            "code_canonical": ["a", "b", "a", ""],
        }
    )
    t = codes_table(runs, ["lam"])
    assert t["frac_all_distinct"].tolist() == [0.5, 0.0]
    assert t["mean_distinct"].tolist() == [7.5, 1.5]
    assert n_codebooks(runs["code_canonical"]) == 2
