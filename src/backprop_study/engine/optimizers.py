"""The optimizers: how a gradient becomes a weight change, in readable numpy (the reference).

Every optimizer works on the parameters as one flat vector θ (W1, b1, W2, b2 in that order,
row-major; `training` keeps the network in one buffer so that the four arrays are views of it)
and the gradient g of the mean loss over the batch plus weight decay:

    gd        θ ← θ − α g
    momentum  v ← μ v − α g;  θ ← θ + v                          (heavy ball)
    rprop     Riedmiller & Braun (1993), with weight-backtracking; per weight, with the previous
              gradient g⁻ (0 after a backtrack) and step size Δ (starts at Δ0):
                g⁻ g > 0: Δ ← min(η⁺ Δ, Δmax);  Δθ ← −sign(g) Δ;  θ ← θ + Δθ;  g⁻ ← g
                g⁻ g < 0: Δ ← max(η⁻ Δ, Δmin);  θ ← θ − Δθ⁻ (undo the last change);  g⁻ ← 0
                g⁻ g = 0: Δθ ← −sign(g) Δ;  θ ← θ + Δθ;  g⁻ ← g
              α is not used. Full batch only (the sign of a mini-batch gradient is noise).
    adam      Kingma & Ba (2015), Algorithm 1: t ← t + 1;  m ← β1 m + (1 − β1) g;
              v ← β2 v + (1 − β2) g²;  θ ← θ − α m̂ / (√v̂ + ε) with m̂ = m / (1 − β1^t),
              v̂ = v / (1 − β2^t).
    quickprop Fahlman (1988) as his Quickprop 1 code does it, per weight, with the slope
              S = g + d θ (d = quickprop_decay, on biases too), the previous slope S⁻, the
              previous change Δθ⁻ (both 0 at first), ε = α and s = μ / (1 + μ):
                Δθ⁻ = 0:     Δθ ← −ε S                             (a gradient step)
                otherwise:   Δθ ← (−ε S if S Δθ⁻ < 0, else 0)      (still downhill along Δθ⁻)
                                  + μ Δθ⁻               if Δθ⁻ (S − s S⁻) < 0 (too big a jump)
                                  + Δθ⁻ S / (S⁻ − S)    otherwise (the parabola's minimum;
                                                                   0 where S⁻ = S)
              θ ← θ + Δθ;  S⁻ ← S.  Full batch only (a secant between two batches' slopes is
              no curvature).
    supersab  Tollenaere (1990): backprop with momentum m and a rate η per weight (starts at α);
              with the previous gradient g⁻ (0 after a backtrack) and change Δθ⁻:
                g⁻ g ≥ 0: η ← η⁺ η if g⁻ g > 0;  Δθ ← −η g + m Δθ⁻;  θ ← θ + Δθ;  g⁻ ← g
                g⁻ g < 0: η ← η⁻ η;  θ ← θ − Δθ⁻ (undo the last change);  Δθ⁻ ← 0 (no
                          momentum next);  g⁻ ← 0
              Full batch only (the sign of a mini-batch gradient is noise).
    docs/optimizers.md says which source each detail comes from.

The optimizer's memory (`State`) is preallocated by `training` and carried across engine calls,
so a run is the same however its epochs are grouped; `fastpath` implements the same steps with
numba and is checked against these.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

OPTIMIZERS = ("gd", "momentum", "rprop", "adam", "quickprop", "supersab")
"""Every optimizer; an optimizer's code in the engines is its index here."""
GD, MOMENTUM, RPROP, ADAM, QUICKPROP, SUPERSAB = range(6)

HYPER = (
    "momentum",
    "rprop_delta0",
    "rprop_eta_plus",
    "rprop_eta_minus",
    "rprop_delta_max",
    "rprop_delta_min",
    "adam_beta1",
    "adam_beta2",
    "adam_eps",
    "quickprop_mu",
    "quickprop_decay",
    "supersab_eta_plus",
    "supersab_eta_minus",
    "supersab_momentum",
)
"""The optimizers' settings (RunConfig fields), in the order of the engines' `hyper` vector."""
(MU, DELTA0, ETA_PLUS, ETA_MINUS, DELTA_MAX, DELTA_MIN, BETA1, BETA2, EPS) = range(9)
QP_MU, QP_DECAY, SS_ETA_PLUS, SS_ETA_MINUS, SS_MOMENTUM = range(9, len(HYPER))
USES = {
    "gd": ("alpha",),
    "momentum": ("alpha", "momentum"),
    "rprop": tuple(h for h in HYPER if h.startswith("rprop_")),
    "adam": ("alpha", *(h for h in HYPER if h.startswith("adam_"))),
    "quickprop": ("alpha", *(h for h in HYPER if h.startswith("quickprop_"))),
    "supersab": ("alpha", *(h for h in HYPER if h.startswith("supersab_"))),
}
"""The settings each optimizer reads (of alpha and HYPER); the others do not change its run."""
FULL_BATCH_ONLY = ("rprop", "quickprop", "supersab")


def optimizer_code(name: str) -> int:
    return OPTIMIZERS.index(name)


class State(NamedTuple):
    """An optimizer's memory, one slot per parameter (flat, the order of θ), preallocated.

    momentum: `a` = velocity v.  rprop: `a` = step size Δ, `b` = previous gradient g⁻,
    `c` = previous weight change Δθ⁻.  adam: `a` = m, `b` = v, `t[0]` = updates so far.
    quickprop: `b` = previous slope S⁻, `c` = previous change Δθ⁻.  supersab: `a` = rate η,
    `b` = previous gradient g⁻, `c` = previous change Δθ⁻ (the momentum's memory).
    """

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    t: np.ndarray  # (1,) int64

    @classmethod
    def new(cls, optimizer: str, n_params: int, hyper: np.ndarray, alpha: float) -> State:
        a = np.zeros(n_params)
        if optimizer == "rprop":
            a[:] = hyper[DELTA0]
        elif optimizer == "supersab":
            a[:] = alpha
        return cls(a, np.zeros(n_params), np.zeros(n_params), np.zeros(1, dtype=np.int64))


def step(
    theta: np.ndarray, g: np.ndarray, code: int, alpha: float, hyper: np.ndarray, s: State
) -> None:
    """One update of θ (in place) from the gradient g."""
    if code == GD:
        theta -= alpha * g
    elif code == MOMENTUM:
        s.a[:] = hyper[MU] * s.a - alpha * g
        theta += s.a
    elif code == RPROP:
        _rprop(theta, g, hyper, s)
    elif code == ADAM:
        beta1, beta2, eps = hyper[BETA1], hyper[BETA2], hyper[EPS]
        s.t[0] += 1
        t = float(s.t[0])
        s.a[:] = beta1 * s.a + (1.0 - beta1) * g
        s.b[:] = beta2 * s.b + (1.0 - beta2) * (g * g)
        # α m̂ = (α / (1 − β1^t)) m and v̂ = v (1 / (1 − β2^t)): Algorithm 1, one division each
        step = alpha / (1.0 - beta1**t)
        unbias2 = 1.0 / (1.0 - beta2**t)
        theta -= step * s.a / (np.sqrt(s.b * unbias2) + eps)
    elif code == QUICKPROP:
        _quickprop(theta, g, alpha, hyper, s)
    elif code == SUPERSAB:
        _supersab(theta, g, hyper, s)
    else:
        raise ValueError(f"optimizer code {code}")


def _rprop(theta: np.ndarray, g: np.ndarray, hyper: np.ndarray, s: State) -> None:
    eta_plus, eta_minus = hyper[ETA_PLUS], hyper[ETA_MINUS]
    delta_max, delta_min = hyper[DELTA_MAX], hyper[DELTA_MIN]
    same = s.b * g
    grow, flip = same > 0, same < 0
    s.a[grow] = np.minimum(s.a[grow] * eta_plus, delta_max)
    s.a[flip] = np.maximum(s.a[flip] * eta_minus, delta_min)
    change = np.where(flip, -s.c, -np.sign(g) * s.a)  # a flip undoes the last change
    theta += change
    s.c[:] = change
    s.b[:] = np.where(flip, 0.0, g)


def _quickprop(
    theta: np.ndarray, g: np.ndarray, epsilon: float, hyper: np.ndarray, s: State
) -> None:
    mu = hyper[QP_MU]
    shrink = mu / (1.0 + mu)
    slope = g + hyper[QP_DECAY] * theta
    last, before = s.c, s.b
    gradient_term = np.where((last * slope < 0) | (last == 0), -epsilon * slope, 0.0)
    gap = before - slope
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        parabola = np.where(gap != 0, slope / np.where(gap != 0, gap, 1.0) * last, 0.0)
    jump = np.where(last * (slope - shrink * before) < 0, mu * last, parabola)
    change = gradient_term + np.where(last == 0, 0.0, jump)
    theta += change
    s.c[:] = change
    s.b[:] = slope


def _supersab(theta: np.ndarray, g: np.ndarray, hyper: np.ndarray, s: State) -> None:
    same = s.b * g
    grow, flip = same > 0, same < 0
    s.a[grow] = s.a[grow] * hyper[SS_ETA_PLUS]
    s.a[flip] = s.a[flip] * hyper[SS_ETA_MINUS]
    step = -s.a * g + hyper[SS_MOMENTUM] * s.c
    theta += np.where(flip, -s.c, step)  # a flip undoes the last change
    s.c[:] = np.where(flip, 0.0, step)
    s.b[:] = np.where(flip, 0.0, g)
