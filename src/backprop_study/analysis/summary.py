"""One run's analysis columns for the runs table.

`summarise_run(run)` takes anything with attributes `curve`, `weights`, `hidden` (DataFrames as
in data-model.md) and `meta` (the metadata dict), e.g. `runfiles.read_run(DIR)`, and returns flat
scalar columns (NaN = none; epochs are floats so that NaN fits):

Plateau (`plateau.find_plateau`, with the run's `first_solved` as `solved_epoch`):
  plateau_found (bool), plateau_left (bool; False when none or never left),
  plateau_start, plateau_end (logged epochs; end = last epoch if not left),
  plateau_epochs (end - start), plateau_decades (log10(end / start)), plateau_level (median
  objective inside), plateau_candidates (int, flat stretches that qualified),
  drop_epoch (first logged epoch with objective <= J(epoch 0) / 2: speed of the initial drop).
Hidden codes at the last snapshot (`codes`):
  code_epoch (int), code_distinct (int, distinct binarised codes), code_all_distinct (bool),
  code_gap (mean min(a, 1 - a); 0 = binary), code_codebook ("010,110,..." by class),
  code_canonical (codebook up to hidden-unit permutation and flip).
Weights (`weightstats`), bias ratio = mean |bias| / mean |non-bias weight| over both layers,
  or one layer (hidden: input -> hidden; output: hidden -> output):
  bias_ratio_plateau, bias_ratio_plateau_hidden, bias_ratio_plateau_output at the snapshot
  nearest the plateau's log-middle if one lies inside the plateau (its epoch:
  bias_ratio_plateau_epoch), else NaN; bias_ratio_end, bias_ratio_end_hidden,
  bias_ratio_end_output at the last snapshot; weight_end_drift (relative parameter change
  between the last two snapshots, `weightstats.end_drift`); weight_abs_plateau_hidden and
  weight_abs_plateau_output (mean |non-bias weight| of each layer at the plateau snapshot).
Updates (`convergence`): updates_per_epoch (int, m / b), first_all_correct_updates and
  first_solved_updates (event epoch * updates per epoch; NaN = never).
Decoding by rounding: first_rounded_correct (first logged epoch at which every output is on its
  target's side of 0.5, max_error < 0.5; NaN = never): all patterns correct read the same way
  for k and k-1, where `first_all_correct` takes k's argmax but k-1's all-zeros class only when
  all its outputs are below 0.5.
Collapse (`collapse`): weight_max_end, output_spread_end, trivial_loss, collapsed (bool: the run
  ends at, or heads to, the trivial network whose outputs are the class mean).
Saturation (`saturation`): saturated (bool: at the last snapshot an output is wrong on a pattern
  where its slope factor is 0, so that error sends no gradient), saturated_outputs,
  saturated_hidden, saturated_patterns (units and patterns stuck), output_net_max_end. In a
  saturated run a flat stretch never left is that flat spot, not the plateau: the plateau
  columns then say none was found (plateau_found False, numbers NaN) and plateau_saturated is
  True; a plateau the run left before it saturated stays.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import pandas as pd

from backprop_study.analysis import (
    codes,
    collapse,
    convergence,
    plateau,
    saturation,
    weightstats,
)


class RunLike(Protocol):
    curve: pd.DataFrame
    weights: pd.DataFrame
    hidden: pd.DataFrame
    meta: dict[str, Any]


def _epoch_or_nan(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def plateau_columns(
    curve: pd.DataFrame, solved_epoch: float, saturated: bool = False
) -> dict[str, Any]:
    """The plateau's columns; in a `saturated` run a plateau never left is the flat spot."""
    p = plateau.plateau_of_curve(
        curve, solved_epoch=None if math.isnan(solved_epoch) else solved_epoch
    )
    flat_spot = saturated and p.found and not p.left
    if flat_spot:
        p = plateau.NO_PLATEAU
    return {
        "plateau_found": p.found,
        "plateau_left": p.left,
        "plateau_start": p.start,
        "plateau_end": p.end,
        "plateau_epochs": p.epochs,
        "plateau_decades": p.decades,
        "plateau_level": p.level,
        "plateau_candidates": p.n_candidates,
        "drop_epoch": plateau.drop_epoch(curve),
        "plateau_saturated": flat_spot,
    }


def code_columns(hidden: pd.DataFrame) -> dict[str, Any]:
    if hidden.empty:
        return {
            "code_epoch": -1,
            "code_distinct": 0,
            "code_all_distinct": False,
            "code_gap": math.nan,
            "code_codebook": "",
            "code_canonical": "",
        }
    c = codes.last_codes(hidden)
    return {
        "code_epoch": c.epoch,
        "code_distinct": c.distinct,
        "code_all_distinct": c.all_distinct,
        "code_gap": c.gap,
        "code_codebook": c.codebook,
        "code_canonical": c.canonical,
    }


def weight_columns(weights: pd.DataFrame, start: float, end: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = {"all": "", "hidden": "_hidden", "output": "_output"}
    ratios = weightstats.bias_ratios(weights) if not weights.empty else pd.DataFrame()
    epochs = ratios.index.to_numpy()
    mid = weightstats.snapshot_inside(epochs, start, end) if len(epochs) else math.nan
    last = epochs.max() if len(epochs) else math.nan
    for col, suffix in names.items():
        out[f"bias_ratio_plateau{suffix}"] = (
            math.nan if math.isnan(mid) else float(ratios.at[mid, col])
        )
    out["bias_ratio_plateau_epoch"] = mid
    for layer in ("hidden", "output"):
        at = weights[(weights["epoch"] == mid) & (weights["layer"] == layer) & ~weights["is_bias"]]
        out[f"weight_abs_plateau_{layer}"] = (
            float(at["value"].abs().mean()) if len(at) else math.nan
        )
    for col, suffix in names.items():
        out[f"bias_ratio_end{suffix}"] = (
            math.nan if math.isnan(last) else float(ratios.at[last, col])
        )
    out["weight_end_drift"] = weightstats.end_drift(weights) if len(epochs) else math.nan
    return out


def update_columns(meta: dict[str, Any]) -> dict[str, Any]:
    cfg = meta["config"]
    upe = convergence.updates_per_epoch(cfg["classes"], cfg["batch_size"])
    return {
        "updates_per_epoch": upe,
        "first_all_correct_updates": _epoch_or_nan(meta.get("first_all_correct")) * upe,
        "first_solved_updates": _epoch_or_nan(meta.get("first_solved")) * upe,
    }


def rounded_correct_epoch(curve: pd.DataFrame) -> float:
    """First logged epoch with every output on its target's side of 0.5 (NaN = never)."""
    if "max_error" not in curve or curve.empty:
        return math.nan
    hit = curve["epoch"][curve["max_error"] < 0.5]
    return float(hit.iloc[0]) if len(hit) else math.nan


def summarise_run(run: RunLike) -> dict[str, Any]:
    """The analysis columns of one run (module docstring)."""
    solved = _epoch_or_nan(run.meta.get("first_solved"))
    cfg = run.meta["config"]
    stuck = saturation.saturation_columns(run.weights, cfg)
    row = plateau_columns(run.curve, solved, stuck["saturated"])
    row.update(code_columns(run.hidden))
    row.update(weight_columns(run.weights, row["plateau_start"], row["plateau_end"]))
    row.update(update_columns(run.meta))
    row["first_rounded_correct"] = rounded_correct_epoch(run.curve)
    final_loss = float(run.curve["data_loss"].iloc[-1]) if len(run.curve) else math.nan
    row.update(collapse.collapse_columns(run.weights, final_loss, cfg["encoding"], cfg["classes"]))
    row.update(stuck)
    return row
