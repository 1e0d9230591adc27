"""How the seed's claims about weights are tested: the bias ratio in the plateau and the
distance between seeds' final weights (the tester protocol of `testers`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backprop_study.analysis import stats, weightstats
from backprop_study.analysis.axes import config_columns
from backprop_study.analysis.stats import COLLAPSED, INSUFFICIENT, Effect
from backprop_study.analysis.testers import (
    DIFFERENT_DISTANCE,
    SAME_DISTANCE,
    ClaimData,
    Row,
    at,
    collapsed_row,
    collapsed_text,
    eq,
    is_collapsed,
    levels,
)


def bias_dominates(data: ClaimData, key: str) -> list[Row]:
    rows = []
    what = "mean |bias| / mean |weight| at the plateau snapshot, against 1"
    for lam in levels(data.runs, "lam"):
        g = at(data.runs, "lam", lam)
        setting = eq("lam", lam)
        ratios = g["bias_ratio_plateau"].to_numpy(dtype=np.float64)
        effect = stats.one_sample_ratio(ratios)
        if row := collapsed_row(setting, what, g):
            rows.append(
                Row(
                    setting,
                    COLLAPSED,
                    effect,
                    what,
                    f"{row.evidence}; the ratio, {effect.text()}, divides by weights that are "
                    "on their way to zero",
                    "the weights vanish, the biases keep every output at the class mean",
                )
            )
            continue
        evidence = (
            f"{effect.test} p = {effect.p_text()} over {effect.n} runs with a snapshot inside "
            f"a plateau; median ratio hidden layer {g['bias_ratio_plateau_hidden'].median():.3g},"
            f" output layer {g['bias_ratio_plateau_output'].median():.3g}; at the end "
            f"{g['bias_ratio_end'].median():.3g}"
        )
        verdict = stats.verdict(effect, "higher")
        instead = ""
        if verdict == stats.SUPPORTED and "weight_abs_plateau_hidden" in g:
            instead = (
                "in the plateau the input → hidden weights are still at their initial size "
                f"(mean |weight| {g['weight_abs_plateau_hidden'].median():.2g}; initial std "
                f"{g['init_std'].iloc[0]:g}) while the biases have moved so that every output "
                "is near the class mean: the ratio is large because those weights have not grown "
                "yet, not because a small α keeps them from moving (the plateau lasts the same "
                "gradient-flow time at every α)"
            )
        rows.append(Row(setting, verdict, effect, what, evidence, instead))
    return rows


def _distance_matrix(runs: pd.DataFrame, final_weights: pd.DataFrame) -> np.ndarray:
    params = [
        weightstats.params_at(final_weights[final_weights["run_id"] == rid])
        for rid in runs["run_id"]
    ]
    return weightstats.distance_matrix(params)


def median_distance(d: np.ndarray) -> Effect:
    """Median over seed pairs of an n × n distance matrix, bootstrap CI over seeds (a resample
    of seeds keeps the pairs of distinct seeds drawn)."""
    n = d.shape[0]
    iu = np.triu_indices(n, 1)
    values = d[iu]
    if len(values) == 0:
        return stats.NO_DATA
    rng = np.random.default_rng(stats.RNG_SEED)
    meds = []
    for _ in range(stats.N_RESAMPLES):
        idx = rng.integers(0, n, n)
        sub = d[np.ix_(idx, idx)][iu]
        sub = sub[np.isfinite(sub)]
        if len(sub):
            meds.append(np.median(sub))
    tail = (1 - stats.CONFIDENCE) / 2
    low, high = np.quantile(meds, [tail, 1 - tail])
    return Effect(float(np.median(values)), float(low), float(high), math.nan, len(values), "")


def different_solutions(data: ClaimData, key: str) -> list[Row]:
    rows = []
    fw = data.final_weights
    what = "aligned relative distance between seeds' final weights (median over seed pairs)"
    for _cfg, g in data.runs.groupby(config_columns(data.runs.columns), dropna=False, sort=True):
        setting = eq("lam", g["lam"].iloc[0])
        if fw is None or not set(g["run_id"]) <= set(fw["run_id"]):
            rows.append(Row(setting, INSUFFICIENT, stats.NO_DATA, what, "final weights not given"))
            continue
        if len(g) < 2:
            rows.append(Row(setting, INSUFFICIENT, stats.NO_DATA, what, "one seed: no pairs"))
            continue
        d = _distance_matrix(g, fw)
        effect = median_distance(d)
        pairs = d[np.triu_indices(len(g), 1)]
        evidence = (
            f"{int(np.sum(pairs > DIFFERENT_DISTANCE))} of {len(pairs)} seed pairs further apart "
            f"than {DIFFERENT_DISTANCE:g} (min {np.nanmin(pairs):.3g}) after matching hidden "
            "units (permutation and sign flip); bootstrap over seeds, no test"
        )
        if is_collapsed(g):
            rows.append(
                Row(
                    setting,
                    COLLAPSED,
                    effect,
                    what,
                    f"{collapsed_text(g)}; {evidence}",
                    "every seed ends at the same trivial network: the seed's Figs 11-13 show "
                    "weights on their way to zero, not different solutions",
                )
            )
            continue
        if effect.low > DIFFERENT_DISTANCE:
            verdict = stats.SUPPORTED
        elif effect.high < SAME_DISTANCE:
            verdict = stats.CONTRADICTED
        else:
            verdict = stats.INCONCLUSIVE
        rows.append(Row(setting, verdict, effect, what, evidence))
    return rows
