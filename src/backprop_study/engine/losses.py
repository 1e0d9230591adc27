"""The losses: each is a value and the output delta it sends back, defined once.

Both engines use these functions: the reference (`network`) calls them on numpy arrays, the fast
path (`fastpath`) compiles the same functions with numba and calls them on single numbers. So
they use only arithmetic and `np.log`, which mean the same on both.

For one output unit with activation a = σ(z) and target y (0 or 1):

    mse            value ½ (a − y)²                        delta dL/dz = (a − y) σ'(z)
    cross_entropy  value −y log a − (1 − y) log(1 − a)      delta dL/dz = a − y
                   = log(1 + e^z) − y z, computed from z (a saturates to exactly 0 or 1 in
                   floating point long before the loss is infinite)

The value functions take (a, z, y), the deltas (a, y, offset).
A pattern's loss is the sum over its output units; the data loss is the mean over patterns
(`factor * sum(term) / m`, the factor kept outside the sum so that `mse` gives the numbers it gave
before losses were pluggable). Weight decay is added by the engine, the same for every loss.

`prime_offset` is Fahlman's (1988) flat-spot fix: the backward pass uses σ'(z) + offset in place
of σ'(z) = a (1 − a) wherever it multiplies by σ'. Under `mse` that is every unit, output and
hidden (as in Fahlman's Quickprop code, whose ACTIVATION_PRIME adds SigmoidPrimeOffset for every
non-input unit); under `cross_entropy` the output delta has no σ' factor, so only hidden units.
The offset changes the update, not the loss: with an offset the update is no longer a gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


def through_sigmoid(d: Any, a: Any, offset: float) -> Any:
    """d · (σ'(z) + offset) for a sigmoid unit with activation a (σ' = a (1 − a))."""
    if offset == 0.0:
        return d * a * (1.0 - a)  # the original expression: offset 0 gives bit-identical numbers
    return d * (a * (1.0 - a) + offset)


def mse_term(a: Any, z: Any, y: Any) -> Any:
    e = a - y
    return e * e


def mse_delta(a: Any, y: Any, offset: float) -> Any:
    # through_sigmoid(a - y, a, offset), spelled out: numba compiles each function alone
    if offset == 0.0:
        return (a - y) * a * (1.0 - a)
    return (a - y) * (a * (1.0 - a) + offset)


def cross_entropy_term(a: Any, z: Any, y: Any) -> Any:
    # softplus(z) − y z, with softplus(z) = max(z, 0) + log(1 + e^−|z|) (no overflow)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z


def cross_entropy_delta(a: Any, y: Any, offset: float) -> Any:
    return a - y  # σ'(z) cancels: d/dz of the value above is a − y, whatever the offset


class Loss(NamedTuple):
    """A loss: data loss = factor · Σ term(a, z, y) / m; `delta(a, y, offset)` is dL/dz per unit."""

    name: str
    factor: float
    term: Callable[[Any, Any, Any], Any]
    delta: Callable[[Any, Any, float], Any]


LOSSES: tuple[Loss, ...] = (
    Loss("mse", 0.5, mse_term, mse_delta),
    Loss("cross_entropy", 1.0, cross_entropy_term, cross_entropy_delta),
)
"""Every loss; a loss's code in the engines is its index here."""
LOSS_NAMES: tuple[str, ...] = tuple(loss.name for loss in LOSSES)


def loss_code(name: str) -> int:
    return LOSS_NAMES.index(name)
