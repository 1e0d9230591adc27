"""Weight statistics: bias versus non-bias magnitude, and distances between solutions.

Bias ratio at a snapshot = mean |bias| / mean |non-bias weight|, over both layers (`all`) or one
layer (`hidden`: input -> hidden, `output`: hidden -> output). The seed's Figure 8 claims the
biases dominate during the plateau; `summary` evaluates the ratio at the snapshot nearest the
plateau's middle in log-epoch (sqrt(start * end)), provided that snapshot lies inside the
plateau, and at the last snapshot.

Distances between two networks allow for the symmetries of the hidden layer: permuting hidden
units, and flipping a unit j (negate row j of W1 and b1[j], so its activation becomes 1 - a;
negate column j of W2 and add the old column to b2), which leaves the network's function
unchanged because sigmoid(-z) = 1 - sigmoid(z). `aligned_distance` is the minimum over all
h! * 2^h such transforms of ||theta_a - T(theta_b)|| / mean(||theta_a||, ||theta_b||), over all
parameters (biases included).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from backprop_study.engine.network import Params

LAYERS = ("hidden", "output")


def snapshot_epochs(weights: pd.DataFrame) -> np.ndarray:
    """Sorted snapshot epochs present in a weights table."""
    return np.sort(weights["epoch"].unique())


def params_at(weights: pd.DataFrame, epoch: int | None = None) -> Params:
    """W1, b1, W2, b2 at `epoch` (default: the last snapshot) from the long-form table."""
    # numpy masks rather than DataFrame filters: this runs several times per run aggregated.
    epochs = weights["epoch"].to_numpy()
    if epoch is None:
        epoch = int(epochs.max())
    at = epochs == epoch
    if not at.any():
        raise ValueError(f"weights: no snapshot at epoch {epoch}")
    to_unit, from_unit = weights["to_unit"].to_numpy(), weights["from_unit"].to_numpy()
    value = weights["value"].to_numpy(dtype=np.float64)
    hid = at & (weights["layer"] == "hidden").to_numpy(dtype=bool)
    out = at & (weights["layer"] == "output").to_numpy(dtype=bool)
    h = int(to_unit[hid].max()) + 1
    n_in = int(from_unit[hid].max()) + 1
    n_out = int(to_unit[out].max()) + 1
    W1, b1 = np.zeros((h, n_in)), np.zeros(h)
    W2, b2 = np.zeros((n_out, h)), np.zeros(n_out)
    for rows, W, b in ((hid, W1, b1), (out, W2, b2)):
        to, frm, val = to_unit[rows], from_unit[rows], value[rows]
        is_b = frm < 0
        b[to[is_b]] = val[is_b]
        W[to[~is_b], frm[~is_b]] = val[~is_b]
    return Params(W1, b1, W2, b2)


def flatten(p: Params) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in p])


def bias_ratios(weights: pd.DataFrame) -> pd.DataFrame:
    """Per snapshot epoch (index): bias ratio over `all` parameters and per layer."""
    w = weights.assign(mag=weights["value"].abs())
    per_layer = w.groupby(["epoch", "layer", "is_bias"])["mag"].mean().unstack("is_bias")
    ratio_layer = (per_layer[True] / per_layer[False]).unstack("layer")
    overall = w.groupby(["epoch", "is_bias"])["mag"].mean().unstack("is_bias")
    out = pd.DataFrame({"all": overall[True] / overall[False]})
    for layer in LAYERS:
        out[layer] = ratio_layer.get(layer, math.nan)
    return out.replace([np.inf, -np.inf], np.nan)


def snapshot_inside(epochs: np.ndarray, start: float, end: float) -> float:
    """Snapshot epoch nearest sqrt(start * end) in log-epoch, within [start, end]; NaN if none."""
    epochs = np.asarray(epochs, dtype=np.float64)
    if not (math.isfinite(start) and math.isfinite(end)) or start <= 0:
        return math.nan
    inside = epochs[(epochs >= start) & (epochs <= end)]
    if len(inside) == 0:
        return math.nan
    middle = 0.5 * (math.log10(start) + math.log10(end))
    return float(inside[np.argmin(np.abs(np.log10(inside) - middle))])


def hidden_transforms(p: Params) -> list[Params]:
    """Every network equal to `p` up to hidden-unit permutation and flip (h! * 2^h of them)."""
    h = p.W1.shape[0]
    out = []
    for perm in itertools.permutations(range(h)):
        perm = list(perm)
        W1, b1, W2 = p.W1[perm], p.b1[perm], p.W2[:, perm]
        for flips in itertools.product((False, True), repeat=h):
            f = np.asarray(flips)
            sign = np.where(f, -1.0, 1.0)
            b2 = p.b2 + W2[:, f].sum(axis=1)
            out.append(Params(W1 * sign[:, None], b1 * sign, W2 * sign[None, :], b2))
    return out


def transform_stack(p: Params, flips: bool = True) -> np.ndarray:
    """θ of every network equal to `p` up to the hidden-layer symmetries, one row each (in
    `hidden_transforms` order; permutations only without `flips`)."""
    candidates = hidden_transforms(p)
    if not flips:
        h = p.W1.shape[0]
        candidates = candidates[:: 2**h]
    return np.stack([flatten(c) for c in candidates])


def _aligned(va: np.ndarray, vb: np.ndarray, stack_b: np.ndarray) -> float:
    """`aligned_distance` from θ_a, θ_b and b's `transform_stack`."""
    scale = 0.5 * (np.linalg.norm(va) + np.linalg.norm(vb))
    if scale == 0:
        return 0.0
    return float(np.min(np.linalg.norm(stack_b - va, axis=1)) / scale)


def aligned_distance(a: Params, b: Params, flips: bool = True) -> float:
    """Relative distance between two networks, minimised over the hidden-layer symmetries."""
    return _aligned(flatten(a), flatten(b), transform_stack(b, flips))


def distance_matrix(params: Sequence[Params], flips: bool = True) -> np.ndarray:
    """n × n: `aligned_distance(params[i], params[j])` above the diagonal, mirrored below, NaN
    on it. Each network's transforms are built once, not once per pair (for 100 seeds, 4,950
    pairs), with the same numbers as pair by pair."""
    flat = [flatten(p) for p in params]
    stacks = [transform_stack(p, flips) for p in params]
    n = len(params)
    d = np.full((n, n), np.nan)
    for i, j in itertools.combinations(range(n), 2):
        d[i, j] = d[j, i] = _aligned(flat[i], flat[j], stacks[j])
    return d


def end_drift(weights: pd.DataFrame) -> float:
    """Relative change of the parameter vector between the last two snapshots (NaN if < 2).

    ||theta_last - theta_prev|| / ||theta_last||: how far the weights still move at the end,
    the yardstick for calling two seeds' final weights different.
    """
    ep = snapshot_epochs(weights)
    if len(ep) < 2:
        return math.nan
    last, prev = flatten(params_at(weights, int(ep[-1]))), flatten(params_at(weights, int(ep[-2])))
    norm = np.linalg.norm(last)
    return float(np.linalg.norm(last - prev) / norm) if norm > 0 else math.nan


def final_weights(weights: pd.DataFrame, run_id: str | None = None) -> pd.DataFrame:
    """The rows of the last snapshot, with a `run_id` column if given (claims' input)."""
    last = weights[weights["epoch"] == weights["epoch"].max()].copy()
    if run_id is not None:
        last.insert(0, "run_id", run_id)
    return last.reset_index(drop=True)
