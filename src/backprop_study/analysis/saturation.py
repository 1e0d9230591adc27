"""Saturation: a run that ends on a sigmoid's flat spot, an outcome beside solved and collapsed.

The backward pass multiplies a unit's error by its slope factor: σ′(z) = a (1 − a), plus
Fahlman's `prime_offset` when one is set (`engine.losses`); an output under cross-entropy has no
such factor (its delta is a − y). Where that factor is 0 the error does not reach the weights:
the unit can be wrong and stay wrong. In double precision σ′ is exactly 0 once z > 36.7 (a
rounds to 1) or z < −745 (a underflows to 0), and negligible long before.

Definitions, read from a run's last weight snapshot and its training patterns:

- an output is *wrong* on a pattern when |a − y| ≥ 0.5: it sits on the wrong side of 0.5, so
  rounding misreads it. For a unit with factor below the bound the choice between this and the
  40-20-40 rule (|a − y| ≥ 0.4) cannot matter: σ′ < b implies min(a, 1 − a) < 2b, so its
  error is within 2b of 0 or of 1;
- a pattern is wrong when any of its outputs is wrong;
- a (unit, pattern) pair is *stuck* when the unit's slope factor on that pattern is below
  `FACTOR_BOUND`, and: for an output, the output is wrong on it; for a hidden unit, the pattern
  is wrong (a hidden unit has no target of its own);
- a run is *saturated* when at least one output is stuck on a pattern. Then that pattern's error
  sends no gradient to any weight, and the loss cannot fall below that output's squared error
  however long the run goes on; under sign-based steps (RPROP) the remaining, tiny gradients of
  the other patterns can drive the same output further the wrong way. A stuck hidden unit alone
  does not make a run saturated (the outputs above it can still learn), it is only counted.

A saturated run is not on the plateau: its flat loss is the flat spot of one unit, not the
saddle every unit sits near at the start, and no clock changes that. The runs table counts it
(`summary`) and a flat stretch it never leaves is not reported as a plateau.

Why `FACTOR_BOUND` = 1e-12: a factor below it means |z| > 27.6; a gradient step moves z by
at most α · factor per unit of error and input, so over the study's longest budget (800,000
epochs) at its largest α (5) z moves by at most 4e-6 of the 27.6 it would need to cross the
decision boundary. The count does not rest on the bound: in the runs read (the default study's
and the remedies' with Δmax and the offset) every stuck unit's factor was exactly 0, so every
bound from 0 to 1e-12 gave the same counts (`bound_sweep` shows it for any network).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backprop_study.analysis import weightstats
from backprop_study.engine.encodings import patterns
from backprop_study.engine.network import Params, forward

FACTOR_BOUND = 1e-12
WRONG_ERROR = 0.5
SWEEP_BOUNDS = (0.0, 1e-300, 1e-200, 1e-100, 1e-50, 1e-30, 1e-20, 1e-12)
"""Bounds of `bound_sweep`; 0 counts only factors that are exactly 0 (nothing is below 0, so
there the test is `factor == 0`)."""


@dataclass(frozen=True)
class Saturation:
    """Stuck pairs at one snapshot: `outputs`/`hidden` = distinct units with a stuck pattern,
    `patterns` = distinct patterns with a stuck output, `pairs` = stuck (output, pattern) pairs,
    `wrong` = wrong patterns."""

    outputs: int
    hidden: int
    patterns: int
    pairs: int
    wrong: int

    @property
    def saturated(self) -> bool:
        return self.pairs > 0


def _below(factor: np.ndarray, bound: float) -> np.ndarray:
    return factor == 0.0 if bound == 0.0 else factor < bound


def slope_factors(
    p: Params, X: np.ndarray, loss: str, prime_offset: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outputs a2 and the backward pass's slope factors of the hidden and output units (one row
    per pattern); outputs under cross-entropy get +inf (no factor: never stuck)."""
    a1, a2 = forward(p, X)
    hidden = a1 * (1.0 - a1) + prime_offset
    no_factor = loss == "cross_entropy"
    output = np.full_like(a2, np.inf) if no_factor else a2 * (1.0 - a2) + prime_offset
    return a2, hidden, output


def saturation_of(
    p: Params,
    encoding: str,
    classes: int,
    loss: str = "mse",
    prime_offset: float = 0.0,
    bound: float = FACTOR_BOUND,
) -> Saturation:
    """The stuck units and patterns of network `p` on the encoder's patterns (module docstring)."""
    X = patterns(encoding, classes)
    a2, f_hidden, f_output = slope_factors(p, X, loss, prime_offset)
    wrong_out = np.abs(a2 - X) >= WRONG_ERROR
    wrong = wrong_out.any(axis=1)
    stuck_out = wrong_out & _below(f_output, bound)
    stuck_hidden = wrong[:, None] & _below(f_hidden, bound)
    return Saturation(
        outputs=int(stuck_out.any(axis=0).sum()),
        hidden=int(stuck_hidden.any(axis=0).sum()),
        patterns=int(stuck_out.any(axis=1).sum()),
        pairs=int(stuck_out.sum()),
        wrong=int(wrong.sum()),
    )


def bound_sweep(
    p: Params,
    encoding: str,
    classes: int,
    loss: str = "mse",
    prime_offset: float = 0.0,
    bounds: Sequence[float] = SWEEP_BOUNDS,
) -> pd.DataFrame:
    """`saturation_of` at each bound, one row per bound: shows a count's dependence on it."""
    rows = []
    for b in bounds:
        s = saturation_of(p, encoding, classes, loss, prime_offset, b)
        rows.append({"bound": b, "saturated": s.saturated, "outputs": s.outputs,
                     "hidden": s.hidden, "patterns": s.patterns, "pairs": s.pairs})  # fmt: skip
    return pd.DataFrame(rows)


def saturation_columns(weights: pd.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """Runs-table columns at the last snapshot: `saturated` (bool), `saturated_outputs`,
    `saturated_hidden`, `saturated_patterns` (counts; NaN without weights), and
    `output_net_max_end` (largest |output net input| there: how far the flat spot lies)."""
    out: dict[str, Any] = {
        "saturated": False,
        "saturated_outputs": math.nan,
        "saturated_hidden": math.nan,
        "saturated_patterns": math.nan,
        "output_net_max_end": math.nan,
    }
    if weights.empty:
        return out
    p = weightstats.params_at(weights)
    if not p.is_finite():
        return out
    s = saturation_of(p, config["encoding"], int(config["classes"]), config.get("loss", "mse"),
                      float(config.get("prime_offset", 0.0)))  # fmt: skip
    X = patterns(config["encoding"], int(config["classes"]))
    a1, _ = forward(p, X)
    out.update(
        saturated=s.saturated,
        saturated_outputs=s.outputs,
        saturated_hidden=s.hidden,
        saturated_patterns=s.patterns,
        output_net_max_end=float(np.abs(a1 @ p.W2.T + p.b2).max()),
    )
    return out


def is_saturated(runs: pd.DataFrame) -> np.ndarray:
    """The runs-table rows that ended saturated (all False without the column)."""
    if "saturated" not in runs:
        return np.zeros(len(runs), dtype=bool)
    return runs["saturated"].fillna(False).to_numpy(dtype=bool)
