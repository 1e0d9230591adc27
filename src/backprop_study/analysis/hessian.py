"""Curvature of the loss J at one network: the Hessian and what its eigenvalues say.

The Hessian of J (data term of the run's loss plus (λ/2) Σ W², the objective the run descends)
is built column by column from the reference engine's analytic gradient (`network.gradients`,
backpropagation) by central differences, H[:, i] = (∇J(θ + ε e_i) − ∇J(θ − ε e_i)) / 2ε, and
symmetrised, (H + Hᵀ)/2. With a σ' offset c ≠ 0 the engine's update G is not a gradient, so
the matrix is the Jacobian ∂G/∂θ, the one that governs the run near a critical point
(docs/plateau-theory.md §1; `theory.update_jacobian` in closed form there): not symmetric, not
symmetrised, its eigenvalues taken as they are (their real parts; the spectrum at the trivial
critical set is real). For 8-3-8 that is 59 × 59 from 118 gradients, computed as one stack
(`stacked_gradients`: the reference engine's operations on 118 networks at once, so the same
bits as 118 calls of `network.gradients` at a tenth of the time). The truncation error is O(ε²)
times third derivatives (about 1e-10 at ε = 1e-5 for weights of order one) and rounding adds
about 1e-16/ε, so eigenvalues are good to about 1e-9: an eigenvalue below −`NEGATIVE_TOL` is
negative, not noise.

Parameters are flattened in the engine's order W1 (row-major), b1, W2, b2. Weight decay adds
exactly λ to the diagonal entries of the weights (never the biases), so the weight–weight block
`H_ww` is where λ acts: a stationary point whose weight block has smallest eigenvalue −μ < 0 is a
saddle at λ = 0 and gets positive curvature in every weight direction once λ > μ. That is the
prediction `escape.critical_lambda` tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_study.engine.losses import LOSS_NAMES, LOSSES, through_sigmoid
from backprop_study.engine.network import Params, sigmoid

EPSILON = 1e-5
NEGATIVE_TOL = 1e-7  # 100 × the finite-difference error of an eigenvalue (module docstring)


def flatten(p: Params) -> np.ndarray:
    """θ: W1 (row-major), b1, W2, b2 as one vector."""
    return np.concatenate([np.ravel(a) for a in p])


def unflatten(theta: np.ndarray, like: Params) -> Params:
    """The inverse of `flatten`, with the shapes of `like`."""
    parts, i = [], 0
    for a in like:
        parts.append(np.asarray(theta[i : i + a.size], dtype=np.float64).reshape(a.shape))
        i += a.size
    return Params(*parts)


def weight_mask(p: Params) -> np.ndarray:
    """True at the weights (W1, W2) of θ, False at the biases (b1, b2)."""
    return np.concatenate(
        [
            np.full(a.size, is_weight)
            for a, is_weight in zip(p, (True, False, True, False), strict=True)
        ]
    )


def stacked_gradients(
    thetas: np.ndarray,
    like: Params,
    X: np.ndarray,
    Y: np.ndarray,
    lam: float = 0.0,
    loss: str = "mse",
    offset: float = 0.0,
) -> np.ndarray:
    """`flatten(network.gradients(unflatten(theta, like), X, Y, lam, loss, offset))` for each
    row θ of `thetas`, bit for bit: the same operations in the same order, with the networks as
    a leading axis (one matmul per stack instead of one Python call per network)."""
    if loss not in LOSS_NAMES:
        raise ValueError(f"loss: {loss!r} is not one of {', '.join(LOSS_NAMES)}")
    W1, b1, W2, b2 = (
        thetas[:, i - a.size : i].reshape(len(thetas), *a.shape)
        for a, i in zip(like, np.cumsum([a.size for a in like]), strict=True)
    )
    b = X.shape[0]
    a1 = sigmoid(X @ W1.transpose(0, 2, 1) + b1[:, None, :])
    a2 = sigmoid(a1 @ W2.transpose(0, 2, 1) + b2[:, None, :])
    delta2 = LOSSES[LOSS_NAMES.index(loss)].delta(a2, Y, offset)
    delta1 = through_sigmoid(delta2 @ W2, a1, offset)
    gW2 = delta2.transpose(0, 2, 1) @ a1 / b + lam * W2
    gb2 = delta2.sum(axis=1) / b
    gW1 = delta1.transpose(0, 2, 1) @ X / b + lam * W1
    gb1 = delta1.sum(axis=1) / b
    return np.concatenate([g.reshape(len(thetas), -1) for g in (gW1, gb1, gW2, gb2)], axis=1)


def hessian(
    p: Params,
    X: np.ndarray,
    Y: np.ndarray,
    lam: float = 0.0,
    eps: float = EPSILON,
    loss: str = "mse",
    offset: float = 0.0,
) -> np.ndarray:
    """∇²J of `loss` at `p` (module docstring): central differences of the analytic gradient,
    symmetric; with `offset` ≠ 0 the Jacobian of the engine's update, not symmetrised."""
    theta = flatten(p)
    n = theta.size
    steps = np.diag(np.full(n, eps))
    thetas = np.concatenate([theta + steps, theta - steps])
    grads = stacked_gradients(thetas, p, X, Y, lam, loss, offset)
    H = ((grads[:n] - grads[n:]) / (2 * eps)).T
    return 0.5 * (H + H.T) if offset == 0.0 else H


@dataclass(frozen=True)
class Curvature:
    """The spectrum of the Hessian at one network."""

    eigenvalues: np.ndarray  # ascending
    weight_eigenvalues: np.ndarray  # of the weight–weight block, ascending

    @property
    def n_negative(self) -> int:
        """Eigenvalues below −NEGATIVE_TOL: directions in which J curves down."""
        return int(np.sum(self.eigenvalues < -NEGATIVE_TOL))

    @property
    def min_eigenvalue(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def max_eigenvalue(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def min_weight_eigenvalue(self) -> float:
        """Smallest eigenvalue of the weight block: −μ, the curvature weight decay must beat."""
        return float(self.weight_eigenvalues[0])


def _eigenvalues(H: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues: of a symmetric matrix exactly, else their real parts."""
    if np.array_equal(H, H.T):
        return np.linalg.eigvalsh(H)
    return np.sort(np.linalg.eigvals(H).real)


def curvature(
    p: Params, X: np.ndarray, Y: np.ndarray, lam: float = 0.0, loss: str = "mse",
    offset: float = 0.0,
) -> Curvature:  # fmt: skip
    """Eigenvalues of the Hessian of J (the run's loss, λ and σ' offset: module docstring) and
    of its weight block at `p`."""
    H = hessian(p, X, Y, lam, loss=loss, offset=offset)
    w = weight_mask(p)
    return Curvature(_eigenvalues(H), _eigenvalues(H[np.ix_(w, w)]))
