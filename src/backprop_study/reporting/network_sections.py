"""The section on the final weights of runs that learn and of runs that collapse."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from backprop_study.analysis import weightstats
from backprop_study.analysis.axes import symbol
from backprop_study.reporting.sectionbase import ReportData, section, value
from backprop_study.study.aggregate import format_value


def pairwise_distances(final_weights: pd.DataFrame, run_ids: Sequence[str]) -> dict[str, float]:
    """Per run: aligned relative distance (`weightstats.aligned_distance`) to the nearest other
    run of `run_ids` at the last snapshot (NaN if it has no other run)."""
    params = {
        rid: weightstats.params_at(w)
        for rid, w in final_weights.groupby("run_id")
        if rid in set(run_ids)
    }
    ids = sorted(params)
    matrix = weightstats.distance_matrix([params[rid] for rid in ids])
    nearest = {rid: math.inf for rid in params}
    for i, j in itertools.combinations(range(len(ids)), 2):
        a, b, d = ids[i], ids[j], float(matrix[i, j])
        nearest[a], nearest[b] = min(nearest[a], d), min(nearest[b], d)
    return {rid: (d if math.isfinite(d) else math.nan) for rid, d in nearest.items()}


def weights_section(data: ReportData, name: str = "weights") -> dict[str, Any]:
    exp = data.study.experiments[name]
    axes = exp.varying_axes()
    runs = data.experiment_runs(name).sort_values([*axes, "seed"])
    fw = data.final_weights
    different = float(data.findings["claims.different_distance"].value)
    rows, summaries = [], []
    for key, g in runs.groupby(axes or ["encoding"], sort=True, dropna=False):
        config = dict(zip(axes, key if isinstance(key, tuple) else (key,), strict=False))
        named = {symbol(a): value(a, v) for a, v in config.items()}
        distances = pairwise_distances(fw, g["run_id"].tolist()) if fw is not None else {}
        part = []
        for r in g.itertuples():
            w = fw[fw["run_id"] == r.run_id] if fw is not None else None

            def mag(bias: bool, w: pd.DataFrame | None = w) -> str:
                if w is None or not len(w):
                    return "—"
                return format_value(float(w[w["is_bias"] == bias]["value"].abs().mean()))

            part.append(
                {
                    **named,
                    "run": f"seed {r.seed}",
                    "collapsed": "yes" if bool(getattr(r, "collapsed", False)) else "no",
                    "solved at": "never" if pd.isna(r.first_solved) else f"{int(r.first_solved):,}",
                    "final data loss": format_value(r.final_data_loss),
                    "mean |weight|": mag(False),
                    "mean |bias|": mag(True),
                    "codebook": r.code_codebook,
                    "distance to nearest other seed": format_value(
                        distances.get(r.run_id, math.nan)
                    ),
                }
            )
        d = np.array([distances.get(rid, np.nan) for rid in g["run_id"]], dtype=float)

        def median(col: str, part=part) -> str:
            values = [float(x[col]) for x in part if x[col] != "—"]
            return format_value(float(np.median(values))) if values else "—"

        summary = {c: "" for c in part[0]} | named
        summary |= {
            "run": "median",
            "collapsed": f"{sum(x['collapsed'] == 'yes' for x in part)}/{len(part)}",
            "final data loss": median("final data loss"),
            "mean |weight|": median("mean |weight|"),
            "mean |bias|": median("mean |bias|"),
            "distance to nearest other seed": format_value(float(np.nanmedian(d)))
            if np.isfinite(d).any()
            else "—",
        }
        rows += [*part, summary]
        summaries.append((named, summary, g, d))
    table = pd.DataFrame(rows)
    intro = (
        "The seed (§11, Figs 11-13, at λ = 0.1): biases end small and negative, and different "
        "random initialisations end at completely different weights with no recognisable "
        "pattern. Here the networks are compared where they learn (λ = 0) and at the seed's "
        "λ = 0.1, per setting. Distance = relative distance between two runs' final parameters "
        "after matching hidden units (permutation and sign flip) as well as possible "
        "(weightstats.aligned_distance); the claims call two runs different above "
        f"{format_value(different)}."
    )
    if runs.empty:
        return section("weights", "The weights", intro, data, table, finding="No runs.")
    sentences = []
    for named, med, g, d in summaries:
        at = ", ".join(f"{k} = {v}" for k, v in named.items()) or "this setting"
        books = g["code_canonical"].nunique()
        text = (
            f"At {at} the median run ends with data loss {med['final data loss']}, mean |weight| "
            f"{med['mean |weight|']} and mean |bias| {med['mean |bias|']}."
        )
        if not med["collapsed"].startswith("0/"):
            text += (
                f" There {med['collapsed']} runs collapsed to the trivial network, so the seeds "
                f"end at one network (median distance {med['distance to nearest other seed']})."
            )
        elif np.isfinite(d).any():
            same = float(np.nanmax(d)) <= different
            text += (
                f" There each run is a median {med['distance to nearest other seed']} from its "
                "nearest other seed once hidden units are matched: "
                + ("one solution up to symmetry" if same else "different solutions")
                + f" ({books} distinct hidden codebook{'s' if books != 1 else ''} up to "
                "symmetry)."
            )
        sentences.append(text)
    return section(
        "weights",
        "The weights",
        intro,
        data,
        table,
        "A median row closes each setting (medians over its seeds; never pooled across settings).",
        " ".join(sentences),
        ("different_solutions",),
    )
