import math

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis.convergence import (
    as_times,
    censored_summary,
    convergence_table,
    updates_per_epoch,
)


def test_without_censoring_matches_numpy_quantiles():
    t = np.array([120.0, 50.0, 300.0, 80.0, 95.0])
    s = censored_summary(t, 1000)
    assert (s.q1, s.median, s.q3) == tuple(np.quantile(t, [0.25, 0.5, 0.75]))
    assert s.n == 5 and s.n_events == 5 and s.success_rate == 1.0
    assert not (s.q1_censored or s.median_censored or s.q3_censored)


def test_never_solved_runs_count_at_the_budget():
    t = np.array([100.0, 200.0, np.nan, np.nan])
    s = censored_summary(t, 1000)
    assert s.success_rate == 0.5 and s.n_events == 2
    # values 100, 200, 1000, 1000: median interpolates 200 and a censored 1000
    assert s.median == pytest.approx(600.0) and s.median_censored
    assert s.q1 == pytest.approx(175.0) and not s.q1_censored
    assert s.q3 == 1000.0 and s.q3_censored


def test_dropping_failures_would_have_given_a_smaller_median():
    t = np.array([10.0, 20.0, 30.0, np.nan, np.nan, np.nan])
    assert censored_summary(t, 500).median > np.nanmedian(t)


def test_all_censored_and_per_run_budgets():
    s = censored_summary(np.array([np.nan, np.nan]), np.array([100.0, 300.0]))
    assert s.success_rate == 0.0
    assert (s.q1, s.median, s.q3) == (150.0, 200.0, 250.0)
    assert s.q1_censored and s.median_censored and s.q3_censored


def test_empty_input():
    s = censored_summary(np.array([]), 10)
    assert s.n == 0 and math.isnan(s.median) and math.isnan(s.success_rate)


def test_updates_per_epoch():
    assert updates_per_epoch(8, 1) == 8
    assert updates_per_epoch(8, 8) == 1
    assert updates_per_epoch(8, 2) == 4


def test_as_times_reads_nullable_integers():
    col = pd.Series([5, None, 7], dtype="Int64")
    out = as_times(col)
    assert out[0] == 5.0 and math.isnan(out[1]) and out[2] == 7.0


def test_convergence_table_groups_and_counts_failures():
    runs = pd.DataFrame(
        {
            "lam": [0.0, 0.0, 0.0, 0.1, 0.1, 0.1],
            "first_solved": pd.array([100, 200, 300, None, None, 400], dtype="Int64"),
            "epochs": [1000] * 6,
            "n_patterns": [8] * 6,
            "batch_size": [8, 8, 8, 1, 1, 1],
        }
    )
    t = convergence_table(runs, ["lam"])
    assert t["lam"].tolist() == [0.0, 0.1]
    assert t["success_rate"].tolist() == pytest.approx([1.0, 1 / 3])
    assert t["median"].tolist() == [200.0, 1000.0]
    assert t["median_censored"].tolist() == [False, True]
    u = convergence_table(runs, ["lam"], per_update=True)
    assert u["median"].tolist() == [200.0, 8000.0]  # batch 1 makes 8 updates per epoch
