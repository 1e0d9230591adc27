"""How each of the seed's claims is tested: one function per claim, one `Row` per setting.

A tester gets a `ClaimData` (the experiment's runs, final weights, tie scale) and the key of
the measure its claim's spec names (never chosen from the data); it returns one row per setting,
never pooled across λ, α, batch size or encoding. Arms whose budgets differ in the measure's
clock are compared at their common horizon (`measures.within`). A row holds its verdict, its
effect (bootstrap CI, p), the measure, the numbers behind it (`evidence`) and, where the seed's
explanation is not what the runs show, what they show instead (`instead`).

A setting where most runs collapsed to the trivial network is another outcome, not a slowdown
or speed-up: for claims about the plateau, convergence, bias weights and solutions its verdict
is `collapsed`, and its evidence names it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis import stats
from backprop_study.analysis.axes import config_columns, symbol, value_text
from backprop_study.analysis.measures import (
    MEASURES,
    Measure,
    common_horizon,
    flow_per_epoch,
    solved_share,
)
from backprop_study.analysis.stats import COLLAPSED, INSUFFICIENT, Effect

DIFFERENT_DISTANCE = 0.5  # aligned relative distance above which two networks differ
SAME_DISTANCE = 0.1  # ... and below which they are one solution
SEED_ALPHA = 5.0  # the largest learning rate the seed reports as successful
OWN_MEASURES = {  # measures a tester computes itself: key -> what a verdict on it is "in"
    "solved_share": "share of runs",
    "bias_ratio": "bias ratio",
    "distance": "weight distance",
}


@dataclass(frozen=True)
class Row:
    """One setting of one claim."""

    setting: str
    verdict: str
    effect: Effect
    measure: str
    evidence: str
    instead: str = ""
    key: str = ""  # the measure's key
    clock: str = ""  # what the verdict is "in": epochs, flow time, ...


@dataclass(frozen=True)
class ClaimData:
    runs: pd.DataFrame  # the claim's experiment's rows of the runs table
    final_weights: pd.DataFrame | None = None
    tie_scale: float = 1.0  # tie tolerance in units of each measure's resolution


# --- selecting and pairing runs ------------------------------------------------------------


def matches(column: pd.Series, values: Sequence) -> np.ndarray:
    """Rows whose value is one of `values` (numbers to 1e-9 relative; None matches NA)."""
    if len(values) == 0:
        return np.zeros(len(column), dtype=bool)
    unset = column.isna().to_numpy() & any(v is None for v in values)
    values = [v for v in values if v is not None]
    if pd.api.types.is_numeric_dtype(column):
        col = column.to_numpy(dtype=np.float64, na_value=np.nan)
        vals = np.asarray(values, dtype=np.float64)
        return unset | np.isclose(col[:, None], vals[None, :], rtol=1e-9, atol=0).any(axis=1)
    return unset | column.isin(values).to_numpy()


def levels(df: pd.DataFrame, col: str) -> list:
    return sorted(df[col].unique().tolist())


def at(df: pd.DataFrame, col: str, level) -> pd.DataFrame:
    return df[matches(df[col], [level])]


def eq(col: str, level) -> str:
    return f"{symbol(col)} = {value_text(col, level)}"


def vs(col: str, a, b) -> str:
    return f"{eq(col, a)} vs {value_text(col, b)}"


def _tie(data: ClaimData, measure: Measure, df: pd.DataFrame) -> float:
    return data.tie_scale * measure.resolution(df)


def paired_effect(
    data: ClaimData, factor: str, a, b, measure: Measure, df: pd.DataFrame | None = None
) -> Effect:
    """Ratio a / b of `measure`, runs paired by seed and every other setting, both arms censored
    at their common horizon."""
    df = data.runs if df is None else df
    left, right = at(df, factor, a), at(df, factor, b)
    # arms with different budgets pair by seed and the other settings, not by budget
    budgets_differ = "epochs" in df and set(left["epochs"]) != set(right["epochs"])
    skip = {factor, "epochs"} if budgets_differ else {factor}
    keys = [c for c in (*config_columns(df.columns), "seed") if c not in skip]
    horizon = common_horizon(measure, left, right)
    va, ca = measure.within(left, horizon)
    vb, cb = measure.within(right, horizon)
    pairs = left[keys].assign(va=va, ca=ca).merge(right[keys].assign(vb=vb, cb=cb), on=keys)
    return stats.paired_ratio(
        pairs["va"], pairs["vb"], pairs["ca"], pairs["cb"], tie=_tie(data, measure, df), floor=1.0
    )


def unpaired_effect(data: ClaimData, factor: str, a, b, measure: Measure) -> Effect:
    left, right = at(data.runs, factor, a), at(data.runs, factor, b)
    horizon = common_horizon(measure, left, right)
    va, ca = measure.within(left, horizon)
    vb, cb = measure.within(right, horizon)
    return stats.unpaired_ratio(
        va, vb, ca, cb, event_times=measure.event, tie=_tie(data, measure, data.runs)
    )


def horizon_text(measure: Measure, *dfs: pd.DataFrame) -> str:
    """Where the arms' budgets differ in the measure's clock: the common horizon, else ''."""
    budgets = [measure.budget(d) for d in dfs if len(d)]
    if not budgets or max(b.max() for b in budgets) <= min(b.min() for b in budgets) * (1 + 1e-9):
        return ""
    horizon = common_horizon(measure, *dfs)
    return (
        f"budgets differ in {measure.unit} ({', '.join(f'{b.max():.4g}' for b in budgets)}): "
        f"both arms censored at the common horizon {horizon:.4g}"
    )


def collapsed_text(df: pd.DataFrame) -> str:
    """`10/10 runs collapsed (largest weight 3e-14, data loss 0.4375 = trivial)`, or ''."""
    n = int(df["collapsed"].sum()) if "collapsed" in df else 0
    if n == 0:
        return ""
    sub = df[df["collapsed"].astype(bool)]
    return (
        f"{n}/{len(df)} runs collapsed to the trivial network (largest weight, median "
        f"{sub['weight_max_end'].median():.2g}; data loss {sub['final_data_loss'].median():.4g}, "
        f"the trivial {sub['trivial_loss'].iloc[0]:.4g}: every output 1/k for every class)"
    )


def is_collapsed(df: pd.DataFrame) -> bool:
    """Most runs of the setting collapsed."""
    return "collapsed" in df and len(df) > 0 and df["collapsed"].astype(bool).mean() >= 0.5


def collapsed_row(setting: str, measure: str, *dfs: pd.DataFrame) -> Row | None:
    texts = [t for t in (collapsed_text(d) for d in dfs if is_collapsed(d)) if t]
    if not texts:
        return None
    return Row(
        setting,
        COLLAPSED,
        stats.NO_DATA,
        measure,
        "; ".join(texts),
        "weight decay this strong pulls every weight to zero: the network ends at the trivial "
        "one, so there is no plateau to leave and nothing to converge to",
    )


def _medians(df: pd.DataFrame, factor: str, lv: Sequence, measure: Measure) -> str:
    parts = []
    horizon = common_horizon(measure, *(at(df, factor, level) for level in lv))
    for level in lv:
        v, c = measure.within(at(df, factor, level), horizon)
        if len(v):
            tail = f", {int(c.sum())} censored" if c.any() else ""
            parts.append(f"{eq(factor, level)}: {np.median(v):.4g}{tail}")
    return f"median {measure.name} ({measure.unit}): " + "; ".join(parts)


def compare_row(
    data: ClaimData,
    factor: str,
    a,
    b,
    measure: Measure,
    claimed: str,
    paired: bool = True,
    collapse_ends_it: bool = True,
) -> Row:
    """The row of one comparison: a (the claimed setting) against b."""
    setting = vs(factor, a, b)
    what = f"{measure.name} ({measure.unit}), ratio {eq(factor, a)} / {eq(factor, b)}"
    tags = {"key": measure.key, "clock": measure.clock}
    da, db = at(data.runs, factor, a), at(data.runs, factor, b)
    if da.empty or db.empty:
        return Row(setting, INSUFFICIENT, stats.NO_DATA, what, "no runs", **tags)
    if collapse_ends_it and (row := collapsed_row(setting, what, da, db)):
        return dataclasses.replace(row, **tags)
    if not all(np.isfinite(measure.values(d)[0]).any() for d in (da, db)):
        return Row(setting, INSUFFICIENT, stats.NO_DATA, what, "not in the runs table", **tags)
    effect = (paired_effect if paired else unpaired_effect)(data, factor, a, b, measure)
    evidence = (
        f"{effect.test} p = {effect.p_text()} over {effect.n} "
        f"{'pairs' if paired else 'runs'}; {_medians(data.runs, factor, (a, b), measure)}"
    )
    if effect.bound:
        evidence += f"; {effect.bound}: censored runs enter at the budget, so the ratio is a bound"
    if horizon := horizon_text(measure, da, db):
        evidence += f"; {horizon}"
    return Row(setting, stats.verdict(effect, claimed), effect, what, evidence, **tags)


# --- the claims -------------------------------------------------------------------------------


def lambda_drop(data: ClaimData, key: str) -> list[Row]:
    return [
        compare_row(data, "lam", a, b, MEASURES[key], "lower", collapse_ends_it=False)
        for a, b in itertools.pairwise(levels(data.runs, "lam"))
    ]


def lambda_plateau(data: ClaimData, key: str) -> list[Row]:
    return [
        compare_row(data, "lam", a, b, MEASURES[key], "lower")
        for a, b in itertools.pairwise(levels(data.runs, "lam"))
    ]


def lambda_slows(data: ClaimData, key: str) -> list[Row]:
    lams = levels(data.runs, "lam")
    if 0 not in lams:
        return []
    rows = []
    for lam in (v for v in lams if v > 0):
        row = compare_row(data, "lam", lam, 0, MEASURES[key], "higher")
        g = at(data.runs, "lam", lam)
        share = solved_share(g)
        if row.verdict != COLLAPSED and share < 0.5:
            row = dataclasses.replace(
                row,
                instead=f"not slower but stopped short: {share:.0%} of runs solve; the others "
                "settle where weight decay balances the data term (median data loss "
                f"{g['final_data_loss'].median():.3g}; {g['final_correct'].median():.0f} of "
                f"{int(g['n_patterns'].max())} patterns decoded correctly, but the outputs never "
                "get within 0.4 of their targets)",
            )
        rows.append(row)
    return rows


DECODING = {
    "all_correct": "decoded to the nearest target: k by argmax; k-1's all-zeros class when all 7 "
    "outputs are below 0.5, else argmax (also the most probable class under independent outputs)",
    "rounded_correct": "decoded by rounding, alike for k and k-1: a pattern is correct when every "
    "output is on its target's side of 0.5 (asks k what k-1's all-zeros class is asked)",
}


def k_minus_1(data: ClaimData, key: str) -> list[Row]:
    if not {"k", "k-1"} <= set(levels(data.runs, "encoding")):
        return []
    inputs = (
        "k-1 also changes the inputs: class 0 is all zeros (no input active) and there are 7 "
        "inputs and 7 outputs; networks of different shapes from different starts, compared "
        "unpaired"
    )
    row = compare_row(
        data, "encoding", "k-1", "k", MEASURES[key], "lower", paired=False, collapse_ends_it=False
    )
    instead = inputs
    if key in DECODING:
        instead = f"{DECODING[key]}; {inputs}"
    if key == "loss_per_output":
        k, k1 = at(data.runs, "encoding", "k"), at(data.runs, "encoding", "k-1")
        instead = (
            "compared per output unit: summed, k-1 adds up 7 errors and k 8 (the trivial "
            f"network's loss is {k1['trivial_loss'].iloc[0]:.3g} against "
            f"{k['trivial_loss'].iloc[0]:.4g}, the whole gap between the plateaus of the "
            "seed's Fig 7); " + inputs
        )
    return [dataclasses.replace(row, instead=instead)]


def _clock_text(data: ClaimData, factor: str, a, b, measure: Measure, row: Row) -> str:
    """For a comparison in flow time: the epoch ratio against exact rescaling's prediction, and
    what the verdict in t says about the clock."""
    da, db = at(data.runs, factor, a), at(data.runs, factor, b)
    predicted = float(np.median(flow_per_epoch(db)) / np.median(flow_per_epoch(da)))
    epochs = paired_effect(data, factor, a, b, MEASURES[measure.key.removesuffix("_t")])
    meaning = {
        stats.NO_EFFECT: "the same path on a faster clock: the effect in epochs is the clock",
        stats.SUPPORTED: "shorter even in t: more than the clock",
        stats.CONTRADICTED: "longer in t: the clock more than accounts for the effect in epochs",
    }.get(row.verdict, "in t it cannot be told whether the clock is all there is")
    return (
        f"in epochs ×{epochs.estimate:.3g} (exact rescaling predicts ×{predicted:.3g}); in "
        f"t = α·updates ×{row.effect.text()}: {meaning}"
    )


def _rescaled(data: ClaimData, factor: str, base, others, key: str) -> list[Row]:
    """Each level against `base` in `key`; in flow time with what the clock explains."""
    rows = []
    measure = MEASURES[key]
    for level in others:
        row = compare_row(data, factor, level, base, measure, "lower")
        if row.effect.n and measure.clock == "flow time":
            row = dataclasses.replace(
                row, instead=_clock_text(data, factor, level, base, measure, row)
            )
        rows.append(row)
    return rows


def alpha_plateau(data: ClaimData, key: str) -> list[Row]:
    alphas = levels(data.runs, "alpha")
    if len(alphas) < 2:
        return []
    return _rescaled(data, "alpha", alphas[0], alphas[1:], key)


def alpha_succeeds(data: ClaimData, key: str) -> list[Row]:
    alphas = levels(data.runs, "alpha")
    alpha = SEED_ALPHA if any(math.isclose(a, SEED_ALPHA) for a in alphas) else max(alphas)
    g = at(data.runs, "alpha", alpha)
    solved = int((solved_share(g) * len(g)) if len(g) else 0)
    effect = stats.share(solved, len(g))
    return [
        Row(
            eq("alpha", alpha),
            stats.share_verdict(effect),
            effect,
            "share of runs that solve within the budget",
            f"{solved} of {len(g)} runs solved; exact binomial interval, p against 1/2",
            key=key,
            clock="share of runs",
        )
    ]


def batch_one(data: ClaimData, key: str) -> list[Row]:
    sizes = levels(data.runs, "batch_size")
    if len(sizes) < 2:
        return []
    return _rescaled(data, "batch_size", sizes[-1], sizes[:-1], key)


# --- reading a verdict ------------------------------------------------------------------------


def clock_of(key: str) -> str:
    """What a verdict on the measure `key` is "in"."""
    return MEASURES[key].clock if key in MEASURES else OWN_MEASURES.get(key, key)


def verdict_text(verdict: str, clock: str, res: stats.Resolution) -> str:
    """The verdict with its clock: "supported in epochs", "undecided in flow time at 10 seeds"."""
    if verdict in (COLLAPSED, INSUFFICIENT):
        return verdict
    if verdict == stats.INCONCLUSIVE and math.isfinite(res.halfwidth) and not res.resolves:
        return f"undecided in {clock} at {res.seeds} seeds"
    return f"{verdict} in {clock}"


def clock_reach(rows: Sequence[dict]) -> str:
    """Where exact rescaling holds, from one setting's rows: the measures on which flow time
    shows no effect, and those on which it does not."""
    flow = [r for r in rows if r["clock"] == "flow time" and r["n"]]
    held = [r for r in flow if r["verdict"] == stats.NO_EFFECT]
    not_shown = [r for r in flow if r["verdict"] != stats.NO_EFFECT]

    def name(r: dict) -> str:
        return r["measure"].split(" (")[0]

    if not flow:
        return ""
    if not not_shown:
        return f"exact rescaling holds in t for every measure ({', '.join(map(name, held))})"
    head = (
        f"exact rescaling holds in t for {', '.join(map(name, held))}; "
        if held
        else "exact rescaling is not shown in t; "
    )
    return (
        head
        + "not shown for "
        + "; ".join(f"{name(r)} ({r['effect']}, {r['verdict_text']})" for r in not_shown)
    )
