"""Statistics for the claims: effect sizes with bootstrap confidence intervals, p-values,
three-way verdicts with an equivalence margin, and Kaplan–Meier estimates for censored times.

Effects are ratios (claimed setting / other setting), estimated on the log scale:

* paired (runs that share their seed, hence their initial network: λ, α and batch size):
  the geometric mean of the per-seed ratios, exp(mean log(a_i / b_i)); p from the two-sided
  Wilcoxon signed-rank test on the log ratios (zero differences split between the signs);
* unpaired (k against k-1: different networks, pairing by seed means nothing): the ratio of the
  geometric means; p from the two-sided log-rank test for times to an event (censored runs
  counted, `scipy.stats.logrank`) and from the Mann–Whitney U test otherwise.

Confidence intervals are percentile bootstrap intervals (`scipy.stats.bootstrap`, seeds or
runs resampled with replacement, `N_RESAMPLES` resamples, a fixed generator seed so a report
is reproducible). A time that never happened within the budget is censored: it enters at the
budget, so an effect computed with it is a bound (`Effect.bound`: "≥" or "≤").

Differences smaller than a measure's resolution (`tie`, on the log scale) are set to zero
before estimating and testing: two values one plateau-detector grid step apart are equal as
far as the detector can tell.

Verdict (`verdict`), for a claimed direction (the claimed setting's value `lower` or `higher`):
*no effect* when the whole interval lies inside the equivalence margin (ratios within
1/(1 + MARGIN) .. 1 + MARGIN); *supported* when the interval excludes 1 on the claimed side and
p < SIGNIFICANCE; *contradicted* when it excludes 1 on the other side and p < SIGNIFICANCE;
*inconclusive* otherwise. A bound counts only in the direction it bounds (a "≥" ratio can
support "higher", never "lower" or "no effect").

Resolution (`resolution`): could the seeds at hand detect an effect of the margin's size (CI
half-width h on the log scale below log(1 + MARGIN)); for an undecided verdict, the seeds that
would decide it, n · (h / h*)² (intervals narrow as 1/√n; h* settles it around the same
estimate: excludes 1 or fits the margin).

Kaplan–Meier (`kaplan_meier`): the product-limit estimate S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)
(d_i events at t_i, n_i runs still at risk), from `scipy.stats.ecdf` on right-censored data,
with log-log Greenwood pointwise 95% bands; the median is the first t with S(t) ≤ 0.5 and its
confidence interval is the set of t where the band contains 0.5 (Brookmeyer & Crowley 1982, as
R's `survfit` reports it). Shares (e.g. runs that solved) get the exact Clopper–Pearson interval.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

SIGNIFICANCE = 0.05
CONFIDENCE = 0.95
MARGIN = 0.10  # equivalence margin: a ratio within 1/1.1 .. 1.1 is "no effect"
N_RESAMPLES = 4000
RNG_SEED = 2020
SIGNED_RANK_MIN_N = 6  # exact two-sided p >= 2 / 2**n: fewer pairs never reach p < 0.05

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
NO_EFFECT = "no effect"
INCONCLUSIVE = "inconclusive"
COLLAPSED = "collapsed"  # the setting ends at the trivial network: the claim does not apply
INSUFFICIENT = "insufficient data"
VERDICTS = (SUPPORTED, CONTRADICTED, NO_EFFECT, INCONCLUSIVE, COLLAPSED, INSUFFICIENT)


@dataclass(frozen=True)
class Effect:
    """An effect size with its confidence interval and test.

    `estimate`, `low`, `high` are on the natural scale (a ratio, a share or a distance);
    `p` is NaN when no test applies; `bound` is "≥" or "≤" when censored values make the
    estimate (and interval) a bound, "" otherwise.
    """

    estimate: float
    low: float
    high: float
    p: float
    n: int
    test: str
    bound: str = ""

    def text(self, digits: int = 3) -> str:
        """`0.512 [0.401, 0.655]`, with the bound sign in front when censored."""
        if not math.isfinite(self.estimate):
            return "—"
        f = f"{{:.{digits}g}}".format
        return f"{self.bound}{f(self.estimate)} [{f(self.low)}, {f(self.high)}]"

    def p_text(self) -> str:
        return "—" if not math.isfinite(self.p) else f"{self.p:.2g}"


NO_DATA = Effect(math.nan, math.nan, math.nan, math.nan, 0, "")


def _bootstrap(data: tuple[np.ndarray, ...], statistic, paired: bool) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic(*data)` (NaN, NaN with too little data)."""
    raw = tuple(np.ascontiguousarray(d, dtype=np.float64).tobytes() for d in data)
    return _bootstrap_of(raw, statistic, paired)


# The claims are evaluated at several tie scales, mostly on the same values: the same data give
# the same interval and p (the resampling generator is seeded afresh on every call), so each is
# computed once per process.
@functools.lru_cache(maxsize=4096)
def _bootstrap_of(raw: tuple[bytes, ...], statistic, paired: bool) -> tuple[float, float]:
    from scipy.stats import bootstrap

    data = tuple(np.frombuffer(r, dtype=np.float64) for r in raw)
    if any(len(d) < 2 for d in data):
        return math.nan, math.nan
    if all(np.ptp(d) == 0 for d in data):  # every resample gives the same value
        value = float(statistic(*data, axis=-1))
        return value, value
    res = bootstrap(
        data,
        statistic,
        n_resamples=N_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        paired=paired,
        vectorized=True,
        rng=np.random.default_rng(RNG_SEED),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _log(values: np.ndarray, floor: float) -> np.ndarray:
    return np.log(np.maximum(np.asarray(values, dtype=np.float64), floor))


def _bound(a_censored: np.ndarray, b_censored: np.ndarray) -> str:
    """The bound a ratio a/b is when some a or some b are censored (at least their value)."""
    a, b = bool(np.any(a_censored)), bool(np.any(b_censored))
    if a and b:
        return "?"
    return "≥" if a else "≤" if b else ""


def paired_ratio(
    a: np.ndarray,
    b: np.ndarray,
    a_censored: np.ndarray | None = None,
    b_censored: np.ndarray | None = None,
    tie: float = 0.0,
    floor: float = 1e-300,
) -> Effect:
    """Geometric mean of a_i / b_i over pairs, bootstrap CI over pairs, Wilcoxon signed-rank p.

    Pairs where both values are censored say nothing and are left out; `tie` (log scale) zeroes
    smaller differences; `floor` keeps zeros (e.g. no plateau) finite on the log scale.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ca = np.zeros(len(a), bool) if a_censored is None else np.asarray(a_censored, bool)
    cb = np.zeros(len(b), bool) if b_censored is None else np.asarray(b_censored, bool)
    keep = ~(ca & cb) & np.isfinite(a) & np.isfinite(b)
    a, b, ca, cb = a[keep], b[keep], ca[keep], cb[keep]
    if len(a) == 0:
        return NO_DATA
    d = _log(a, floor) - _log(b, floor)
    d = np.where(np.abs(d) <= tie, 0.0, d)
    low, high = _bootstrap((d,), np.mean, paired=True)
    p = 1.0 if np.all(d == 0) else _wilcoxon_p(np.ascontiguousarray(d).tobytes())
    return Effect(
        math.exp(float(np.mean(d))),
        math.exp(low) if math.isfinite(low) else math.nan,
        math.exp(high) if math.isfinite(high) else math.nan,
        p,
        len(d),
        "Wilcoxon signed-rank",
        _bound(ca, cb),
    )


@functools.lru_cache(maxsize=4096)
def _wilcoxon_p(raw: bytes) -> float:
    """Two-sided Wilcoxon signed-rank p of the differences `raw` (float64 bytes), zeros split;
    cached like `_bootstrap_of`."""
    from scipy.stats import wilcoxon

    d = np.frombuffer(raw, dtype=np.float64)
    return float(wilcoxon(d, zero_method="zsplit", alternative="two-sided").pvalue)


def _mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def unpaired_ratio(
    a: np.ndarray,
    b: np.ndarray,
    a_censored: np.ndarray | None = None,
    b_censored: np.ndarray | None = None,
    event_times: bool = False,
    tie: float = 0.0,
    floor: float = 1e-300,
) -> Effect:
    """Ratio of geometric means of two independent samples, bootstrap CI (each sample
    resampled on its own); p from the log-rank test (`event_times`) or Mann–Whitney U."""
    from scipy.stats import CensoredData, logrank, mannwhitneyu

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ca = np.zeros(len(a), bool) if a_censored is None else np.asarray(a_censored, bool)
    cb = np.zeros(len(b), bool) if b_censored is None else np.asarray(b_censored, bool)
    if len(a) == 0 or len(b) == 0:
        return NO_DATA
    la, lb = _log(a, floor), _log(b, floor)
    diff = float(np.mean(la) - np.mean(lb))
    if abs(diff) <= tie:
        diff = 0.0
    low, high = _bootstrap((la, lb), _mean_diff, paired=False)
    if event_times:
        test = "log-rank"
        if ca.all() and cb.all():  # no event in either sample: nothing to compare
            p = math.nan
        else:
            p = float(
                logrank(
                    CensoredData(uncensored=a[~ca], right=a[ca]),
                    CensoredData(uncensored=b[~cb], right=b[cb]),
                ).pvalue
            )
    else:
        p = 1.0 if np.ptp(np.concatenate([la, lb])) == 0 else float(mannwhitneyu(la, lb).pvalue)
        test = "Mann–Whitney U"
    return Effect(
        math.exp(diff),
        math.exp(low) if math.isfinite(low) else math.nan,
        math.exp(high) if math.isfinite(high) else math.nan,
        p,
        len(a) + len(b),
        test,
        _bound(ca, cb),
    )


def one_sample_ratio(values: np.ndarray, tie: float = 0.0) -> Effect:
    """Geometric mean of ratios against 1, bootstrap CI, Wilcoxon signed-rank p (log ratio = 0)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    return paired_ratio(v, np.ones(len(v)), tie=tie)


def share(successes: int, n: int) -> Effect:
    """A share with its exact (Clopper–Pearson) interval and the binomial test against 1/2."""
    from scipy.stats import binomtest

    if n == 0:
        return NO_DATA
    res = binomtest(successes, n, 0.5)
    ci = res.proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return Effect(successes / n, float(ci.low), float(ci.high), float(res.pvalue), n, "binomial")


def verdict(effect: Effect, claimed: str, margin: float = MARGIN) -> str:
    """Three-way verdict on a ratio effect (module docstring); `claimed` is "lower"/"higher"."""
    if effect.n == 0 or not (math.isfinite(effect.low) and math.isfinite(effect.high)):
        return INSUFFICIENT
    if effect.bound == "?":
        return INCONCLUSIVE
    edge = math.log1p(margin)
    lo, hi = math.log(effect.low), math.log(effect.high)
    # A "≥" interval is [low, ∞) as far as the truth goes, a "≤" one (0, high].
    if effect.bound == "≥":
        hi = math.inf
    elif effect.bound == "≤":
        lo = -math.inf
    significant = math.isfinite(effect.p) and effect.p < SIGNIFICANCE
    if -edge < lo and hi < edge:
        return NO_EFFECT
    below, above = hi < 0, lo > 0
    if significant and (below or above):
        return SUPPORTED if below == (claimed == "lower") else CONTRADICTED
    return INCONCLUSIVE


BELOW, WITHIN, ABOVE = "below", "within", "above"  # an interval against the margin


def label_from_ci(effect: Effect, margin: float = MARGIN) -> str:
    """Where a ratio's interval lies against the margin 1/(1 + margin) .. 1 + margin: `within`,
    wholly `below` or `above` it, or `inconclusive` when it straddles an edge (a bound is open
    on its side), so that a label ("shortens" / "rescales") never rests on a point estimate."""
    if effect.n == 0 or not (math.isfinite(effect.low) and math.isfinite(effect.high)):
        return INSUFFICIENT
    edge = math.log1p(margin)
    if effect.bound == "?":
        return INCONCLUSIVE
    lo = -math.inf if effect.bound == "≤" else math.log(effect.low)
    hi = math.inf if effect.bound == "≥" else math.log(effect.high)
    if -edge < lo and hi < edge:
        return WITHIN
    if hi < -edge:
        return BELOW
    if lo > edge:
        return ABOVE
    return INCONCLUSIVE


@dataclass(frozen=True)
class Resolution:
    """How finely an effect's interval resolves the margin."""

    halfwidth: float  # the interval's half-width on the log scale, as a relative amount
    resolves: bool  # narrower than the margin: an effect of the margin's size would show
    seeds: int  # per arm
    seeds_needed: float  # per arm, to decide an undecided verdict; else NaN
    decided: bool = True

    def text(self, margin: float = MARGIN) -> str:
        if not math.isfinite(self.halfwidth):
            return ""
        head = f"95% CI ±{100 * self.halfwidth:.2g}% against the ±{margin:.0%} margin"
        if not self.decided and not self.resolves:
            head += f": too wide to detect an effect of the margin's size at {self.seeds} seeds"
        if math.isfinite(self.seeds_needed):
            head += f"; about {self.seeds_needed:.0f} seeds would decide it"
        return head


def resolution(
    effect: Effect, seeds: int, decided: bool, margin: float = MARGIN, min_seeds: int = 0
) -> Resolution:
    """The `Resolution` of a ratio from `seeds` per arm; `decided`: not inconclusive."""
    if effect.n == 0 or not (effect.low > 0 and effect.high > 0) or effect.estimate <= 0:
        return Resolution(math.nan, False, seeds, math.nan, decided)
    h, edge = (math.log(effect.high) - math.log(effect.low)) / 2, math.log1p(margin)
    d = abs(math.log(effect.estimate))  # h* = max(d, edge - d): exclude 1, or fit the margin
    n = max(math.ceil(seeds * (h / max(d, edge - d)) ** 2), min_seeds)  # min_seeds: a test's own
    needed = float(n) if not decided and h > 0 and n > seeds else math.nan
    return Resolution(math.expm1(h), h < edge, seeds, needed, decided)


def share_verdict(effect: Effect, at_least: float = 0.5) -> str:
    """A claimed success: supported when the whole interval is above `at_least`, contradicted
    when it is below, inconclusive otherwise."""
    if effect.n == 0:
        return INSUFFICIENT
    if effect.low > at_least:
        return SUPPORTED
    if effect.high < at_least:
        return CONTRADICTED
    return INCONCLUSIVE


# --- Kaplan–Meier ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KaplanMeier:
    """The product-limit estimate of S(t) = P(time > t) as a step function, with its band."""

    times: np.ndarray  # distinct observed times (events and censorings)
    survival: np.ndarray  # S just after each time
    low: np.ndarray
    high: np.ndarray
    n: int
    n_events: int
    median: float  # NaN when S never falls to 0.5 within the data
    median_low: float
    median_high: float  # inf when the band never falls to 0.5


def _first_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float:
    hit = np.flatnonzero(values <= level + 1e-12)
    return float(times[hit[0]]) if len(hit) else math.inf


def kaplan_meier(times: np.ndarray, censored: np.ndarray) -> KaplanMeier:
    """Kaplan–Meier estimate of times to an event, right-censored where `censored`."""
    from scipy.stats import CensoredData, ecdf

    t = np.asarray(times, dtype=np.float64)
    c = np.asarray(censored, dtype=bool)
    n, events = len(t), int((~c).sum())
    if events == 0:
        empty = np.array([], dtype=np.float64)
        return KaplanMeier(empty, empty, empty, empty, n, 0, math.nan, math.nan, math.inf)
    res = ecdf(CensoredData(uncensored=t[~c], right=t[c]))
    sf = res.sf
    with warnings.catch_warnings():  # the band is undefined where S = 0 or 1: NaN, handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(CONFIDENCE, method="log-log")
    q = sf.quantiles
    s = sf.probabilities
    lo = np.nan_to_num(band.low.evaluate(q), nan=0.0)
    hi = np.nan_to_num(band.high.evaluate(q), nan=1.0)
    median = _first_at_or_below(q, s, 0.5)
    return KaplanMeier(
        times=q,
        survival=s,
        low=lo,
        high=hi,
        n=n,
        n_events=events,
        median=median if math.isfinite(median) else math.nan,
        median_low=_first_at_or_below(q, lo, 0.5),
        median_high=_first_at_or_below(q, hi, 0.5),
    )
