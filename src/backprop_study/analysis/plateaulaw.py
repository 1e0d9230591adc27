"""The plateau law tested on one setting: predicted against measured slope, μ and λ_c.

Per setting (`flowrun.Setting` at λ = 0) and seed:
* `escape_rows`: one run per init scale s, to `FRACTIONS`' lowest level; per run the escape
  time at each threshold, μ from the unstable mode's growth at each band width, and μ of the
  closed form at the point visited (median over the plateau band).
* `critical_rows`: λ_c by bisection (`bisection.bisect`) from s = `LAMBDA_INIT_STD`, against
  `theory.critical_lambda(..., alpha=α)` (a large step lands elsewhere on the flat set), and
  every run the bisection made (the escape time's divergence as λ nears λ_c).
`law_table` sets the measurements beside the predictions of `theory` (no constant fitted),
each for descent with the runs' step α (`theory.landing(..., alpha=α)`): the slope 1/μ* per
threshold with its seed-resampled interval; μ of the closed form at the point visited against
μ* at the landing; μ from the unstable mode's growth against the closed form at the point the
same seed visited; λ_c against its prediction; ratios per seed as geometric means with
bootstrap intervals. And λ_c against μ of the closed form at the point the collapsed runs end
at (predicted ratio 1).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from backprop_study.analysis import bisection, escapetime, flowrun, growth, theory
from backprop_study.analysis.stats import one_sample_ratio

SCALES = (0.001, 0.003, 0.01, 0.03)
LAMBDA_INIT_STD = 0.01
POINTS_PER_RATE = 100  # logged points per 1/μ(0) of flow time (μ(0) bounds every μ of the set)
BISECT_POINTS_PER_RATE = 5  # enough for the verdict's trend; logging dominates the cost otherwise


def log_every(setting: flowrun.Setting, per: float = POINTS_PER_RATE) -> int:
    """Steps between logged points: `per` points per 1/μ(0) of flow time, so the escape time's
    interpolation error and the growth fit's spacing are the same share of the plateau in every
    setting."""
    top = theory.mu(0.0, setting.classes, setting.loss, setting.offset)
    return max(1, int(1.0 / (per * top * setting.alpha)))


def escape_rows(setting: flowrun.Setting, seeds: list[int], t_max: float) -> pd.DataFrame:
    """Long table: seed, init_std, fraction, t_escape, plus per run the growth rates and the
    visited μ (repeated on each fraction's row)."""
    lowest = min(escapetime.FRACTIONS) * setting.plateau
    every = log_every(setting)
    rows = []
    for seed in seeds:
        for s in SCALES:
            start = flowrun.initial_network(setting, s, seed)
            trace = flowrun.run(setting, start, t_max, every, lowest, visited=True)
            t, loss = trace.column("t"), trace.column("data_loss")
            rates = {
                f"mu_growth_{band:g}": growth.growth_rate(
                    t, trace.column("amplitude"), loss, setting.plateau, band
                )
                + setting.lam
                for band in growth.BANDS
            }
            inside = np.abs(loss / setting.plateau - 1) < growth.BAND
            visited = (
                float(np.median(trace.column("visited_mu")[inside])) if inside.any() else math.nan
            )
            times = escapetime.escape_times(t, loss, setting.plateau)
            for f, te in times.items():
                rows.append(
                    {"seed": seed, "init_std": s, "fraction": f, "t_escape": te,
                     "mu_visited": visited} | rates
                )  # fmt: skip
    return pd.DataFrame(rows)


def collapse_verdict(
    setting: flowrun.Setting,
    seed: int,
    init_std: float,
    done: dict[float, flowrun.Trace] | None = None,
):
    """`evaluate(lam, budget)` for `bisection.bisect`: the run at λ trained to `budget` flow
    time, continuing the run it already has at that λ when the budget grows; the runs are
    kept in `done` (λ -> trace)."""
    done = {} if done is None else done
    every = log_every(setting, BISECT_POINTS_PER_RATE)

    def evaluate(lam: float, budget: float) -> str:
        at = replace(setting, lam=lam)
        stop = bisection.ESCAPED_FRACTION * at.plateau
        before = done.get(lam)
        if before is None:
            start = flowrun.initial_network(at, init_std, seed)
            trace = flowrun.run(at, start, budget, every, stop)
        elif before.escaped or before.column("t")[-1] >= budget - 0.5 * at.alpha:
            trace = before  # asked again at this λ: the run already went as far (bisect's probes)
        else:
            t0 = float(before.column("t")[-1])
            more = flowrun.run(at, before.final, budget - t0, every, stop, t0=t0)
            trace = flowrun.Trace(np.vstack([before.rows, more.rows[1:]]), more.final, more.escaped)
        done[lam] = trace
        return bisection.judge(
            trace.column("t"),
            trace.column("data_loss"),
            trace.column("centred_norm"),
            trace.column("common_out"),
            at.plateau,
        )

    return evaluate


def critical_rows(
    setting: flowrun.Setting, seeds: list[int], budget: float, max_budget: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per seed: the bisection's bracket around λ_c, from [μ(0)/16, 1.25 μ(0)] (μ(0) bounds
    every μ of the critical set; λ_c falls well below it where the landing point's ζ moves far,
    to μ(0)/5.6 predicted for 32-5-32 cross-entropy), and `mu_endpoint`, the closed form's μ at
    the point where the run at the bracket's collapsed end stopped: the stability threshold of
    the point visited.
    Second table, one row per run the bisection made (seed, λ, verdict, flow time reached and
    escape time at `bisection.ESCAPED_FRACTION`): escape time against λ as λ nears λ_c."""
    top = theory.mu(0.0, setting.classes, setting.loss, setting.offset)
    rows, probes = [], []
    for seed in seeds:
        done: dict[float, flowrun.Trace] = {}
        evaluate = collapse_verdict(setting, seed, LAMBDA_INIT_STD, done)
        b = bisection.bisect(evaluate, top / 16, 1.25 * top, budget, max_budget)
        end = done.get(b.lam_collapsed)
        mu_end = growth.visited_mu(end.final, setting.loss, setting.offset) if end else math.nan
        rows.append(
            {"seed": seed, "lam_escaped": b.lam_escaped, "lam_collapsed": b.lam_collapsed,
             "lam_c": b.lam_c, "rel_width": b.rel_width, "decided": b.decided,
             "evaluations": b.evaluations, "largest_budget": b.largest_budget,
             "mu_endpoint": mu_end}
        )  # fmt: skip
        for lam, trace in sorted(done.items()):
            t, loss = trace.column("t"), trace.column("data_loss")
            level = bisection.ESCAPED_FRACTION * setting.plateau
            verdict = bisection.judge(
                t, loss, trace.column("centred_norm"), trace.column("common_out"),
                setting.plateau,
            )  # fmt: skip
            probes.append(
                {"seed": seed, "lam": lam, "verdict": verdict, "t_reached": float(t[-1]),
                 "t_escape": escapetime.escape_time(t, loss, level)}
            )  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(probes)


def law_table(
    setting: flowrun.Setting,
    escapes: pd.DataFrame,
    critical: pd.DataFrame | None,
    critical_alpha: float | None = None,
) -> pd.DataFrame:
    """Predicted against measured, one row per quantity (and per threshold for the slope);
    `critical_alpha`: the step of the bisection's runs (default the setting's)."""
    land = theory.landing(
        setting.classes, setting.hidden, setting.loss, 0.0, setting.offset, alpha=setting.alpha
    )
    name = setting.name
    rows = []
    for fit in escapetime.slopes(escapes).itertuples():
        predicted = 1.0 / land.mu
        rows.append(
            {"setting": name, "quantity": f"slope f={fit.fraction:g}", "predicted": predicted,
             "measured": fit.slope, "ratio": fit.slope / predicted,
             "low": fit.low / predicted, "high": fit.high / predicted, "n": fit.n_seeds}
        )  # fmt: skip
    runs = escapes.drop_duplicates(["seed", "init_std"])
    per_seed = runs.groupby("seed").median(numeric_only=True)
    visited = per_seed["mu_visited"].to_numpy()
    e = one_sample_ratio(visited / land.mu)
    rows.append(
        {"setting": name, "quantity": "mu_visited", "predicted": land.mu,
         "measured": float(np.median(visited)), "ratio": e.estimate, "low": e.low,
         "high": e.high, "n": e.n}
    )  # fmt: skip
    for col in [c for c in runs if c.startswith("mu_growth_")]:
        e = one_sample_ratio(per_seed[col].to_numpy() / visited)
        rows.append(
            {"setting": name, "quantity": col, "predicted": float(np.median(visited)),
             "measured": float(per_seed[col].median()), "ratio": e.estimate, "low": e.low,
             "high": e.high, "n": e.n}
        )  # fmt: skip
    if critical is not None and len(critical):
        lam_c = theory.critical_lambda(
            setting.classes, setting.hidden, setting.loss, setting.offset, 1e-3,
            critical_alpha or setting.alpha,
        )  # fmt: skip
        ok = critical[critical["decided"]]
        e = one_sample_ratio(ok["lam_c"].to_numpy() / lam_c)
        rows.append(
            {"setting": name, "quantity": "lambda_c", "predicted": lam_c,
             "measured": float(ok["lam_c"].median()) if len(ok) else math.nan,
             "ratio": e.estimate, "low": e.low, "high": e.high, "n": e.n}
        )  # fmt: skip
        if "mu_endpoint" in ok:
            e = one_sample_ratio((ok["lam_c"] / ok["mu_endpoint"]).to_numpy())
            rows.append(
                {"setting": name, "quantity": "lambda_c / mu at the endpoint",
                 "predicted": 1.0, "measured": e.estimate, "ratio": e.estimate, "low": e.low,
                 "high": e.high, "n": e.n}
            )  # fmt: skip
    return pd.DataFrame(rows)
