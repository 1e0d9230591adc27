"""Two report sections and their figures: what shortens the plateau (other optimizers, losses,
Fahlman's offset) and the classic encoder benchmarks beside their published values.

Remedies. Every remedy runs at the base setting on the same seeds as plain gradient descent (a
seed fixes the initial network), so each is compared with gd seed by seed: the speed-up is the
median over seeds of (gd's epochs to solve) / (the remedy's), with a bootstrap 95% interval over
seeds; a run that never solved enters at its budget and marks the median as a bound
(`PairedRatio`). Whether a remedy removes the plateau or only rescales the clock is read from
the plateau's length in decades, log10(end / start): multiplying time by a constant moves a
plateau along the log-epoch axis without changing how many decades it spans. The rules, fixed
before the runs were read:

  1. fewer than half the seeds solve within the budget: "fails";
  2. a plateau is found in at most a fifth of the seeds: "removes the plateau";
  3. the median plateau spans within a factor TREND_RATIO of gd's decades: "rescales the clock";
  4. otherwise "shortens" or "lengthens the plateau".

gd's decades are read from the plain gd runs that leave their plateau in the most seeds
(`shape_reference`; α = 0.01 in the default study, where all 10 leave it although only 4 meet
the 40-20-40 rule within the budget). One change after the first full run: pairs in which one
run never solved were first left out, which kept only the seeds where gd was fastest and so
understated every speed-up; they now enter at their bound. No verdict changed with it.

Momentum is also tested against the prediction that at small α it acts like gd with α/(1 − μ):
epochs to solve of momentum (μ, α) over gd (α/(1 − μ)), seed by seed; consistent when the 95%
interval of the median ratio lies within [1/TREND_RATIO, TREND_RATIO].

Benchmarks. The published values are typed in `PUBLISHED` with their source and what of it was
read; our settings are the config's, never adjusted towards them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backprop_study.analysis import axes as vocabulary
from backprop_study.analysis.axes import format_number
from backprop_study.analysis.convergence import censored_summary
from backprop_study.reporting.figbase import (
    EPOCH_LABEL,
    LINESTYLES,
    MEDIAN_COLOUR,
    POINT_COLOUR,
    FigureData,
    FigureSpec,
    new_figure,
    settings_note,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

REMEDIES = "remedies"
CONTROLS = "remedy_controls"
BENCH_RPROP = "benchmark_rprop"
BENCH_MITCHELL = "benchmark_mitchell"
EXPERIMENTS = (REMEDIES, CONTROLS, BENCH_RPROP, BENCH_MITCHELL)
"""The experiments these sections report (no generic section of their own)."""
TREND_RATIO = 1.25
NO_PLATEAU_SHARE = 0.2
N_BOOT = 4000
OPTIMIZER_TEXT = {
    "gd": "gradient descent",
    "momentum": "momentum",
    "rprop": "RPROP",
    "adam": "Adam",
}
OPTIMIZER_COLOUR = {"gd": "#222222", "momentum": "#1b9e77", "rprop": "#d95f02", "adam": "#7570b3"}


# ---------------------------------------------------------------------------------------------
# Per-run measures and paired comparisons


def solve_times(runs: pd.DataFrame) -> tuple[Any, Any]:
    """Epochs to solve (NaN = never or diverged) and each run's budget."""
    import numpy as np

    t = runs["first_solved"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    t = np.where(runs["diverged"].to_numpy(dtype=bool), np.nan, t)
    return t, runs["epochs"].to_numpy(dtype=float)


@dataclass(frozen=True)
class PairedRatio:
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

    def text(self) -> str:
        if self.n_pairs == 0:
            return f"— (no seed solved in either; {self.n_left_out} pairs)"
        out = f"{self.bound}{_num(self.median)} [{_num(self.lo)}, {_num(self.hi)}]"
        notes = []
        if self.n_censored:
            notes.append(f"{self.n_censored} of {self.n_pairs} pairs at the budget bound")
        if self.n_left_out:
            notes.append(f"{self.n_left_out} unsolved in both, left out")
        return out + (f" ({'; '.join(notes)})" if notes else "")


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def paired_ratio(a: pd.DataFrame, b: pd.DataFrame, seed: int = 0) -> PairedRatio:
    """Epochs to solve of `a` over `b`, seed by seed (the same seed = the same initial network)."""
    import numpy as np

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
        return PairedRatio(math.nan, math.nan, math.nan, 0, 0, left_out)
    r, k = np.array(ratios), np.array(kinds)
    med = float(np.median(r))
    up, down = bool(np.any((k == 1) & (r <= med))), bool(np.any((k == -1) & (r >= med)))
    bound = {(True, False): "≥ ", (False, True): "≤ ", (True, True): "≈ "}.get((up, down), "")
    rng = np.random.default_rng(seed)
    boot = np.median(rng.choice(r, size=(N_BOOT, len(r)), replace=True), axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975]) if len(r) > 2 else (math.nan, math.nan)
    return PairedRatio(med, float(lo), float(hi), len(r), int((k != 0).sum()), left_out, bound)


def plateau_decades(runs: pd.DataFrame) -> Any:
    """Plateau length in decades of epochs (0 where none was found)."""
    import numpy as np

    d = runs["plateau_decades"].to_numpy(dtype=float)
    return np.where(runs["plateau_found"].to_numpy(dtype=bool), d, 0.0)


def verdict(runs: pd.DataFrame, shape: pd.DataFrame, speedup: PairedRatio) -> str:
    """The module docstring's rules, in order; `shape` are the gd runs whose plateau length in
    decades is the reference (`shape_reference`)."""
    import numpy as np

    t, _ = solve_times(runs)
    n = len(runs)
    if np.isfinite(t).sum() < n / 2:
        return f"fails ({int(np.isfinite(t).sum())}/{n} solve)"
    if runs["plateau_found"].mean() <= NO_PLATEAU_SHARE:
        return "removes the plateau"
    mine, theirs = np.median(plateau_decades(runs)), np.median(plateau_decades(shape))
    if speedup.median >= 1:
        faster = f"{speedup.bound}{_num(speedup.median)}× faster"
    else:
        flipped = {"≥ ": "≤ ", "≤ ": "≥ "}.get(speedup.bound, speedup.bound)
        faster = f"{flipped}{_num(1 / speedup.median)}× slower"
    if theirs > 0 and 1 / TREND_RATIO <= mine / theirs <= TREND_RATIO:
        return f"rescales the clock ({faster})"
    return f"{'shortens' if mine < theirs else 'lengthens'} the plateau ({faster})"


# ---------------------------------------------------------------------------------------------
# The remedies table


def _select(runs: pd.DataFrame, **settings: Any) -> pd.DataFrame:
    mask = True
    for k, v in settings.items():
        mask = mask & (runs[k] == v)
    return runs[mask].sort_values("seed")


def _label(row: Any) -> str:
    text = OPTIMIZER_TEXT.get(row.optimizer, row.optimizer)
    if row.optimizer == "momentum":
        text += f" μ = {format_number(float(row.momentum))}"
    text += f", {row.loss.replace('_', '-')}"
    if row.prime_offset:
        text += f", σ′ + {format_number(float(row.prime_offset))}"
    return text


def _effective_alpha(row: Any) -> float:
    """The step of gradient flow one update amounts to: α (gd), α / (1 − μ) (momentum); none
    for rprop and adam (per-weight steps)."""
    if row.optimizer == "gd":
        return float(row.alpha)
    if row.optimizer == "momentum":
        return float(row.alpha) / (1.0 - float(row.momentum))
    return math.nan


def _quartiles(values: Any, budgets: Any) -> str:
    s = censored_summary(values, budgets)

    def f(x: float, c: bool) -> str:
        return ("≥ " if c else "") + _num(x)

    return f"{f(s.median, s.median_censored)} [{f(s.q1, s.q1_censored)}, {f(s.q3, s.q3_censored)}]"


def remedy_rows(runs: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(label, runs) of every configuration among `runs`, gd/mse at the smallest α first."""
    keys = ["optimizer", "loss", "prime_offset", "momentum", "alpha"]
    order = {name: i for i, name in enumerate(OPTIMIZER_TEXT)}
    groups = []
    for config, group in runs.groupby(keys, sort=False):
        row = dict(zip(keys, config, strict=True))
        rank = (
            row["alpha"],
            row["prime_offset"] > 0,
            order.get(row["optimizer"], 9),
            row["loss"] != "mse",
        )
        groups.append((rank, row, group.sort_values("seed")))
    groups.sort(key=lambda g: g[0])
    return [(_label(_Row(**row)), group) for _, row, group in groups]


@dataclass(frozen=True)
class _Row:
    optimizer: str
    loss: str
    prime_offset: float
    momentum: float
    alpha: float


def shape_reference(runs: pd.DataFrame) -> pd.DataFrame:
    """The plain gd (mse, no offset) runs whose plateaus are best observed: the α at which the
    most seeds leave their plateau within the budget (the smallest α on a tie). A plateau never
    left has only a lower bound on its length."""
    plain = _select(runs, optimizer="gd", loss="mse", prime_offset=0.0)
    left = plain.groupby("alpha")["plateau_left"].mean()
    best = left[left == left.max()].index.min()
    return plain[plain["alpha"] == best]


def remedies_table(runs: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration of `runs` (remedies and controls) against gd/mse `base`."""
    import numpy as np
    import pandas as pd

    shape = shape_reference(runs)
    plain = _select(runs, optimizer="gd")
    rows = []
    for label, group in remedy_rows(runs):
        first = group.iloc[0]
        t, budgets = solve_times(group)
        is_base = set(group["run_id"]) == set(base["run_id"])
        speedup = paired_ratio(base, group)
        alpha_eff = _effective_alpha(first)
        flow = t * group["updates_per_epoch"].to_numpy(dtype=float) * alpha_eff
        codes = group["code_all_distinct"].to_numpy(dtype=bool)
        decades = plateau_decades(group)
        rows.append(
            {
                "remedy": label,
                "α": "not used" if first.optimizer == "rprop" else format_number(first.alpha),
                "solved": f"{int(np.isfinite(t).sum())}/{len(group)}",
                "epochs to solve, median [IQR]": _quartiles(t, budgets),
                "speed-up over gd (paired), median [95% CI]": "reference"
                if is_base
                else speedup.text(),
                "epochs to solve over gd at α/(1 − μ) (paired)": _clock_cell(group, plain),
                "α_eff·updates to solve, median": "—"
                if math.isnan(alpha_eff)
                else _quartiles(flow, budgets * alpha_eff).split(" [")[0],
                "plateau found / left": f"{int(group['plateau_found'].sum())} / "
                f"{int(group['plateau_left'].sum())}",
                "plateau (decades), median [IQR]": (
                    f"{np.median(decades):.2f} "
                    f"[{np.quantile(decades, 0.25):.2f}, {np.quantile(decades, 0.75):.2f}]"
                ),
                "8 distinct hidden codes": f"{int(codes.sum())}/{len(group)}",
                "binarity gap, median": f"{group['code_gap'].median():.3f}",
                "verdict": "reference" if is_base else verdict(group, shape, speedup),
            }
        )
    return pd.DataFrame(rows)


def _same_clock(group: pd.DataFrame, plain: pd.DataFrame) -> pd.DataFrame:
    """The gd runs with the same loss and offset at α/(1 − μ) of a momentum configuration
    (empty if none)."""
    first = group.iloc[0]
    if first.optimizer != "momentum":
        return plain.iloc[0:0]
    target = _effective_alpha(first)
    same = (plain["loss"] == first.loss) & (plain["prime_offset"] == first.prime_offset)
    return plain[same & ((plain["alpha"] - target).abs() <= 1e-9 * target)]


def _clock_cell(group: pd.DataFrame, plain: pd.DataFrame) -> str:
    same = _same_clock(group, plain)
    return paired_ratio(group, same).text() if len(same) else "—"


REMEDIES_NOTE = (
    "Every row runs on the same seeds as plain gradient descent (gd, mse, α = 0.01): a seed fixes "
    "the initial network. Epochs to solve: first epoch with every output within 0.4 of its "
    "target (40-20-40), ≥ = censored at the budget. Speed-up: median over seeds of gd's epochs to "
    "solve over this row's, 95% bootstrap interval over seeds; over gd at α/(1 − μ): momentum's "
    "epochs to solve over those of gd with the step momentum amounts to if it only rescaled "
    "the clock (1 = the same clock). A run that never solved enters "
    "at its budget, so the median is a bound (≥: the true value can only be larger). "
    "α_eff·updates: gradient-flow time, α per update for gd, "
    "α/(1 − μ) for momentum; none for RPROP and Adam, whose steps are per weight. Plateau "
    "(decades): log10(end/start) of the plateau (0 when none is found); a change of clock "
    "shifts a plateau without changing its decades; gd's decades are those of the plain gd runs "
    "that leave their plateau in the most seeds (the smallest such α). Hidden codes at the last "
    "snapshot: distinct "
    "binarised codes; binarity gap = mean min(a, 1 − a) (0 = binary). Verdict rules (fixed "
    "before the runs were read): fewer than half solve → fails; a plateau in ≤ 20% of seeds → "
    "removes the plateau; median decades within ×1.25 of gd's → rescales the clock; else "
    "shortens or lengthens it. The cross-entropy rows minimise another loss, so their loss "
    "curves are not comparable with mse's; epochs to solve and codes are."
)


def momentum_clock(runs: pd.DataFrame, table: pd.DataFrame) -> str:
    """The α/(1 − μ) test in words, quoting the table's cells: momentum (μ, α) against gd at
    α/(1 − μ) and at α, seed by seed."""
    import numpy as np

    plain = _select(runs, optimizer="gd")
    mom = _select(runs, optimizer="momentum", loss="mse", prime_offset=0.0)
    if mom.empty or _same_clock(mom, plain).empty:
        return ""
    same = _same_clock(mom, plain)
    ratio = paired_ratio(mom, same)
    consistent = math.isfinite(ratio.lo) and ratio.lo >= 1 / TREND_RATIO and ratio.hi <= TREND_RATIO
    differs = math.isfinite(ratio.lo) and (ratio.lo > 1 or ratio.hi < 1)
    word = (
        "consistent with a rescaled clock (interval within ×1.25 of 1)"
        if consistent
        else "different from it (interval excludes 1)"
        if differs
        else "inconclusive (interval includes 1 but is wider than ×1.25)"
    )
    label = _label(mom.iloc[0])
    row = table[table["remedy"] == label].iloc[0]
    mu = float(mom["momentum"].iloc[0])
    return (
        f"Momentum against gd at α/(1 − μ) = {format_number(float(same['alpha'].iloc[0]))}: "
        f"epochs to solve, momentum over gd, {row['epochs to solve over gd at α/(1 − μ) (paired)']}"
        f" — {word}; its plateau spans {np.median(plateau_decades(mom)):.2f} decades against "
        f"{np.median(plateau_decades(same)):.2f}, and its speed-up over gd at the same α is "
        f"{row['speed-up over gd (paired), median [95% CI]'].split(' (')[0]} (prediction "
        f"1/(1 − μ) = {format_number(round(1 / (1 - mu), 9))})."
    )


def remedies_finding(table: pd.DataFrame) -> str:
    parts = []
    for row in table.itertuples(index=False):
        if row.verdict == "reference":
            continue
        alpha = "α not used" if row[1] == "not used" else f"α = {row[1]}"
        parts.append(f"{row.remedy} ({alpha}): {row.verdict}")
    return "Per remedy, by the rules in the note: " + "; ".join(parts) + "."


def remedies_section(data: Any) -> dict[str, Any]:
    """The report section "What shortens the plateau" (`data` is a report.ReportData)."""
    import pandas as pd

    from backprop_study.reporting import report

    names = [n for n in (REMEDIES, CONTROLS) if n in data.study.experiments]
    runs = pd.concat([data.experiment_runs(n) for n in names]).drop_duplicates("run_id")
    intro = (
        "The seed asked what makes backprop slow on the encoder and tried only λ, α and batch "
        "size. Here the classic remedies run at the base setting (k, λ = 0, α = 0.01, batch 8, "
        "400,000 epochs): momentum, RPROP and Adam, each with the squared error and with "
        "cross-entropy, and Fahlman's sigmoid-prime offset. Each answers two questions: does it "
        "solve sooner, and does it remove the plateau or only run the same plateau on a faster "
        "clock."
    )
    base = _select(runs, optimizer="gd", loss="mse", prime_offset=0.0, alpha=0.01)
    if runs.empty or base.empty:
        return report._section("remedies", "What shortens the plateau", intro, data,
                               finding="No runs of gd at α = 0.01 to compare with.")  # fmt: skip
    table = remedies_table(runs, base)
    finding = " ".join(filter(None, [remedies_finding(table), momentum_clock(runs, table)]))
    section = report._section(
        "remedies", "What shortens the plateau", intro, data, table, REMEDIES_NOTE, finding
    )
    section["figures"] += report._figures_of(data, CONTROLS)
    return section


# ---------------------------------------------------------------------------------------------
# Benchmarks


@dataclass(frozen=True)
class Published:
    """A published result, its source and what of the source was actually read."""

    problem: str
    method: str
    value: str
    source: str
    read: str


RB = "Riedmiller & Braun 1993, ICNN, 'A direct adaptive method for faster backpropagation'"
PUBLISHED = {
    "rb_bp": Published(
        "10-5-10 encoder", "batch backprop, ε = 1.9, μ = 0", "121 ± 30", RB,
        "value as quoted in issue 12; the paper's table itself was not found in the sources "
        "searched",
    ),
    "rb_rprop": Published(
        "10-5-10 encoder", "RPROP (Δ0 = 0.1, η⁺ = 1.2, η⁻ = 0.5, Δmax = 50)", "19 ± 3", RB,
        "value as quoted in issue 12 (table not read); the update rule as described in the SNNS "
        "manual's RPROP page",
    ),
    "rb_supersab": Published("10-5-10 encoder", "SuperSAB", "55 ± 11", RB,
                             "as quoted in issue 12; not implemented here"),
    "rb_quickprop": Published("10-5-10 encoder", "Quickprop", "21 ± 3", RB,
                              "as quoted in issue 12; not implemented here"),
    "mitchell": Published(
        "8-3-8 encoder", "online backprop, η = 0.3, 5,000 epochs",
        "one typical run: the 3 hidden units encode the 8 inputs distinctly, near binary",
        "Mitchell 1997, Machine Learning, §4.6.4, Fig. 4.7",
        "Fig. 4.7 and its caption read (after 5,000 epochs the hidden values encode the eight "
        "inputs; rounded, the standard binary code); η = 0.3 as quoted in issue 12",
    ),
    "fahlman": Published(
        "encoder problems (10-5-10 among them)", "backprop, Quickprop",
        "not reproduced", "Fahlman 1988, CMU-CS-88-162",
        "the report's text was not found in the sources searched (only its abstract, and a C "
        "translation of his Quickprop program for where the sigmoid-prime offset is added)",
    ),
}  # fmt: skip


def _mean_sd(runs: pd.DataFrame) -> str:
    import numpy as np

    t, _ = solve_times(runs)
    solved = t[np.isfinite(t)]
    if len(solved) == 0:
        return "—"
    text = (
        f"{solved.mean():,.0f} ± {solved.std(ddof=1):,.0f}"
        if len(solved) > 1
        else (f"{solved[0]:,.0f}")
    )
    missing = len(t) - len(solved)
    return text + (f" (of {len(solved)} solved; {missing} censored)" if missing else "")


def benchmarks_table(data: Any) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rows = []

    def add(key: str, runs: pd.DataFrame | None, ours: str, conventions: str) -> None:
        p = PUBLISHED[key]
        row = {"problem": p.problem, "method (published)": p.method, "published": p.value}
        if runs is None or runs.empty:
            row |= {"our setting": "not run", "seeds": "", "solved": "", "epochs mean ± SD": "",
                    "epochs median [IQR]": "", "8 distinct codes": "",
                    "binarity gap, median": ""}  # fmt: skip
        else:
            t, budgets = solve_times(runs)
            row |= {
                "our setting": ours,
                "seeds": str(len(runs)),
                "solved": f"{int(np.isfinite(t).sum())}/{len(runs)} in {int(budgets.max()):,}",
                "epochs mean ± SD": _mean_sd(runs),
                "epochs median [IQR]": _quartiles(t, budgets),
                "8 distinct codes": f"{int(runs['code_all_distinct'].sum())}/{len(runs)}"
                if int(runs["classes"].iloc[0]) == 8
                else "",
                "binarity gap, median": f"{runs['code_gap'].median():.3f}",
            }
        row |= {"source": p.source, "what was read": p.read, "conventions that differ": conventions}
        rows.append(row)

    init = "init N(0, 0.1²) (theirs not read)"
    crit = "solved = every output within 0.4 of its target (40-20-40), checked every epoch"
    if BENCH_RPROP in data.study.experiments:
        runs = data.experiment_runs(BENCH_RPROP)
        gd = runs[runs["optimizer"] == "gd"]
        rp = runs[runs["optimizer"] == "rprop"]
        a = format_number(float(gd["alpha"].iloc[0])) if len(gd) else "?"
        add("rb_bp", gd, f"gd, mse, α = {a}, batch 10",
            f"their error is summed over the 10 patterns, ours is the mean, so α = ε·10; {init}; "
            f"{crit}")  # fmt: skip
        add("rb_rprop", rp, "rprop, mse, batch 10 (α not used)",
            f"RPROP is sign-based: summed or mean error give the same steps; {init}; "
            f"{crit}")  # fmt: skip
    for key in ("rb_supersab", "rb_quickprop"):
        add(key, None, "", "")
    if BENCH_MITCHELL in data.study.experiments:
        runs = data.experiment_runs(BENCH_MITCHELL)
        add("mitchell", runs, "gd, mse, α = 0.3, batch 1",
            "ours reshuffles the patterns every epoch (his order not read); "
            f"{init}; he reports one typical run, we count distinct codes over seeds")  # fmt: skip
    add("fahlman", None, "", "")
    return pd.DataFrame(rows)


BENCHMARKS_NOTE = (
    "Mean ± SD over the seeds that solved within the budget (a censored run would only raise the "
    "mean; how many were censored is named); median and IQR count censored runs at the budget "
    "(≥). Our settings are those of the config, chosen from the sources' stated conventions and "
    "never adjusted towards their numbers. '8 distinct codes': seeds whose 8 hidden codes, "
    "binarised at 0.5 at the last snapshot, are all different."
)


def benchmarks_section(data: Any) -> dict[str, Any]:
    """The report section "Classic encoder benchmarks"."""
    from backprop_study.reporting import report

    intro = (
        "Published encoder results beside ours, with 20 seeds per cell: Riedmiller & Braun's "
        "10-5-10 encoder (batch backprop and RPROP, epochs to the 40-20-40 criterion), "
        "Mitchell's 8-3-8 example (online backprop, hidden codes after 5,000 epochs) and "
        "Fahlman's encoder study. Each row says what of the source could be read and every "
        "convention in which our run differs."
    )
    section = report._section(
        "benchmarks", "Classic encoder benchmarks", intro, data, benchmarks_table(data),
        BENCHMARKS_NOTE, benchmarks_finding(data),
    )  # fmt: skip
    for name in (BENCH_RPROP, BENCH_MITCHELL):
        section["figures"] += report._figures_of(data, name)
    return section


def benchmarks_finding(data: Any) -> str:
    parts = []
    if BENCH_RPROP in data.study.experiments:
        runs = data.experiment_runs(BENCH_RPROP)
        for opt, key in (("gd", "rb_bp"), ("rprop", "rb_rprop")):
            mine = runs[runs["optimizer"] == opt]
            if len(mine):
                parts.append(
                    f"{OPTIMIZER_TEXT[opt]} on 10-5-10: {_mean_sd(mine)} epochs against the "
                    f"published {PUBLISHED[key].value}"
                )
    if BENCH_MITCHELL in data.study.experiments:
        runs = data.experiment_runs(BENCH_MITCHELL)
        if len(runs):
            parts.append(
                f"online backprop on 8-3-8 after {int(runs['epochs'].max()):,} epochs: "
                f"{int(runs['code_all_distinct'].sum())} of {len(runs)} seeds end with 8 "
                f"distinct hidden codes (median binarity gap {runs['code_gap'].median():.3f})"
            )
    if not parts:
        return ""
    return "; ".join(parts) + ". Differences in convention are listed per row; none was tuned."


# ---------------------------------------------------------------------------------------------
# Figures


def draw_correct_curves(data: FigureData) -> Figure:
    """Patterns decoded correctly against epochs, one line per configuration (loss-neutral)."""
    q = data.quantiles
    axes = data.experiment.varying_axes()
    fig, grid = new_figure(width=8.2, height=4.8)
    ax = grid[0][0]
    configs = list(q.groupby(axes, sort=False)) if axes else [((), q)]
    losses = sorted({str(v) for v in q["loss"]}) if "loss" in q else ["mse"]
    for i, (config, group) in enumerate(configs):
        config = config if isinstance(config, tuple) else (config,)
        values = dict(zip(axes, config, strict=True))
        first = group.iloc[0]
        group = group[group["epoch"] > 0].sort_values("epoch")
        colour = OPTIMIZER_COLOUR.get(str(first.get("optimizer", "gd")), POINT_COLOUR)
        if "optimizer" not in axes:
            colour = [MEDIAN_COLOUR, "#1b9e77", "#d95f02", "#7570b3"][i % 4]
        style = LINESTYLES[losses.index(str(first["loss"])) % len(LINESTYLES)]
        if "loss" not in axes:
            style = LINESTYLES[i % len(LINESTYLES)]
        label = vocabulary.label(values, axes)
        ax.plot(group["epoch"], group["correct_median"], color=colour, ls=style, label=label)
    ax.set_xscale("log")
    ax.set_xlabel(EPOCH_LABEL)
    ax.set_ylabel("patterns decoded correctly (median over seeds)")
    ax.set_ylim(-0.2, int(q["correct_median"].max()) + 0.5)
    ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"Patterns right against epochs\n{settings_note(data.experiment, axes)}")
    return fig


def draw_remedy_outcomes(data: FigureData) -> Figure:
    """Each seed's epochs to solve and plateau decades, one column per configuration."""
    import numpy as np

    runs = data.runs
    groups = remedy_rows(runs)
    fig, grid = new_figure(width=12.5, height=4.8, ncols=2)
    ax_s, ax_p = grid[0]
    budget = float(runs["epochs"].max())
    for i, (_, group) in enumerate(groups):
        t, budgets = solve_times(group)
        shown = np.where(np.isfinite(t), t, budgets)
        decades = plateau_decades(group)
        jitter = np.linspace(-0.25, 0.25, len(group)) if len(group) > 1 else np.zeros(1)
        colour = OPTIMIZER_COLOUR.get(str(group["optimizer"].iloc[0]), POINT_COLOUR)
        for x, y, c in zip(i + jitter, shown, ~np.isfinite(t), strict=True):
            ax_s.plot(x, y, "o", ms=5.5, mec=colour, mfc="white" if c else colour, mew=1.2)
        ax_p.plot(i + jitter, decades, "o", ms=5.5, color=colour, alpha=0.85)
        ax_s.plot([i - 0.35, i + 0.35], [np.median(shown)] * 2, color=MEDIAN_COLOUR, lw=2)
        ax_p.plot([i - 0.35, i + 0.35], [np.median(decades)] * 2, color=MEDIAN_COLOUR, lw=2)
    labels = [label.replace(", ", "\n", 1) for label, _ in groups]
    for ax in (ax_s, ax_p):
        ax.set_xticks(range(len(groups)), labels, fontsize=7.5, rotation=30, ha="right")
        ax.set_xlabel("remedy (optimizer, loss)")
        ax.grid(False, axis="x")
    ax_s.set_yscale("log")
    ax_s.axhline(budget, color="0.4", ls=":", lw=1.2)
    ax_s.set_ylabel("epochs to solve (40-20-40)")
    ax_s.set_title("Epochs to solve (hollow = never solved, drawn at the budget: dotted)")
    ax_p.set_ylabel("plateau length (decades of epochs; 0 = none)")
    ax_p.set_title("Plateau length in decades (a change of clock leaves it unchanged)")
    note = settings_note(data.experiment, data.experiment.varying_axes())
    fig.suptitle(f"Remedies seed by seed (bar = median)\n{note}")
    return fig


def draw_benchmark_epochs(data: FigureData) -> Figure:
    """Epochs to the 40-20-40 criterion per seed for each optimizer, beside the published mean ±
    SD."""
    import numpy as np

    runs = data.runs
    fig, grid = new_figure(width=8.6, height=4.6)
    ax = grid[0][0]
    published = {"gd": (121, 30), "rprop": (19, 3)}
    opts = [o for o in ("gd", "rprop") if (runs["optimizer"] == o).any()]
    for i, opt in enumerate(opts):
        group = runs[runs["optimizer"] == opt]
        t, budgets = solve_times(group)
        shown = np.where(np.isfinite(t), t, budgets)
        jitter = np.linspace(-0.2, 0.2, len(group)) if len(group) > 1 else np.zeros(1)
        colour = OPTIMIZER_COLOUR[opt]
        for x, y, c in zip(i + jitter, shown, ~np.isfinite(t), strict=True):
            ax.plot(x, y, "o", ms=5, mec=colour, mfc="white" if c else colour, mew=1.1)
        mean, sd = published[opt]
        ax.errorbar(i + 0.38, mean, yerr=sd, fmt="D", color="0.3", capsize=4, ms=6)
    ax.set_xticks(range(len(opts)), [OPTIMIZER_TEXT[o] for o in opts])
    ax.set_xlabel("optimizer")
    ax.set_yscale("log")
    ax.set_ylabel("epochs to the 40-20-40 criterion")
    ax.set_title("Ours (circles, one per seed; hollow = censored) and published (◆ mean ± SD)")
    note = settings_note(data.experiment, data.experiment.varying_axes() + ["epochs"])
    fig.suptitle(f"10-5-10 encoder, Riedmiller & Braun 1993\n{note}")
    return fig


def draw_benchmark_codes(data: FigureData) -> Figure:
    """Distinct hidden codes and binarity per seed after online training."""
    import numpy as np

    runs = data.runs.sort_values("seed")
    fig, grid = new_figure(width=8.0, height=4.2, ncols=2)
    ax_d, ax_g = grid[0]
    seeds = runs["seed"].to_numpy()
    distinct = runs["code_distinct"].to_numpy()
    ax_d.bar(np.arange(len(seeds)), distinct, color=POINT_COLOUR)
    ax_d.axhline(int(runs["classes"].iloc[0]), color="0.4", ls=":", lw=1.2)
    ax_d.set_xticks(np.arange(len(seeds)), [str(s) for s in seeds], fontsize=7)
    ax_d.set_xlabel("seed")
    ax_d.set_ylabel("distinct binarised hidden codes")
    ax_d.set_title("Distinct codes (dotted = one per class)")
    ax_g.bar(np.arange(len(seeds)), runs["code_gap"].to_numpy(), color=POINT_COLOUR)
    ax_g.set_xticks(np.arange(len(seeds)), [str(s) for s in seeds], fontsize=7)
    ax_g.set_xlabel("seed")
    ax_g.set_ylabel("binarity gap, mean min(a, 1 − a)")
    ax_g.set_title("How binary the codes are (0 = binary)")
    note = settings_note(data.experiment, [])
    fig.suptitle(f"Hidden codes at the end, Mitchell's setting\n{note}")
    return fig


FIGURES: Sequence[FigureSpec] = [
    FigureSpec(
        "remedies_correct", REMEDIES, "Patterns right against epochs for each remedy",
        "Patterns decoded correctly (median over seeds) against epochs for each optimizer "
        "(colour) and loss (line style) at the base setting: a measure both losses share.",
        draw_correct_curves, section="remedies",
    ),
    FigureSpec(
        "remedies_outcomes", REMEDIES, "Epochs to solve and plateau length, seed by seed",
        "Left: each seed's epochs to solve (hollow = never, drawn at the budget). Right: the "
        "plateau's length in decades, log10(end/start), 0 where none was found. Bars: medians.",
        draw_remedy_outcomes, section="remedies",
    ),
    FigureSpec(
        "remedy_controls_correct", CONTROLS, "The sigmoid-prime offset and the clock references",
        "Patterns decoded correctly (median over seeds) for gd with and without the "
        "sigmoid-prime offset 0.1, at α = 0.01 and 0.1.",
        draw_correct_curves, section="remedies",
    ),
    FigureSpec(
        "benchmark_rprop_epochs", BENCH_RPROP, "10-5-10 encoder: our epochs beside the published",
        "Epochs to the 40-20-40 criterion for each seed (hollow = not within the budget, drawn "
        "at it) and Riedmiller & Braun's published mean ± SD.",
        draw_benchmark_epochs, section="benchmarks",
    ),
    FigureSpec(
        "benchmark_mitchell_codes", BENCH_MITCHELL, "8-3-8 online backprop: hidden codes per seed",
        "For each seed after Mitchell's 5,000 online epochs: how many of the 8 binarised hidden "
        "codes differ, and how far the activations are from 0 or 1.",
        draw_benchmark_codes, section="benchmarks",
    ),
]  # fmt: skip
