"""The seed report's claims, each tested on the runs table with a stated decision rule.

`evaluate_claims(runs, experiments, final_weights=None)` returns one row per claim: `claim`
(short id), `statement`, `verdict` (supported / contradicted / mixed / insufficient data),
`evidence` (numbers from the data), `experiment`, and `rule` (the decision rule, in words).

`experiments` maps an experiment name to its axes {"encoding", "lam", "alpha", "batch_size",
"seeds": [...]}; an experiment's runs are the rows of `runs` whose values are all on its axes.
`final_weights` (optional, claim 7) is the long-form weights table of every run's last snapshot
with a `run_id` column (`weightstats.final_weights(weights, run_id)` per run, concatenated).

Decision rules
--------------
Paired comparison (claims 1-5): runs that differ only in the compared factor are paired by
seed and the other axes (the seed fixes the initial network across lam, alpha and batch size;
across encodings it only pairs the seed). A pair counts for the claim when the claimed run's
value is smaller (or larger, as claimed), against it when the opposite, *tied* when the two
differ by less than `REL_TIE` relative (evidence of no difference), and *undetermined* when a
censored value makes the order unknown (e.g. both runs never solved: no evidence either way).
Censoring: a run that never solved is "more than its budget"; a plateau that was never left is
"longer than" its observed length; a run without plateau has length 0.
Two-sided sign test on the untied pairs (p = P(as extreme a split | no effect), via math.comb).
A comparison is *insufficient* with fewer than `min_pairs()` determined pairs (tied ones
count; the smallest number for which even a unanimous split reaches p < `SIGNIFICANCE`),
*supported* when most untied pairs go the claimed way with p < SIGNIFICANCE, *contradicted* when
most go the other way with p < SIGNIFICANCE, and *mixed* otherwise (no clear difference).
A claim made of several comparisons: insufficient comparisons are set aside; if none remain the
claim is "insufficient data"; if all remaining are supported (contradicted) so is the claim;
otherwise it is mixed.
Claim 4's "alpha up to 5 succeeds": at the seed's alpha = 5, supported if most seeds solve
within the budget, contradicted if none does, mixed otherwise.
Claim 6: a one-sample sign test of mean |bias| / mean |non-bias| > 1 at the plateau snapshot.
Claim 7: seeds of one configuration are paired; a pair has different final weights when their
`weightstats.aligned_distance` (hidden units permuted and flipped to match best) exceeds
`DIFFERENT_DISTANCE`, or, without `final_weights`, when their canonical hidden codebooks differ.
Supported when at least `SHARE_DIFFERENT` of the pairs differ, contradicted when at most
1 - SHARE_DIFFERENT do, mixed otherwise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backprop_study.analysis import codes, weightstats
from backprop_study.analysis.axes import config_columns, symbol
from backprop_study.analysis.convergence import as_times

SIGNIFICANCE = 0.05
REL_TIE = 0.01
SEED_ALPHA = 5.0  # the largest learning rate the seed reports as successful
DIFFERENT_DISTANCE = 0.5
SHARE_DIFFERENT = 0.9

SUPPORTED, CONTRADICTED, MIXED, INSUFFICIENT = (
    "supported",
    "contradicted",
    "mixed",
    "insufficient data",
)


# --- statistics ---------------------------------------------------------------------------


def sign_test_p(k: int, n: int) -> float:
    """Two-sided sign test: chance of a split at least as uneven as k of n under p = 1/2."""
    if n == 0:
        return 1.0
    tail = min(k, n - k)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(tail + 1)) / 2**n)


def min_pairs(significance: float = SIGNIFICANCE) -> int:
    """Fewest pairs for which a unanimous split is significant."""
    n = 1
    while sign_test_p(n, n) >= significance:
        n += 1
    return n


def order(a: float, ca: bool, b: float, cb: bool, rel_tie: float = REL_TIE) -> int | None:
    """Sign of a - b for values that may be right-censored (c* True: true value >= shown).

    0 when tied within `rel_tie`; None when censoring leaves the order unknown.
    """
    if ca and cb:
        return None
    if ca:  # the true a is at least the shown a
        return 1 if a > b * (1 + rel_tie) else None
    if cb:
        return -1 if b > a * (1 + rel_tie) else None
    if abs(a - b) <= rel_tie * max(abs(a), abs(b)):
        return 0
    return 1 if a > b else -1


@dataclass(frozen=True)
class Comparison:
    """One sub-test of a claim: how many pairs went the claimed way, the other way, or tied."""

    label: str
    pro: int
    con: int
    tied: int
    verdict: str
    note: str = ""
    unknown: int = 0
    unit: str = "pairs"

    @property
    def p(self) -> float:
        return sign_test_p(self.pro, self.pro + self.con)

    def sentence(self) -> str:
        n = self.pro + self.con + self.tied + self.unknown
        if self.note and n == 0:
            return f"{self.label}: {self.note}"
        undetermined = f", {self.unknown} undetermined (censored)" if self.unknown else ""
        text = (
            f"{self.label}: {self.pro} of {n} {self.unit} as claimed, {self.con} opposite, "
            f"{self.tied} tied{undetermined} (sign test p={self.p:.2g}) → {self.verdict}"
        )
        return f"{text}; {self.note}" if self.note else text


def judge(pro: int, con: int, tied: int, significance: float = SIGNIFICANCE) -> str:
    """Verdict of one sign-tested comparison (module docstring)."""
    if pro + con + tied < min_pairs(significance):
        return INSUFFICIENT
    p = sign_test_p(pro, pro + con)
    if p < significance:
        return SUPPORTED if pro > con else CONTRADICTED
    return MIXED


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict from its comparisons' verdicts (module docstring)."""
    decided = [v for v in verdicts if v != INSUFFICIENT]
    if not decided:
        return INSUFFICIENT
    if all(v == SUPPORTED for v in decided):
        return SUPPORTED
    if all(v == CONTRADICTED for v in decided):
        return CONTRADICTED
    return MIXED


# --- selecting and pairing runs -----------------------------------------------------------


def _matches(column: pd.Series, values: Sequence) -> np.ndarray:
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


def select(runs: pd.DataFrame, axes: dict) -> pd.DataFrame:
    """Rows of `runs` on every axis of an experiment (missing axes are not filtered)."""
    mask = np.ones(len(runs), dtype=bool)
    for key, col in {**{c: c for c in config_columns(runs.columns)}, "seeds": "seed"}.items():
        if key in axes and axes[key] is not None:
            mask &= _matches(runs[col], axes[key])
    return runs[mask]


Metric = Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]


def solve_time(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Epochs to the 40-20-40 rule; never → censored at the budget."""
    t = as_times(df["first_solved"])
    cens = ~np.isfinite(t)
    return np.where(cens, df["epochs"].to_numpy(dtype=np.float64), t), cens


def all_correct_time(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Epochs until every pattern decodes to its class; never → censored at the budget."""
    t = as_times(df["first_all_correct"])
    cens = ~np.isfinite(t)
    return np.where(cens, df["epochs"].to_numpy(dtype=np.float64), t), cens


def solve_updates(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Parameter updates to the 40-20-40 rule (epochs * m / b)."""
    t, c = solve_time(df)
    return t * (df["n_patterns"] // df["batch_size"]).to_numpy(dtype=np.float64), c


def plateau_length(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Plateau length in epochs; none → 0; never left → censored at its observed length."""
    found = df["plateau_found"].to_numpy(dtype=bool)
    length = np.where(found, df["plateau_epochs"].to_numpy(dtype=np.float64), 0.0)
    return length, found & ~df["plateau_left"].to_numpy(dtype=bool)


def plateau_exit(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Epoch the plateau is left; none → 0 (never stuck); never left → censored at budget."""
    found = df["plateau_found"].to_numpy(dtype=bool)
    left = df["plateau_left"].to_numpy(dtype=bool)
    end = df["plateau_end"].to_numpy(dtype=np.float64)
    budget = df["epochs"].to_numpy(dtype=np.float64)
    value = np.where(~found, 0.0, np.where(left, end, budget))
    return value, found & ~left


def plateau_alpha_time(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Plateau length in α * epochs (gradient-flow time: removes the trivial 1/α speed-up)."""
    length, cens = plateau_length(df)
    return length * df["alpha"].to_numpy(dtype=np.float64), cens


def drop_time(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First epoch at half the initial objective; never → censored at the budget."""
    t = df["drop_epoch"].to_numpy(dtype=np.float64)
    cens = ~np.isfinite(t)
    return np.where(cens, df["epochs"].to_numpy(dtype=np.float64), t), cens


def solved_share(df: pd.DataFrame) -> float:
    """Fraction of runs that solved within their budget."""
    return float(np.isfinite(as_times(df["first_solved"])).mean()) if len(df) else math.nan


def final_objective(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    v = df["final_objective"].to_numpy(dtype=np.float64)
    return v, np.zeros(len(v), dtype=bool)


def paired_comparison(
    runs: pd.DataFrame, factor: str, claimed, other, metric: Metric, smaller: bool, label: str
) -> Comparison:
    """Pairs runs at factor=claimed with runs at factor=other (same seed and other axes).

    The claim is that the `claimed` run's metric is smaller (`smaller`) or larger.
    """
    keys = [c for c in (*config_columns(runs.columns), "seed") if c != factor]
    a = runs[_matches(runs[factor], [claimed])]
    b = runs[_matches(runs[factor], [other])]
    va, ca = metric(a)
    vb, cb = metric(b)
    left = a[keys].assign(value=va, censored=ca)
    right = b[keys].assign(value=vb, censored=cb)
    pairs = left.merge(right, on=keys, suffixes=("_a", "_b"))
    pro = con = tied = unknown = 0
    for x, cx, y, cy in zip(
        pairs["value_a"], pairs["censored_a"], pairs["value_b"], pairs["censored_b"], strict=True
    ):
        s = order(float(x), bool(cx), float(y), bool(cy))
        if s is None:
            unknown += 1
            continue
        if smaller:
            s = -s
        if s > 0:
            pro += 1
        elif s < 0:
            con += 1
        else:
            tied += 1
    return Comparison(label, pro, con, tied, judge(pro, con, tied), unknown=unknown)


def _fmt(x) -> str:
    if isinstance(x, str):
        return x
    return f"{float(x):g}"


def _levels(df: pd.DataFrame, col: str) -> list:
    return sorted(df[col].unique().tolist())


def _median_text(df: pd.DataFrame, factor: str, metric: Metric, name: str) -> str:
    parts = []
    for level in _levels(df, factor):
        v, c = metric(df[_matches(df[factor], [level])])
        if len(v) == 0:
            continue
        med = float(np.median(v))
        share = float(np.mean(c))
        tail = f" ({share:.0%} censored)" if share > 0 else ""
        parts.append(f"{symbol(factor)}={_fmt(level)}: {med:.4g}{tail}")
    return f"median {name}: " + ", ".join(parts)


# --- the claims -----------------------------------------------------------------------------


@dataclass
class Result:
    verdict: str
    evidence: str


def _no_runs(what: str) -> Result:
    return Result(INSUFFICIENT, f"no runs for {what}")


def claim_lambda_plateau(df: pd.DataFrame) -> Result:
    lams = _levels(df, "lam")
    if len(lams) < 2:
        return _no_runs("two or more λ values")
    comps = []
    for small, large in itertools.pairwise(lams):
        tag = f"λ={_fmt(small)} vs {_fmt(large)}"
        comps.append(
            paired_comparison(
                df, "lam", small, large, drop_time, True, f"{tag}, drop to J0/2 earlier"
            )
        )
        comps.append(
            paired_comparison(
                df, "lam", small, large, plateau_length, True, f"{tag}, plateau shorter"
            )
        )
    evidence = "; ".join(c.sentence() for c in comps)
    evidence += ". " + _median_text(df, "lam", plateau_length, "plateau length (epochs)")
    return Result(combine([c.verdict for c in comps]), evidence)


def claim_lambda_slows(df: pd.DataFrame) -> Result:
    lams = _levels(df, "lam")
    if 0 not in lams or len(lams) < 2:
        return _no_runs("λ=0 and some λ>0")
    comps = []
    for lam in (v for v in lams if v > 0):
        tag = f"λ=0 vs {_fmt(lam)}"
        comps.append(
            paired_comparison(df, "lam", 0, lam, solve_time, True, f"{tag}, solves sooner")
        )
        comps.append(
            paired_comparison(
                df, "lam", 0, lam, all_correct_time, True, f"{tag}, all patterns correct sooner"
            )
        )
    rates = ", ".join(
        f"λ={_fmt(lam)}: {solved_share(g):.0%}" for lam, g in df.groupby("lam", sort=True)
    )
    evidence = "; ".join(c.sentence() for c in comps) + f". Solved within budget: {rates}"
    return Result(combine([c.verdict for c in comps]), evidence)


def claim_k_minus_1(df: pd.DataFrame) -> Result:
    encs = _levels(df, "encoding")
    if not {"k", "k-1"} <= set(encs):
        return _no_runs("both encodings")
    comps = [
        paired_comparison(
            df, "encoding", "k-1", "k", plateau_exit, True, "k-1 vs k, leaves the plateau sooner"
        ),
        paired_comparison(
            df, "encoding", "k-1", "k", final_objective, True, "k-1 vs k, lower final objective"
        ),
    ]
    evidence = "; ".join(c.sentence() for c in comps)
    evidence += ". " + _median_text(df, "encoding", final_objective, "final objective")
    evidence += " (k-1 sums the error over 7 outputs, k over 8)"
    return Result(combine([c.verdict for c in comps]), evidence)


def _success_at(df: pd.DataFrame, alpha: float) -> Comparison:
    at = df[_matches(df["alpha"], [alpha])]
    label = f"α={_fmt(alpha)} solves within budget"
    if at.empty:
        return Comparison(label, 0, 0, 0, INSUFFICIENT, note=f"no runs at α={_fmt(alpha)}")
    solved = int(np.isfinite(as_times(at["first_solved"])).sum())
    n = len(at)
    verdict = SUPPORTED if solved > n / 2 else CONTRADICTED if solved == 0 else MIXED
    return Comparison(label, 0, 0, 0, verdict, note=f"{solved} of {n} runs solved → {verdict}")


def claim_alpha_plateau(df: pd.DataFrame) -> Result:
    alphas = _levels(df, "alpha")
    if not alphas:
        return _no_runs("the learning-rate experiment")
    comps = []
    for small, large in itertools.pairwise(alphas):
        comps.append(
            paired_comparison(
                df,
                "alpha",
                large,
                small,
                plateau_length,
                True,
                f"α={_fmt(large)} vs {_fmt(small)}, plateau shorter (epochs)",
            )
        )
    comps.append(_success_at(df, SEED_ALPHA))
    scaled = [
        paired_comparison(
            df,
            "alpha",
            large,
            small,
            plateau_alpha_time,
            True,
            f"α={_fmt(large)} vs {_fmt(small)}, plateau shorter in α·epochs",
        )
        for small, large in itertools.pairwise(alphas)
    ]
    decades = _median_text(
        df,
        "alpha",
        lambda g: (
            np.where(g["plateau_found"], g["plateau_decades"], 0.0).astype(float),
            (g["plateau_found"] & ~g["plateau_left"]).to_numpy(dtype=bool),
        ),
        "plateau length (decades of epochs)",
    )
    evidence = "; ".join(c.sentence() for c in comps) + ". " + decades
    if scaled:
        evidence += ". Not part of the verdict (the seed counted epochs): " + "; ".join(
            c.sentence() for c in scaled
        )
    return Result(combine([c.verdict for c in comps]), evidence)


def claim_batch(df: pd.DataFrame) -> Result:
    sizes = _levels(df, "batch_size")
    if len(sizes) < 2:
        return _no_runs("two batch sizes")
    small = 1 if 1 in sizes else sizes[0]
    large = 8 if 8 in sizes else sizes[-1]
    tag = f"batch {small} vs {large}"
    per_epoch = paired_comparison(
        df, "batch_size", small, large, solve_time, True, f"{tag}, fewer epochs to solve"
    )
    per_update = paired_comparison(
        df, "batch_size", small, large, solve_updates, True, f"{tag}, fewer updates to solve"
    )
    evidence = (
        f"{per_epoch.sentence()}. Not part of the verdict (the seed compared epochs): "
        f"{per_update.sentence()}. "
        + _median_text(df, "batch_size", solve_time, "epochs to solve")
        + "; "
        + _median_text(df, "batch_size", solve_updates, "updates to solve")
    )
    return Result(combine([per_epoch.verdict]), evidence)


def claim_bias_dominates(df: pd.DataFrame) -> Result:
    r = df["bias_ratio_plateau"].to_numpy(dtype=np.float64)
    r = r[np.isfinite(r)]
    if len(r) == 0:
        return _no_runs("a snapshot inside a plateau")
    tied = int(np.sum(np.abs(r - 1) <= REL_TIE))
    pro = int(np.sum(r > 1 + REL_TIE))
    con = len(r) - tied - pro
    label = "mean|bias|/mean|weight| > 1 at the plateau snapshot"
    c = Comparison(label, pro, con, tied, judge(pro, con, tied), unit="runs")

    def med(col: str) -> str:
        v = df[col].to_numpy(dtype=np.float64)
        v = v[np.isfinite(v)]
        return f"{np.median(v):.3g}" if len(v) else "n/a"

    evidence = (
        f"{c.sentence()}. Median ratio in the plateau: all {med('bias_ratio_plateau')}, "
        f"hidden layer {med('bias_ratio_plateau_hidden')}, output layer "
        f"{med('bias_ratio_plateau_output')}; at the last snapshot: all {med('bias_ratio_end')}, "
        f"hidden {med('bias_ratio_end_hidden')}, output {med('bias_ratio_end_output')}"
    )
    return Result(c.verdict, evidence)


def claim_different_solutions(df: pd.DataFrame, final_weights: pd.DataFrame | None) -> Result:
    config_cols = config_columns(df.columns)
    distances: list[float] = []
    code_diff: list[bool] = []
    params = {}
    if final_weights is not None and not final_weights.empty:
        for run_id, w in final_weights.groupby("run_id"):
            params[run_id] = weightstats.params_at(w)
    for _, g in df.groupby(config_cols, dropna=False):
        for (_, ra), (_, rb) in itertools.combinations(g.iterrows(), 2):
            code_diff.append(ra["code_canonical"] != rb["code_canonical"])
            if ra["run_id"] in params and rb["run_id"] in params:
                distances.append(
                    weightstats.aligned_distance(params[ra["run_id"]], params[rb["run_id"]])
                )
    if not code_diff:
        return _no_runs("two seeds of one configuration")
    n_books = codes.n_codebooks(df["code_canonical"])
    code_text = (
        f"{sum(code_diff)} of {len(code_diff)} seed pairs have different hidden codebooks "
        f"(up to unit permutation and flip); {n_books} distinct codebooks among {len(df)} runs"
    )
    if distances:
        d = np.asarray(distances)
        share = float(np.mean(d > DIFFERENT_DISTANCE))
        drift = df["weight_end_drift"].to_numpy(dtype=np.float64)
        text = (
            f"{int(np.sum(d > DIFFERENT_DISTANCE))} of {len(d)} seed pairs have aligned relative "
            f"distance > {DIFFERENT_DISTANCE:g} (median {np.median(d):.3g}, min {d.min():.3g}; "
            f"median end drift of a run {np.nanmedian(drift):.3g}); {code_text}"
        )
        verdict = (
            SUPPORTED
            if share >= SHARE_DIFFERENT
            else CONTRADICTED
            if share <= 1 - SHARE_DIFFERENT
            else MIXED
        )
        return Result(verdict, text)
    share = float(np.mean(code_diff))
    verdict = SUPPORTED if share >= SHARE_DIFFERENT else MIXED
    return Result(verdict, f"{code_text} (final weights not given: codebooks only)")


@dataclass(frozen=True)
class Claim:
    claim: str
    statement: str
    experiment: str


CLAIMS = (
    Claim(
        "lambda_plateau",
        "The smaller λ, the faster the loss drops and the sooner the plateau is overcome (§6).",
        "weight_decay",
    ),
    Claim(
        "lambda_slows",
        "Weight decay (λ > 0) slows convergence on this problem (§6).",
        "weight_decay",
    ),
    Claim(
        "k_minus_1",
        "The k-1 encoding leaves the plateau far sooner than k and ends at a lower loss (§7).",
        "encoding",
    ),
    Claim(
        "alpha_plateau",
        "A larger α shortens or removes the plateau; α up to 5 still succeeds (§8-9).",
        "learning_rate",
    ),
    Claim(
        "batch_one", "Batch size 1 converges in fewer epochs than batch size 8 (§10).", "batch_size"
    ),
    Claim(
        "bias_dominates",
        "During the plateau the bias weights are much larger than the other weights (§8, Fig. 8).",
        "weight_decay",
    ),
    Claim(
        "different_solutions",
        "Different random initialisations end at completely different weights (§11).",
        "weights",
    ),
)

RULES = {
    "lambda_plateau": "paired by seed, adjacent λ values; drop time and plateau length (censored); "
    "two-sided sign test, p<0.05; all comparisons must agree",
    "lambda_slows": "paired by seed, λ=0 vs each λ>0; epochs to solve and to all-correct, never "
    "reached censored at the budget; two-sided sign test, p<0.05",
    "k_minus_1": "paired by seed; plateau exit epoch (censored) and final objective; sign test, "
    "p<0.05",
    "alpha_plateau": "paired by seed, adjacent α values; plateau length in epochs (censored); sign "
    "test, p<0.05; plus: most seeds at α=5 solve",
    "batch_one": "paired by seed; epochs to solve (censored); sign test, p<0.05 (updates reported)",
    "bias_dominates": "one-sample sign test of bias ratio > 1 at the plateau snapshot, p<0.05",
    "different_solutions": f"seed pairs per configuration; different if aligned distance > "
    f"{DIFFERENT_DISTANCE:g} (or codebooks differ without weights); supported if ≥"
    f"{SHARE_DIFFERENT:.0%} differ, contradicted if ≤{1 - SHARE_DIFFERENT:.0%}",
}


def evaluate_claims(
    runs: pd.DataFrame, experiments: dict, final_weights: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per seed claim (module docstring)."""
    testers: dict[str, Callable[[pd.DataFrame], Result]] = {
        "lambda_plateau": claim_lambda_plateau,
        "lambda_slows": claim_lambda_slows,
        "k_minus_1": claim_k_minus_1,
        "alpha_plateau": claim_alpha_plateau,
        "batch_one": claim_batch,
        "bias_dominates": claim_bias_dominates,
        "different_solutions": lambda df: claim_different_solutions(df, final_weights),
    }
    rows = []
    for c in CLAIMS:
        if c.experiment not in experiments:
            result = Result(INSUFFICIENT, f"experiment {c.experiment!r} is not in the study")
        else:
            df = select(runs, experiments[c.experiment])
            result = _no_runs(f"experiment {c.experiment!r}") if df.empty else testers[c.claim](df)
        rows.append(
            {
                "claim": c.claim,
                "statement": c.statement,
                "verdict": result.verdict,
                "evidence": result.evidence,
                "experiment": c.experiment,
                "rule": RULES[c.claim],
            }
        )
    return pd.DataFrame(rows)
