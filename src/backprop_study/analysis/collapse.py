"""The trivial network: where weight decay takes the 8-3-8 encoder when it is strong enough.

With every weight at zero the hidden units carry nothing and every output is the same for
every class; the best such network outputs the class mean of each target, 1/k for k classes
(both encodings: each output unit is 1 for exactly one of the k patterns). Its data loss is
½ · n_out · (1/k)(1 − 1/k): ½(k − 1)/k = 0.4375 for k = 8 with the k encoding (8 outputs),
½(k − 1)²/k² = 0.383 with k-1 (7 outputs). Weight decay pulls every weight towards it, and
with λ ≥ 0.01 (α = 0.01) the data term cannot hold them off: the weights shrink by orders of
magnitude (3e-14 at λ = 0.1) and the network ends there.

A run *collapsed* when, at its end, it sits at (or heads to) that network: its data loss is
within `LOSS_TOLERANCE` (relative) of the trivial loss, its outputs are the same for every class
to within `SPREAD_TOLERANCE`, and its largest weight is below `TINY_WEIGHT` (there) or shrinking
between the last two snapshots (on its way). A run at λ = 0 that is still on the plateau (loss
near the trivial loss too, since the plateau is close to that network) has growing weights of
order 0.1 and more, and does not count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from backprop_study.analysis import weightstats
from backprop_study.engine.encodings import patterns
from backprop_study.engine.network import forward

LOSS_TOLERANCE = 0.01
SPREAD_TOLERANCE = 0.05
TINY_WEIGHT = 1e-6


def n_outputs(encoding: str, classes: int) -> int:
    return int(classes) - 1 if encoding == "k-1" else int(classes)


def trivial_loss(encoding: str, classes: int) -> float:
    """Data loss of the network that outputs the class mean 1/k for every pattern."""
    p = 1.0 / classes
    return 0.5 * n_outputs(encoding, classes) * p * (1 - p)


def _max_weight(params: Any) -> float:
    return float(max(np.abs(params.W1).max(), np.abs(params.W2).max()))


def collapse_columns(
    weights: pd.DataFrame, final_data_loss: float, encoding: str, classes: int
) -> dict[str, Any]:
    """Runs-table columns: `weight_max_end` (largest |weight| at the last snapshot, biases
    excluded), `output_spread_end` (largest spread of an output over the classes there),
    `trivial_loss` and `collapsed` (module docstring)."""
    out: dict[str, Any] = {
        "weight_max_end": math.nan,
        "output_spread_end": math.nan,
        "trivial_loss": trivial_loss(encoding, classes),
        "collapsed": False,
    }
    if weights.empty:
        return out
    epochs = weightstats.snapshot_epochs(weights)
    last = weightstats.params_at(weights, int(epochs[-1]))
    _, outputs = forward(last, patterns(encoding, classes))
    out["weight_max_end"] = _max_weight(last)
    out["output_spread_end"] = float(np.ptp(outputs, axis=0).max())
    shrinking = out["weight_max_end"] < TINY_WEIGHT or (
        len(epochs) >= 2
        and _max_weight(weightstats.params_at(weights, int(epochs[-2]))) > out["weight_max_end"]
    )
    at_trivial = abs(final_data_loss - out["trivial_loss"]) <= LOSS_TOLERANCE * out["trivial_loss"]
    out["collapsed"] = bool(
        at_trivial and shrinking and out["output_spread_end"] <= SPREAD_TOLERANCE
    )
    return out
