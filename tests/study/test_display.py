"""display.py: comparisons and outcomes for people, censoring marked and NaN spelled out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from run_tables import outcome_runs, seed_runs
from tiny_study import tiny_study

from backprop_study.study.across_seeds import comparison_table, outcome_table
from backprop_study.study.display import (
    comparison_display,
    comparison_markdown,
    format_epochs,
    format_value,
    outcome_display,
)


def test_comparison_markdown_spells_out_never_and_canonical_numbers():
    runs = seed_runs(seed=[0, 1], first_solved=[None, None], final_data_loss=[0.25, 0.5])
    runs["lam"] = 1e-05
    exp = tiny_study().experiments["weight_decay"]
    md = comparison_markdown(comparison_table(runs), exp)
    assert md.startswith("# weight_decay")
    assert "0.00001" in md and "1e-05" not in md
    assert "never [never, never]" in md and "0/2" in md


def test_outcome_display_marks_censored_values_and_adds_updates_for_batch_sizes():
    shown = outcome_display(outcome_table(outcome_runs(), ["batch_size"]), ["batch_size"])
    row = shown.iloc[0]
    assert row["solved"] == "2/4"
    assert row["epochs to solve, median [IQR]"] == "≥ 650 [250, ≥ 1,000]"
    assert row["updates to solve, median [IQR]"] == "≥ 1,300 [500, ≥ 2,000]"  # × 8/4 per epoch
    # Gradient-flow time t = α·updates: 1,300 updates × α = 0.5 = 650.
    assert row["t to solve (α·updates), median [IQR]"] == "≥ 650 [250, ≥ 1,000]"
    assert "plateau length in t (α·updates), median [IQR]" in shown.columns


def test_outcome_display_shows_the_kaplan_meier_median_and_collapsed_runs():
    runs = outcome_runs().assign(
        collapsed=[False, False, True, False], weight_max_end=[5.0, 6.0, 1e-13, np.nan]
    )
    shown = outcome_display(outcome_table(runs, ["lam"]), ["lam"]).iloc[0]
    assert shown["collapsed"] == "1/4"
    assert shown["epochs to solve, Kaplan–Meier median [95% CI]"] == "300 [100, ∞]"
    assert shown["largest weight at the end, median"] == "5"
    fewer = runs.assign(first_solved=pd.array([100, None, None, None], dtype="Int64"))
    shown = outcome_display(outcome_table(fewer, ["lam"]), ["lam"]).iloc[0]
    assert shown["epochs to solve, Kaplan–Meier median [95% CI]"] == "> 1,000"


def test_numbers_for_people_spell_out_none():
    assert format_epochs(float("nan")) == "—"
    assert format_epochs(400000.0, censored=True) == "≥ 400,000"
    assert format_value(float("nan")) == "—"
    assert format_value(0.012345) == "0.0123"


def test_the_comparison_shows_saturated_runs_only_when_some_are():
    runs = seed_runs(seed=[0, 1], first_solved=[10, None], final_data_loss=[0.0, 0.0625])
    assert "saturated" not in comparison_display(comparison_table(runs), [])
    shown = comparison_display(comparison_table(runs.assign(saturated=[False, True])), [])
    assert shown["saturated"].tolist() == ["1/2"]
