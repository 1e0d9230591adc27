"""The critical weight decay λ_c of one seed, by bisection, judged from the trend of the run.

A run at λ is *escaped* once its data loss falls below `ESCAPED_FRACTION` × J*, or once, after
the slide, its centred weight norm has grown by `RISE` above its smallest value and has not
fallen over the last half of the run (by a tenth of `MIN_DROP`) (near λ_c a strongly decayed
network can leave the saddle and settle with a data loss above that level; before the slide is
over the norm grows by at most (μ* − λ)·ln(100)/λ, about 1 nat at 0.8 μ*, so a growth of 3 nats
is not the transient of a run that will collapse); *collapsed* when, after the slide to the
weight-free point is over (its common output weights below `SLID` × their largest value), the
logarithm of its centred weight norm has fallen by at least `MIN_DROP` over the last half of the
run and falls at its end. Anything else is *undecided*, and the run goes on with twice the
budget, up to a cap: near λ_c both escape and collapse slow down as 1/|λ − λ_c| (critical
slowing), so a fixed budget, or a loss level read at a fixed epoch, would call slow escapes
collapses. `bisect` keeps the largest λ seen escaping and the smallest seen collapsing, and
halves the bracket (geometrically) to `REL_TOL`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ESCAPED_FRACTION = 0.9
SLID = 0.01
MIN_DROP = 1.0  # nats: the centred weights shrank by a factor e
RISE = 3.0  # nats: the centred weights grew 20-fold from their smallest, and do not fall
REL_TOL = 0.02

ESCAPED, COLLAPSED, UNDECIDED = "escaped", "collapsed", "undecided"


def judge(
    t: np.ndarray,
    data_loss: np.ndarray,
    centred_norm: np.ndarray,
    common_out: np.ndarray,
    plateau: float,
) -> str:
    """ESCAPED, COLLAPSED or UNDECIDED for one run's record (module docstring)."""
    loss = np.asarray(data_loss, dtype=np.float64)
    if np.any(loss < ESCAPED_FRACTION * plateau):
        return ESCAPED
    t = np.asarray(t, dtype=np.float64)
    centred = np.asarray(centred_norm, dtype=np.float64)
    common = np.asarray(common_out, dtype=np.float64)
    if len(t) < 4 or common[-1] > SLID * common.max():
        return UNDECIDED
    if centred[-1] == 0.0:  # decayed below the smallest double: as collapsed as it gets
        return COLLAPSED
    with np.errstate(divide="ignore"):
        norm = np.log(centred)
    half = np.flatnonzero(t >= 0.5 * t[-1])
    if len(half) < 3:
        return UNDECIDED
    tail = half[len(half) // 2 :]
    falling_at_end = np.polyfit(t[tail], norm[tail], 1)[0] < 0 if len(tail) >= 2 else False
    if norm[-1] - norm.min() >= RISE and norm[half[0]] - norm[-1] < 0.1 * MIN_DROP:
        return ESCAPED
    if norm[half[0]] - norm[-1] >= MIN_DROP and falling_at_end:
        return COLLAPSED
    return UNDECIDED


@dataclass(frozen=True)
class Bracket:
    """λ_c lies in (lam_escaped, lam_collapsed]; `decided` False if a run stayed undecided at
    the largest budget (then the bracket is as narrow as it got)."""

    lam_escaped: float
    lam_collapsed: float
    evaluations: int
    decided: bool
    largest_budget: float

    @property
    def lam_c(self) -> float:
        return math.sqrt(self.lam_escaped * self.lam_collapsed)

    @property
    def rel_width(self) -> float:
        """(collapsed − escaped) / λ_c."""
        return (self.lam_collapsed - self.lam_escaped) / self.lam_c


def outcome_with_budget(
    evaluate: Callable[[float, float], str], lam: float, budget: float, max_budget: float
) -> tuple[str, float]:
    """`evaluate(lam, budget)` with the budget doubled while it says UNDECIDED, up to
    `max_budget`; returns the verdict and the budget it took."""
    while True:
        verdict = evaluate(lam, budget)
        if verdict != UNDECIDED or budget >= max_budget:
            return verdict, budget
        budget = min(2.0 * budget, max_budget)


def bisect(
    evaluate: Callable[[float, float], str],
    lam_escaped: float,
    lam_collapsed: float,
    budget: float,
    max_budget: float,
    rel_tol: float = REL_TOL,
) -> Bracket:
    """Narrow (lam_escaped, lam_collapsed] around λ_c until its relative width is ≤ `rel_tol`.
    The ends are checked first; if they do not escape and collapse as named, the bracket is
    returned undecided at once."""
    n, largest = 0, budget
    for lam, want in ((lam_escaped, ESCAPED), (lam_collapsed, COLLAPSED)):
        verdict, used = outcome_with_budget(evaluate, lam, budget, max_budget)
        n, largest = n + 1, max(largest, used)
        if verdict != want:
            return Bracket(lam_escaped, lam_collapsed, n, False, largest)
    lo, hi = lam_escaped, lam_collapsed
    while (hi - lo) / math.sqrt(lo * hi) > rel_tol:
        mid = math.sqrt(lo * hi)
        verdict, used = outcome_with_budget(evaluate, mid, budget, max_budget)
        n, largest = n + 1, max(largest, used)
        if verdict == ESCAPED:
            lo = mid
        elif verdict == COLLAPSED:
            hi = mid
        else:  # undecided at the cap: λ_c is close to mid, so probe on both sides of it
            below, above, k, used = _around(evaluate, mid, lo, hi, budget, max_budget, rel_tol)
            n, largest = n + k, max(largest, used)
            if below == lo and above == hi:
                return Bracket(lo, hi, n, False, largest)
            lo, hi = below, above
    return Bracket(lo, hi, n, True, largest)


def _around(
    evaluate: Callable[[float, float], str],
    mid: float,
    lo: float,
    hi: float,
    budget: float,
    max_budget: float,
    rel_tol: float,
) -> tuple[float, float, int, float]:
    """Probe mid·(1 ∓ 0.45·k·rel_tol), k = 1, 2, 4, ..., inside (lo, hi), until some λ below
    escaped and some λ above collapsed; returns the narrowed (lo, hi) (unchanged on a side
    where no probe decided), the evaluations and the largest budget used."""
    n, largest, k = 0, budget, 1.0
    below, above = lo, hi
    while below == lo or above == hi:
        down, up = mid * (1 - 0.45 * k * rel_tol), mid * (1 + 0.45 * k * rel_tol)
        if down <= lo and up >= hi:
            break
        for lam in (down, up):
            if not below < lam < above:
                continue
            verdict, used = outcome_with_budget(evaluate, lam, budget, max_budget)
            n, largest = n + 1, max(largest, used)
            if verdict == ESCAPED:
                below = lam
            elif verdict == COLLAPSED:
                above = lam
        k *= 2
    return below, above, n, largest
