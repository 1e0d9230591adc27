"""What shortens the plateau: its numbers as findings (the classic benchmarks: `classic`).

Every remedy runs at the base setting on the same seeds as plain gradient descent (a seed fixes
the initial network), so each is compared with gd seed by seed: the speed-up is the median over
seeds of (gd's epochs to solve) / (the remedy's), with a bootstrap 95% interval over seeds; a run
that never solved enters at its budget and marks the median as a bound (`median_ratio`).
Whether a remedy removes the plateau or only rescales the clock is read from the plateau's
length in decades, log10(end / start), which a change of clock leaves unchanged.

A run can also end *saturated* (`saturation`): an output stuck wrong where its σ′ is 0, so its
error sends no gradient. That is a flat spot of one unit, not the plateau: its flat loss is not
a plateau (`summary` reports none), its plateau decades are unknown rather than 0, so it enters
neither the plateau share nor the decades' comparison, and it is counted per configuration. The
rules (1-3 fixed before the runs were read; 0 names an outcome the RPROP runs then showed):

  0. at least half the seeds end saturated: "saturates";
  1. fewer than half the seeds solve within the budget: "fails";
  2. a plateau is found in at most a fifth of the seeds not saturated: "removes the plateau";
  3. the plateau's decades against gd's, seed by seed over the seeds saturated in neither
     (geometric mean of the ratios, bootstrap 95% interval; a plateau never left is censored at
     its observed decades), decide by the interval against the margin [1/TREND_RATIO,
     TREND_RATIO] (`stats.label_from_ci`): inside it "rescales the clock", wholly below
     "shortens the plateau", wholly above "lengthens the plateau", across an edge
     "inconclusive"; never by a point estimate.

The RPROP runs with the squared error are repeated at smaller largest steps Δmax and with
Fahlman's offset (experiment `remedy_saturation`): Δmax and the offset are configuration keys.

gd's decades are those of the plain gd runs that leave their plateau in the most seeds
(`shape_reference`). Momentum is also tested against the prediction that at small α it acts
like gd with α/(1 − μ): consistent when the 95% interval of the median ratio lies within
[1/TREND_RATIO, TREND_RATIO].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis import stats
from backprop_study.analysis.convergence import censored_summary
from backprop_study.analysis.findings import TREND_RATIO, Finding, ids
from backprop_study.analysis.saturation import is_saturated

REMEDIES = "remedies"
CONTROLS = "remedy_controls"
SATURATION = "remedy_saturation"
EXPERIMENTS = (REMEDIES, CONTROLS, SATURATION)
NO_PLATEAU_SHARE = 0.2
DECADES_FLOOR = 1e-3  # a seed with no plateau enters at 0.001 decades on the log scale
CI_LABELS = {
    stats.WITHIN: "rescales the clock",
    stats.BELOW: "shortens the plateau",
    stats.ABOVE: "lengthens the plateau",
    stats.INCONCLUSIVE: "inconclusive",
    stats.INSUFFICIENT: "insufficient data",
}
SATURATES = "saturates"
N_BOOT = 4000
BASE_ALPHA = 0.01
OPTIMIZERS = ("gd", "momentum", "rprop", "adam", "quickprop", "supersab")  # the table's order
CONFIG_KEYS = ["optimizer", "loss", "prime_offset", "momentum", "alpha", "rprop_delta_max"]
SLUG_KEYS = CONFIG_KEYS[:5]  # rprop_delta_max joins the slug for rprop only (it is unused else)


def solve_times(runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Epochs to solve (NaN = never or diverged) and each run's budget."""
    t = runs["first_solved"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    t = np.where(runs["diverged"].to_numpy(dtype=bool), np.nan, t)
    return t, runs["epochs"].to_numpy(dtype=float)


@dataclass(frozen=True)
class MedianRatio:
    """Median over seeds of a / b (epochs to solve), a bootstrap 95% interval over seeds.

    A pair in which one run never solved enters at its bound (the budget stands for the unknown
    time): `bound` is "≥" when the true median can only be larger, "≤" when only smaller, "≈"
    when either, "" when the censored pairs cannot move it. Pairs in which neither solved are
    left out (`n_left_out`).
    """

    median: float
    lo: float
    hi: float
    n_pairs: int
    n_censored: int
    n_left_out: int
    bound: str = ""


def median_ratio(a: pd.DataFrame, b: pd.DataFrame, seed: int = 0) -> MedianRatio:
    """Epochs to solve of `a` over `b`, seed by seed (the same seed = the same initial network)."""
    ta, ba = solve_times(a)
    tb, bb = solve_times(b)
    left = {s: (t, budget) for s, t, budget in zip(a["seed"].to_numpy(), ta, ba, strict=True)}
    right = {s: (t, budget) for s, t, budget in zip(b["seed"].to_numpy(), tb, bb, strict=True)}
    ratios, kinds, left_out = [], [], 0
    for s in sorted(set(left) & set(right)):
        (x, bx), (y, by) = left[s], right[s]
        if np.isfinite(x) and np.isfinite(y):
            ratios.append(x / y), kinds.append(0)
        elif np.isfinite(y):
            ratios.append(bx / y), kinds.append(1)  # a took longer than its budget: ≥
        elif np.isfinite(x):
            ratios.append(x / by), kinds.append(-1)  # b took longer than its budget: ≤
        else:
            left_out += 1
    if not ratios:
        return MedianRatio(math.nan, math.nan, math.nan, 0, 0, left_out)
    r, k = np.array(ratios), np.array(kinds)
    med = float(np.median(r))
    up, down = bool(np.any((k == 1) & (r <= med))), bool(np.any((k == -1) & (r >= med)))
    bound = {(True, False): "≥ ", (False, True): "≤ ", (True, True): "≈ "}.get((up, down), "")
    rng = np.random.default_rng(seed)
    boot = np.median(rng.choice(r, size=(N_BOOT, len(r)), replace=True), axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975]) if len(r) > 2 else (math.nan, math.nan)
    return MedianRatio(med, float(lo), float(hi), len(r), int((k != 0).sum()), left_out, bound)


def plateau_decades(runs: pd.DataFrame) -> np.ndarray:
    """Plateau length in decades of epochs (0 where none was found, NaN where the run ended
    saturated: on a flat spot, its plateau is not known to be absent)."""
    d = runs["plateau_decades"].to_numpy(dtype=float)
    d = np.where(runs["plateau_found"].to_numpy(dtype=bool), d, 0.0)
    return np.where(is_saturated(runs) & (d == 0.0), np.nan, d)


def decades_ratio(runs: pd.DataFrame, shape: pd.DataFrame) -> stats.Effect:
    """Plateau decades of `runs` over gd's (`shape`), paired by seed (one initial network), over
    the seeds saturated in neither."""
    runs, shape = runs[~is_saturated(runs)], shape[~is_saturated(shape)]
    seeds = sorted(set(runs["seed"]) & set(shape["seed"]))
    a, b = runs.set_index("seed").loc[seeds], shape.set_index("seed").loc[seeds]

    def censored(df: pd.DataFrame) -> np.ndarray:
        return (df["plateau_found"] & ~df["plateau_left"]).to_numpy(dtype=bool)

    return stats.paired_ratio(
        plateau_decades(a), plateau_decades(b), censored(a), censored(b), floor=DECADES_FLOOR
    )


def verdict(runs: pd.DataFrame, shape: pd.DataFrame) -> str:
    """The module docstring's rules, in order: `saturates`, `fails`, `removes the plateau`, then
    the decades' interval against the margin: `rescales the clock`, `shortens the plateau`,
    `lengthens the plateau` or `inconclusive`."""
    saturated = is_saturated(runs)
    if saturated.sum() >= len(runs) / 2:
        return SATURATES
    t, _ = solve_times(runs)
    if np.isfinite(t).sum() < len(runs) / 2:
        return "fails"
    if runs.loc[~saturated, "plateau_found"].mean() <= NO_PLATEAU_SHARE:
        return "removes the plateau"
    return CI_LABELS[stats.label_from_ci(decades_ratio(runs, shape), margin=TREND_RATIO - 1)]


def select(runs: pd.DataFrame, **settings: object) -> pd.DataFrame:
    mask = np.ones(len(runs), dtype=bool)
    for k, v in settings.items():
        mask &= (runs[k] == v).to_numpy()
    return runs[mask].sort_values("seed")


def effective_alpha(config: Mapping[str, object]) -> float:
    """The step of gradient flow one update amounts to: α (gd), α / (1 − μ) (momentum); none
    for the optimizers with per-weight steps (rprop, adam, quickprop, supersab)."""
    if config["optimizer"] == "gd":
        return float(config["alpha"])
    if config["optimizer"] == "momentum":
        return float(config["alpha"]) / (1.0 - float(config["momentum"]))
    return math.nan


def configurations(runs: pd.DataFrame) -> list[tuple[dict[str, object], pd.DataFrame]]:
    """(settings, runs) of every configuration among `runs`, gd/mse at the smallest α first."""
    order = {name: i for i, name in enumerate(OPTIMIZERS)}
    groups = []
    for config, group in runs.groupby(CONFIG_KEYS, sort=False):
        row = dict(zip(CONFIG_KEYS, config, strict=True))
        rank = (row["alpha"], row["prime_offset"] > 0, order.get(row["optimizer"], 9),
                row["loss"] != "mse", -row["rprop_delta_max"])  # fmt: skip
        groups.append((rank, row, group.sort_values("seed")))
    groups.sort(key=lambda g: g[0])
    return [(row, group) for _, row, group in groups]


def shape_reference(runs: pd.DataFrame) -> pd.DataFrame:
    """The plain gd (mse, no offset) runs whose plateaus are best observed: the α at which the
    most seeds leave their plateau within the budget (the smallest α on a tie)."""
    plain = select(runs, optimizer="gd", loss="mse", prime_offset=0.0)
    left = plain.groupby("alpha")["plateau_left"].mean()
    best = left[left == left.max()].index.min()
    return plain[plain["alpha"] == best]


def same_clock(group: pd.DataFrame, plain: pd.DataFrame) -> pd.DataFrame:
    """The gd runs with the same loss and offset at α/(1 − μ) of a momentum configuration
    (empty if none)."""
    first = group.iloc[0]
    if first.optimizer != "momentum":
        return plain.iloc[0:0]
    target = effective_alpha(first)
    same = (plain["loss"] == first.loss) & (plain["prime_offset"] == first.prime_offset)
    return plain[same & ((plain["alpha"] - target).abs() <= 1e-9 * target)]


def slug(config: Mapping[str, object]) -> str:
    """A configuration's key in the findings table."""
    keys = CONFIG_KEYS if config["optimizer"] == "rprop" else SLUG_KEYS
    return ",".join(f"{k}={config[k]:g}" if isinstance(config[k], float) else
                    f"{k}={config[k]}" for k in keys)  # fmt: skip


def ratio_findings(key: str, ratio: MedianRatio, experiment: str, run_ids) -> list[Finding]:
    return [
        Finding(
            key, ratio.median, "ratio", ratio.bound.strip(), experiment, run_ids, ratio.lo, ratio.hi
        ),  # fmt: skip
        Finding(f"{key}.pairs", ratio.n_pairs, "pairs", experiment=experiment),
        Finding(f"{key}.censored", ratio.n_censored, "pairs", experiment=experiment),
        Finding(f"{key}.left_out", ratio.n_left_out, "pairs", experiment=experiment),
    ]


def quartile_findings(key: str, values, budgets, unit: str, experiment: str) -> list[Finding]:
    """Median and quartiles of censored times; `text` is "≥" where the value is a bound."""
    s = censored_summary(values, budgets)
    return [
        Finding(f"{key}.{name}", value, unit, "≥" if censored else "", experiment)
        for name, value, censored in (
            ("median", s.median, s.median_censored),
            ("q25", s.q1, s.q1_censored),
            ("q75", s.q3, s.q3_censored),
        )
    ]


def remedy_findings(experiment_runs: Mapping[str, pd.DataFrame]) -> list[Finding]:
    """Per configuration of the remedies (and controls): solved, epochs to solve, speed-up over
    gd, the clock test, plateau decades, codes, verdict; then momentum against α/(1 − μ)."""
    names = [n for n in (REMEDIES, CONTROLS, SATURATION) if n in experiment_runs]
    if not names:
        return []
    runs = pd.concat([experiment_runs[n] for n in names]).drop_duplicates("run_id")
    base = select(runs, optimizer="gd", loss="mse", prime_offset=0.0, alpha=BASE_ALPHA)
    out = [Finding("remedies.base_alpha", BASE_ALPHA, run_ids=ids(base), experiment=REMEDIES),
           Finding("remedies.budget", float(runs["epochs"].max()) if len(runs) else math.nan,
                   "epochs", experiment=REMEDIES, run_ids=ids(runs))]  # fmt: skip
    if runs.empty or base.empty:
        return out
    shape = shape_reference(runs)
    plain = select(runs, optimizer="gd")
    out.append(Finding("remedies.shape_alpha", float(shape["alpha"].iloc[0]), "",
                       experiment=REMEDIES, run_ids=ids(shape)))  # fmt: skip
    for config, group in configurations(runs):
        key, exp = f"remedies[{slug(config)}]", REMEDIES
        t, budgets = solve_times(group)
        is_base = set(group["run_id"]) == set(base["run_id"])
        speedup = median_ratio(base, group)
        alpha_eff = effective_alpha(config)
        out += [
            Finding(f"{key}.runs", len(group), "runs", experiment=exp, run_ids=ids(group)),
            Finding(f"{key}.optimizer", text=str(config["optimizer"]), experiment=exp),
            Finding(f"{key}.loss", text=str(config["loss"]), experiment=exp),
            Finding(f"{key}.momentum", float(config["momentum"]), experiment=exp),
            Finding(f"{key}.prime_offset", float(config["prime_offset"]), experiment=exp),
            Finding(f"{key}.alpha", float(config["alpha"]), experiment=exp,
                    text="not used" if config["optimizer"] == "rprop" else ""),
            Finding(f"{key}.rprop_delta_max", float(config["rprop_delta_max"]), experiment=exp,
                    text="" if config["optimizer"] == "rprop" else "not used"),
            Finding(f"{key}.solved", int(np.isfinite(t).sum()), "runs", experiment=exp),
            *saturation_findings(key, group, exp),
            *quartile_findings(f"{key}.solve", t, budgets, "epochs", exp),
            Finding(f"{key}.plateau_found", int(group["plateau_found"].sum()), "runs",
                    experiment=exp),
            Finding(f"{key}.plateau_left", int(group["plateau_left"].sum()), "runs",
                    experiment=exp),
            Finding(f"{key}.codes_distinct", int(group["code_all_distinct"].sum()), "runs",
                    experiment=exp),
            Finding(f"{key}.gap_median", float(group["code_gap"].median()), experiment=exp),
            Finding(f"{key}.verdict", text="reference" if is_base else
                    verdict(group, shape), experiment=exp),
        ]  # fmt: skip
        decades = plateau_decades(group)
        decades = decades[np.isfinite(decades)]
        for name, q in (("median", 0.5), ("q25", 0.25), ("q75", 0.75)):
            value = float(np.quantile(decades, q)) if len(decades) else math.nan
            out.append(Finding(f"{key}.decades.{name}", value, "decades", experiment=exp))
        if not is_base:
            out += ratio_findings(f"{key}.speedup", speedup, exp, ids(group))
            d = decades_ratio(group, shape)
            out.append(Finding(f"{key}.decades_ratio", d.estimate, "ratio", d.bound, exp,
                               ids(group), d.low, d.high))  # fmt: skip
        if not math.isnan(alpha_eff):
            flow = t * group["updates_per_epoch"].to_numpy(dtype=float) * alpha_eff
            s = censored_summary(flow, budgets * alpha_eff)
            out.append(Finding(f"{key}.flow_median", s.median, "t",
                               "≥" if s.median_censored else "", exp))  # fmt: skip
        same = same_clock(group, plain)
        if len(same):
            out += ratio_findings(f"{key}.clock", median_ratio(group, same), exp, ids(same))
    return out + momentum_clock(runs)


def saturation_findings(key: str, group: pd.DataFrame, experiment: str) -> list[Finding]:
    """Runs that ended saturated, and the outputs and hidden units stuck in them (medians over
    those runs; NaN when none)."""
    saturated = group[is_saturated(group)]

    def median(col: str) -> float:
        return float(saturated[col].median()) if len(saturated) and col in saturated else math.nan

    return [
        Finding(f"{key}.saturated", len(saturated), "runs", experiment=experiment,
                run_ids=ids(saturated)),
        Finding(f"{key}.saturated_outputs", median("saturated_outputs"), "units",
                experiment=experiment),
        Finding(f"{key}.saturated_hidden", median("saturated_hidden"), "units",
                experiment=experiment),
        Finding(f"{key}.output_net_max", median("output_net_max_end"), "",
                experiment=experiment),
    ]  # fmt: skip


def momentum_clock(runs: pd.DataFrame) -> list[Finding]:
    """Momentum (μ, α) against gd at α/(1 − μ) and at α, seed by seed."""
    plain = select(runs, optimizer="gd")
    mom = select(runs, optimizer="momentum", loss="mse", prime_offset=0.0)
    same = same_clock(mom, plain) if len(mom) else mom
    if mom.empty or same.empty:
        return []
    ratio = median_ratio(mom, same)
    consistent = math.isfinite(ratio.lo) and ratio.lo >= 1 / TREND_RATIO and ratio.hi <= TREND_RATIO
    differs = math.isfinite(ratio.lo) and (ratio.lo > 1 or ratio.hi < 1)
    word = "consistent" if consistent else "different" if differs else "inconclusive"
    mu = float(mom["momentum"].iloc[0])
    first = mom.iloc[0]
    config = {k: first[k] for k in CONFIG_KEYS}
    key = "remedies.momentum_clock"
    return [
        Finding(f"{key}.config", text=slug(config), experiment=REMEDIES, run_ids=ids(mom)),
        Finding(f"{key}.alpha_same", float(same["alpha"].iloc[0]), experiment=REMEDIES,
                run_ids=ids(same)),
        Finding(f"{key}.word", text=word, experiment=REMEDIES),
        Finding(f"{key}.decades", float(np.nanmedian(plateau_decades(mom))), "decades",
                experiment=REMEDIES),
        Finding(f"{key}.decades_same", float(np.nanmedian(plateau_decades(same))), "decades",
                experiment=REMEDIES),
        Finding(f"{key}.prediction", round(1 / (1 - mu), 9), "ratio", experiment=REMEDIES),
        Finding(f"{key}.trend_ratio", TREND_RATIO, "ratio"),
    ]  # fmt: skip
