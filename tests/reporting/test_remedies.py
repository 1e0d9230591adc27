"""The remedies and benchmarks sections: paired ratios, verdict rules, tables."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from backprop_study.reporting import figures, remedies


def _runs(solve, decades, found=None, **settings) -> pd.DataFrame:
    n = len(solve)
    found = [d > 0 for d in decades] if found is None else found
    config = dict(optimizer="gd", loss="mse", prime_offset=0.0, momentum=0.9, alpha=0.01)
    config |= settings
    return pd.DataFrame(
        {
            "run_id": [f"{config['optimizer']}/{config['alpha']}/{s}" for s in range(n)],
            "seed": range(n),
            "first_solved": pd.array([None if t is None else t for t in solve], dtype="Int64"),
            "diverged": False,
            "epochs": 400_000,
            "classes": 8,
            "plateau_found": found,
            "plateau_left": found,
            "plateau_decades": decades,
            "updates_per_epoch": 1,
            "code_all_distinct": True,
            "code_gap": 0.1,
            **config,
        }
    )


def test_paired_ratio_is_seed_by_seed_and_bounds_censored_pairs() -> None:
    a = _runs([100, 200, 400, None, None], [1.0] * 5)
    b = _runs([10, 20, 40, 50, None], [1.0] * 5)
    r = remedies.paired_ratio(a, b)
    # seed 3: a never solved, so its ratio is at least 400,000 / 50, above the median of 10:
    # the censored pair cannot move the median; seed 4 solved in neither, left out
    assert (r.median, r.n_pairs, r.n_censored, r.n_left_out, r.bound) == (10.0, 4, 1, 1, "")
    assert r.text().startswith("10 [") and "1 unsolved in both, left out" in r.text()
    # a censored pair below the median makes the median a lower bound
    slow = remedies.paired_ratio(
        _runs([None, None, 300], [1.0] * 3), _runs([1e5, 2e5, 1], [1.0] * 3)
    )
    assert slow.bound == "≥ " and slow.median == 4.0  # ratios 4, 2 (both ≥) and 300
    assert remedies.paired_ratio(_runs([100], [1.0]), _runs([None], [1.0])).bound == "≤ "


def test_paired_ratio_interval_covers_the_spread() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(1000, 5000, 30)
    a = _runs(list(base), [1.0] * 30)
    b = _runs(list((base / rng.uniform(1.5, 2.5, 30)).astype(int)), [1.0] * 30)
    r = remedies.paired_ratio(a, b)
    assert 1.5 < r.lo < r.median < r.hi < 2.5


@pytest.mark.parametrize(
    ("solve", "decades", "expected"),
    [
        ([None] * 6 + [10] * 4, [1.0] * 10, "fails (4/10 solve)"),
        ([10] * 10, [0.0] * 8 + [1.0] * 2, "removes the plateau"),
        ([10] * 10, [1.1] * 10, "rescales the clock (100× faster)"),
        ([10] * 10, [0.5] * 10, "shortens the plateau (100× faster)"),
        ([4000] * 10, [2.0] * 10, "lengthens the plateau (0.25× faster)"),
    ],
)
def test_verdict_rules(solve, decades, expected) -> None:
    base = _runs([1000] * 10, [1.0] * 10)
    mine = _runs(solve, decades, optimizer="adam")
    got = remedies.verdict(mine, base, remedies.paired_ratio(base, mine))
    assert got == expected.replace("0.25× faster", "4× slower")


def test_remedies_table_has_a_reference_row_and_one_row_per_configuration() -> None:
    base = _runs([1000] * 5, [1.0] * 5)
    other = _runs([100] * 5, [1.05] * 5, optimizer="momentum")
    rprop = _runs([50] * 5, [0.0] * 5, optimizer="rprop")
    table = remedies.remedies_table(pd.concat([base, other, rprop]), base)
    assert list(table["remedy"]) == ["gradient descent, mse", "momentum μ = 0.9, mse", "RPROP, mse"]
    assert table["epochs to solve over gd at α/(1 − μ) (paired)"].tolist() == ["—"] * 3
    assert list(table["verdict"]) == [
        "reference",
        "rescales the clock (10× faster)",
        "removes the plateau",
    ]
    assert table["α"].tolist() == ["0.01", "0.01", "not used"]
    # gradient-flow time: α per update for gd, α/(1 − μ) for momentum, none for rprop
    assert table["α_eff·updates to solve, median"].tolist() == ["10", "10", "—"]


def test_momentum_clock_sentence_compares_with_gd_at_alpha_over_one_minus_mu() -> None:
    slow = _runs([1000, 1100, 1200, 900, 1000], [1.0] * 5)
    fast = _runs([100, 110, 120, 90, 100], [1.0] * 5, alpha=0.1)
    mom = _runs([101, 109, 121, 90, 99], [1.0] * 5, optimizer="momentum")
    runs = pd.concat([slow, fast, mom])
    table = remedies.remedies_table(runs, slow)
    cell = table.set_index("remedy").loc["momentum μ = 0.9, mse"]
    assert cell["epochs to solve over gd at α/(1 − μ) (paired)"].startswith("1 [")
    text = remedies.momentum_clock(runs, table)
    assert "α/(1 − μ) = 0.1" in text and "consistent with a rescaled clock" in text
    assert "prediction 1/(1 − μ) = 10" in text
    # every number of the sentence is a cell of the table
    numbers = set(re.findall(r"\d+(?:\.\d+)?", text)) - {"1", "0.1", "10", "1.25"}
    cells = " ".join(table.astype(str).to_numpy().ravel())
    assert all(n in cells for n in numbers), numbers


def test_published_values_name_their_source_and_what_was_read() -> None:
    for p in remedies.PUBLISHED.values():
        assert p.source and p.read
    assert remedies.PUBLISHED["rb_bp"].value == "121 ± 30"
    assert remedies.PUBLISHED["rb_rprop"].value == "19 ± 3"


def test_figures_are_registered_once() -> None:
    names = [f.name for f in figures.FIGURES]
    assert len(names) == len(set(names))
    assert {"remedies_correct", "remedies_outcomes", "benchmark_rprop_epochs"} <= set(names)


def test_mean_sd_names_censored_runs() -> None:
    text = remedies._mean_sd(_runs([100, 120, None], [1.0] * 3))
    assert text.startswith("110 ± 14") and "2 solved; 1 censored" in text
    assert math.isnan(remedies.paired_ratio(_runs([None], [0.0]), _runs([None], [0.0])).median)


def test_the_clock_reference_has_the_same_loss() -> None:
    slow = _runs([1000] * 3, [1.0] * 3)
    fast = _runs([100] * 3, [1.0] * 3, alpha=0.1)
    mom_ce = _runs([20] * 3, [1.0] * 3, optimizer="momentum", loss="cross_entropy")
    table = remedies.remedies_table(pd.concat([slow, fast, mom_ce]), slow)
    row = table.set_index("remedy").loc["momentum μ = 0.9, cross-entropy"]
    assert row["epochs to solve over gd at α/(1 − μ) (paired)"] == "—"  # no gd cross-entropy
