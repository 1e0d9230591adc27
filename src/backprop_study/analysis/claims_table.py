"""The claims table: `claims.claims_with_stability` as a file one can diff between studies.

One row per claim × compared settings × measure. The claim logic stays in `claims` and
`testers`; this module only names the columns for readers, adds the rule's margin and the
censored count, and writes the Markdown twin whose diff shows a verdict that moved.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from backprop_study.analysis.stats import MARGIN, SIGNIFICANCE

# The claims table's columns, in order: what a reader scans first comes first. `compared` names
# the settings a row compares (`λ = 0 vs 0.1`): a label, not the run-path `setting` the other
# tables join on.
COLUMNS = [
    "claim", "statement", "wording", "experiment", "compared", "role", "measure", "measure_key",
    "clock", "verdict", "verdict_text", "reading", "estimate", "ci_low", "ci_high", "bound",
    "effect", "p", "test", "n", "n_censored", "margin", "significance", "ci_halfwidth",
    "resolves_margin", "seeds", "seeds_needed", "resolution", "seed_robustness", "subset_verdicts",
    "rule", "tie_stability", "evidence", "instead",
]  # fmt: skip
RENAMED = {"low": "ci_low", "high": "ci_high", "setting": "compared"}
_CENSORED = re.compile(r"(\d+) censored")


def censored_count(evidence: str) -> int:
    """Runs the evidence names as censored (never solved, or plateau never left, in budget)."""
    return sum(int(n) for n in _CENSORED.findall(evidence))


def claims_table(claims: pd.DataFrame) -> pd.DataFrame:
    """The rows of `claims_with_stability` with the table's columns; columns it adds beyond
    them are kept, after these."""
    out = claims.rename(columns=RENAMED).reset_index(drop=True)
    if "n_censored" not in out:
        out["n_censored"] = [censored_count(str(e)) for e in out["evidence"]]
    out["margin"] = MARGIN
    out["significance"] = SIGNIFICANCE
    if "tie_stability" not in out:
        out["tie_stability"] = ""
    out["n"] = out["n"].astype("int64")
    out["n_censored"] = out["n_censored"].astype("int64")
    extra = [c for c in out.columns if c not in COLUMNS]
    return out[COLUMNS + extra]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else f"{value:.3g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


MARKDOWN_COLUMNS = [
    "claim", "compared", "role", "measure", "verdict_text", "effect", "p", "test", "n",
    "n_censored", "seeds_needed", "seed_robustness", "tie_stability",
]  # fmt: skip


def claims_markdown(table: pd.DataFrame) -> str:
    """One line per row with the verdict and its numbers (statements listed once above)."""
    lines = ["# Claims", ""]
    for claim, statement in table[["claim", "statement"]].drop_duplicates().itertuples(index=False):
        lines.append(f"- **{claim}**: {statement}")
    lines += [
        "",
        f"Margin ±{MARGIN:.0%}, significance p < {SIGNIFICANCE:g}; effect = estimate [95% CI]; "
        "role: primary (the measure the claim's wording states), explanation (the same in "
        "another clock), secondary; seeds_needed: roughly how many seeds would decide an "
        "undecided verdict; seed_robustness: share of 10-seed subsets giving the verdict "
        "(studies with more seeds).",
        "",
        "| " + " | ".join(MARKDOWN_COLUMNS) + " |",
        "|" + "---|" * len(MARKDOWN_COLUMNS),
    ]
    for row in table[MARKDOWN_COLUMNS].itertuples(index=False):
        cells = [_cell(v if not isinstance(v, np.integer) else int(v)) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
