"""across_seeds.py: comparison and outcomes per configuration, censored runs counted."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from run_tables import outcome_runs, seed_runs

from backprop_study.study.across_seeds import comparison_table, outcome_table


def test_comparison_censors_never_solved_and_leaves_out_diverged_losses():
    runs = seed_runs(
        seed=[0, 1, 2, 3],
        first_solved=[100, 300, None, 200],
        final_data_loss=[0.1, 0.3, 0.5, 9.0],
        diverged=[False, False, False, True],
    )
    row = comparison_table(runs).iloc[0]
    assert row["n_runs"] == 4 and row["n_diverged"] == 1
    assert row["n_solved"] == 2 and row["success_rate"] == 0.5
    assert row["final_data_loss_median"] == pytest.approx(0.3)  # of 0.1, 0.3, 0.5
    # epochs to solve: 100, 300, never, never(diverged) → median between 300 and never
    assert math.isnan(row["epochs_to_solve_median"])
    assert row["epochs_to_solve_q25"] == pytest.approx(250)


def test_comparison_has_one_row_per_configuration():
    runs = pd.concat(
        [
            seed_runs(seed=[0, 1], first_solved=[10, 30], final_data_loss=[1.0, 2.0]),
            seed_runs(seed=[0, 1], first_solved=[5, 7], final_data_loss=[3.0, 4.0]).assign(lam=0.1),
        ],
        ignore_index=True,
    )
    comp = comparison_table(runs)
    assert comp["lam"].tolist() == [0.0, 0.1]
    assert comp["epochs_to_solve_median"].tolist() == [20.0, 6.0]
    assert comp["success_rate"].tolist() == [1.0, 1.0]


def test_outcome_table_counts_censored_runs_at_their_budget():
    row = outcome_table(outcome_runs()).iloc[0]
    assert (row["n_runs"], row["n_solved"], row["n_diverged"]) == (4, 2, 1)
    # Solve times 100, 300, ≥1000, ≥1000: the median interpolates into a censored run.
    assert row["solve_q1"] == pytest.approx(250.0) and not row["solve_q1_censored"]
    assert row["solve_median"] == pytest.approx(650.0) and row["solve_median_censored"]
    # Plateau lengths 0 (none), 50, 70, ≥900 (never left).
    assert row["plateau_median"] == pytest.approx(60.0) and not row["plateau_median_censored"]
    assert row["plateau_q3_censored"]
    assert (row["n_plateau"], row["n_plateau_left"]) == (3, 2)
    assert row["final_data_loss_median"] == pytest.approx(0.02)  # diverged run left out


def test_outcome_table_has_kaplan_meier_medians_and_collapsed_runs():
    runs = outcome_runs().assign(
        collapsed=[False, False, True, False], weight_max_end=[5.0, 6.0, 1e-13, float("nan")]
    )
    row = outcome_table(runs).iloc[0]
    # Events at 100 and 300, two censored at 1000: S = 3/4, 2/4 → the KM median is 300.
    assert row["solve_km_median"] == 300.0 and row["solve_km_low"] == 100.0
    assert row["solve_km_high"] == float("inf")
    assert row["n_collapsed"] == 1 and row["weight_max_end_median"] == pytest.approx(5.0)


def test_saturated_runs_are_counted_per_configuration():
    runs = seed_runs(seed=[0, 1, 2], first_solved=[10, None, None], final_data_loss=[0, 1, 1])
    assert comparison_table(runs).iloc[0]["n_saturated"] == 0  # no column: none saturated
    row = comparison_table(runs.assign(saturated=[False, True, True])).iloc[0]
    assert row["n_saturated"] == 2
