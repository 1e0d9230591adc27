"""The fast path's exponential: within 1 ulp, right at the edges, the same bits in any vector."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from backprop_study.engine.exponential import exp, sigmoid
from backprop_study.engine.network import sigmoid as reference_sigmoid


@njit(cache=True, error_model="numpy")
def _exp_loop(x: np.ndarray, out: np.ndarray) -> None:  # vectorised by LLVM
    for i in range(x.shape[0]):
        out[i] = exp(x[i])


@njit(cache=True, error_model="numpy")
def _sigmoid_loop(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = sigmoid(x[i])


def exps(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    _exp_loop(x, out)
    return out


def arguments(n: int = 300_000) -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.concatenate(
        [
            rng.uniform(-745.0, 709.7, n),  # the whole finite range
            rng.uniform(-40.0, 40.0, n),  # where sigmoids live
            rng.normal(0.0, 1.0, n),
            rng.uniform(-1e-8, 1e-8, n // 10),
        ]
    )


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 60, reason="needs 80-bit long double")
def test_within_one_ulp_of_the_exact_value() -> None:
    x = arguments()
    exact = np.exp(x.astype(np.longdouble))  # 64-bit mantissa: the "true" value, to 1e-19
    got = exps(x)
    normal = np.abs(exact) >= np.finfo(np.float64).tiny
    err_ulp = np.abs(got[normal] - exact[normal]) / np.spacing(exact[normal].astype(np.float64))
    assert err_ulp.max() < 1.0  # fdlibm's stated bound
    assert np.mean(err_ulp > 0.5) < 0.15  # not rounded correctly: 9.5 % of these arguments


def test_agrees_with_the_c_library_to_one_ulp() -> None:
    x = arguments(50_000)
    libm = np.array([math.exp(v) for v in x])
    got = exps(x)
    assert np.all(np.abs(got - libm) <= np.spacing(libm))


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.0, 1.0),
        (-0.0, 1.0),
        (math.inf, math.inf),
        (-math.inf, 0.0),
        (709.78, math.exp(709.78)),  # largest finite results
        (709.79, math.inf),  # overflow
        (-708.5, math.exp(-708.5)),  # subnormal results
        (-745.13, math.exp(-745.13)),  # the smallest subnormal
        (-745.2, 0.0),  # underflow
        (1e300, math.inf),
        (-1e300, 0.0),
    ],
)
def test_edges(x: float, expected: float) -> None:
    assert exps(np.array([x]))[0] == expected


def test_e() -> None:
    assert abs(exps(np.array([1.0]))[0] - math.e) <= np.spacing(math.e)


def test_nan_stays_nan() -> None:
    assert np.isnan(exps(np.array([math.nan, 1.0])))[0]


def test_same_bits_alone_and_in_a_vector() -> None:
    """A value must not depend on whether LLVM put it in a vector lane or computed it alone."""
    x = arguments(2_000)
    together = exps(x)
    alone = np.array([exps(x[i : i + 1])[0] for i in range(len(x))])
    for width in (2, 3, 4, 5, 8, 16):
        pieces = np.concatenate([exps(x[i : i + width]) for i in range(0, len(x), width)])
        assert np.array_equal(pieces, together)
    assert np.array_equal(alone, together)


def test_sigmoid_matches_the_reference_engine() -> None:
    z = np.random.default_rng(3).normal(0.0, 8.0, 100_000)
    got = np.empty_like(z)
    _sigmoid_loop(z, got)
    ref = reference_sigmoid(z)
    assert np.all(np.abs(got - ref) <= 2 * np.spacing(ref))
