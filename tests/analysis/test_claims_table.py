"""claims_table: the claims' rows under the table's columns, and their Markdown."""

from __future__ import annotations

import math

import pandas as pd

from backprop_study.analysis.claims import COLUMNS
from backprop_study.analysis.claims_table import COLUMNS as TABLE_COLUMNS
from backprop_study.analysis.claims_table import claims_markdown, claims_table


def _claims() -> pd.DataFrame:
    rows = [
        {"claim": "lambda_drop", "statement": "The smaller λ, the faster.",
         "setting": "λ = 0 vs 0.1", "role": "primary", "verdict": "supported",
         "verdict_text": "supported in epochs",
         "estimate": 0.5, "low": 0.4, "high": 0.6, "bound": "", "effect": "0.5 [0.4, 0.6]",
         "p": 0.01, "test": "Wilcoxon signed-rank", "n": 10, "measure": "epochs",
         "seeds_needed": math.nan, "seed_robustness": math.nan,
         "evidence": "median: λ = 0: 10; λ = 0.1: 20, 3 censored", "experiment": "weight_decay",
         "rule": "rule a"},
        {"claim": "k_minus_1", "statement": "k-1 | sooner.", "setting": "k-1 vs k",
         "role": "primary", "verdict": "insufficient data", "verdict_text": "insufficient data",
         "estimate": math.nan, "low": math.nan, "high": math.nan, "bound": "", "effect": "—",
         "p": math.nan, "test": "", "n": 0, "measure": "", "seeds_needed": math.nan,
         "seed_robustness": math.nan, "evidence": "no runs", "experiment": "encoding",
         "rule": "rule b"},
    ]  # fmt: skip
    frame = pd.DataFrame([{c: r.get(c, "") for c in COLUMNS} for r in rows], columns=COLUMNS)
    return frame.assign(
        tie_stability=["", "0×: no effect"], seed_robustness=math.nan, subset_verdicts=""
    )


def test_the_table_names_the_interval_and_counts_the_censored():
    table = claims_table(_claims())
    assert list(table.columns) == TABLE_COLUMNS
    assert table[["ci_low", "ci_high"]].iloc[0].tolist() == [0.4, 0.6]
    assert table["n_censored"].tolist() == [3, 0]
    assert table["margin"].iloc[0] == 0.1 and table["significance"].iloc[0] == 0.05


def test_columns_the_claims_add_are_kept():
    table = claims_table(_claims().assign(robust="yes", n_censored=[5, 1]))
    assert table.columns[-1] == "robust" and table["n_censored"].tolist() == [5, 1]


def test_markdown_has_one_line_per_row_with_its_verdict():
    text = claims_markdown(claims_table(_claims()))
    rows = [line for line in text.splitlines() if line.startswith("| lambda_drop")]
    assert rows == [
        "| lambda_drop | λ = 0 vs 0.1 | primary | epochs | supported in epochs | 0.5 [0.4, 0.6] | "
        "0.01 | Wilcoxon signed-rank | 10 | 3 | — | — |  |"
    ]
    assert "k-1 \\| sooner." not in text and "- **k_minus_1**: k-1 | sooner." in text
    assert "| k_minus_1 | k-1 vs k | primary |  | insufficient data | — | — |" in text
