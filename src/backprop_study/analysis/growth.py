"""μ measured twice on a run: from how fast its unstable mode grows on the plateau, and from the
closed form at the critical point the run actually visits.

Near the trivial critical set (docs/plateau-theory.md, section 4) the fastest mode pairs a
first-layer column difference a with a second-layer row difference b as a : b = √(σ'+c) : √σ',
in the hidden directions orthogonal to the hidden activation h. `unstable_amplitude` is the
norm of the left-eigenvector combination √σ'·a + √(σ'+c)·b, projected orthogonal to h, with σ'
and h from the network's own hidden layer: the stable partner (rate λ + μ) and the slower
h-coupled mode drop out, so on the plateau its logarithm grows at μ − λ. `growth_rate` fits that
slope over the logged points whose data loss is within `BAND` (relative) of J*, the stretch where
the linearisation holds; `BANDS` are the widths at which its independence of the band is shown.
"""

from __future__ import annotations

import math

import numpy as np

from backprop_study.analysis import theory
from backprop_study.engine.network import Params, sigmoid

BAND = 1e-3
BANDS = (1e-2, 1e-3, 1e-4)


def unstable_amplitude(p: Params, offset: float = 0.0) -> float:
    """‖(√D A_c + √D̃ B_cᵀ) projected ⊥ h‖ (module docstring); A_c, B_c the centred weights."""
    zeta = p.W1.mean(axis=1) + p.b1
    h = sigmoid(zeta)
    d = h * (1.0 - h)
    a = p.W1 - p.W1.mean(axis=1, keepdims=True)
    b = p.W2 - p.W2.mean(axis=0, keepdims=True)
    u = np.sqrt(d)[:, None] * a + np.sqrt(d + offset)[:, None] * b.T
    e = h / np.linalg.norm(h)
    return float(np.linalg.norm(u - np.outer(e, e @ u)))


def growth_rate(
    t: np.ndarray,
    amplitude: np.ndarray,
    data_loss: np.ndarray,
    plateau: float,
    band: float = BAND,
) -> float:
    """Least-squares slope of ln(amplitude) on t over the points with |loss/J* − 1| < `band`
    (NaN with fewer than 3 such points or a non-positive amplitude)."""
    t = np.asarray(t, dtype=np.float64)
    amp = np.asarray(amplitude, dtype=np.float64)
    loss = np.asarray(data_loss, dtype=np.float64)
    inside = np.flatnonzero(np.abs(loss / plateau - 1.0) < band)
    if len(inside) < 3 or np.any(amp[inside] <= 0) or np.ptp(t[inside]) == 0:
        return math.nan
    return float(np.polyfit(t[inside], np.log(amp[inside]), 1)[0])


def visited_mu(p: Params, loss: str, offset: float = 0.0) -> float:
    """μ of the closed form at the point of the critical set nearest `p` (its own ζ and common
    output weights v): minus the smallest eigenvalue of the λ = 0 update Jacobian there."""
    place = theory.place_of(p)
    n, m = p.W2.shape
    point = theory.trivial_point(n, m, place.zeta, 0.0, place.v)
    return float(-theory.spectrum(point, loss, 0.0, offset)[0])
