"""plateaulaw.py: measured against predicted on a small setting, and the table's arithmetic."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis import bisection, escapetime, flowrun, growth, plateaulaw, theory


def test_escape_rows_on_4_2_4_follow_the_law():
    setting = flowrun.Setting(4, 2, "cross_entropy", alpha=0.1)
    rows = plateaulaw.escape_rows(setting, [0, 1], t_max=2000.0)
    assert len(rows) == 2 * len(plateaulaw.SCALES) * len(escapetime.FRACTIONS)
    assert rows["t_escape"].notna().all()
    table = plateaulaw.law_table(setting, rows, None).set_index("quantity")
    land = theory.landing(4, 2, "cross_entropy", alpha=0.1)
    assert table.loc["mu_visited", "predicted"] == pytest.approx(land.mu)
    # the law, not a tautology: measured slopes and rates come from runs, predictions from
    # the closed form; on this small net they agree to a few percent
    for q in ["slope f=0.9", "mu_growth_0.001", "mu_visited"]:
        assert table.loc[q, "ratio"] == pytest.approx(1.0, abs=0.05)


def test_law_table_ratios_for_synthetic_measurements():
    setting = flowrun.Setting(8, 3, "mse")
    mu = theory.landing(8, 3, "mse", alpha=0.1).mu
    rows = []
    for seed in range(5):
        for s in plateaulaw.SCALES:
            for f in escapetime.FRACTIONS:
                t = 500 + 10 * seed + 1.2 / mu * np.log(1 / s)  # 20% slower than predicted
                rows.append({"seed": seed, "init_std": s, "fraction": f, "t_escape": t,
                             "mu_visited": mu, "mu_growth_0.001": 0.9 * mu})  # fmt: skip
    critical = pd.DataFrame({"lam_c": [0.003, 0.0031], "decided": [True, True]})
    table = plateaulaw.law_table(setting, pd.DataFrame(rows), critical).set_index("quantity")
    assert table.loc["slope f=0.9", "ratio"] == pytest.approx(1.2, rel=1e-9)
    assert table.loc["mu_growth_0.001", "ratio"] == pytest.approx(0.9, rel=1e-9)
    lam_c = theory.critical_lambda(8, 3, "mse", rel_tol=1e-3, alpha=0.1)
    assert table.loc["lambda_c", "predicted"] == pytest.approx(lam_c)
    assert table.loc["lambda_c", "ratio"] == pytest.approx(np.sqrt(0.003 * 0.0031) / lam_c)


def test_a_continued_run_gets_the_verdict_of_a_fresh_one():
    setting = flowrun.Setting(4, 2, "cross_entropy", alpha=0.5)
    lam = 1.25 * theory.mu(0.0, 4, "cross_entropy", 0.0)
    grown = plateaulaw.collapse_verdict(setting, 0, 0.01)
    fresh = plateaulaw.collapse_verdict(setting, 0, 0.01)
    first = grown(lam, 50.0)
    assert grown(lam, 3000.0) == fresh(lam, 3000.0) == "collapsed"
    assert first == "undecided"


def test_critical_rows_report_mu_at_the_collapsed_ends_endpoint(monkeypatch):
    setting = flowrun.Setting(4, 2, "cross_entropy", alpha=0.5)
    top = theory.mu(0.0, 4, "cross_entropy", 0.0)

    def two_runs(evaluate, lo, hi, budget, max_budget):
        assert evaluate(hi, 400.0) == "collapsed"
        return bisection.Bracket(0.9 * hi, hi, 1, True, 400.0)

    monkeypatch.setattr(bisection, "bisect", two_runs)
    rows, probes = plateaulaw.critical_rows(setting, [0], budget=400.0, max_budget=400.0)
    row = rows.iloc[0]
    at = replace(setting, lam=1.25 * top)
    every = plateaulaw.log_every(setting, plateaulaw.BISECT_POINTS_PER_RATE)
    start = flowrun.initial_network(at, plateaulaw.LAMBDA_INIT_STD, 0)
    trace = flowrun.run(at, start, 400.0, every)
    assert row["mu_endpoint"] == pytest.approx(growth.visited_mu(trace.final, "cross_entropy"))
    assert row["lam_collapsed"] == pytest.approx(1.25 * top)
    assert probes[["lam", "verdict"]].values.tolist() == [[1.25 * top, "collapsed"]]
    assert probes["t_escape"].isna().all()


def test_asking_again_with_a_smaller_budget_reuses_the_longer_run():
    setting = flowrun.Setting(4, 2, "cross_entropy", alpha=0.5)
    lam = 1.25 * theory.mu(0.0, 4, "cross_entropy", 0.0)
    done = {}
    evaluate = plateaulaw.collapse_verdict(setting, 0, 0.01, done)
    assert evaluate(lam, 3000.0) == "collapsed"
    longer = done[lam]
    assert evaluate(lam, 50.0) == "collapsed"  # not a negative continuation
    assert done[lam] is longer
