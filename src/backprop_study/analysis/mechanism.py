"""What the network is doing at each snapshot: the measures that explain the plateau.

From a run's weight and hidden-activation snapshots (about 40, log-spaced), one row per snapshot
(`mechanism_rows`), with k classes and the run's λ:

* `hidden_spread`: the largest range, over the hidden units, of a unit's activation across the
  classes. Near 0, the hidden layer says the same thing for every class.
* `w2_row_spread`: ‖W2 − 1 r̄ᵀ‖ / ‖W2‖ (Frobenius), r̄ the mean row of the hidden → output
  weights: 0 when every output unit reads the hidden layer in the same way.
* `effective_bias_gap`: the output units' pre-activations averaged over the classes,
  b2 + W2 ā (ā the class-mean hidden activation), are the bias the output layer acts with; the
  gap is their largest distance from logit(1/k), the bias of the trivial network that outputs
  the class mean 1/k (`effective_bias_mean` is their mean).
* `output_distance`: root-mean-square distance of the outputs from the class mean 1/k, over
  patterns and output units (0 at the trivial network; 0.33 at a perfect k = 8 network).
* `grad_norm`: ‖∇J‖ over all parameters, full batch, with the run's λ.
* `weight_max` (largest |weight|, biases excluded), `data_loss`, and `t`, the gradient-flow time
  α × updates of the snapshot.

The curvature (`hessian`: 118 gradients and an eigendecomposition per network, so not at every
snapshot) is taken at three points of a run, each a curvature row with the whole spectrum: the
initial network, the plateau (the snapshot nearest the log-middle of the plateau, inside it:
`summary`'s choice) and the end (the last snapshot: the solution, or where the run stopped).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from backprop_study.analysis import hessian, plateau, weightstats
from backprop_study.engine.encodings import patterns
from backprop_study.engine.network import Params, forward, gradients

MEASURES = (
    "hidden_spread",
    "w2_row_spread",
    "effective_bias_mean",
    "effective_bias_gap",
    "output_distance",
    "grad_norm",
    "weight_max",
    "data_loss",
)
POINTS = ("init", "plateau", "end")


def class_mean_logit(classes: int) -> float:
    """logit(1/k): the output bias at which a unit with no input outputs the class mean."""
    return math.log(1.0 / (classes - 1))


def network_measures(
    p: Params, hidden: np.ndarray, X: np.ndarray, lam: float, classes: int
) -> dict[str, float]:
    """Every measure but the curvature and the time, for one network (`hidden`: (k, h))."""
    _, out = forward(p, X)
    spread = float(np.ptp(hidden, axis=0).max()) if hidden.size else math.nan
    W2 = p.W2
    norm = float(np.linalg.norm(W2))
    row_spread = float(np.linalg.norm(W2 - W2.mean(axis=0))) / norm if norm > 0 else 0.0
    bias = p.b2 + W2 @ hidden.mean(axis=0)
    g = hessian.flatten(gradients(p, X, X, lam))
    err = out - X
    return {
        "hidden_spread": spread,
        "w2_row_spread": row_spread,
        "effective_bias_mean": float(bias.mean()),
        "effective_bias_gap": float(np.abs(bias - class_mean_logit(classes)).max()),
        "output_distance": float(np.sqrt(np.mean((out - 1.0 / classes) ** 2))),
        "grad_norm": float(np.linalg.norm(g)),
        "weight_max": float(max(np.abs(p.W1).max(), np.abs(p.W2).max())),
        "data_loss": float(0.5 * np.sum(err * err) / X.shape[0]),
    }


def snapshot_hidden(hidden: pd.DataFrame, epochs: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The hidden activations (classes × units) at each of the sorted `epochs`, from the
    long-form hidden table in one pass: NaN where the table has no value (a snapshot without
    hidden rows is all NaN)."""
    out = np.full((len(epochs), *shape), np.nan)
    if len(epochs) == 0 or hidden.empty:
        return out
    epoch = hidden["epoch"].to_numpy()
    i = np.minimum(np.searchsorted(epochs, epoch), len(epochs) - 1)
    at = epochs[i] == epoch  # rows at a snapshot of `epochs`
    cls, unit = hidden["class"].to_numpy()[at], hidden["unit"].to_numpy()[at]
    out[i[at], cls, unit] = hidden["activation"].to_numpy(dtype=np.float64)[at]
    return out


def plateau_snapshot(run: Any, epochs: np.ndarray) -> float:
    """The snapshot nearest the plateau's log-middle, inside it (NaN if none)."""
    solved = run.meta.get("first_solved")
    p = plateau.plateau_of_curve(run.curve, solved_epoch=None if solved is None else solved)
    if not p.found:
        return math.nan
    return weightstats.snapshot_inside(epochs, p.start, p.end)


def snapshot_params(weights: pd.DataFrame) -> dict[int, Params]:
    """Every snapshot's network from the long-form weights table (data-model.md), in one pass
    (`weightstats.params_at` for all epochs at once)."""
    epoch = weights["epoch"].to_numpy()
    out_layer = (weights["layer"] == "output").to_numpy()
    to, frm = weights["to_unit"].to_numpy(), weights["from_unit"].to_numpy()
    value = weights["value"].to_numpy(dtype=np.float64)
    epochs = np.unique(epoch)
    i = np.searchsorted(epochs, epoch)
    h, n_in, n_out = to[~out_layer].max() + 1, frm[~out_layer].max() + 1, to[out_layer].max() + 1
    W1, b1 = np.zeros((len(epochs), h, n_in)), np.zeros((len(epochs), h))
    W2, b2 = np.zeros((len(epochs), n_out, h)), np.zeros((len(epochs), n_out))
    for layer, W, b in ((~out_layer, W1, b1), (out_layer, W2, b2)):
        bias, weight = layer & (frm < 0), layer & (frm >= 0)
        b[i[bias], to[bias]] = value[bias]
        W[i[weight], to[weight], frm[weight]] = value[weight]
    return {int(e): Params(W1[j], b1[j], W2[j], b2[j]) for j, e in enumerate(epochs)}


def analyse_run(run: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(mechanism rows, curvature rows) of one run (`runfiles.RunFiles`-like), without its
    identifying columns."""
    cfg = run.meta["config"]
    k, lam = int(cfg["classes"]), float(cfg["lam"])
    X = patterns(cfg["encoding"], k)
    per_epoch = float(cfg["alpha"]) * (k // int(cfg["batch_size"]))
    if run.weights.empty:
        return [], []
    nets = snapshot_params(run.weights)
    epochs = np.array(sorted(nets))
    hidden = snapshot_hidden(run.hidden, epochs, (k, int(cfg["hidden"])))
    rows = []
    for j, (e, p) in enumerate(nets.items()):
        row = {"epoch": e, "t": e * per_epoch}
        rows.append(row | network_measures(p, hidden[j], X, lam, k))
    mid = plateau_snapshot(run, epochs)
    points = {"init": int(epochs[0]), "plateau": mid, "end": int(epochs[-1])}
    curvature = []
    for point, e in points.items():
        if e != e:  # no plateau
            continue
        curv = hessian.curvature(
            nets[int(e)], X, X, lam, str(cfg.get("loss", "mse")),
            float(cfg.get("prime_offset", 0.0)),
        )  # fmt: skip
        curvature.append(
            {
                "point": point,
                "epoch": int(e),
                "t": float(e) * per_epoch,
                "n_parameters": int(curv.eigenvalues.size),
                "n_negative": curv.n_negative,
                "min_eigenvalue": curv.min_eigenvalue,
                "min_weight_eigenvalue": curv.min_weight_eigenvalue,
                "max_eigenvalue": curv.max_eigenvalue,
                "eigenvalues": curv.eigenvalues.tolist(),
            }
        )
    return rows, curvature
