"""The plateau law across the encoder family: one ratio table and one claim per prediction and
setting, from the per-setting law tables of `plateaulaw.law_table`.

Predictions (docs/plateau-theory.md), each measured / predicted with a 95% interval:
* `slope`: escape time per unit ln(1/s), predicted 1/μ*; the primary threshold is
  `PRIMARY_FRACTION`, and every threshold's interval enters the verdict;
* `mu`: the unstable mode's growth rate (band `growth.BAND`), predicted by the closed form μ at
  the point the same seed visited;
* `mu_star`: μ of the closed form at the point visited, predicted by the landing μ* of descent
  from θ = 0 (where the run lands on the flat set);
* `lambda_c`: the per-seed critical weight decay by bisection, predicted by
  `theory.critical_lambda`.

Each slope row carries `small_s_eps`, the largest small-s bias `theory.small_s` predicts over
the fitted scales (docs/plateau-theory.md §6), beside the verdict, not in it.

The verdict rule, fixed here before the data: `supported` when the interval of the ratio lies
within [1 − TOLERANCE, 1 + TOLERANCE]; `fails` when it lies wholly outside; `inconclusive`
otherwise (or with no interval). For the slope, every threshold's interval must lie within for
`supported` and the slopes must agree within `escapetime.SLOPE_TOLERANCE` of their median;
one threshold's interval wholly outside, or a larger spread (the law says one slope for every
threshold), `fails`. TOLERANCE = 5%: the effects the derivation neglects are each smaller
(the step's ≤ 0.4%, the hidden units' O(s) spread of ζ at s ≤ 0.03, λ_c's bisection width
≤ 2%), so a real law lands inside it, and a 5% miss is larger than all of them together.
"""

from __future__ import annotations

import math

import pandas as pd

from backprop_study.analysis import escapetime, growth, theory
from backprop_study.analysis.plateaulaw import SCALES

TOLERANCE = 0.05
PRIMARY_FRACTION = 0.9
SUPPORTED, FAILS, INCONCLUSIVE = "supported", "fails", "inconclusive"
PREDICTIONS = {
    "slope": ("escape time per unit ln(1/s)", "1/μ*", "flow time"),
    "mu": ("growth rate of the unstable mode", "μ at the point visited", "1/flow time"),
    "mu_star": ("μ at the point visited", "μ* at the landing", "1/flow time"),
    "lambda_c": ("critical weight decay, per seed", "λ_c of the landing", "λ"),
}
TABLE_COLUMNS = [
    "setting", "classes", "hidden", "loss", "offset", "prediction", "predicted", "measured",
    "ratio", "low", "high", "n", "spread", "verdict", "small_s_eps", "unit",
]  # fmt: skip


def label(low: float, high: float, tolerance: float = TOLERANCE) -> str:
    """The module docstring's rule for one interval of a ratio."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return INCONCLUSIVE
    if 1 - tolerance <= low and high <= 1 + tolerance:
        return SUPPORTED
    if high < 1 - tolerance or low > 1 + tolerance:
        return FAILS
    return INCONCLUSIVE


def slope_verdict(fits: pd.DataFrame, spread: float, tolerance: float = TOLERANCE) -> str:
    """Every threshold's interval and the spread of the slopes across thresholds."""
    labels = [label(r.low, r.high, tolerance) for r in fits.itertuples()]
    if FAILS in labels or (math.isfinite(spread) and spread > escapetime.SLOPE_TOLERANCE):
        return FAILS
    if labels and all(x == SUPPORTED for x in labels) and math.isfinite(spread):
        return SUPPORTED
    return INCONCLUSIVE


def _shape(name: str) -> tuple[int, int, str, float]:
    """`8-3-8 mse c=0.1` -> (8, 3, "mse", 0.1)."""
    net, loss, offset = name.split(" ")
    n, m, _ = net.split("-")
    return int(n), int(m), loss, float(offset.removeprefix("c="))


def setting_rows(law: pd.DataFrame) -> list[dict[str, object]]:
    """The family table's rows of one setting's law table."""
    law = law.set_index("quantity")
    name = str(law["setting"].iloc[0])
    n, m, loss, offset = _shape(name)
    head = {"setting": name, "classes": n, "hidden": m, "loss": loss, "offset": offset}
    fits = law[law.index.str.startswith("slope f=")]
    spread = escapetime.threshold_spread(fits.rename(columns={"measured": "slope"}))
    rows = []
    primary = f"slope f={PRIMARY_FRACTION:g}"
    if primary in law.index:
        r = law.loc[primary]
        eps = max(theory.small_s(n, m, loss, offset, s, max(escapetime.FRACTIONS)).largest
                  for s in SCALES)  # fmt: skip
        rows.append(head | {"prediction": "slope", "spread": spread, "small_s_eps": eps,
                            "verdict": slope_verdict(fits, spread)} | _numbers(r))  # fmt: skip
    for prediction, quantity in (("mu", f"mu_growth_{growth.BAND:g}"), ("mu_star", "mu_visited"),
                                 ("lambda_c", "lambda_c")):  # fmt: skip
        if quantity in law.index:
            r = law.loc[quantity]
            rows.append(head | {"prediction": prediction, "spread": math.nan,
                                "small_s_eps": math.nan,
                                "verdict": label(r["low"], r["high"])} | _numbers(r))  # fmt: skip
    return rows


def _numbers(r: pd.Series) -> dict[str, object]:
    return {k: float(r[k]) for k in ("predicted", "measured", "ratio", "low", "high")} | {
        "n": int(r["n"])
    }


def family_table(laws: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per setting and prediction (TABLE_COLUMNS), settings by N, M, loss, offset."""
    rows = [row for law in laws if len(law) for row in setting_rows(law)]
    out = pd.DataFrame(rows, columns=[c for c in TABLE_COLUMNS if c != "unit"])
    out["small_s_eps"] = out["small_s_eps"].astype(float)
    out["unit"] = out["prediction"].map(lambda p: PREDICTIONS[p][2])
    order = list(PREDICTIONS)
    out["_p"] = out["prediction"].map(order.index)
    out = out.sort_values(["classes", "hidden", "loss", "offset", "_p"]).drop(columns="_p")
    return out.reset_index(drop=True)[TABLE_COLUMNS]


def claims_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One claim per prediction and setting: the statement, the rule, the verdict, the numbers."""
    rows = []
    for r in table.itertuples():
        what, against, _ = PREDICTIONS[r.prediction]
        rows.append(
            {"claim": f"plateau law: {r.prediction}", "setting": r.setting,
             "statement": f"{what} equals {against} (docs/plateau-theory.md)",
             "measure": f"measured / predicted {r.prediction}", "estimate": r.ratio,
             "ci_low": r.low, "ci_high": r.high, "n": r.n, "verdict": r.verdict,
             "rule": f"supported if the 95% CI lies within [{1 - TOLERANCE:g}, "
                     f"{1 + TOLERANCE:g}], fails if wholly outside, inconclusive otherwise"
                     + (f"; slopes at every threshold within {escapetime.SLOPE_TOLERANCE:g} of "
                        "their median" if r.prediction == "slope" else "")}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _cell(x: object) -> str:
    if isinstance(x, float):
        return "—" if not math.isfinite(x) else f"{x:.4g}"
    return str(x)


def table_markdown(table: pd.DataFrame) -> str:
    """The family table as Markdown: predicted, measured, ratio [95% CI], verdict."""
    lines = [
        "# The plateau law across the encoder family: predicted against measured",
        "",
        f"Verdict: supported if the 95% CI of measured / predicted lies within "
        f"[{1 - TOLERANCE:g}, {1 + TOLERANCE:g}], fails if wholly outside, inconclusive otherwise "
        f"(slope: every threshold, and the slopes within {escapetime.SLOPE_TOLERANCE:g} of "
        "their median; spread = largest relative distance of a threshold's slope from it).",
        "",
        "Small-s: the largest predicted bias of the slope over the fitted scales "
        f"(docs/plateau-theory.md §6; small when ≤ {theory.SMALL_S:g}).",
        "",
        "| setting | prediction | predicted | measured | ratio [95% CI] | n | spread | small-s ε "
        "| verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.setting} | {r.prediction} | {_cell(r.predicted)} | {_cell(r.measured)} | "
            f"{_cell(r.ratio)} [{_cell(r.low)}, {_cell(r.high)}] | {r.n} | {_cell(r.spread)} | "
            f"{_cell(r.small_s_eps)} | {r.verdict} |"
        )
    return "\n".join(lines) + "\n"
