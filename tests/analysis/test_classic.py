"""The classic benchmarks' tables: restart chaining, the verdict rule both ways, the cells written
as findings, and published.yaml with a source for every value and convention."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import yaml

from backprop_study.analysis import classic
from backprop_study.analysis.findings import findings_frame

PUBLISHED = {"rb_bp": {"mean": 100.0, "sd": 10.0}, "rb_rprop": {"mean": 20.0, "sd": 3.0}}


def _runs(solve, optimizer="gd", epochs=3000, **settings) -> pd.DataFrame:
    n = len(solve)
    config = dict(alpha=19.0, batch_size=10, prime_offset=0.0, lam=0.0, init_std=0.1)
    config |= settings
    return pd.DataFrame(
        {
            "run_id": [f"{optimizer}/{s}" for s in range(n)],
            "seed": range(n),
            "optimizer": optimizer,
            "first_solved": pd.array(list(solve), dtype="Int64"),
            "diverged": False,
            "epochs": epochs,
            "classes": 10,
            "hidden": 5,
            "code_all_distinct": [True] * n,
            "code_gap": 0.1,
            **config,
        }
    )


def test_without_restarts_each_seed_is_a_trial_censored_at_its_budget() -> None:
    tr = classic.trials(_runs([30, None, 50]))
    assert np.isnan(tr.times[1]) and tr.budgets[1] == 3000
    assert list(tr.solved) == [30.0, 50.0] and tr.seeds_per_trial == (1, 1, 1)


def test_restarts_chain_seeds_in_order_and_leave_the_last_chain_unfinished() -> None:
    # limit 100: seed 0 fails, seed 1 solves at 30 -> one trial of 130 epochs; seed 2 solves
    # after the limit (150 > 100) so it counts as a failure like seed 3; seed 4 solves at 10 ->
    # 100 + 100 + 10; seed 5 fails and the seeds run out: an unfinished trial censored at 100
    runs = _runs([None, 30, 150, None, 10, None]).sample(frac=1.0, random_state=3)
    tr = classic.trials(runs, restart_limit=100)
    assert list(tr.times[:2]) == [130.0, 210.0] and np.isnan(tr.times[2])
    assert tr.budgets[2] == 100 and tr.seeds_per_trial == (2, 3, 1)


def test_restarts_never_count_more_than_a_runs_budget() -> None:
    tr = classic.trials(_runs([None, 20], epochs=50), restart_limit=100)
    assert list(tr.times) == [70.0]


def _trials(values) -> classic.Trials:
    t = np.asarray(values, dtype=float)
    return classic.Trials(t, np.full(len(t), 3000.0), (1,) * len(t))


def test_verdict_reproduced_when_the_interval_meets_the_published_spread() -> None:
    rng = np.random.default_rng(0)
    v = classic.verdict(_trials(rng.normal(105, 10, 20)), 100.0, 10.0)
    assert v.text == classic.REPRODUCED and v.low < 1.1 and v.high > 1.0


def test_verdict_not_reproduced_says_which_way_and_by_how_much() -> None:
    rng = np.random.default_rng(0)
    slow = classic.verdict(_trials(rng.normal(300, 10, 20)), 100.0, 10.0)
    assert slow.text == "not reproduced: slower" and 2.9 < slow.low < slow.ratio < slow.high < 3.1
    fast = classic.verdict(_trials(rng.normal(50, 5, 20)), 100.0, 10.0)
    assert fast.text == "not reproduced: faster" and fast.high < 0.9


def test_verdict_spread_matters_and_no_sd_is_a_point() -> None:
    values = np.linspace(115, 125, 20)  # mean 120: 1.2 x the published 100
    assert classic.verdict(_trials(values), 100.0, 30.0).text == classic.REPRODUCED
    assert classic.verdict(_trials(values), 100.0).text == "not reproduced: slower"


def test_verdict_fails_without_a_majority_and_needs_a_published_mean() -> None:
    assert classic.verdict(_trials([10, 20, None, None, None]), 100.0, 10.0).text == (
        "not reproduced: fails (2 of 5 solved)"
    )
    assert classic.verdict(_trials([10, 20, 30]), math.nan).text == "no published number"
    assert classic.verdict(_trials([10, 20]), 100.0).text == "insufficient data"


def test_findings_give_each_paper_three_columns_and_restart_only_under_the_paper() -> None:
    paper = pd.concat([_runs([None, 40, 60, 50], init_std=1.0),
                       _runs([20, 21, 19, 18], "rprop", init_std=1.0),
                       _runs([25, 22, 21], "quickprop", init_std=1.0)])  # fmt: skip
    study = pd.concat([_runs([None, 40, 60, 50]), _runs([30, 31, 29], "rprop")])
    fahlman = _runs([None, None, 30, 40], classes=8, hidden=3)
    rows = classic.classic_findings(
        {
            "benchmark_rb_paper": paper,
            "benchmark_rprop": study,
            "benchmark_fahlman_8_paper": fahlman,
        },
        PUBLISHED,
    )
    f = findings_frame(rows).set_index("key")
    assert f.loc["classic.rb.bp.paper.trials", "value"] == 4  # RB: no restarts
    assert f.loc["classic.rb.bp.paper.solved", "value"] == 3
    assert f.loc["classic.rb.rprop.study.mean", "value"] == 30
    assert f.loc["classic.rb.rprop.paper.verdict", "text"] == classic.REPRODUCED
    assert f.loc["classic.rb.rprop.study.verdict", "text"] == "not reproduced: slower"
    assert f.loc["classic.rb.quickprop.paper.verdict", "text"] == "no published number"
    assert "classic.rb.supersab.paper.seeds" not in f.index  # no runs, no row
    # Fahlman restarts after 1,000 epochs: seeds 0, 1 fail, seed 2 solves -> 2,030; seed 3 -> 40
    assert f.loc["classic.fahlman.gd_8.paper.mean", "value"] == (2030 + 40) / 2
    assert f.loc["classic.fahlman.gd_8.paper.trials", "value"] == 2
    assert f.loc["classic.fahlman.restart_limit", "value"] == classic.PAPERS[1].restart_limit


def test_each_cell_counts_the_runs_that_end_saturated() -> None:
    rprop = _runs([20, 21, 19, 18], "rprop")
    rprop["saturated"] = [True, True, False, pd.NA]  # NA: the snapshot could not be read
    gd = _runs([100, 110])  # no saturated column: none counted
    f = findings_frame(
        classic.classic_findings({"benchmark_rprop": pd.concat([rprop, gd])}, PUBLISHED)
    ).set_index("key")
    assert f.loc["classic.rb.rprop.study.saturated", "value"] == 2
    assert f.loc["classic.rb.rprop.study.mean", "value"] == 19.5  # epochs to the first solve
    assert f.loc["classic.rb.bp.study.saturated", "value"] == 0


def test_mitchell_is_judged_on_distinct_codes() -> None:
    runs = _runs([100] * 20, classes=8, hidden=3, alpha=0.3, batch_size=1)
    runs["code_all_distinct"] = [True] * 19 + [False]
    f = {r.key: r for r in classic.classic_findings({"benchmark_mitchell": runs}, PUBLISHED)}
    assert f["classic.mitchell.bp.study.codes_distinct"].value == 19
    assert f["classic.mitchell.bp.study.verdict"].text == "reproduced"
    runs["code_all_distinct"] = [True] * 10 + [False] * 10
    f = {r.key: r for r in classic.classic_findings({"benchmark_mitchell": runs}, PUBLISHED)}
    assert f["classic.mitchell.bp.study.verdict"].text == "inconclusive"


def test_setting_findings_name_a_uniform_init_when_the_runs_have_one() -> None:
    runs = _runs([10, 12, 11], init_distribution="uniform", init_range=1.0)
    f = {r.key: r for r in classic.setting_findings("k", runs, "x")}
    assert f["k.init"].text == "U(−1, 1)"
    assert {r.key: r for r in classic.setting_findings("k", _runs([1]), "x")}["k.init"].text == (
        "N(0, 0.1²)"
    )


def test_published_yaml_gives_a_source_for_every_value_and_convention() -> None:
    data = yaml.safe_load(
        resources.files("backprop_study").joinpath("analysis/published.yaml").read_text()
    )
    sources = data["sources"]
    for name, v in data["values"].items():
        assert v["source"] in sources, name
        assert v["read"].strip(), name
        assert {"problem", "method", "value"} <= set(v), name
        if "mean" in v:
            assert math.isfinite(float(v["mean"])) and float(v["sd"]) >= 0, name
    for paper in classic.PAPERS:
        for method in paper.methods:
            assert method.published in data["values"], method
        for c in data["conventions"][paper.key]:
            assert c["source"] in sources and c["read"].strip(), c["name"]
            assert {"paper", "ours_paper", "ours_study"} <= set(c), c["name"]


@pytest.mark.parametrize("paper", classic.PAPERS, ids=lambda p: p.key)
def test_every_paper_has_both_columns(paper) -> None:
    assert set(paper.experiments) == set(classic.COLUMNS)
