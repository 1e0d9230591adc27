"""The fast engine: `network.run_epochs` compiled with numba, same numbers.

It follows the reference operation by operation (sum, then bias; gradient / batch + lam * W;
the optimizer's step) so the two agree to rounding (tested to <= 1e-12 relative over 1,000
epochs). The losses are the very functions of `losses`, compiled; the optimizers' steps are
written again here as loops over the flat parameters (the reference is `optimizers.step`).
What makes it fast besides compilation:
- the sigmoid's exponential is plain arithmetic (`exponential`), so loops over it vectorise;
- patterns are columns (unit, pattern): the full-pattern forward pass and the full-batch
  gradient loop over patterns innermost; a small batch goes pattern by pattern with the loops
  over units innermost (`_gradient_rows`). Either way every element gets the same operations
  in the same order, so vectorising changes no bit;
- dividing by a power-of-two batch size is a multiplication by its exact inverse;
- no allocation inside the epoch loop, and the forward pass that checks epoch e is reused for
  the first update of epoch e + 1 (all of it, with full batch).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from backprop_study.engine import losses
from backprop_study.engine.encodings import SOLVED_TOLERANCE
from backprop_study.engine.exponential import sigmoid
from backprop_study.engine.jitcache import keep_current
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
    QP_DECAY,
    QP_MU,
    QUICKPROP,
    RPROP,
    SS_ETA_MINUS,
    SS_ETA_PLUS,
    SS_MOMENTUM,
    SUPERSAB,
    State,
)

_compile = njit(cache=True, nogil=True, error_model="numpy")
_through_sigmoid = _compile(losses.through_sigmoid)
_mse_term = _compile(losses.mse_term)
_mse_delta = _compile(losses.mse_delta)
_ce_term = _compile(losses.cross_entropy_term)
_ce_delta = _compile(losses.cross_entropy_delta)
MSE = losses.loss_code("mse")


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _forward(W1, b1, W2, b2, X, A1, Z2, A2):  # noqa: ANN001, N803
    """Activations of the patterns in the columns of X (n, c): hidden into A1 (h, c), output net
    inputs into Z2 and outputs into A2 (n, c). Per element the same operations in the same
    order as the reference (sum over inputs, then the bias); the loops over the c patterns are
    innermost so that they vectorise."""
    h, n = W1.shape
    c = X.shape[1]
    for j in range(h):
        for p in range(c):
            A1[j, p] = 0.0
        for i in range(n):
            w = W1[j, i]
            for p in range(c):
                A1[j, p] += w * X[i, p]
        for p in range(c):
            A1[j, p] = sigmoid(A1[j, p] + b1[j])
    for o in range(n):
        for p in range(c):
            Z2[o, p] = 0.0
        for j in range(h):
            w = W2[o, j]
            for p in range(c):
                Z2[o, p] += w * A1[j, p]
        for p in range(c):
            Z2[o, p] = Z2[o, p] + b2[o]
            A2[o, p] = sigmoid(Z2[o, p])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _gradient(W1, W2, X, Y, A1, A2, lam, loss, offset, gW1, gb1, gW2, gb2, D1, D2):  # noqa: ANN001, N803
    """Gradient of the mean loss of the patterns in the columns of X, Y (activations in A1, A2)
    plus weight decay into gW1, gb1, gW2, gb2 (views of one flat gradient); D1 (h, c) and
    D2 (n, c) are scratch. Sums over patterns run in column order, as the reference's rows."""
    h, n = W1.shape
    c = X.shape[1]
    for o in range(n):
        for p in range(c):
            if loss == MSE:
                D2[o, p] = _mse_delta(A2[o, p], Y[o, p], offset)
            else:
                D2[o, p] = _ce_delta(A2[o, p], Y[o, p], offset)
    for j in range(h):
        for p in range(c):
            D1[j, p] = 0.0
        for o in range(n):
            w = W2[o, j]
            for p in range(c):
                D1[j, p] += D2[o, p] * w
        for p in range(c):
            D1[j, p] = _through_sigmoid(D1[j, p], A1[j, p], offset)
    _layer_gradient(D2, A1, W2, lam, gW2, gb2)
    _layer_gradient(D1, X, W1, lam, gW1, gb1)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _layer_gradient(D, A, W, lam, gW, gb):  # noqa: ANN001, N803
    """One layer's gradient from its deltas D (units, c) and inputs A (inputs, c): the mean over
    the c patterns of D A^T plus lam W into gW, of D into gb, summed in pattern order."""
    c = A.shape[1]
    # x / c is x * (1 / c) exactly when c is a power of two (1 / c is exact): no division then.
    exact = (c & (c - 1)) == 0
    inv = 1.0 / c
    for o in range(W.shape[0]):
        for j in range(W.shape[1]):
            s = 0.0
            for p in range(c):
                s += D[o, p] * A[j, p]
            gW[o, j] = (s * inv if exact else s / c) + lam * W[o, j]
        s = 0.0
        for p in range(c):
            s += D[o, p]
        gb[o] = s * inv if exact else s / c


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
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
    g,
    a1,
    z2,
    a2,
    d1,
    d2,  # noqa: ANN001, N803
):
    """The same gradient as `_gradient` for a small batch: the c patterns orders[row, start:]
    of X one at a time, the loops over units innermost (a batch of 1 has no pattern loop to
    vectorise). The first batch of an epoch (start 0) takes its activations from A1, A2."""
    h, n = W1.shape
    ob1 = h * n
    ow2 = ob1 + h
    ob2 = ow2 + n * h
    reuse = start == 0
    for i in range(g.shape[0]):
        g[i] = 0.0
    for r in range(c):
        p = orders[row, start + r]
        if reuse:
            for j in range(h):
                a1[j] = A1[j, p]
            for o in range(n):
                a2[o] = A2[o, p]
        else:
            for j in range(h):
                z = 0.0
                for i in range(n):
                    z += W1[j, i] * X[p, i]
                z2[j] = z + b1[j]
            for j in range(h):
                a1[j] = sigmoid(z2[j])
            for o in range(n):
                z2[o] = 0.0
            for j in range(h):
                a = a1[j]
                for o in range(n):
                    z2[o] += W2[o, j] * a
            for o in range(n):
                a2[o] = sigmoid(z2[o] + b2[o])
        for o in range(n):
            if loss == MSE:
                d2[o] = _mse_delta(a2[o], Y[p, o], offset)
            else:
                d2[o] = _ce_delta(a2[o], Y[p, o], offset)
        for j in range(h):
            s = 0.0
            for o in range(n):
                s += d2[o] * W2[o, j]
            d1[j] = _through_sigmoid(s, a1[j], offset)
        for o in range(n):
            for j in range(h):
                g[ow2 + o * h + j] += d2[o] * a1[j]
        for o in range(n):
            g[ob2 + o] += d2[o]
        for j in range(h):
            d = d1[j]
            for i in range(n):
                g[j * n + i] += d * X[p, i]
        for j in range(h):
            g[ob1 + j] += d1[j]
    exact = (c & (c - 1)) == 0  # see _gradient
    inv = 1.0 / c
    for j in range(h):
        for i in range(n):
            g[j * n + i] = (g[j * n + i] * inv if exact else g[j * n + i] / c) + lam * W1[j, i]
        g[ob1 + j] = g[ob1 + j] * inv if exact else g[ob1 + j] / c
    for o in range(n):
        for j in range(h):
            k = ow2 + o * h + j
            g[k] = (g[k] * inv if exact else g[k] / c) + lam * W2[o, j]
        g[ob2 + o] = g[ob2 + o] * inv if exact else g[ob2 + o] / c


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
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
    elif optimizer == QUICKPROP:  # sb = previous slope, sc = previous change
        mu, decay = hyper[QP_MU], hyper[QP_DECAY]
        shrink = mu / (1.0 + mu)
        for i in range(theta.shape[0]):
            slope = g[i] + decay * theta[i]
            last, before = sc[i], sb[i]
            gradient_term = -alpha * slope if (last * slope < 0) | (last == 0) else 0.0
            gap = before - slope
            parabola = slope / gap * last if gap != 0 else 0.0
            jump = mu * last if last * (slope - shrink * before) < 0 else parabola
            change = gradient_term + (0.0 if last == 0 else jump)
            theta[i] += change
            sc[i] = change
            sb[i] = slope
    elif optimizer == SUPERSAB:  # sa = rate, sb = previous gradient, sc = previous change
        eta_plus, eta_minus, m = hyper[SS_ETA_PLUS], hyper[SS_ETA_MINUS], hyper[SS_MOMENTUM]
        for i in range(theta.shape[0]):
            same = sb[i] * g[i]
            rate = sa[i] * eta_plus if same > 0 else (sa[i] * eta_minus if same < 0 else sa[i])
            step = -rate * g[i] + m * sc[i]
            theta[i] += -sc[i] if same < 0 else step  # a flip undoes the last change
            sc[i] = 0.0 if same < 0 else step
            sb[i] = 0.0 if same < 0 else g[i]
            sa[i] = rate


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _evaluate(W1, b1, W2, b2, Y, Z2, A2, lam, loss, factor, k_minus_1, logged, out):  # noqa: ANN001, N803
    """Metrics of the full-pattern outputs A2 (n, m; targets Y, n, m) into out[0:5]; returns
    False if not finite.

    The data loss is summed only on a `logged` epoch (out[0] and out[2] are NaN otherwise): the
    cross-entropy's logarithms cost a third of an epoch. Whether it would be finite is known
    without it: the squared error is not finite exactly when an output is NaN (then so is the
    largest error), the cross-entropy exactly when an output's net input is not finite.
    """
    n, m = Y.shape
    sq = 0.0
    max_err = 0.0
    correct = 0
    z_finite = True
    for p in range(m):
        best = 0
        all_low = True
        for o in range(n):
            e = A2[o, p] - Y[o, p]
            if logged:
                if loss == MSE:
                    sq += _mse_term(A2[o, p], Z2[o, p], Y[o, p])
                else:
                    sq += _ce_term(A2[o, p], Z2[o, p], Y[o, p])
            elif loss != MSE:
                z_finite = z_finite and math.isfinite(Z2[o, p])
            if abs(e) > max_err or e != e:
                max_err = abs(e)
            if A2[o, p] > A2[best, p]:
                best = o
            if not A2[o, p] < 0.5:
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
    XT = np.ascontiguousarray(X.T)  # patterns are columns from here on (see _forward)
    YT = np.ascontiguousarray(Y.T)
    A1 = np.empty((h, m))
    Z2 = np.empty((n, m))
    A2 = np.empty((n, m))
    D1 = np.empty((h, m))
    D2 = np.empty((n, m))
    a1 = np.empty(h)
    z2 = np.empty(max(h, n))
    a2 = np.empty(n)
    d1 = np.empty(h)
    d2 = np.empty(n)
    g = np.empty_like(theta)  # the gradient, flat like theta; gW1 .. gb2 are views of it
    gW1 = g[0 : h * n].reshape((h, n))
    gb1 = g[h * n : h * n + h]
    gW2 = g[h * n + h : 2 * h * n + h].reshape((n, h))
    gb2 = g[2 * h * n + h :]
    out = np.empty(5)
    first_correct = 0
    first_solved = 0
    full = batch == m
    # A1, A2 always hold the activations of every pattern under the current weights: the first
    # update of an epoch (all of it, with full batch) reuses them instead of a forward pass.
    _forward(W1, b1, W2, b2, XT, A1, Z2, A2)
    for e in range(e0 + 1, e1 + 1):
        if full:
            _gradient(W1, W2, XT, YT, A1, A2, lam, loss, offset, gW1, gb1, gW2, gb2, D1, D2)
            _step(theta, g, optimizer, alpha, hyper, sa, sb, sc, st)
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
                    g,
                    a1,
                    z2,
                    a2,
                    d1,
                    d2,
                )
                _step(theta, g, optimizer, alpha, hyper, sa, sb, sc, st)
        _forward(W1, b1, W2, b2, XT, A1, Z2, A2)
        row = log_slot[e - e0]
        if not _evaluate(W1, b1, W2, b2, YT, Z2, A2, lam, loss, factor, k_minus_1, row >= 0, out):
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
            sH[k] = A1.T
    return e1, first_correct, first_solved, False


keep_current(_run)  # it inlines code from other files, which numba's cache does not check


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
