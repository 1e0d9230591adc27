"""network_findings: the hidden codes are read only where runs solved, with their counts."""

from __future__ import annotations

import pandas as pd

from backprop_study.analysis.findings import findings_frame
from backprop_study.analysis.network_findings import code_findings


def _runs(lam: float, solved: bool, gap: float, distinct: bool, n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [f"lam~{lam}/seed~{s}" for s in range(n)],
            "seed": range(n),
            "lam": lam,
            "first_solved": pd.array([1000 if solved else None] * n, dtype="Int64"),
            "code_all_distinct": distinct,
            "code_distinct": 8 if distinct else 1,
            "code_gap": gap,
            "code_canonical": ["01234567" if distinct else "00000000"] * n,
        }
    )


def test_a_collapsed_setting_is_never_the_least_binary_and_counts_are_given() -> None:
    runs = pd.concat(
        [
            _runs(0.0, solved=True, gap=0.05, distinct=True),
            _runs(0.001, solved=True, gap=0.2, distinct=True),
            _runs(0.1, solved=False, gap=0.45, distinct=False),  # collapsed: outputs at the mean
        ],
        ignore_index=True,
    )
    f = {r.key: r for r in findings_frame(code_findings(runs, 8)).itertuples(index=False)}
    assert f["codes.most_binary"].text == "codes[lam=0]"
    assert f["codes.least_binary"].text == "codes[lam=0.001]"  # not the collapsed λ = 0.1
    assert f["codes[lam=0.001].solved"].value == 4
    assert f["codes[lam=0.001].gap_solved_mean"].value == 0.2
    assert f["codes.verdict"].text == "all_distinct"


def test_no_solved_run_names_no_extreme() -> None:
    runs = _runs(0.1, solved=False, gap=0.45, distinct=False).assign(encoding="k")
    f = {r.key: r for r in findings_frame(code_findings(runs, 8)).itertuples(index=False)}
    assert f["codes.verdict"].text == "none_solved"
    assert "codes.most_binary" not in f and "codes.least_binary" not in f
