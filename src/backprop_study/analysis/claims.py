"""The seed report's claims, each one `ClaimSpec`: id, statement, the seed's wording,
experiment, rule, tester and its measures.

Each claim has ONE primary measure, the one its wording states, written in its spec before any
data is seen; the tester compares whatever measure the spec names, so no data can choose it.
Beside it, per setting, come `explanation` rows (the same comparison in another clock, e.g.
gradient-flow time t = α·updates, which shows whether an effect in epochs is the clock) and
`secondary` rows (other measures of the same statement). Every verdict carries its clock:
`verdict_text` reads "supported in epochs", "no effect in flow time"; `reading` joins the
primary's and the explanations' for the setting ("supported in epochs; no effect in flow time").

`evaluate_claims(runs, experiments, final_weights=None)` returns one row per claim, setting and
measure (never pooled across settings): `claim`, `statement`, `wording`, `setting`, `role`,
`verdict`, `verdict_text`, `reading`, the effect (`estimate`, `low`, `high` of its 95%
bootstrap interval, `bound`, `effect` as text), `p` and `test`, `n`, `measure`, `measure_key`,
`clock`, its resolution (`ci_halfwidth`, `resolves_margin`, `seeds`, `seeds_needed`,
`resolution`: could the seeds at hand detect an effect of the margin's size, and how many would
decide an inconclusive verdict), `evidence`, `instead` (what the runs show where the seed's
explanation is not what happens), `experiment` and `rule`.

`experiments` maps an experiment name to its axes {"encoding", "lam", "alpha", "batch_size",
..., "seeds": [...]}; an experiment's runs are the rows of `runs` whose values are all on its
axes. `final_weights` is the long-form weights table of every run's last snapshot with a
`run_id` column (needed by `different_solutions`).

Verdicts (`stats`): supported, contradicted, no effect (the 95% interval inside the ±10%
equivalence margin), inconclusive ("undecided at n seeds" in `verdict_text` when the interval
is too wide to have detected an effect of the margin's size), collapsed (the setting ends at the
trivial network, so the claim does not apply), insufficient data. `tie_stability` re-evaluates
the claims with the tie tolerance at 0, 1 and 2 times each measure's resolution and names any
verdict that moves; `claims_with_stability` gives both, evaluating each tie scale once, and, for
a study with more than `robustness.SUBSET_SEEDS` seeds, the share of seed subsets that give
each verdict (`seed_robustness`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis import robustness, stats, testers, weight_claims
from backprop_study.analysis.axes import config_columns
from backprop_study.analysis.stats import INSUFFICIENT, MARGIN
from backprop_study.analysis.testers import (
    DIFFERENT_DISTANCE,
    SAME_DISTANCE,
    ClaimData,
    Row,
    clock_of,
    verdict_text,
)

PRIMARY, EXPLANATION, SECONDARY = "primary", "explanation", "secondary"
ROLES = (PRIMARY, EXPLANATION, SECONDARY)

TIE_SCALES = (0.0, 1.0, 2.0)
_RATIO = (
    f"ratio = geometric mean, 95% percentile bootstrap CI; 'no effect' when the CI lies in "
    f"[{1 / (1 + MARGIN):.3g}, {1 + MARGIN:g}]; supported/contradicted when it excludes 1 and "
    f"p < {stats.SIGNIFICANCE:g}; differences below the measure's resolution are ties"
)


@dataclass(frozen=True)
class ClaimSpec:
    """One claim of the seed report and how it is tested."""

    id: str
    statement: str
    experiment: str
    rule: str
    tester: Callable[[ClaimData, str], list[Row]]
    primary: str  # the measure the seed's wording states (a MEASURES or OWN_MEASURES key)
    explanation: tuple[str, ...] = ()  # the primary re-read in another clock
    secondary: tuple[str, ...] = ()  # other measures of the same statement
    wording: str = ""  # the seed's own words
    needs_weights: bool = False
    # False where the tester never reads ClaimData.tie_scale: its rows are the same at every
    # tie scale, so the stability check evaluates it once.
    uses_tie_scale: bool = True

    def checks(self) -> list[tuple[str, str]]:
        """(role, measure key) in the order the rows of a setting are shown."""
        return [
            (PRIMARY, self.primary),
            *((EXPLANATION, k) for k in self.explanation),
            *((SECONDARY, k) for k in self.secondary),
        ]


_CLOCK = (
    "in gradient-flow time t = α·updates, where a ratio of 1 is exact rescaling (the same path "
    "on a faster clock); both arms censored at their common horizon in t"
)

CLAIMS: tuple[ClaimSpec, ...] = (
    ClaimSpec(
        "lambda_drop",
        "The smaller λ, the faster the loss drops off (§6, Figs 4-5).",
        "weight_decay",
        "adjacent λ, runs paired by seed (one initial network); epochs to half the initial "
        f"objective; Wilcoxon signed-rank; {_RATIO}",
        testers.lambda_drop,
        "drop",
        wording="the smaller the λ the faster the model loss drops off",
    ),
    ClaimSpec(
        "lambda_plateau",
        "A smaller λ helps the loss overcome the plateau sooner (§6, Fig 4).",
        "weight_decay",
        "adjacent λ, paired by seed; epoch the plateau is left (never left: censored at the "
        f"budget); {_RATIO}",
        testers.lambda_plateau,
        "plateau_exit",
        wording="a smaller λ also helps the loss function to overcome the plateau faster",
    ),
    ClaimSpec(
        "lambda_slows",
        "Weight decay works against the model: λ > 0 slows convergence (§6).",
        "weight_decay",
        f"λ = 0 against each λ > 0, paired by seed; epochs to solve (censored); {_RATIO}",
        testers.lambda_slows,
        "solve",
        wording="the implemented L2 regularization actually works against the model and "
        "prevents quick convergence",
    ),
    ClaimSpec(
        "k_minus_1",
        "The k-1 encoding passes the plateau far sooner than k and ends at a lower loss, "
        "perhaps because it has 52 instead of 59 parameters (§7, Fig 7).",
        "encoding",
        "k-1 against k, unpaired (different networks); primary: epoch the plateau is left "
        "(log-rank test); secondary: epochs to solve, to all patterns correct (nearest-target "
        "decoding, and rounding decoding alike for both), final data loss per output unit "
        f"(Mann–Whitney U); ratio of geometric means, 95% bootstrap CI, margin ±{MARGIN:.0%}",
        testers.k_minus_1,
        "plateau_exit",
        secondary=("solve", "all_correct", "rounded_correct", "loss_per_output"),
        wording="The k-1 model has passed the plateau far faster than the k counterpart. K-1 "
        "even converged to a lower overall loss",
    ),
    ClaimSpec(
        "alpha_plateau",
        "A larger α shortens the plateau: large steps jump out of the sub-optimal local "
        "minimum (§8-9).",
        "learning_rate",
        "each α against the smallest, paired by seed; primary: plateau length in epochs; "
        f"explanation: the same {_CLOCK}; secondary: time to solve in t (where the rescaling "
        f"stops); {_RATIO}",
        testers.alpha_plateau,
        "plateau",
        explanation=("plateau_t",),
        secondary=("solve_t",),
        wording="increasing the learning rate to sufficiently high values reduces or completely "
        "eliminates the existence of the plateau",
    ),
    ClaimSpec(
        "alpha_succeeds",
        "Learning rates as high as α = 5 still find a solution (§9).",
        "learning_rate",
        "share of seeds that solve within the budget at α = 5, exact 95% interval; supported "
        "when it lies above 1/2, contradicted when below",
        testers.alpha_succeeds,
        "solved_share",
        wording="Learning rates as high as α = 5 have been successful at finding an optimal "
        "local minima in our tests",
        uses_tie_scale=False,
    ),
    ClaimSpec(
        "batch_one",
        "Batch size 1 converges in far fewer epochs than the full batch: each single pattern "
        "pulls harder on the weights (§10).",
        "batch_size",
        "each batch size against the full batch, paired by seed; primary: time to solve in "
        f"epochs; explanation: the same {_CLOCK}; secondary: the time the plateau is left in t "
        f"(where the rescaling holds); {_RATIO}",
        testers.batch_one,
        "solve",
        explanation=("solve_t",),
        secondary=("plateau_exit_t",),
        wording="Changing the batch size to just a single value has drastic effects on the "
        "convergence",
    ),
    ClaimSpec(
        "bias_dominates",
        "During the plateau the bias weights are much larger than the other weights (§8, Fig 8).",
        "weight_decay",
        "per λ, runs with a weight snapshot inside their plateau; mean |bias| / mean |weight| "
        f"against 1, Wilcoxon signed-rank on the log ratio; {_RATIO}",
        weight_claims.bias_dominates,
        "bias_ratio",
        wording="bias weights have a significant impact on the outcome of the problem due to "
        "having much higher values",
        uses_tie_scale=False,
    ),
    ClaimSpec(
        "different_solutions",
        "Different random initialisations end at completely different weights (§11, Figs 11-13).",
        "weights",
        "per λ, every pair of seeds; aligned relative distance of the final weights (hidden "
        "units permuted and flipped to match best); median over pairs, 95% bootstrap CI over "
        f"seeds; supported when the CI lies above {DIFFERENT_DISTANCE:g}, contradicted (one "
        f"solution) when below {SAME_DISTANCE:g}",
        weight_claims.different_solutions,
        "distance",
        wording="the weights from different training sessions of the same network, in which "
        "the weights were randomly initialized, produced completely different sets of weights",
        needs_weights=True,
        uses_tie_scale=False,
    ),
)

COLUMNS = [
    "claim", "statement", "wording", "setting", "role", "verdict", "verdict_text", "reading",
    "estimate", "low", "high", "bound", "effect", "p", "test", "n", "measure", "measure_key",
    "clock", "ci_halfwidth", "resolves_margin", "seeds", "seeds_needed", "resolution",
    "evidence", "instead", "experiment", "rule",
]  # fmt: skip
UNPAIRED_TESTS = ("log-rank", "Mann–Whitney U")
RATIO_TESTS = ("Wilcoxon signed-rank", *UNPAIRED_TESTS)


def select(runs: pd.DataFrame, axes: dict) -> pd.DataFrame:
    """Rows of `runs` on every axis of an experiment (missing axes are not filtered)."""
    mask = np.ones(len(runs), dtype=bool)
    for key, col in {**{c: c for c in config_columns(runs.columns)}, "seeds": "seed"}.items():
        if key in axes and axes[key] is not None:
            mask &= testers.matches(runs[col], axes[key])
    return runs[mask]


def _row(spec: ClaimSpec, role: str, key: str, r: Row) -> dict:
    e = r.effect
    clock = r.clock or clock_of(key)
    arms = 2 if e.test in UNPAIRED_TESTS else 1
    seeds = e.n // arms
    decided = r.verdict != stats.INCONCLUSIVE
    res = (
        stats.resolution(e, seeds, decided, min_seeds=stats.SIGNED_RANK_MIN_N * (arms == 1))
        if e.test in RATIO_TESTS
        else stats.Resolution(math.nan, False, seeds, math.nan)
    )
    return {
        "claim": spec.id,
        "statement": spec.statement,
        "wording": spec.wording,
        "setting": r.setting,
        "role": role,
        "verdict": r.verdict,
        "verdict_text": verdict_text(r.verdict, clock, res),
        "reading": "",
        "estimate": e.estimate,
        "low": e.low,
        "high": e.high,
        "bound": e.bound,
        "effect": e.text(),
        "p": e.p,
        "test": e.test,
        "n": e.n,
        "measure": r.measure,
        "measure_key": r.key or key,
        "clock": clock,
        "ci_halfwidth": res.halfwidth,
        "resolves_margin": res.resolves,
        "seeds": seeds,
        "seeds_needed": res.seeds_needed,
        "resolution": res.text(),
        "evidence": r.evidence,
        "instead": r.instead,
        "experiment": spec.experiment,
        "rule": spec.rule,
    }


def _claim_rows(
    spec: ClaimSpec,
    runs: pd.DataFrame,
    experiments: dict,
    final_weights: pd.DataFrame | None,
    tie_scale: float,
) -> list[dict]:
    """The rows of one claim: per setting, the primary measure's row, then its explanations and
    secondary measures (each measure named by the spec)."""
    if spec.experiment not in experiments:
        missing = Row("—", INSUFFICIENT, stats.NO_DATA, "", "experiment not in the study")
        return [_row(spec, PRIMARY, spec.primary, missing)]
    df = select(runs, experiments[spec.experiment])
    data = ClaimData(df, final_weights if spec.needs_weights else None, tie_scale)
    found: dict[str, list[tuple[int, str, Row]]] = {}
    for rank, (role, key) in enumerate(spec.checks()):
        for r in spec.tester(data, key) if len(df) else []:
            found.setdefault(r.setting, []).append((rank, role, r))
    if not found:
        none = Row("—", INSUFFICIENT, stats.NO_DATA, "", "no runs to compare")
        return [_row(spec, PRIMARY, spec.primary, none)]
    rows = []
    for setting_rows in found.values():
        setting_rows.sort(key=lambda item: item[0])
        keys = [k for _, k in spec.checks()]
        out = [_row(spec, role, keys[rank], r) for rank, role, r in setting_rows]
        reading = "; ".join(o["verdict_text"] for o in out if o["role"] != SECONDARY)
        reach = testers.clock_reach(out)
        for o in out:
            o["reading"] = reading
            if o["role"] == PRIMARY and reach:
                o["instead"] = "; ".join(t for t in (o["instead"], reach) if t)
        rows += out
    return rows


def evaluate_claims(
    runs: pd.DataFrame,
    experiments: dict,
    final_weights: pd.DataFrame | None = None,
    tie_scale: float = 1.0,
    claims: Sequence[ClaimSpec] = CLAIMS,
) -> pd.DataFrame:
    """One row per claim and setting (module docstring)."""
    rows = []
    for spec in claims:
        rows += _claim_rows(spec, runs, experiments, final_weights, tie_scale)
    return pd.DataFrame(rows, columns=COLUMNS)


def _tables_by_scale(
    runs: pd.DataFrame,
    experiments: dict,
    final_weights: pd.DataFrame | None,
    scales: Sequence[float],
    claims: Sequence[ClaimSpec],
) -> list[pd.DataFrame]:
    """`evaluate_claims` at each of `scales`; a claim that ignores the tie scale is evaluated
    once and its rows reused (its tester is the slow one: seed-pair distances, bootstrap)."""
    fixed = {
        spec.id: _claim_rows(spec, runs, experiments, final_weights, 1.0)
        for spec in claims
        if not spec.uses_tie_scale
    }
    tables = []
    for scale in scales:
        rows = []
        for spec in claims:
            if spec.uses_tie_scale:
                rows += _claim_rows(spec, runs, experiments, final_weights, scale)
            else:
                rows += fixed[spec.id]
        tables.append(pd.DataFrame(rows, columns=COLUMNS))
    return tables


def tie_stability(
    runs: pd.DataFrame,
    experiments: dict,
    final_weights: pd.DataFrame | None = None,
    scales: Sequence[float] = TIE_SCALES,
    claims: Sequence[ClaimSpec] = CLAIMS,
) -> pd.Series:
    """Per claim row: '' when the verdict is the same at every tie scale, else the verdicts by
    scale (`0×: supported, 1×: no effect, ...`)."""
    tables = _tables_by_scale(runs, experiments, final_weights, scales, claims)
    return _stability(tables, scales)


def claims_with_stability(
    runs: pd.DataFrame,
    experiments: dict,
    final_weights: pd.DataFrame | None = None,
    scales: Sequence[float] = TIE_SCALES,
    claims: Sequence[ClaimSpec] = CLAIMS,
) -> pd.DataFrame:
    """`evaluate_claims` (tie scale 1) with the `tie_stability` column, each scale evaluated
    once (the scale-1 table is the stability check's own, not evaluated a second time), and
    the `seed_robustness` and `subset_verdicts` columns (`robustness`; NaN and '' for a study
    with no more than `robustness.SUBSET_SEEDS` seeds)."""
    tables = _tables_by_scale(runs, experiments, final_weights, scales, claims)
    if 1.0 in scales:
        table = tables[list(scales).index(1.0)]
    else:
        table = evaluate_claims(runs, experiments, final_weights, 1.0, claims)
    table = table.assign(tie_stability=_stability(tables, scales).to_numpy())
    robust = robustness.seed_robustness(
        table, lambda ex: evaluate_claims(runs, ex, final_weights, 1.0, claims), experiments
    )
    return pd.concat([table, robust], axis=1)


def _stability(tables: Sequence[pd.DataFrame], scales: Sequence[float]) -> pd.Series:
    out = []
    for i in range(len(tables[0])):
        verdicts = [t["verdict"].iloc[i] for t in tables]
        same = len(set(verdicts)) == 1
        out.append(
            "" if same else ", ".join(f"{s:g}×: {v}" for s, v in zip(scales, verdicts, strict=True))
        )
    return pd.Series(out, index=tables[0].index, name="tie_stability")
