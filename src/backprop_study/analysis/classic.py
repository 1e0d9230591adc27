"""The classic encoder results, each beside ours under the paper's conventions and the study's.

One table per paper (`PAPERS`): for each method, three columns - our runs under the paper's
conventions (its experiment `benchmark_*_paper`), our runs under this study's conventions, and the
published value (`analysis/published.yaml`). Per column: trials, solved,
mean ± SD and median of epochs to the paper's criterion (every output within 0.4 of its target),
and a verdict.

Restarts: where a paper restarts a run that has not solved within its epoch limit, our seeds are
chained in order - a seed that fails within the limit adds the limit to the trial's epochs and the
next seed continues the same trial - so one trial is one or more seeds; a chain still unsolved
when the seeds run out is counted as unfinished, never as solved.

The verdict rule, fixed before any run was read (`verdict`):

  1. no published mean: "no published number";
  2. fewer than half the trials solve: "not reproduced: fails" (k of n solved);
  3. fewer than 3 solved trials: "insufficient data";
  4. otherwise the ratio R = (our mean epochs) / (published mean), with a percentile bootstrap
     95% interval over our solved trials, against the published spread, the band
     [1 − SD/mean, 1 + SD/mean] of the published mean ± SD (a point at 1 without an SD): an
     interval that meets the band is "reproduced within the published spread"; one wholly above
     it is "not reproduced: slower", wholly below "not reproduced: faster", with R and its
     interval saying by how much.

Mitchell reports one typical run, not epochs: there the measure is the share of seeds ending with
8 distinct binarised hidden codes, "reproduced" when its exact 95% interval lies above 1/2 (a
typical run does it), "not reproduced" when below, "inconclusive" across.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from backprop_study.analysis import stats
from backprop_study.analysis.convergence import censored_summary
from backprop_study.analysis.findings import Finding, ids
from backprop_study.analysis.remedies import solve_times
from backprop_study.analysis.saturation import is_saturated

BENCH_RPROP = "benchmark_rprop"
BENCH_MITCHELL = "benchmark_mitchell"
N_BOOT = 4000
REPRODUCED = "reproduced within the published spread"
COLUMNS = ("paper", "study")  # ours under the paper's conventions, ours under the study's


@dataclass(frozen=True)
class Method:
    """One row of a paper's table: the runs of `optimizer` (and `settings`) and the published
    value `published` (a key of published.yaml's values)."""

    key: str
    optimizer: str
    published: str
    settings: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Paper:
    """A paper's table: its two experiments and, if it restarts, its epoch limit per run."""

    key: str
    experiments: Mapping[str, tuple[str, ...]]  # column -> its experiments
    methods: tuple[Method, ...]
    restart_limit: int | None = None
    measure: str = "epochs"  # or "codes" (Mitchell: distinct hidden codes)


PAPERS = (
    Paper(
        "rb",
        {"paper": ("benchmark_rb_paper",), "study": (BENCH_RPROP,)},
        (
            Method("bp", "gd", "rb_bp"),
            Method("supersab", "supersab", "rb_supersab"),
            Method("quickprop", "quickprop", "rb_quickprop"),
            Method("rprop", "rprop", "rb_rprop"),
        ),
    ),
    Paper(
        "fahlman",
        {
            "paper": ("benchmark_fahlman_8_paper", "benchmark_fahlman_10_paper"),
            "study": ("benchmark_fahlman_8", "benchmark_fahlman_10"),
        },
        tuple(
            Method(f"{opt}_{n}", opt, f"fahlman_{name}_{n}", {"classes": n, "hidden": h})
            for n, h in ((8, 3), (10, 5))
            for opt, name in (("gd", "bp"), ("quickprop", "quickprop"))
        ),
        restart_limit=1000,
    ),
    Paper(
        "mitchell",
        {"paper": ("benchmark_mitchell_paper",), "study": (BENCH_MITCHELL,)},
        (Method("bp", "gd", "mitchell"),),
        measure="codes",
    ),
)
EXPERIMENTS = tuple(sorted({e for p in PAPERS for es in p.experiments.values() for e in es}))


def published_values() -> dict[str, dict]:
    """published.yaml's values: the numbers the verdicts compare with (a data file, shipped
    beside the report that quotes the same entries)."""
    path = resources.files("backprop_study").joinpath("analysis/published.yaml")
    return yaml.safe_load(path.read_text())["values"]


@dataclass(frozen=True)
class Trials:
    """Epochs to solve per trial (NaN = not solved) with each trial's budget (censored at it)."""

    times: np.ndarray
    budgets: np.ndarray
    seeds_per_trial: tuple[int, ...]

    @property
    def solved(self) -> np.ndarray:
        return self.times[np.isfinite(self.times)]


def trials(runs: pd.DataFrame, restart_limit: int | None = None) -> Trials:
    """One trial per seed, or, with `restart_limit`, seeds chained in order: a seed not solved
    within min(limit, its budget) adds that many epochs and the next seed continues the trial."""
    runs = runs.sort_values("seed")
    t, budgets = solve_times(runs)
    if restart_limit is None:
        return Trials(t, budgets, (1,) * len(t))
    times, spent, used, sizes = [], 0.0, 0, []
    for x, b in zip(t, budgets, strict=True):
        limit = min(float(restart_limit), b)
        used += 1
        if np.isfinite(x) and x <= limit:
            times.append(spent + x)
            sizes.append(used)
            spent, used = 0.0, 0
        else:
            spent += limit
    out_budgets = list(times)  # a solved trial's budget does not matter (never censored)
    if used:  # the seeds ran out inside a trial: unfinished, censored at what it spent
        times.append(math.nan)
        out_budgets.append(spent)
        sizes.append(used)
    return Trials(np.array(times, dtype=float), np.array(out_budgets, dtype=float), tuple(sizes))


@dataclass(frozen=True)
class Verdict:
    text: str
    ratio: float = math.nan
    low: float = math.nan
    high: float = math.nan


def mean_interval(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean (NaN with fewer than 3 values)."""
    if len(values) < 3:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    boot = rng.choice(values, size=(N_BOOT, len(values)), replace=True).mean(axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return float(lo), float(hi)


def verdict(tr: Trials, published_mean: float, published_sd: float = math.nan) -> Verdict:
    """The module docstring's rule, in order."""
    if not math.isfinite(published_mean):
        return Verdict("no published number")
    solved, n = tr.solved, len(tr.times)
    if len(solved) < n / 2 or n == 0:
        return Verdict(f"not reproduced: fails ({len(solved)} of {n} solved)")
    if len(solved) < 3:
        return Verdict(stats.INSUFFICIENT)
    ratio = float(solved.mean()) / published_mean
    lo, hi = (x / published_mean for x in mean_interval(solved))
    spread = published_sd / published_mean if math.isfinite(published_sd) else 0.0
    if hi < 1 - spread:
        return Verdict("not reproduced: faster", ratio, lo, hi)
    if lo > 1 + spread:
        return Verdict("not reproduced: slower", ratio, lo, hi)
    return Verdict(REPRODUCED, ratio, lo, hi)


def select(runs: pd.DataFrame, optimizer: str, settings: Mapping[str, object]) -> pd.DataFrame:
    mask = (runs["optimizer"] == optimizer).to_numpy().copy()
    for k, v in settings.items():
        mask &= (runs[k] == v).to_numpy()
    return runs[mask]


def setting_findings(key: str, runs: pd.DataFrame, experiment: str) -> list[Finding]:
    """The conventions our runs actually used (read from the runs, never from the config)."""
    first = runs.iloc[0]
    dist = str(first["init_distribution"]) if "init_distribution" in runs else "normal"
    init = (f"U(−{first['init_range']:g}, {first['init_range']:g})" if dist == "uniform"
            else f"N(0, {first['init_std']:g}²)")  # fmt: skip
    return [
        Finding(f"{key}.init", text=init, experiment=experiment),
        Finding(f"{key}.alpha", float(first["alpha"]), experiment=experiment,
                text="not used" if first["optimizer"] == "rprop" else ""),
        Finding(f"{key}.batch_size", float(first["batch_size"]), experiment=experiment),
        Finding(f"{key}.prime_offset", float(first["prime_offset"]), experiment=experiment),
        Finding(f"{key}.lam", float(first["lam"]), experiment=experiment),
        Finding(f"{key}.budget", float(runs["epochs"].max()), "epochs", experiment=experiment),
    ]  # fmt: skip


def epoch_findings(key: str, tr: Trials, pub: Mapping, experiment: str) -> list[Finding]:
    solved = tr.solved
    s = censored_summary(tr.times, tr.budgets)
    v = verdict(tr, float(pub.get("mean", math.nan)), float(pub.get("sd", math.nan)))
    lo, hi = mean_interval(solved)
    return [
        Finding(f"{key}.trials", len(tr.times), "trials", experiment=experiment),
        Finding(f"{key}.seeds_per_trial", float(np.mean(tr.seeds_per_trial)) if tr.times.size
                else math.nan, "seeds", experiment=experiment),
        Finding(f"{key}.solved", len(solved), "trials", experiment=experiment),
        Finding(f"{key}.mean", float(solved.mean()) if len(solved) else math.nan, "epochs",
                experiment=experiment, ci_low=lo, ci_high=hi),
        Finding(f"{key}.sd", float(solved.std(ddof=1)) if len(solved) > 1 else math.nan,
                "epochs", experiment=experiment),
        Finding(f"{key}.median", s.median, "epochs", "≥" if s.median_censored else "",
                experiment),
        Finding(f"{key}.verdict", v.ratio, "ratio", v.text, experiment, ci_low=v.low,
                ci_high=v.high),
    ]  # fmt: skip


def code_findings(key: str, runs: pd.DataFrame, experiment: str) -> list[Finding]:
    n = len(runs)
    distinct = int(runs["code_all_distinct"].sum())
    share = stats.share(distinct, n)
    word = {stats.SUPPORTED: "reproduced", stats.CONTRADICTED: "not reproduced"}.get(
        stats.share_verdict(share), stats.share_verdict(share)
    )
    return [
        Finding(f"{key}.runs", n, "runs", experiment=experiment),
        Finding(f"{key}.codes_distinct", distinct, "runs", experiment=experiment),
        Finding(f"{key}.gap_median", float(runs["code_gap"].median()), experiment=experiment),
        Finding(f"{key}.verdict", share.estimate, "share", word, experiment,
                ci_low=share.low, ci_high=share.high),
    ]  # fmt: skip


def paper_findings(
    paper: Paper, experiment_runs: Mapping[str, pd.DataFrame], published: Mapping[str, Mapping]
) -> list[Finding]:
    """Every cell of one paper's table that has runs."""
    out = []
    for column in COLUMNS:
        names = [e for e in paper.experiments[column] if e in experiment_runs]
        if not names:
            continue
        runs = pd.concat([experiment_runs[e] for e in names]).drop_duplicates("run_id")
        for method in paper.methods:
            mine = select(runs, method.optimizer, method.settings)
            if mine.empty:
                continue
            key, experiment = f"classic.{paper.key}.{method.key}.{column}", names[0]
            out.append(Finding(f"{key}.seeds", len(mine), "runs", experiment=experiment,
                               run_ids=ids(mine)))  # fmt: skip
            # How many end on a flat spot (saturation), after solving or not: named beside the
            # epochs, which count to the first solve and so are not changed by it.
            out.append(Finding(f"{key}.saturated", int(is_saturated(mine).sum()), "runs",
                               experiment=experiment))  # fmt: skip
            out += setting_findings(key, mine, experiment)
            if paper.measure == "codes":
                out += code_findings(key, mine, experiment)
            else:
                limit = paper.restart_limit if column == "paper" else None
                tr = trials(mine, limit)
                out += epoch_findings(key, tr, published.get(method.published, {}), experiment)
    return out


def classic_findings(
    experiment_runs: Mapping[str, pd.DataFrame], published: Mapping[str, Mapping] | None = None
) -> list[Finding]:
    """Every paper's table as findings (`classic.<paper>.<method>.<column>.<stat>`)."""
    published = published_values() if published is None else published
    out = []
    for paper in PAPERS:
        out += paper_findings(paper, experiment_runs, published)
        ran = [e for e in paper.experiments["paper"] if e in experiment_runs]
        if paper.restart_limit is not None and ran:
            out.append(Finding(f"classic.{paper.key}.restart_limit", paper.restart_limit,
                               "epochs", experiment=ran[0]))  # fmt: skip
    return out
