"""The fast engine: `network.run_epochs` compiled with numba, same numbers.

It follows the reference operation by operation (sum, then bias; gradient / batch + lam * W;
the optimizer's step) so the two agree to rounding (tested to <= 1e-12 relative over 1,000
epochs). The losses are the very functions of `losses`, compiled; the optimizers' steps are
written again here as loops over the flat parameters (the reference is `optimizers.step`).
Two things make it fast besides compilation: no allocation inside the epoch loop, and the forward
pass that checks epoch e is reused for the first update of epoch e + 1 (all of it, with full
batch), since the weights have not changed in between.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from backprop_study.engine import losses
from backprop_study.engine.encodings import SOLVED_TOLERANCE
from backprop_study.engine.network import Params, Record, Update
from backprop_study.engine.optimizers import (
    ADAM,
    BETA1,
    BETA2,
    DELTA_MAX,
    DELTA_MIN,
    EPS,
    ETA_MINUS,
    ETA_PLUS,
    GD,
    MOMENTUM,
    MU,
    RPROP,
    State,
)

_compile = njit(cache=True, nogil=True, error_model="numpy")
_through_sigmoid = _compile(losses.through_sigmoid)
_mse_term = _compile(losses.mse_term)
_mse_delta = _compile(losses.mse_delta)
_ce_term = _compile(losses.cross_entropy_term)
_ce_delta = _compile(losses.cross_entropy_delta)
MSE = losses.loss_code("mse")


@njit(cache=True, nogil=True, error_model="numpy")
def _forward_rows(W1, b1, W2, b2, X, rows, A1, Z2, A2):  # noqa: ANN001, N803
    """Activations of the patterns `rows` into rows 0.. of A1 (hidden) and A2 (output), the
    output net inputs into Z2."""
    h, n = W1.shape
    for r in range(rows.shape[0]):
        p = rows[r]
        for j in range(h):
            z = 0.0
            for i in range(n):
                z += W1[j, i] * X[p, i]
            A1[r, j] = 1.0 / (1.0 + math.exp(-(z + b1[j])))
        for o in range(n):
            z = 0.0
            for j in range(h):
                z += W2[o, j] * A1[r, j]
            Z2[r, o] = z + b2[o]
            A2[r, o] = 1.0 / (1.0 + math.exp(-Z2[r, o]))


@njit(cache=True, nogil=True, error_model="numpy")
def _gradient(W1, b1, W2, b2, X, Y, rows, A1, A2, lam, loss, offset, gW1, gb1, gW2, gb2, d1, d2):  # noqa: ANN001, N803
    """Gradient of the mean loss of the patterns `rows` (activations in A1, A2) plus weight decay
    into gW1, gb1, gW2, gb2 (views of one flat gradient)."""
    h, n = W1.shape
    b = rows.shape[0]
    gW1[:] = 0.0
    gb1[:] = 0.0
    gW2[:] = 0.0
    gb2[:] = 0.0
    for r in range(b):
        p = rows[r]
        for o in range(n):
            if loss == MSE:
                d2[o] = _mse_delta(A2[r, o], Y[p, o], offset)
            else:
                d2[o] = _ce_delta(A2[r, o], Y[p, o], offset)
        for j in range(h):
            s = 0.0
            for o in range(n):
                s += d2[o] * W2[o, j]
            d1[j] = _through_sigmoid(s, A1[r, j], offset)
        for o in range(n):
            for j in range(h):
                gW2[o, j] += d2[o] * A1[r, j]
            gb2[o] += d2[o]
        for j in range(h):
            for i in range(n):
                gW1[j, i] += d1[j] * X[p, i]
            gb1[j] += d1[j]
    for o in range(n):
        for j in range(h):
            gW2[o, j] = gW2[o, j] / b + lam * W2[o, j]
        gb2[o] = gb2[o] / b
    for j in range(h):
        for i in range(n):
            gW1[j, i] = gW1[j, i] / b + lam * W1[j, i]
        gb1[j] = gb1[j] / b


@njit(cache=True, nogil=True, error_model="numpy")
def _step(theta, g, optimizer, alpha, hyper, sa, sb, sc, st):  # noqa: ANN001
    """One optimizer step on the flat parameters (the same rules as `optimizers.step`)."""
    if optimizer == GD:
        for i in range(theta.shape[0]):
            theta[i] -= alpha * g[i]
    elif optimizer == MOMENTUM:
        mu = hyper[MU]
        for i in range(theta.shape[0]):
            sa[i] = mu * sa[i] - alpha * g[i]
            theta[i] += sa[i]
    elif optimizer == RPROP:  # with weight-backtracking; selects, not branches (signs are noise)
        eta_plus, eta_minus = hyper[ETA_PLUS], hyper[ETA_MINUS]
        delta_max, delta_min = hyper[DELTA_MAX], hyper[DELTA_MIN]
        for i in range(theta.shape[0]):
            same = sb[i] * g[i]
            grown = min(sa[i] * eta_plus, delta_max)
            shrunk = max(sa[i] * eta_minus, delta_min)
            step = grown if same > 0 else (shrunk if same < 0 else sa[i])
            sign = (1.0 if g[i] > 0 else 0.0) - (1.0 if g[i] < 0 else 0.0)
            change = -sc[i] if same < 0 else -sign * step  # a flip undoes the last change
            sb[i] = 0.0 if same < 0 else g[i]
            sa[i] = step
            theta[i] += change
            sc[i] = change
    elif optimizer == ADAM:
        beta1, beta2, eps = hyper[BETA1], hyper[BETA2], hyper[EPS]
        st[0] += 1
        t = float(st[0])
        step = alpha / (1.0 - beta1**t)  # alpha times the first moment's bias correction
        unbias2 = 1.0 / (1.0 - beta2**t)
        for i in range(theta.shape[0]):
            sa[i] = beta1 * sa[i] + (1.0 - beta1) * g[i]
            sb[i] = beta2 * sb[i] + (1.0 - beta2) * (g[i] * g[i])
            theta[i] -= step * sa[i] / (math.sqrt(sb[i] * unbias2) + eps)


@njit(cache=True, nogil=True, error_model="numpy")
def _evaluate(W1, b1, W2, b2, Y, Z2, A2, lam, loss, factor, k_minus_1, logged, out):  # noqa: ANN001, N803
    """Metrics of the full-pattern outputs A2 into out[0:5]; returns False if not finite.

    The data loss is summed only on a `logged` epoch (out[0] and out[2] are NaN otherwise): the
    cross-entropy's logarithms cost a third of an epoch. Whether it would be finite is known
    without it: the squared error is not finite exactly when an output is NaN (then so is the
    largest error), the cross-entropy exactly when an output's net input is not finite.
    """
    m, n = Y.shape
    sq = 0.0
    max_err = 0.0
    correct = 0
    z_finite = True
    for p in range(m):
        best = 0
        all_low = True
        for o in range(n):
            e = A2[p, o] - Y[p, o]
            if logged:
                if loss == MSE:
                    sq += _mse_term(A2[p, o], Z2[p, o], Y[p, o])
                else:
                    sq += _ce_term(A2[p, o], Z2[p, o], Y[p, o])
            elif loss != MSE:
                z_finite = z_finite and math.isfinite(Z2[p, o])
            if abs(e) > max_err or e != e:
                max_err = abs(e)
            if A2[p, o] > A2[p, best]:
                best = o
            if not A2[p, o] < 0.5:
                all_low = False
        decoded = (0 if all_low else best + 1) if k_minus_1 else best
        if decoded == p:
            correct += 1
    w = 0.0
    for j in range(W1.shape[0]):
        for i in range(W1.shape[1]):
            w += W1[j, i] * W1[j, i]
    w2 = 0.0
    for o in range(W2.shape[0]):
        for j in range(W2.shape[1]):
            w2 += W2[o, j] * W2[o, j]
    data_loss = factor * sq / m if logged else math.nan
    penalty = 0.5 * lam * (w + w2)
    out[0] = data_loss
    out[1] = penalty
    out[2] = data_loss + penalty
    out[3] = correct
    out[4] = max_err
    if logged:
        finite = math.isfinite(out[2])
    else:
        finite = math.isfinite(penalty) and max_err == max_err and z_finite
    for j in range(b1.shape[0]):
        finite = finite and math.isfinite(b1[j])
    for o in range(b2.shape[0]):
        finite = finite and math.isfinite(b2[o])
    return finite


@njit(cache=True, nogil=True, error_model="numpy")
def _run(  # noqa: PLR0913
    theta,
    W1,
    b1,
    W2,
    b2,
    X,
    Y,
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
    sa,
    sb,
    sc,
    st,  # noqa: ANN001
):
    m, n = X.shape
    h = W1.shape[0]
    A1 = np.empty((m, h))
    Z2 = np.empty((m, n))
    A2 = np.empty((m, n))
    B1 = np.empty((batch, h))
    BZ = np.empty((batch, n))
    B2 = np.empty((batch, n))
    g = np.empty_like(theta)  # the gradient, flat like theta; gW1 .. gb2 are views of it
    gW1 = g[0 : h * n].reshape((h, n))
    gb1 = g[h * n : h * n + h]
    gW2 = g[h * n + h : 2 * h * n + h].reshape((n, h))
    gb2 = g[2 * h * n + h :]
    d1 = np.empty(h)
    d2 = np.empty(n)
    out = np.empty(5)
    natural = np.arange(m)
    first_correct = 0
    first_solved = 0
    full = batch == m
    # A1, A2 always hold the activations of every pattern under the current weights: the first
    # update of an epoch (all of it, with full batch) reuses them instead of a forward pass.
    _forward_rows(W1, b1, W2, b2, X, natural, A1, Z2, A2)
    for e in range(e0 + 1, e1 + 1):
        if full:
            _gradient(
                W1, b1, W2, b2, X, Y, natural, A1, A2, lam, loss, offset, gW1, gb1, gW2, gb2, d1, d2
            )
            _step(theta, g, optimizer, alpha, hyper, sa, sb, sc, st)
        else:
            for start in range(0, m, batch):
                rows = orders[e - e0 - 1, start : start + batch]
                if start == 0:
                    for r in range(batch):
                        B1[r] = A1[rows[r]]
                        B2[r] = A2[rows[r]]
                else:
                    _forward_rows(W1, b1, W2, b2, X, rows, B1, BZ, B2)
                _gradient(
                    W1,
                    b1,
                    W2,
                    b2,
                    X,
                    Y,
                    rows,
                    B1,
                    B2,
                    lam,
                    loss,
                    offset,
                    gW1,
                    gb1,
                    gW2,
                    gb2,
                    d1,
                    d2,
                )
                _step(theta, g, optimizer, alpha, hyper, sa, sb, sc, st)
        _forward_rows(W1, b1, W2, b2, X, natural, A1, Z2, A2)
        row = log_slot[e - e0]
        if not _evaluate(W1, b1, W2, b2, Y, Z2, A2, lam, loss, factor, k_minus_1, row >= 0, out):
            return e, first_correct, first_solved, True
        if first_correct == 0 and out[3] == m:
            first_correct = e
        if first_solved == 0 and out[4] < SOLVED_TOLERANCE:
            first_solved = e
        if row >= 0:
            curve[row, 0] = e
            for c in range(5):
                curve[row, c + 1] = out[c]
        k = snap_slot[e - e0]
        if k >= 0:
            sW1[k] = W1
            sb1[k] = b1
            sW2[k] = W2
            sb2[k] = b2
            sH[k] = A1
    return e1, first_correct, first_solved, False


def run_epochs(
    theta: np.ndarray,
    p: Params,
    X: np.ndarray,
    Y: np.ndarray,
    update: Update,
    batch: int,
    e0: int,
    e1: int,
    orders: np.ndarray,
    k_minus_1: bool,
    record: Record,
    state: State,
) -> tuple[int, int, int, bool]:
    """Same contract as `network.run_epochs`."""
    done, fc, fs, stopped = _run(
        theta,
        *p,
        X,
        Y,
        float(update.lam),
        float(update.alpha),
        int(update.loss),
        float(losses.LOSSES[update.loss].factor),
        int(update.optimizer),
        float(update.prime_offset),
        np.asarray(update.hyper, dtype=np.float64),
        int(batch),
        int(e0),
        int(e1),
        orders,
        bool(k_minus_1),
        *record,
        *state,
    )
    return int(done), int(fc), int(fs), bool(stopped)
