"""The trivial critical set of the N-M-N sigmoid encoder and the update field's linearisation on
it, in closed form (derivation: docs/plateau-theory.md).

With one-hot patterns every network whose hidden layer ignores the input (W1 = w 1ᵀ), whose
output units read the hidden layer alike (W2 = 1 vᵀ) and whose outputs are the class mean 1/N is
stationary under the engine's update (with or without σ' offset); with λ > 0 only w = v = 0 is.
The hidden pre-activation ζ = w + b1 is free: a flat direction, not fixed by λ (biases are never
penalised). `update_jacobian` is the Jacobian of `network.gradients` there, the Hessian of J
when the offset is 0; `centred_block` and `common_block` are its two invariant pieces, the
first repeated N − 1 times. The unstable curvature at uniform ζ is
    μ = (G0 / N) √(σ'(ζ) (σ'(ζ) + c)),   G0 = q + c (mse), 1 (cross-entropy),  q = (N − 1)/N²,
and the trivial network is stable iff λ > max_j μ_j (`critical_lambda`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import ndtr

from backprop_study.analysis import descent
from backprop_study.engine.losses import LOSS_NAMES, LOSSES
from backprop_study.engine.network import Params, gradients, sigmoid


@dataclass(frozen=True)
class Gains:
    """How the output layer answers at the class mean p = 1/N: δ2 = G0 r_i to zeroth order,
    dδ2/dz2 = K + L r_i to first (r_i = p 1 − t_i)."""

    G0: float
    K: float
    L: float


def gains(classes: int, loss: str, offset: float) -> Gains:
    """The output gains of `loss` with σ' offset `offset` (mse adds it at the output too)."""
    if loss not in LOSS_NAMES:
        raise ValueError(f"loss: {loss!r} is not one of {', '.join(LOSS_NAMES)}")
    p = 1.0 / classes
    q = p * (1.0 - p)
    if loss == "mse":
        return Gains(q + offset, q * (q + offset), q * (1.0 - 2.0 * p))
    return Gains(1.0, q, 0.0)


def trivial_point(
    classes: int,
    hidden: int,
    hidden_bias: np.ndarray | float = 0.0,
    common_in: np.ndarray | float = 0.0,
    common_out: np.ndarray | float = 0.0,
) -> Params:
    """The critical point W1 = w 1ᵀ, b1 = β, W2 = 1 vᵀ, b2 = logit(1/N) − v·σ(w + β)."""
    beta = np.broadcast_to(np.asarray(hidden_bias, dtype=np.float64), (hidden,)).copy()
    w = np.broadcast_to(np.asarray(common_in, dtype=np.float64), (hidden,))
    v = np.broadcast_to(np.asarray(common_out, dtype=np.float64), (hidden,))
    h = sigmoid(w + beta)
    b2 = np.full(classes, math.log(1.0 / (classes - 1)) - float(v @ h))
    return Params(np.outer(w, np.ones(classes)), beta, np.outer(np.ones(classes), v), b2)


@dataclass(frozen=True)
class Place:
    """Where on the critical set: hidden pre-activation ζ, common output weights v."""

    zeta: np.ndarray
    v: np.ndarray

    @property
    def h(self) -> np.ndarray:
        return sigmoid(self.zeta)

    @property
    def d(self) -> np.ndarray:
        h = self.h
        return h * (1.0 - h)


def place_of(p: Params) -> Place:
    """The critical set's coordinates of `p` (exact on the set; elsewhere its projection)."""
    return Place(p.W1.mean(axis=1) + p.b1, p.W2.mean(axis=0))


def linear_update(
    place: Place,
    g: Gains,
    lam: float,
    offset: float,
    dA: np.ndarray,
    db: np.ndarray,
    dB: np.ndarray,
    de: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first-order change of the engine's update for a change (dA, db, dB, de) of
    (W1, b1, W2, b2) at `place` (docs/plateau-theory.md, section 2)."""
    n = dB.shape[0]
    h, d = place.h, place.d
    r = np.full((n, n), 1.0 / n) - np.eye(n)  # column i: p 1 − t_i
    s = (dB @ h + de)[:, None] + (place.v * d) @ (dA + db[:, None])  # Δz2, column per pattern
    delta2 = g.K * s + g.L * r * s
    gW2 = np.outer(delta2.mean(axis=1), h) + g.G0 / n * r @ (d[:, None] * (dA + db[:, None])).T
    gb2 = delta2.mean(axis=1)
    back = g.G0 * dB.T @ r + np.outer(place.v, delta2.sum(axis=0))  # Δ(W2ᵀ δ2)
    delta1 = (d + offset)[:, None] * back
    return delta1 / n + lam * dA, delta1.mean(axis=1), gW2 + lam * dB, gb2


def update_jacobian(p: Params, loss: str, lam: float = 0.0, offset: float = 0.0) -> np.ndarray:
    """∂(engine update)/∂θ at the critical point `p`, θ in the engine's order W1, b1, W2, b2."""
    place = place_of(p)
    n, m = p.W2.shape
    g = gains(n, loss, offset)
    sizes = [m * n, m, n * m, n]
    cols = []
    for k in range(sum(sizes)):
        unit = np.zeros(sum(sizes))
        unit[k] = 1.0
        dA, db, dB, de = np.split(unit, np.cumsum(sizes)[:-1])
        parts = linear_update(place, g, lam, offset, dA.reshape(m, n), db, dB.reshape(n, m), de)
        cols.append(np.concatenate([a.ravel() for a in parts]))
    return np.array(cols).T


def centred_block(place: Place, g: Gains, n: int, lam: float, offset: float) -> np.ndarray:
    """The update's Jacobian on (a, b, ε) ↦ (W1, W2, b2) = (a uᵀ, u bᵀ, ε u) for any unit
    u ⊥ 1: the same (2M+1)-square block for each of the N − 1 such directions."""
    h, d, v = place.h, place.d, place.v
    dt = d + offset
    m = h.size
    dv, dtv = d * v, dt * v
    aa = lam * np.eye(m) + g.K * np.outer(dtv, dv)
    ab = -g.G0 / n * np.diag(dt) - g.L / n * np.outer(dtv, h)
    ba = -g.G0 / n * np.diag(d) - g.L / n * np.outer(h, dv)
    bb = lam * np.eye(m) + g.K * np.outer(h, h)
    top = np.hstack([aa, ab, -g.L / n * dtv[:, None]])
    mid = np.hstack([ba, bb, g.K * h[:, None]])
    low = np.concatenate([-g.L / n * dv, g.K * h, [g.K]])[None, :]
    return np.vstack([top, mid, low])


def common_block(place: Place, g: Gains, n: int, lam: float, offset: float) -> np.ndarray:
    """The update's Jacobian on (α, b1, ν, ē) ↦ (α 1ᵀ, b1, 1 νᵀ, ē 1): rank one plus λ on the
    weights, since all four move the outputs only through φ = ν·h + ē + vᵀD(α + b1)."""
    h, d, v = place.h, place.d, place.v
    m = h.size
    f = np.concatenate([d * v, d * v, h, [1.0]])  # ∂φ
    kick = g.K * np.concatenate([(d + offset) * v, n * (d + offset) * v, h, [1.0]])
    weights = np.concatenate([np.ones(m), np.zeros(m), np.ones(m), [0.0]])
    return lam * np.diag(weights) + np.outer(kick, f)


def spectrum(p: Params, loss: str, lam: float = 0.0, offset: float = 0.0) -> np.ndarray:
    """Every eigenvalue of `update_jacobian` (ascending, real: the field is similar to a
    symmetric one), from the two blocks: the centred block's N − 1 times, the common one's once."""
    place = place_of(p)
    n = p.W2.shape[0]
    g = gains(n, loss, offset)
    centred = np.linalg.eigvals(centred_block(place, g, n, lam, offset)).real
    common = np.linalg.eigvals(common_block(place, g, n, lam, offset)).real
    return np.sort(np.concatenate([np.repeat(centred, n - 1), common]))


def unit_mu(zeta: np.ndarray | float, classes: int, loss: str, offset: float) -> np.ndarray:
    """μ_j = (G0/N) √(σ'(ζ_j)(σ'(ζ_j) + c)): the unstable rate of hidden unit j's pair."""
    d = sigmoid(np.asarray(zeta, dtype=np.float64))
    d = d * (1.0 - d)
    return gains(classes, loss, offset).G0 / classes * np.sqrt(d * (d + offset))


def mu(zeta: np.ndarray | float, classes: int, loss: str, offset: float) -> float:
    """The largest unstable curvature: exact when every ζ_j is equal and M ≥ 2, an upper
    bound otherwise (the couplings through h and v only stabilise)."""
    return float(np.max(unit_mu(zeta, classes, loss, offset)))


def n_negative(hidden: int, classes: int) -> int:
    """Negative eigenvalues at λ below every μ_j: M (N − 1), one per hidden unit and centred
    output direction."""
    return hidden * (classes - 1)


def escape_slope(mu_value: float, lam: float) -> float:
    """d t_escape / d ln(1/s) = 1/(μ − λ) (κ = 1); infinite at and above λ = μ."""
    return 1.0 / (mu_value - lam) if mu_value > lam else math.inf


def plateau_loss(classes: int, loss: str) -> float:
    """The data loss at the critical set: every output at 1/N."""
    p = 1.0 / classes
    if loss == "mse":
        return 0.5 * (classes - 1) / classes
    return -math.log(p) - (classes - 1) * math.log(1.0 - p)


@dataclass(frozen=True)
class Landing:
    """Where the symmetric flow from all-zero parameters ends: the critical point visited when
    s → 0 (all hidden units alike)."""

    zeta: float
    v: float
    t: float
    mu: float


def landing(
    classes: int,
    hidden: int,
    loss: str,
    lam: float = 0.0,
    offset: float = 0.0,
    t_end: float = 0.0,
    alpha: float = 0.0,
) -> Landing:
    """Integrate the flow θ' = −(engine update) from θ = 0 inside the symmetric subspace
    (W1 = ω 11ᵀ, b1 = β 1, W2 = ν 11ᵀ, b2 = β2 1, invariant by symmetry) to `t_end` (default:
    20/λ with weight decay, 20 / the transient's rate without) and read ζ and v there. With
    `alpha` > 0, take the engine's discrete steps of size α instead: ζ is a flat direction, so
    where the run lands depends on the path, and a large step bends it."""
    x = np.eye(classes)
    code = LOSSES[LOSS_NAMES.index(loss)]

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        om, be, nu, b2 = y
        p = Params(
            np.full((hidden, classes), om),
            np.full(hidden, be),
            np.full((classes, hidden), nu),
            np.full(classes, b2),
        )
        gr = gradients(p, x, x, lam, code, offset)
        return -np.array([gr.W1.mean(), gr.b1.mean(), gr.W2.mean(), gr.b2.mean()])

    g = gains(classes, loss, offset)
    transient = g.K * (1.0 + hidden * 0.25)
    end = t_end or (20.0 / lam if lam > 0 else 20.0 / transient)
    if alpha > 0:  # the engine's steps from θ = 0 (the symmetric subspace is invariant)
        steps = int(math.ceil(end / alpha))
        run = descent.Descent(
            trivial_point(classes, hidden)._replace(b2=np.zeros(classes)), loss, offset, lam,
            alpha, most=steps,
        )  # fmt: skip
        run.advance(steps)
        om, be, nu = run.params.W1.mean(), run.params.b1.mean(), run.params.W2.mean()
    else:
        sol = solve_ivp(rhs, (0.0, end), np.zeros(4), method="LSODA", rtol=1e-10, atol=1e-12)
        om, be, nu, _ = sol.y[:, -1]
    zeta = float(om + be)
    return Landing(zeta, float(nu), end, mu(zeta, classes, loss, offset))


def critical_lambda(
    classes: int,
    hidden: int,
    loss: str,
    offset: float = 0.0,
    rel_tol: float = 1e-4,
    alpha: float = 0.0,
) -> float:
    """λ_c: the λ at which the point the symmetric flow (or, with `alpha`, descent with step α)
    lands on turns stable, λ = μ(ζ_∞(λ)), by bisection on [0, μ(0)] (μ(ζ) ≤ μ(0), so the root
    lies there)."""
    top = mu(0.0, classes, loss, offset)
    lo, hi = 0.0, top
    while hi - lo > rel_tol * top:
        mid = 0.5 * (lo + hi)
        if landing(classes, hidden, loss, mid, offset, alpha=alpha).mu > mid:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


SMALL_S = 0.01  # each small-s bias at most 1% of the slope (a fifth of the 5% tolerance)


@dataclass(frozen=True)
class SmallS:
    """The two relative biases of the escape slope at init scale s (docs/plateau-theory.md §6,
    "When is s small"): `nonlinear`, the cubic term against the linear one where the plateau
    starts; `spread`, the fastest hidden unit's μ_j above μ* from the O(s) spread of ζ_j."""

    nonlinear: float
    spread: float

    @property
    def largest(self) -> float:
        return max(self.nonlinear, self.spread)

    @property
    def small(self) -> bool:
        return self.largest <= SMALL_S


def expected_max_normal(k: int) -> float:
    """E[max of k independent standard normals] (0 for k = 1: one unit has no rival)."""
    if k <= 1:
        return 0.0
    x = np.linspace(-10.0, 10.0, 20001)
    phi = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    cdf = ndtr(x)
    return float(np.trapezoid(x * k * phi * cdf ** (k - 1), x))


def small_s(
    classes: int,
    hidden: int,
    loss: str,
    offset: float,
    s: float,
    fraction: float,
    alpha: float = 0.0,
) -> SmallS:
    """The §6 criterion at scale s for the threshold f = `fraction`, from the closed form only:
    nonlinear = μ* s² (M−1)(N−1) / (2 (1 − f) J*), the loss drop the unstable part of the
    initial weights would give on the quadratic saddle, against the drop to the threshold;
    spread = |d ln μ/dζ|(ζ*) · s √(1 + 1/N) · E[max of M normals] · ln(X_f / (s √((M−1)(N−1)))),
    X_f = √(2 (1 − f) J* / μ*), the relative excess of the fastest unit's rate times the number
    of e-foldings it acts over."""
    land = landing(classes, hidden, loss, 0.0, offset, alpha=alpha)
    gap = (1.0 - fraction) * plateau_loss(classes, loss)
    modes = max((hidden - 1) * (classes - 1), 1)
    nonlinear = land.mu * s * s * modes / (2.0 * gap)
    h = float(sigmoid(np.asarray(land.zeta)))
    d = h * (1.0 - h)
    slope_ln_mu = abs(0.5 * (1.0 - 2.0 * h) * (1.0 + d / (d + offset)))
    folds = max(math.log(math.sqrt(2.0 * gap / land.mu) / (s * math.sqrt(modes))), 0.0)
    sd = s * math.sqrt(1.0 + 1.0 / classes)
    spread = slope_ln_mu * sd * expected_max_normal(hidden) * folds
    return SmallS(nonlinear, spread)
