"""claims_table: the claims' rows under the table's columns, and their Markdown."""

from __future__ import annotations

import math

import pandas as pd

from backprop_study.analysis.claims import COLUMNS
from backprop_study.analysis.claims_table import COLUMNS as TABLE_COLUMNS
from backprop_study.analysis.claims_table import claims_markdown, claims_table


def _claims() -> pd.DataFrame:
    rows = [
        ["lambda_drop", "The smaller λ, the faster.", "λ = 0 vs 0.1", "supported", 0.5, 0.4, 0.6,
         "", "0.5 [0.4, 0.6]", 0.01, "Wilcoxon signed-rank", 10, "epochs",
         "median: λ = 0: 10; λ = 0.1: 20, 3 censored", "", "weight_decay", "rule a"],
        ["k_minus_1", "k-1 | sooner.", "k-1 vs k", "insufficient data", math.nan, math.nan,
         math.nan, "", "—", math.nan, "", 0, "", "no runs", "", "encoding", "rule b"],
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS).assign(tie_stability=["", "0×: no effect"])


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
        "| lambda_drop | λ = 0 vs 0.1 | epochs | supported | 0.5 [0.4, 0.6] | 0.01 | "
        "Wilcoxon signed-rank | 10 | 3 |  |"
    ]
    assert "k-1 \\| sooner." not in text and "- **k_minus_1**: k-1 | sooner." in text
    assert "| k_minus_1 | k-1 vs k |  | insufficient data | — | — |" in text
