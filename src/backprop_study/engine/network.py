"""The reference engine: the seed's maths in plain numpy, one step at a time.

Shapes, for n inputs (= outputs) and h hidden units:
    W1 (h, n)  input -> hidden weights      b1 (h,)  hidden biases
    W2 (n, h)  hidden -> output weights     b2 (n,)  output biases
Patterns are rows: X, Y are (m, n). Objective (the seed's Figure 3 with the default `mse`):
    J = (1/m) sum_i loss(h(x_i), y_i) + (lam/2) (sum W1^2 + sum W2^2)
with the losses of `losses` (mse: 1/2 ||h(x_i) - y_i||^2). Biases are never penalised. The
update that turns a gradient into a weight change is the optimizer's (`optimizers`). This module
is written to be read; `fastpath` computes the same numbers and is checked against it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from backprop_study.engine import optimizers
from backprop_study.engine.encodings import SOLVED_TOLERANCE
from backprop_study.engine.losses import LOSSES, Loss, through_sigmoid


class Params(NamedTuple):
    """A network's weights and biases (shapes in the module docstring)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def copy(self) -> Params:
        return Params(*(a.copy() for a in self))

    def is_finite(self) -> bool:
        return all(np.all(np.isfinite(a)) for a in self)


class Metrics(NamedTuple):
    data_loss: float
    penalty: float
    objective: float
    correct: int
    max_error: float


class Update(NamedTuple):
    """How a batch changes the network (codes index `losses.LOSSES`, `optimizers.OPTIMIZERS`)."""

    lam: float
    alpha: float
    loss: int
    optimizer: int
    prime_offset: float
    hyper: np.ndarray  # the optimizers' settings, in the order of `optimizers.HYPER`


def pack(p: Params) -> tuple[np.ndarray, Params]:
    """The parameters in one flat buffer θ (W1, b1, W2, b2 row-major) and the four arrays as
    views of it: the optimizers work on θ, the rest of the code on the arrays."""
    theta = np.concatenate([a.ravel() for a in p])
    views, start = [], 0
    for a in p:
        views.append(theta[start : start + a.size].reshape(a.shape))
        start += a.size
    return theta, Params(*views)


def init_params(
    n: int,
    h: int,
    std: float,
    rng: np.random.Generator,
    distribution: str = "normal",
    half_range: float = 0.5,
) -> Params:
    """Every weight and bias ~ N(0, std^2) or, if `distribution` is "uniform",
    U(-half_range, half_range), drawn in the order W1, b1, W2, b2 (row-major)."""
    if distribution == "uniform":
        r = half_range
        return Params(
            rng.uniform(-r, r, (h, n)),
            rng.uniform(-r, r, h),
            rng.uniform(-r, r, (n, h)),
            rng.uniform(-r, r, n),
        )
    W1 = rng.standard_normal((h, n)) * std
    b1 = rng.standard_normal(h) * std
    W2 = rng.standard_normal((n, h)) * std
    b2 = rng.standard_normal(n) * std
    return Params(W1, b1, W2, b2)


def sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-z) = inf gives 0, which is right
        return 1.0 / (1.0 + np.exp(-z))


def forward(p: Params, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hidden activations a1 (m, h) and outputs a2 (m, n)."""
    a1, _, a2 = forward_z(p, X)
    return a1, a2


def forward_z(p: Params, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hidden activations a1, output net inputs z2 and outputs a2 = sigmoid(z2)."""
    a1 = sigmoid(X @ p.W1.T + p.b1)
    z2 = a1 @ p.W2.T + p.b2
    return a1, z2, sigmoid(z2)


def gradients(
    p: Params,
    X: np.ndarray,
    Y: np.ndarray,
    lam: float,
    loss: Loss = LOSSES[0],
    prime_offset: float = 0.0,
) -> Params:
    """Gradient of (mean loss over these patterns) + penalty, by backpropagation (with a
    `prime_offset`, Fahlman's modified "gradient": σ' + offset in the backward pass)."""
    b = X.shape[0]
    a1, a2 = forward(p, X)
    delta2 = loss.delta(a2, Y, prime_offset)  # dLoss/dz2, one row per pattern
    delta1 = through_sigmoid(delta2 @ p.W2, a1, prime_offset)  # dLoss/dz1
    gW2 = delta2.T @ a1 / b + lam * p.W2
    gb2 = delta2.sum(axis=0) / b
    gW1 = delta1.T @ X / b + lam * p.W1
    gb1 = delta1.sum(axis=0) / b
    return Params(gW1, gb1, gW2, gb2)


def evaluate(
    p: Params, X: np.ndarray, Y: np.ndarray, lam: float, k_minus_1: bool, loss: Loss = LOSSES[0]
) -> Metrics:
    """Loss terms, patterns correct and the largest output error over all patterns."""
    m = X.shape[0]
    _, z2, a2 = forward_z(p, X)
    err = a2 - Y
    data_loss = loss.factor * np.sum(loss.term(a2, z2, Y)) / m
    with np.errstate(over="ignore"):  # a diverged network has an infinite penalty
        penalty = 0.5 * lam * (np.sum(p.W1 * p.W1) + np.sum(p.W2 * p.W2))
    if k_minus_1:
        decoded = np.where(np.all(a2 < 0.5, axis=1), 0, np.argmax(a2, axis=1) + 1)
    else:
        decoded = np.argmax(a2, axis=1)
    correct = int(np.sum(decoded == np.arange(m)))
    max_error = float(np.max(np.abs(err))) if err.size else 0.0
    return Metrics(float(data_loss), float(penalty), float(data_loss + penalty), correct, max_error)


class Record(NamedTuple):
    """Where an engine writes what a run keeps, preallocated by the caller.

    `log_slot[e - e0]` / `snap_slot[e - e0]` is the row for epoch e in `curve` / the snapshot
    arrays, or -1, where e0 is the first epoch of the current engine call: the slots cover one
    call's epochs only, so memory does not grow with the run's length.
    `curve` rows are (epoch, data_loss, penalty, objective, correct, max_error).
    """

    log_slot: np.ndarray  # (epochs per engine call + 1,) int64
    curve: np.ndarray  # (n_logged, 6) float64
    snap_slot: np.ndarray  # (epochs per engine call + 1,) int64
    W1: np.ndarray  # (n_snapshots, h, n)
    b1: np.ndarray  # (n_snapshots, h)
    W2: np.ndarray  # (n_snapshots, n, h)
    b2: np.ndarray  # (n_snapshots, n)
    hidden: np.ndarray  # (n_snapshots, m, h) hidden activations of every pattern

    def keep(self, e: int, e0: int, metrics: Metrics, p: Params, X: np.ndarray) -> None:
        if self.log_slot[e - e0] >= 0:
            self.curve[self.log_slot[e - e0]] = (e, *metrics)
        k = self.snap_slot[e - e0]
        if k >= 0:
            self.W1[k], self.b1[k], self.W2[k], self.b2[k] = p
            self.hidden[k] = forward(p, X)[0]


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
    state: optimizers.State,
) -> tuple[int, int, int, bool]:
    """Train epochs e0+1 .. e1 in place, checking every epoch and keeping what `record` asks.

    `p` are views of the flat parameters `theta` (`pack`); `state` is the optimizer's memory,
    updated in place. `orders[e - e0 - 1]` is the pattern order of epoch e; with batch == m it is
    not used (full batch, natural order) and may be empty. Returns (last epoch done, first epoch
    all correct, first epoch solved, stopped on a non-finite value); an event epoch is 0 if it
    did not happen.
    """
    m = X.shape[0]
    loss = LOSSES[update.loss]
    first_correct = first_solved = 0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, not warned
        for e in range(e0 + 1, e1 + 1):
            order = np.arange(m) if batch == m else orders[e - e0 - 1]
            for start in range(0, m, batch):
                idx = order[start : start + batch]
                g = gradients(p, X[idx], Y[idx], update.lam, loss, update.prime_offset)
                flat = np.concatenate([a.ravel() for a in g])
                optimizers.step(theta, flat, update.optimizer, update.alpha, update.hyper, state)
            metrics = evaluate(p, X, Y, update.lam, k_minus_1, loss)
            if not (np.isfinite(metrics.objective) and p.is_finite()):
                return e, first_correct, first_solved, True
            if first_correct == 0 and metrics.correct == m:
                first_correct = e
            if first_solved == 0 and metrics.max_error < SOLVED_TOLERANCE:
                first_solved = e
            record.keep(e, e0, metrics, p, X)
    return e1, first_correct, first_solved, False
