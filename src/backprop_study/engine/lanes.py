"""Many runs of one setting at once: `fastpath`'s epoch with the runs as the innermost axis.

A single 8-3-8 run has loops of 3 or 8 elements, too short to fill a vector register; the
seeds of one setting share every loop bound, so with the runs as the last axis of every array
(`LANES` of them, a compile-time constant) each operation becomes a loop of `LANES`
independent elements that LLVM turns into vector instructions whatever the machine's width.
Each run (lane) gets exactly `fastpath`'s operations in `fastpath`'s order, so its numbers are
bit-identical to training it alone (tested for every mode): lanes never mix, no fast-math, and
the same `exponential.sigmoid`. The runs may differ in their initial weights and batch orders
only; a run that diverges is reported at its epoch and taken out by the caller (`training`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llvmlite import ir
from numba import carray, njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic

from backprop_study.engine.encodings import SOLVED_TOLERANCE
from backprop_study.engine.exponential import sigmoid
from backprop_study.engine.fastpath import (
    MSE,
    _ce_delta,
    _ce_term,
    _mse_delta,
    _mse_term,
    _step,
    _through_sigmoid,
)
from backprop_study.engine.jitcache import keep_current

LANES = 8
"""Runs per kernel call: one AVX-512 register of float64, two AVX2 ones, four SSE2 ones."""

MAX_UNITS = 16
"""Largest number of patterns, inputs or hidden units the kernel takes (its arrays live on the
stack); bigger networks train one run at a time."""

_inline = njit(cache=True, nogil=True, error_model="numpy", inline="always")


def _stack(size: int):  # noqa: ANN202
    """An intrinsic giving room for `size` float64 on the stack of the compiled caller.

    LLVM knows that distinct stack slots alias neither each other nor the arrays passed in; with
    heap arrays it must assume any store may change any later load, and leaves the loops over
    the lanes scalar.
    """

    @intrinsic
    def scratch(typingctx):  # noqa: ANN001, ANN202, ARG001
        def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202, ARG001
            return cgutils.alloca_once(builder, ir.DoubleType(), size=size)

        return types.CPointer(types.float64)(), codegen

    return scratch


@intrinsic
def _shifted(typingctx, start, k):  # noqa: ANN001, ANN202, ARG001
    """The pointer `k` float64 past `start`. Views made from it with `carray` keep LLVM's view
    of where their data lives; numpy's slice-and-reshape goes through a C helper that hides
    it, and LLVM then keeps every loop over such a view scalar (it might alias anything)."""

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202, ARG001
        return builder.gep(args[0], [args[1]], inbounds=True)

    return types.CPointer(types.float64)(start, k), codegen


_params_scratch = _stack((2 * MAX_UNITS * MAX_UNITS + 2 * MAX_UNITS) * LANES)
_units_scratch = _stack(MAX_UNITS * MAX_UNITS * LANES)
_lane_scratch = _stack(MAX_UNITS * LANES)


@_inline
def _layers(at, h, n):  # noqa: ANN001, ANN202
    """W1 (h, n, L), b1 (h, L), W2 (n, h, L), b2 (n, L) of the flat parameters at `at`."""
    o_b1 = h * n * LANES
    o_w2 = o_b1 + h * LANES
    o_b2 = o_w2 + n * h * LANES
    return (
        carray(at, (h, n, LANES)),
        carray(_shifted(at, o_b1), (h, LANES)),
        carray(_shifted(at, o_w2), (n, h, LANES)),
        carray(_shifted(at, o_b2), (n, LANES)),
    )


@_inline
def _forward(W1, b1, W2, b2, XT, A1, Z2, A2, acc):  # noqa: ANN001, N803
    """`fastpath._forward` per lane: XT (n, m) is shared, A1 (h, m, L), Z2 and A2 (n, m, L).
    Each sum runs over its terms in the same order as there, innermost, into acc (L,) (see
    `_gradient`)."""
    h, n = W1.shape[0], W1.shape[1]
    m = XT.shape[1]
    for j in range(h):
        for p in range(m):
            for r in range(LANES):
                acc[r] = 0.0
            for i in range(n):
                x = XT[i, p]
                for r in range(LANES):
                    acc[r] += W1[j, i, r] * x
            for r in range(LANES):
                A1[j, p, r] = sigmoid(acc[r] + b1[j, r])
    for o in range(n):
        for p in range(m):
            for r in range(LANES):
                acc[r] = 0.0
            for j in range(h):
                for r in range(LANES):
                    acc[r] += W2[o, j, r] * A1[j, p, r]
            for r in range(LANES):
                z = acc[r] + b2[o, r]
                Z2[o, p, r] = z
                A2[o, p, r] = sigmoid(z)


@_inline
def _gradient(W1, W2, XT, YT, A1, A2, lam, loss, offset, gW1, gb1, gW2, gb2, D1, D2, acc):  # noqa: ANN001, N803
    """`fastpath._gradient` per lane (full batch: every pattern, in column order). Every sum is
    the innermost loop, over its terms in fastpath's order, into acc (L,): a row of lanes that
    LLVM keeps in a register (a load, add and store per term when summed in place)."""
    h, n = W1.shape[0], W1.shape[1]
    m = XT.shape[1]
    for o in range(n):
        for p in range(m):
            y = YT[o, p]
            if loss == MSE:
                for r in range(LANES):
                    D2[o, p, r] = _mse_delta(A2[o, p, r], y, offset)
            else:
                for r in range(LANES):
                    D2[o, p, r] = _ce_delta(A2[o, p, r], y, offset)
    for j in range(h):
        for p in range(m):
            for r in range(LANES):
                acc[r] = 0.0
            for o in range(n):
                for r in range(LANES):
                    acc[r] += D2[o, p, r] * W2[o, j, r]
            if offset == 0.0:  # tested here once, not per lane: branches keep the lanes scalar
                for r in range(LANES):
                    D1[j, p, r] = _through_sigmoid(acc[r], A1[j, p, r], 0.0)
            else:
                for r in range(LANES):
                    D1[j, p, r] = _through_sigmoid(acc[r], A1[j, p, r], offset)
    exact = (m & (m - 1)) == 0  # as fastpath._layer_gradient
    inv = 1.0 / m
    for o in range(n):
        for j in range(h):
            for r in range(LANES):
                acc[r] = 0.0
            for p in range(m):
                for r in range(LANES):
                    acc[r] += D2[o, p, r] * A1[j, p, r]
            for r in range(LANES):
                s = acc[r]
                gW2[o, j, r] = (s * inv if exact else s / m) + lam * W2[o, j, r]
        for r in range(LANES):
            acc[r] = 0.0
        for p in range(m):
            for r in range(LANES):
                acc[r] += D2[o, p, r]
        for r in range(LANES):
            s = acc[r]
            gb2[o, r] = s * inv if exact else s / m
    for j in range(h):
        for i in range(n):
            for r in range(LANES):
                acc[r] = 0.0
            for p in range(m):
                x = XT[i, p]
                for r in range(LANES):
                    acc[r] += D1[j, p, r] * x
            for r in range(LANES):
                s = acc[r]
                gW1[j, i, r] = (s * inv if exact else s / m) + lam * W1[j, i, r]
        for r in range(LANES):
            acc[r] = 0.0
        for p in range(m):
            for r in range(LANES):
                acc[r] += D1[j, p, r]
        for r in range(LANES):
            s = acc[r]
            gb1[j, r] = s * inv if exact else s / m


@_inline
def _gradient_rows(  # noqa: PLR0913
    W1,
    b1,
    W2,
    b2,
    X,
    Y,
    orders,
    row,
    start,
    c,
    A1,
    A2,
    lam,
    loss,
    offset,
    gW1,
    gb1,
    gW2,
    gb2,
    x,
    y,
    a1,
    a2,
    d1,
    d2,
    acc,  # noqa: ANN001, N803
):
    """`fastpath._gradient_rows` per lane: lane r takes the patterns orders[row, start:, r].
    Each lane's pattern and target are first gathered into x, y (n, L)."""
    h, n = W1.shape[0], W1.shape[1]
    reuse = start == 0
    exact = (c & (c - 1)) == 0  # as fastpath._gradient_rows
    inv = 1.0 / c
    for k in range(c):
        for r in range(LANES):
            p = orders[row, start + k, r]
            for i in range(n):
                x[i, r] = X[p, i]
                y[i, r] = Y[p, i]
            if reuse:
                for j in range(h):
                    a1[j, r] = A1[j, p, r]
                for o in range(n):
                    a2[o, r] = A2[o, p, r]
        if not reuse:  # each sum innermost, into acc (see `_gradient`)
            for j in range(h):
                for r in range(LANES):
                    acc[r] = 0.0
                for i in range(n):
                    for r in range(LANES):
                        acc[r] += W1[j, i, r] * x[i, r]
                for r in range(LANES):
                    a1[j, r] = sigmoid(acc[r] + b1[j, r])
            for o in range(n):
                for r in range(LANES):
                    acc[r] = 0.0
                for j in range(h):
                    for r in range(LANES):
                        acc[r] += W2[o, j, r] * a1[j, r]
                for r in range(LANES):
                    a2[o, r] = sigmoid(acc[r] + b2[o, r])
        for o in range(n):
            if loss == MSE:
                for r in range(LANES):
                    d2[o, r] = _mse_delta(a2[o, r], y[o, r], offset)
            else:
                for r in range(LANES):
                    d2[o, r] = _ce_delta(a2[o, r], y[o, r], offset)
        for j in range(h):
            for r in range(LANES):
                acc[r] = 0.0
            for o in range(n):
                for r in range(LANES):
                    acc[r] += d2[o, r] * W2[o, j, r]
            for r in range(LANES):
                d1[j, r] = _through_sigmoid(acc[r], a1[j, r], offset)
        # Summed over the batch's patterns in order from 0.0 (no zeroing pass: the first pattern
        # adds to 0.0, a select), then the mean plus weight decay as the last one is added (no
        # pass of its own).
        first, last = k == 0, k == c - 1
        for o in range(n):
            for j in range(h):
                for r in range(LANES):
                    before = gW2[o, j, r]
                    acc[r] = (0.0 if first else before) + d2[o, r] * a1[j, r]
                _keep(gW2[o, j], acc, W2[o, j], lam, True, last, exact, inv, c)
            for r in range(LANES):
                before = gb2[o, r]
                acc[r] = (0.0 if first else before) + d2[o, r]
            _keep(gb2[o], acc, gb2[o], lam, False, last, exact, inv, c)
        for j in range(h):
            for i in range(n):
                for r in range(LANES):
                    before = gW1[j, i, r]
                    acc[r] = (0.0 if first else before) + d1[j, r] * x[i, r]
                _keep(gW1[j, i], acc, W1[j, i], lam, True, last, exact, inv, c)
            for r in range(LANES):
                before = gb1[j, r]
                acc[r] = (0.0 if first else before) + d1[j, r]
            _keep(gb1[j], acc, gb1[j], lam, False, last, exact, inv, c)


@_inline
def _keep(g, acc, w, lam, decayed, last, exact, inv, c):  # noqa: ANN001
    """Row acc (L,) into g: as it is, or if `last` its mean over c patterns plus, if `decayed`
    (weights, not biases), lam w: as fastpath._gradient_rows."""
    if not last:
        for r in range(LANES):
            g[r] = acc[r]
    elif decayed:
        for r in range(LANES):
            s = acc[r]
            g[r] = (s * inv if exact else s / c) + lam * w[r]
    else:
        for r in range(LANES):
            s = acc[r]
            g[r] = s * inv if exact else s / c


@_inline
def _evaluate(W1, b1, W2, b2, YT, Z2, A2, lam, loss, factor, k_minus_1, logged, out, finite, t, u):  # noqa: ANN001, N803
    """`fastpath._evaluate` per lane: metrics into out (5, L), 1.0 (finite) or 0.0 into finite
    (L,); t (7, L) and u (5, m, L) are scratch. The largest error, the best output and whether
    all outputs are low are kept per pattern first (u), which gives the same values: a maximum
    that keeps NaN does not depend on the order it is taken in."""
    n, m = YT.shape
    ERR, BEST, BEST_A, LOW, Z_OK = 0, 1, 2, 3, 4  # rows of u  # noqa: N806
    for p in range(m):
        for r in range(LANES):
            u[ERR, p, r] = 0.0
            u[BEST, p, r] = 0.0
            u[BEST_A, p, r] = A2[0, p, r]
            u[LOW, p, r] = 1.0
            u[Z_OK, p, r] = 1.0
    for o in range(n):
        unit = float(o)
        for p in range(m):
            y = YT[o, p]
            for r in range(LANES):  # every operand loaded first: selects, no branches
                a = A2[o, p, r]
                e = a - y
                size = abs(e)
                err = u[ERR, p, r]
                best = u[BEST, p, r]
                best_a = u[BEST_A, p, r]
                low = u[LOW, p, r]
                better = a > best_a
                u[ERR, p, r] = size if (size > err) | (e != e) else err
                u[BEST, p, r] = unit if better else best
                u[BEST_A, p, r] = a if better else best_a
                u[LOW, p, r] = low if a < 0.5 else 0.0
            if not logged and loss != MSE:  # whether the cross-entropy would be finite
                for r in range(LANES):
                    u[Z_OK, p, r] = u[Z_OK, p, r] if math.isfinite(Z2[o, p, r]) else 0.0
    SQ, MAX_ERR, CORRECT, Z_FINITE = 0, 1, 2, 3  # rows of t  # noqa: N806
    for r in range(LANES):
        t[SQ, r] = 0.0
        t[MAX_ERR, r] = 0.0
        t[CORRECT, r] = 0.0
        t[Z_FINITE, r] = 1.0
    if logged:  # summed in fastpath's order: pattern by pattern, output by output
        for p in range(m):
            for o in range(n):
                y = YT[o, p]
                if loss == MSE:
                    for r in range(LANES):
                        t[SQ, r] += _mse_term(A2[o, p, r], Z2[o, p, r], y)
                else:
                    for r in range(LANES):
                        t[SQ, r] += _ce_term(A2[o, p, r], Z2[o, p, r], y)
    for p in range(m):
        for r in range(LANES):
            err = u[ERR, p, r]
            t[MAX_ERR, r] = err if (err > t[MAX_ERR, r] or err != err) else t[MAX_ERR, r]
            best = u[BEST, p, r]
            decoded = (0.0 if u[LOW, p, r] == 1.0 else best + 1.0) if k_minus_1 else best
            t[CORRECT, r] += 1.0 if decoded == p else 0.0
            t[Z_FINITE, r] = t[Z_FINITE, r] if u[Z_OK, p, r] == 1.0 else 0.0
    # The weight decay's sums, each in fastpath's order, the lanes innermost (independent chains).
    W_SQ, W2_SQ, B_OK = 4, 5, 6  # more rows of t  # noqa: N806
    v = t
    for r in range(LANES):
        v[W_SQ, r] = 0.0
        v[W2_SQ, r] = 0.0
        v[B_OK, r] = 1.0
    for j in range(W1.shape[0]):
        for i in range(W1.shape[1]):
            for r in range(LANES):
                v[W_SQ, r] += W1[j, i, r] * W1[j, i, r]
        for r in range(LANES):
            v[B_OK, r] = v[B_OK, r] if math.isfinite(b1[j, r]) else 0.0
    for o in range(W2.shape[0]):
        for j in range(W2.shape[1]):
            for r in range(LANES):
                v[W2_SQ, r] += W2[o, j, r] * W2[o, j, r]
        for r in range(LANES):
            v[B_OK, r] = v[B_OK, r] if math.isfinite(b2[o, r]) else 0.0
    for r in range(LANES):
        data_loss = factor * t[SQ, r] / m if logged else math.nan
        penalty = 0.5 * lam * (v[W_SQ, r] + v[W2_SQ, r])
        max_err = t[MAX_ERR, r]
        out[0, r] = data_loss
        out[1, r] = penalty
        out[2, r] = data_loss + penalty
        out[3, r] = t[CORRECT, r]
        out[4, r] = max_err
        if logged:
            ok = math.isfinite(out[2, r])
        else:
            ok = math.isfinite(penalty) and max_err == max_err and t[Z_FINITE, r] == 1.0
        finite[r] = 1.0 if ok and v[B_OK, r] == 1.0 else 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def _run(  # noqa: PLR0913
    theta_io,
    X,
    Y,
    h,
    lam,
    alpha,
    loss,
    factor,
    optimizer,
    offset,
    hyper,
    batch,
    e0,
    e1,
    orders,
    k_minus_1,  # noqa: ANN001, N803
    log_slot,
    curve,
    snap_slot,
    sW1,
    sb1,
    sW2,
    sb2,
    sH,
    sa_io,
    sb_io,
    sc_io,
    st,
    active,
    first_correct,
    first_solved,
    diverged,  # noqa: ANN001
):
    """`fastpath._run` for LANES runs: theta, sa, sb, sc are (parameters, L); orders
    (epochs, m, L); curve (L, rows, 6) and the snapshots (L, k, ...) per lane. Only `active`
    lanes are checked and recorded. Returns the last epoch done: e1, or the first epoch at which
    an active lane stopped being finite (those lanes are flagged in `diverged`; the others have
    done that epoch in full). first_correct / first_solved are -1 until the event."""
    m, n = X.shape
    P = theta_io.shape[0]
    # Every array the epoch touches is on the stack (see `_stack`), theta and the optimizer's
    # state copied in here and out at the end; views into them are `carray`s at offsets
    # (`_layers`), not numpy slices and reshapes (see `_shifted`).
    at_theta, at_g = _params_scratch(), _params_scratch()
    at_sa, at_sb, at_sc = _params_scratch(), _params_scratch(), _params_scratch()
    theta = carray(at_theta, (P, LANES))
    sa = carray(at_sa, (P, LANES))
    sb = carray(at_sb, (P, LANES))
    sc = carray(at_sc, (P, LANES))
    theta[:] = theta_io
    sa[:] = sa_io
    sb[:] = sb_io
    sc[:] = sc_io
    W1, b1, W2, b2 = _layers(at_theta, h, n)
    gW1, gb1, gW2, gb2 = _layers(at_g, h, n)
    flat = P * LANES  # the optimizers step every (parameter, lane) alike: one flat loop
    theta_f, g_f = carray(at_theta, flat), carray(at_g, flat)
    sa_f, sb_f, sc_f = carray(at_sa, flat), carray(at_sb, flat), carray(at_sc, flat)
    XT = carray(_units_scratch(), (n, m))
    YT = carray(_units_scratch(), (n, m))
    XT[:] = X.T
    YT[:] = Y.T
    A1 = carray(_units_scratch(), (h, m, LANES))
    Z2 = carray(_units_scratch(), (n, m, LANES))
    A2 = carray(_units_scratch(), (n, m, LANES))
    D1 = carray(_units_scratch(), (h, m, LANES))
    D2 = carray(_units_scratch(), (n, m, LANES))
    x = carray(_lane_scratch(), (n, LANES))
    y = carray(_lane_scratch(), (n, LANES))
    a1 = carray(_lane_scratch(), (h, LANES))
    a2 = carray(_lane_scratch(), (n, LANES))
    d1 = carray(_lane_scratch(), (h, LANES))
    d2 = carray(_lane_scratch(), (n, LANES))
    out = carray(_lane_scratch(), (5, LANES))
    finite = carray(_lane_scratch(), LANES)
    acc = carray(_lane_scratch(), LANES)
    t = carray(_lane_scratch(), (7, LANES))
    u = carray(_units_scratch(), (5, m, LANES))
    full = batch == m
    _forward(W1, b1, W2, b2, XT, A1, Z2, A2, acc)
    for e in range(e0 + 1, e1 + 1):
        if full:
            _gradient(W1, W2, XT, YT, A1, A2, lam, loss, offset, gW1, gb1, gW2, gb2, D1, D2, acc)
            _step(theta_f, g_f, optimizer, alpha, hyper, sa_f, sb_f, sc_f, st)
        else:
            for start in range(0, m, batch):
                _gradient_rows(
                    W1,
                    b1,
                    W2,
                    b2,
                    X,
                    Y,
                    orders,
                    e - e0 - 1,
                    start,
                    batch,
                    A1,
                    A2,
                    lam,
                    loss,
                    offset,
                    gW1,
                    gb1,
                    gW2,
                    gb2,
                    x,
                    y,
                    a1,
                    a2,
                    d1,
                    d2,
                    acc,
                )
                _step(theta_f, g_f, optimizer, alpha, hyper, sa_f, sb_f, sc_f, st)
        _forward(W1, b1, W2, b2, XT, A1, Z2, A2, acc)
        row = log_slot[e - e0]
        _evaluate(
            W1, b1, W2, b2, YT, Z2, A2, lam, loss, factor, k_minus_1, row >= 0, out, finite, t, u
        )
        stop = False
        for r in range(LANES):
            if active[r] and finite[r] == 0.0:
                diverged[r] = True
                stop = True
        k = snap_slot[e - e0]
        for r in range(LANES):
            if not active[r] or diverged[r]:
                continue
            if first_correct[r] < 0 and out[3, r] == m:
                first_correct[r] = e
            if first_solved[r] < 0 and out[4, r] < SOLVED_TOLERANCE:
                first_solved[r] = e
            if row >= 0:
                curve[r, row, 0] = e
                for c in range(5):
                    curve[r, row, c + 1] = out[c, r]
            if k >= 0:
                sW1[r, k] = W1[:, :, r]
                sb1[r, k] = b1[:, r]
                sW2[r, k] = W2[:, :, r]
                sb2[r, k] = b2[:, r]
                sH[r, k] = A1[:, :, r].T
        if stop:
            _copy_out(theta, sa, sb, sc, theta_io, sa_io, sb_io, sc_io)
            return e
    _copy_out(theta, sa, sb, sc, theta_io, sa_io, sb_io, sc_io)
    return e1


keep_current(_run)  # it inlines code from other files, which numba's cache does not check


@_inline
def _copy_out(theta, sa, sb, sc, theta_io, sa_io, sb_io, sc_io):  # noqa: ANN001
    theta_io[:] = theta
    sa_io[:] = sa
    sb_io[:] = sb
    sc_io[:] = sc


@contextmanager
def _slp_vectorizer() -> Iterator[None]:
    """LLVM's SLP vectorizer on while numba compiles (numba leaves it off by default): it is
    what turns the unrolled loops over the lanes into vector instructions."""
    before = config.SLP_VECTORIZE
    config.SLP_VECTORIZE = 1
    try:
        yield
    finally:
        config.SLP_VECTORIZE = before


def run(*args: Any) -> int:  # noqa: ANN401
    """`_run`, compiled (or loaded from numba's cache) with the SLP vectorizer on."""
    with _slp_vectorizer():
        return int(_run(*args))
