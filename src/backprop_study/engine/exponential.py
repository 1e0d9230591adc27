"""The exponential and the sigmoid of the fast path, written so that loops over them vectorise.

An 8-3-8 epoch takes 88 sigmoids. Compiled code calls the C library's `exp` for each one
(about 7 ns apiece here: most of an epoch); LLVM can put a loop over them into SIMD registers
only when the exponential is plain arithmetic. This is that arithmetic: the method and the
coefficients of fdlibm's `e_exp.c` (Sun Microsystems 1993, as kept in musl's `src/math/exp.c`,
both checked), with its branches turned into selects:

    x = k ln2 + r, |r| <= ln2 / 2, k = trunc(x / ln2 ± 1/2)  (ln2 = hi + lo, k hi exact)
    exp(r) = 1 + r + r c / (2 - c), c = r - r² (P1 + r² (P2 + ... + r² P5))
    exp(x) = exp(r) · 2^⌊k/2⌋ · 2^(k - ⌊k/2⌋)  (two exact powers of two: no overflow in 2^k)

fdlibm states an error below 1 ulp; `tests/engine/test_exponential.py` measures it against the
C library on a million arguments and checks the edges (±0, ±inf, NaN, overflow, the subnormal
range). Only IEEE additions, multiplications, divisions, conversions and selects are used, with
numba's default (no fast-math: no reassociation, no fused multiply-add), so an element's value
does not depend on whether it was computed alone or in a 2-, 4- or 8-wide vector: a run's
numbers do not depend on the machine's vector width nor on the runs trained beside it.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000: k * LN2_HI is exact for |k| < 2^20
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
P1 = 1.66666666666666019037e-01
P2 = -2.77777777770155933842e-03
P3 = 6.61375632143793436117e-05
P4 = -1.65339022054652515390e-06
P5 = 4.13813679705723846039e-08
X_LIMIT = 1100.0
"""exp(±1100) is already inf / 0 in float64; clamping there keeps k's powers of two in range."""


@intrinsic
def _from_bits(typingctx, bits):  # noqa: ANN001, ANN202, ARG001
    """The float64 whose IEEE bits are the int64 `bits` (a bit cast, no conversion)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202, ARG001
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def power_of_two(k: int) -> float:
    """2.0**k for an integer k in [-1022, 1023], exactly."""
    return _from_bits((k + 1023) << 52)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def exp(x: float) -> float:
    """e**x within 1 ulp, NaN for NaN, with selects only (see the module docstring)."""
    clamped = x if x < X_LIMIT else X_LIMIT  # NaN takes X_LIMIT here: k stays an integer
    clamped = clamped if clamped > -X_LIMIT else -X_LIMIT
    half = 0.5 if clamped >= 0.0 else -0.5
    k = int(clamped * INV_LN2 + half)
    kf = float(k)
    reduced = clamped if x == x else x  # NaN stays NaN from here on
    hi = reduced - kf * LN2_HI
    lo = kf * LN2_LO
    r = hi - lo
    rr = r * r
    c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))))
    y = 1.0 + (r * c / (2.0 - c) - lo + hi)
    k1 = k >> 1
    return y * power_of_two(k1) * power_of_two(k - k1)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def sigmoid(z: float) -> float:
    """1 / (1 + e**-z): the same expression as the reference engine's, with `exp` above."""
    return 1.0 / (1.0 + exp(-z))
