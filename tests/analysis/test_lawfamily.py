"""lawfamily.py: the verdict rule, the family table from per-setting law tables, the claims."""

import math

import pandas as pd
import pytest

from backprop_study.analysis import lawfamily, plateaulaw, theory

S, F, UNDECIDED = lawfamily.SUPPORTED, lawfamily.FAILS, lawfamily.INCONCLUSIVE


@pytest.mark.parametrize(
    ("low", "high", "want"),
    [(0.97, 1.03, S), (0.95, 1.05, S), (0.90, 0.94, F), (1.06, 1.2, F), (0.93, 1.01, UNDECIDED),
     (0.9, 1.1, UNDECIDED), (math.nan, 1.0, UNDECIDED)],
)  # fmt: skip
def test_label(low, high, want):
    assert lawfamily.label(low, high) == want


def law(name="8-3-8 mse c=0.1", slope_ratios=(1.0, 1.0, 1.0, 1.0), halfwidth=0.02):
    rows = []
    for f, r in zip((0.7, 0.8, 0.9, 0.95), slope_ratios, strict=True):
        rows.append({"setting": name, "quantity": f"slope f={f:g}", "predicted": 300.0,
                     "measured": 300.0 * r, "ratio": r, "low": r - halfwidth,
                     "high": r + halfwidth, "n": 10})  # fmt: skip
    for q, r in (("mu_visited", 1.01), ("mu_growth_0.001", 0.99), ("lambda_c", 1.2)):
        rows.append({"setting": name, "quantity": q, "predicted": 0.003, "measured": 0.003 * r,
                     "ratio": r, "low": r - 0.01, "high": r + 0.01, "n": 10})  # fmt: skip
    return pd.DataFrame(rows)


def test_family_table_rows_and_verdicts():
    table = lawfamily.family_table([law(), law("4-2-4 cross_entropy c=0", (1.0, 1.0, 1.0, 0.9))])
    assert list(table.columns) == lawfamily.TABLE_COLUMNS
    first = table[table["setting"] == "4-2-4 cross_entropy c=0"].set_index("prediction")
    assert list(first.index) == ["slope", "mu", "mu_star", "lambda_c"]  # N first, then order
    assert first.loc["slope", "verdict"] == F  # one threshold off: slope depends on f
    assert first.loc["slope", "spread"] == pytest.approx(0.1)
    assert (first.loc["slope", "classes"], first.loc["slope", "offset"]) == (4, 0.0)
    second = table[table["setting"] == "8-3-8 mse c=0.1"].set_index("prediction")
    assert second.loc["slope", "verdict"] == S
    assert second.loc["mu", "verdict"] == S and second.loc["mu", "ratio"] == pytest.approx(0.99)
    assert second.loc["lambda_c", "verdict"] == F
    eps = max(theory.small_s(8, 3, "mse", 0.1, s, 0.95).largest for s in plateaulaw.SCALES)
    assert second.loc["slope", "small_s_eps"] == pytest.approx(eps)
    assert second.drop(index="slope")["small_s_eps"].isna().all()
    wide = lawfamily.family_table([law(halfwidth=0.08)]).set_index("prediction")
    assert wide.loc["slope", "verdict"] == UNDECIDED


def test_claims_and_markdown_carry_every_row():
    table = lawfamily.family_table([law()])
    claims = lawfamily.claims_rows(table)
    assert len(claims) == len(table) == 4
    assert set(claims["verdict"]) == {S, F}
    assert claims["rule"].str.contains("0.95").all()
    md = lawfamily.table_markdown(table)
    assert md.count("\n| 8-3-8 mse c=0.1 |") == 4
