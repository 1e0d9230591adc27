"""claims.py and testers.py: one row per claim and setting, on runs tables with known answers."""

import math

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis import claims, stats
from backprop_study.analysis.claims import evaluate_claims, select, tie_stability
from backprop_study.analysis.measures import MEASURES, flow_per_epoch, loss_per_output
from backprop_study.analysis.stats import (
    COLLAPSED,
    CONTRADICTED,
    INCONCLUSIVE,
    INSUFFICIENT,
    NO_EFFECT,
    SUPPORTED,
    VERDICTS,
)
from backprop_study.engine.network import Params

SEEDS = list(range(1, 11))
RNG = np.random.default_rng(0)
SEED_FACTOR = dict(zip(SEEDS, RNG.lognormal(0, 0.3, len(SEEDS)), strict=True))


def run_row(encoding="k", lam=0.0, alpha=0.01, batch_size=8, seed=1, **over):
    f = SEED_FACTOR.get(seed, 1.0)  # seeds differ; a pair shares its seed's factor
    row = {
        "run_id": f"enc~{encoding}/lam~{lam}/alpha~{alpha}/batch~{batch_size}/seed~{seed}",
        "encoding": encoding,
        "lam": float(lam),
        "alpha": float(alpha),
        "batch_size": batch_size,
        "seed": seed,
        "epochs": 1_000_000,
        "n_patterns": 8,
        "init_std": 0.1,
        "log_per_decade": 1000,
        "first_solved": int(450_000 * f),
        "first_all_correct": int(200_000 * f),
        "first_rounded_correct": 210_000.0 * f,
        "final_objective": 0.01,
        "final_data_loss": 0.01 * f,
        "final_correct": 8,
        "plateau_found": True,
        "plateau_left": True,
        "plateau_start": 3_000.0,
        "plateau_end": 40_000.0 * f,
        "drop_epoch": 1_000.0 * f,
        "bias_ratio_plateau": 2.7 * f**0.1,
        "bias_ratio_plateau_hidden": 4.4,
        "bias_ratio_plateau_output": 1.9,
        "bias_ratio_end": 0.8,
        "weight_abs_plateau_hidden": 0.1,
        "code_canonical": f"code{seed}",
        "collapsed": False,
        "weight_max_end": 10.0,
        "trivial_loss": 0.4375 if encoding == "k" else 0.3828125,
    }
    row.update(over)
    row["plateau_epochs"] = row["plateau_end"] - row["plateau_start"]
    return row


def table(rows):
    df = pd.DataFrame(rows)
    df["first_solved"] = df["first_solved"].astype("Int64")
    df["first_all_correct"] = df["first_all_correct"].astype("Int64")
    return df


def experiments(**axes):
    base = {"encoding": ["k"], "lam": [0.0], "alpha": [0.01], "batch_size": [8], "seeds": SEEDS}
    return {name: {**base, **ax} for name, ax in axes.items()}


def rows_of(result, claim):
    return result[result["claim"] == claim].set_index("setting")


def collapsed(lam, seed):
    return run_row(
        lam=lam, seed=seed, first_solved=None, first_all_correct=None, plateau_left=False,
        plateau_end=1_000_000.0, collapsed=True, weight_max_end=3e-14, final_data_loss=0.4375,
        final_correct=1, bias_ratio_plateau=2e6,
    )  # fmt: skip


# --- measures -------------------------------------------------------------------------------


def test_flow_time_and_loss_per_output():
    df = table([run_row(alpha=0.5, batch_size=2), run_row(encoding="k-1", final_data_loss=0.07)])
    assert flow_per_epoch(df).tolist() == [0.5 * 4, 0.01 * 1]
    t, c = MEASURES["solve_t"].values(df)
    assert t[0] == pytest.approx(df["first_solved"].iloc[0] * 2.0) and not c.any()
    assert loss_per_output(df)[0][1] == pytest.approx(0.07 / 7)  # k-1: 7 outputs
    assert MEASURES["plateau"].resolution(df) == pytest.approx(math.log(10) / 100)
    assert MEASURES["solve"].resolution(df) == 0.0


def test_select_matches_axes_including_float_values():
    df = table([run_row(lam=lam, seed=s) for lam in (0.0, 1e-4, 0.1) for s in (1, 2, 3)])
    got = select(df, {"lam": [0.1 * 1e-3, 0], "seeds": [1, 3]})
    assert sorted(got["lam"].unique()) == [0.0, 1e-4]
    assert sorted(got["seed"].unique()) == [1, 3]
    assert select(df, {"encoding": ["k-1"]}).empty


# --- weight decay: one row per setting, collapse named ----------------------------------------


def lambda_table(slow=1.15):
    rows = []
    for s in SEEDS:
        f = SEED_FACTOR[s]
        rows.append(run_row(lam=0.0, seed=s))
        rows.append(
            run_row(lam=1e-4, seed=s, first_solved=int(450_000 * f * slow),
                    plateau_end=40_000.0 * f * 1.02, drop_epoch=1_000.0 * f)
        )  # fmt: skip
        rows.append(collapsed(0.1, s))
    return table(rows)


def test_weight_decay_rows_per_setting_and_collapse():
    out = evaluate_claims(lambda_table(), experiments(weight_decay={"lam": [0, 1e-4, 0.1]}))
    assert set(out["verdict"]) <= set(VERDICTS)
    slows = rows_of(out, "lambda_slows")
    assert list(slows.index) == ["λ = 0.0001 vs 0", "λ = 0.1 vs 0"]
    assert slows.loc["λ = 0.0001 vs 0", "verdict"] == SUPPORTED
    row = slows.loc["λ = 0.0001 vs 0"]
    assert row["low"] < 1.15 < row["high"] and row["p"] < 0.01
    assert slows.loc["λ = 0.1 vs 0", "verdict"] == COLLAPSED
    assert "10/10 runs collapsed to the trivial network" in slows.loc["λ = 0.1 vs 0", "evidence"]
    plateau = rows_of(out, "lambda_plateau")
    assert plateau.loc["λ = 0 vs 0.0001", "verdict"] == NO_EFFECT  # 2% apart: inside ±10%
    assert plateau.loc["λ = 0.0001 vs 0.1", "verdict"] == COLLAPSED
    drop = rows_of(out, "lambda_drop")
    assert drop.loc["λ = 0 vs 0.0001", "verdict"] == NO_EFFECT  # identical: a tie, not "mixed"
    bias = rows_of(out, "bias_dominates")
    assert bias.loc["λ = 0", "verdict"] == SUPPORTED
    assert bias.loc["λ = 0.1", "verdict"] == COLLAPSED  # never pooled with the learning runs


def test_a_setting_that_never_solves_without_collapse_is_a_bound():
    rows = [run_row(lam=0.0, seed=s) for s in SEEDS] + [
        run_row(lam=1e-3, seed=s, first_solved=None, final_data_loss=0.146) for s in SEEDS
    ]
    out = evaluate_claims(table(rows), experiments(weight_decay={"lam": [0, 1e-3]}))
    row = rows_of(out, "lambda_slows").loc["λ = 0.001 vs 0"]
    assert row["verdict"] == SUPPORTED and row["bound"] == "≥"
    assert "stopped short" in row["instead"] and "0.146" in row["instead"]


def test_verdict_does_not_flip_within_the_detectors_resolution():
    """Plateau exits 1-2 grid steps apart (2.5-5 %): the verdict is the same with the tie
    tolerance at 0, 1 and 2 times the detector's resolution."""
    step = 10 ** (1 / 100)
    rows = []
    for s in SEEDS:
        f = SEED_FACTOR[s]
        rows.append(run_row(lam=0.0, seed=s))
        rows.append(run_row(lam=1e-4, seed=s, plateau_end=40_000.0 * f * step ** (1 + s % 2)))
    df = table(rows)
    ex = experiments(weight_decay={"lam": [0, 1e-4]})
    verdicts = {
        scale: rows_of(evaluate_claims(df, ex, tie_scale=scale), "lambda_plateau")["verdict"].iloc[
            0
        ]
        for scale in (0.0, 0.5, 1.0, 1.5, 2.0)
    }
    assert set(verdicts.values()) == {NO_EFFECT}
    assert (tie_stability(df, ex) == "").all()


# --- learning rate and batch size: rescaling ------------------------------------------------


def primary(result, claim):
    rows = result[(result["claim"] == claim) & (result["role"] == claims.PRIMARY)]
    return rows.set_index("setting")


def clock_change_alpha():
    rows = []
    for s in SEEDS:
        f = SEED_FACTOR[s]
        for alpha in (0.01, 0.1, 1.0):
            k = 0.01 / alpha  # exact rescaling: epochs scale with 1/α
            rows.append(
                run_row(alpha=alpha, seed=s, plateau_start=3_000.0 * k,
                        plateau_end=40_000.0 * f * k, first_solved=int(450_000 * f * k))
            )  # fmt: skip
    return table(rows)


def test_a_pure_clock_change_is_supported_in_epochs_and_no_effect_in_flow_time():
    out = evaluate_claims(
        clock_change_alpha(), experiments(learning_rate={"alpha": [0.01, 0.1, 1.0]})
    )
    alpha = rows_of(out, "alpha_plateau")
    assert list(primary(out, "alpha_plateau").index) == ["α = 0.1 vs 0.01", "α = 1 vs 0.01"]
    assert alpha["role"].tolist() == ["primary", "explanation", "secondary"] * 2
    assert alpha["measure_key"].tolist() == ["plateau", "plateau_t", "solve_t"] * 2
    assert (alpha["reading"] == "supported in epochs; no effect in flow time").all()
    assert alpha["verdict_text"].tolist()[:3] == [
        "supported in epochs", "no effect in flow time", "no effect in flow time",
    ]  # fmt: skip
    one = alpha.loc["α = 1 vs 0.01"]
    assert one["estimate"].iloc[0] == pytest.approx(0.01, rel=1e-3)  # epochs: 100× shorter
    assert "exact rescaling predicts ×0.01" in one["instead"].iloc[1]
    assert "exact rescaling holds in t for every measure" in one["instead"].iloc[0]
    assert rows_of(out, "alpha_succeeds")["verdict"].iloc[0] == SUPPORTED

    rows = [
        run_row(batch_size=b, seed=s, first_solved=int(450_000 * SEED_FACTOR[s] * b / 8),
                plateau_end=40_000.0 * SEED_FACTOR[s] * b / 8)
        for s in SEEDS
        for b in (1, 8)
    ]  # fmt: skip
    out = evaluate_claims(table(rows), experiments(batch_size={"batch_size": [1, 8]}))
    batch = rows_of(out, "batch_one").loc["batch size = 1 vs 8"]
    assert batch["measure_key"].tolist() == ["solve", "solve_t", "plateau_exit_t"]
    assert batch["reading"].iloc[0] == "supported in epochs; no effect in flow time"
    assert batch["estimate"].iloc[0] == pytest.approx(0.125, rel=1e-4)
    assert batch["estimate"].iloc[1] == pytest.approx(1.0, rel=1e-4)
    assert "exact rescaling predicts ×0.125" in batch["instead"].iloc[1]


def test_where_the_rescaling_stops_is_said():
    """Exact rescaling to the plateau's end, 30% slower to solve in t at α = 1."""
    df = clock_change_alpha()
    late = np.isclose(df["alpha"], 1.0)
    df.loc[late, "first_solved"] = (df.loc[late, "first_solved"] * 1.3).astype("Int64")
    out = evaluate_claims(df, experiments(learning_rate={"alpha": [0.01, 0.1, 1.0]}))
    one = rows_of(out, "alpha_plateau").loc["α = 1 vs 0.01"]
    assert one["verdict_text"].tolist() == [
        "supported in epochs", "no effect in flow time", "contradicted in flow time",
    ]  # fmt: skip
    reach = one["instead"].iloc[0]
    assert "holds in t for plateau length; not shown for time to solve (1.3" in reach
    assert "contradicted in flow time)" in reach


def test_a_real_speed_up_beyond_rescaling_is_supported():
    rows = [
        run_row(alpha=a, seed=s, plateau_end=3_000 + 37_000.0 * SEED_FACTOR[s] * 0.01 / a * w)
        for s in SEEDS
        for a, w in ((0.01, 1.0), (1.0, 0.5))
    ]
    out = evaluate_claims(table(rows), experiments(learning_rate={"alpha": [0.01, 1.0]}))
    alpha = rows_of(out, "alpha_plateau")
    assert alpha["verdict"].tolist()[:2] == [SUPPORTED, SUPPORTED]  # in epochs and in t


def test_unequal_budgets_in_flow_time_are_cut_at_the_common_horizon():
    """Batch 1 has 8× batch 8's budget in t. Two batch-8 runs do not solve within their budget
    (t = 8,000) and their batch-1 twins solve at t = 9,000: counted as they are, the ratio is a
    '≤' bound and the verdict inconclusive; censored at t = 8,000 in both arms, the pairs say
    nothing and the rest is an exact rescaling: no effect."""
    rows = []
    for s in SEEDS:
        epochs8 = 450_000 * SEED_FACTOR[s] if s > 2 else None  # t = 9,000 for seeds 1, 2
        epochs1 = epochs8 / 8 if epochs8 else 900_000 / 8
        for b, solved in ((1, epochs1), (8, epochs8)):
            rows.append(
                run_row(batch_size=b, seed=s, epochs=800_000,
                        first_solved=None if solved is None else int(solved))
            )  # fmt: skip
    df = table(rows)
    flow = MEASURES["solve_t"]
    one, eight = df[df["batch_size"] == 1], df[df["batch_size"] == 8]
    assert flow.budget(one)[0] == 8 * flow.budget(eight)[0] == 64_000
    naive = stats.paired_ratio(*flow.values(one)[:1], *flow.values(eight)[:1],
                               flow.values(one)[1], flow.values(eight)[1])  # fmt: skip
    assert naive.bound == "≤" and stats.verdict(naive, "lower") == INCONCLUSIVE
    out = evaluate_claims(df, experiments(batch_size={"batch_size": [1, 8]}))
    batch = rows_of(out, "batch_one").set_index("measure_key")
    assert batch.loc["solve_t", "verdict"] == NO_EFFECT and batch.loc["solve_t", "bound"] == ""
    assert batch.loc["solve_t", "n"] == 8  # the two pairs past the horizon say nothing
    assert "common horizon 8000" in batch.loc["solve_t", "evidence"]
    assert batch.loc["solve", "verdict"] == SUPPORTED  # equal budgets in epochs: unchanged
    assert "common horizon" not in batch.loc["solve", "evidence"]


def test_arms_with_different_epoch_budgets_pair_by_seed_at_the_common_horizon():
    rows = []
    for s in SEEDS:
        f = SEED_FACTOR[s]
        rows.append(run_row(lam=0.0, seed=s, epochs=1_000_000, first_solved=int(200_000 * f)))
        rows.append(run_row(lam=1e-4, seed=s, epochs=500_000, first_solved=int(230_000 * f)))
    out = evaluate_claims(table(rows), experiments(weight_decay={"lam": [0, 1e-4]}))
    row = rows_of(out, "lambda_slows").iloc[0]
    assert row["n"] == 10 and row["verdict"] == SUPPORTED
    assert "common horizon 5e+05" in row["evidence"]


def test_a_plateau_length_is_censored_at_the_common_horizon():
    df = table([run_row(alpha=0.1, plateau_start=100.0, plateau_end=90_000.0)])
    t = MEASURES["plateau_t"]
    assert t.within(df, 5_000.0)[0][0] == pytest.approx(5_000 - 10)  # t: start 10, end 9,000
    assert t.within(df, 5_000.0)[1][0]
    assert t.within(df, 10_000.0)[0][0] == pytest.approx(9_000 - 10)
    assert not t.within(df, 10_000.0)[1][0]


# --- k against k-1: unpaired, per output ----------------------------------------------------


def k_table(later_correct=True, noisy=False):
    rows = []
    rng = np.random.default_rng(3)
    for s in SEEDS:
        f = SEED_FACTOR[s]
        g = SEED_FACTOR[11 - s] * (rng.lognormal(0, 0.6) if noisy else 1.0)
        rows.append(run_row(encoding="k", seed=s, final_data_loss=0.008 * f))
        # k-1: 7 outputs summing to a smaller total but the same loss per output; later
        rows.append(
            run_row(encoding="k-1", seed=s, final_data_loss=0.007 * SEED_FACTOR[11 - s],
                    plateau_end=40_000.0 * g,
                    first_all_correct=int((350_000 if later_correct else 200_000) * g))
        )  # fmt: skip
    return table(rows)


def test_k_minus_1_is_judged_on_the_plateau_exit_the_other_measures_beside_it():
    out = evaluate_claims(k_table(), experiments(encoding={"encoding": ["k", "k-1"]}))
    k1 = rows_of(out, "k_minus_1").reset_index()
    assert k1["measure_key"].tolist() == [
        "plateau_exit", "solve", "all_correct", "rounded_correct", "loss_per_output",
    ]  # fmt: skip
    assert k1["role"].tolist() == ["primary"] + ["secondary"] * 4
    assert (k1["test"].iloc[:4] == "log-rank").all() and k1["test"].iloc[4] == "Mann–Whitney U"
    assert k1["verdict"].iloc[0] != CONTRADICTED  # the plateau: the same exit times
    assert k1["verdict"].iloc[2] == CONTRADICTED  # all patterns correct later
    assert k1["reading"].iloc[0] == k1["verdict_text"].iloc[0]  # no explanation rows
    assert k1["estimate"].iloc[4] == pytest.approx(1.0)  # per output: the same loss
    assert "all 7 outputs are below 0.5" in k1["instead"].iloc[2]
    assert "every output is on its target's side of 0.5" in k1["instead"].iloc[3]
    assert "class 0 is all zeros" in k1["instead"].iloc[0]


def test_the_primary_measure_is_fixed_by_the_spec_not_by_the_data():
    """Two data sets, one where only the primary measure moves, one where only a secondary
    does: the primary row is the spec's measure in both, and a spec cannot be changed."""
    import dataclasses

    ex = experiments(encoding={"encoding": ["k", "k-1"]})
    for df in (k_table(later_correct=True), k_table(later_correct=False)):
        first = primary(evaluate_claims(df, ex), "k_minus_1")
        assert first["measure_key"].tolist() == ["plateau_exit"]
    spec = next(c for c in claims.CLAIMS if c.id == "k_minus_1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.primary = "all_correct"
    for spec in claims.CLAIMS:
        assert spec.checks()[0] == (claims.PRIMARY, spec.primary)


def test_an_underpowered_comparison_reads_undecided_with_the_seeds_needed():
    out = evaluate_claims(k_table(noisy=True), experiments(encoding={"encoding": ["k", "k-1"]}))
    row = primary(out, "k_minus_1").iloc[0]
    assert row["verdict"] == INCONCLUSIVE and not row["resolves_margin"]
    assert row["verdict_text"] == "undecided in epochs at 10 seeds"
    assert row["seeds"] == 10 and row["seeds_needed"] > 10
    assert f"about {row['seeds_needed']:.0f} seeds would decide it" in row["resolution"]


# --- different solutions --------------------------------------------------------------------


def long_form(run_id, p):
    rows = []
    for layer, W, b in (("hidden", p.W1, p.b1), ("output", p.W2, p.b2)):
        for i in range(W.shape[0]):
            rows.append((run_id, 9, layer, i, -1, True, b[i]))
            for j in range(W.shape[1]):
                rows.append((run_id, 9, layer, i, j, False, W[i, j]))
    cols = ["run_id", "epoch", "layer", "to_unit", "from_unit", "is_bias", "value"]
    return pd.DataFrame(rows, columns=cols)


def weights_runs(lam, same, collapse=False):
    rng = np.random.default_rng(0)
    base = Params(*(rng.normal(0, 3, s) for s in ((3, 8), (3,), (8, 3), (8,))))
    df = table([collapsed(lam, s) if collapse else run_row(lam=lam, seed=s) for s in SEEDS])
    final = []
    for rid in df["run_id"]:
        p = base if same else Params(*(rng.normal(0, 3, a.shape) for a in base))
        final.append(long_form(rid, p))
    return df, pd.concat(final)


def test_different_solutions_per_setting():
    ex = experiments(weights={"lam": [0.0, 0.1]})
    learn, fw_learn = weights_runs(0.0, same=False)
    gone, fw_gone = weights_runs(0.1, same=True, collapse=True)
    out = evaluate_claims(pd.concat([learn, gone]), ex, pd.concat([fw_learn, fw_gone]))
    rows = rows_of(out, "different_solutions")
    assert rows.loc["λ = 0", "verdict"] == SUPPORTED and rows.loc["λ = 0", "n"] == 45
    assert rows.loc["λ = 0.1", "verdict"] == COLLAPSED
    assert "trivial network" in rows.loc["λ = 0.1", "instead"]
    same, fw_same = weights_runs(0.0, same=True)
    assert (
        rows_of(evaluate_claims(same, ex, fw_same), "different_solutions")["verdict"].iloc[0]
        == CONTRADICTED
    )
    assert rows_of(evaluate_claims(same, ex), "different_solutions")["verdict"].iloc[0] == (
        INSUFFICIENT
    )


def test_claims_with_stability_is_evaluate_claims_plus_tie_stability():
    """The report's claims table evaluates each tie scale once; same table as evaluating the
    claims and their stability separately, also where a verdict moves with the tie scale."""
    from backprop_study.analysis import stats
    from backprop_study.analysis.testers import Row

    def by_tie_scale(data, key):  # a verdict that moves with the tie scale
        verdict = SUPPORTED if data.tie_scale < 1.5 else NO_EFFECT
        return [Row("λ = 0", verdict, stats.NO_DATA, "m", f"scale {data.tie_scale:g}")]

    moving = claims.ClaimSpec("moving", "s", "weight_decay", "r", by_tie_scale, "m")
    specs = (*claims.CLAIMS, moving)
    df = table([run_row(seed=s) for s in SEEDS])
    ex = experiments(weight_decay={})
    stability = tie_stability(df, ex, claims=specs)
    want = evaluate_claims(df, ex, claims=specs).assign(
        tie_stability=stability.to_numpy(), seed_robustness=math.nan, subset_verdicts=""
    )
    assert want["tie_stability"].iloc[-1] == "0×: supported, 1×: supported, 2×: no effect"
    pd.testing.assert_frame_equal(claims.claims_with_stability(df, ex, claims=specs), want)
    only_zero = claims.claims_with_stability(df, ex, scales=(0.0, 2.0), claims=specs)
    assert only_zero["evidence"].iloc[-1] == "scale 1"  # the table is still at tie scale 1
    assert only_zero["tie_stability"].iloc[-1] == "0×: supported, 2×: no effect"


def test_claims_marked_free_of_the_tie_scale_give_the_same_rows_at_every_scale():
    """claims_with_stability evaluates them once; a tester that reads the tie scale would move
    between scale 0 and 1000 (as lambda_plateau does on the same runs)."""
    learn, fw = weights_runs(0.0, same=False)
    alpha = table([run_row(alpha=a, seed=s) for s in SEEDS for a in (0.01, 1.0)])
    cases = [
        (lambda_table(), experiments(weight_decay={"lam": [0, 1e-4, 0.1]}), None),
        (alpha, experiments(learning_rate={"alpha": [0.01, 1.0]}), None),
        (learn, experiments(weights={"lam": [0.0]}), fw),
    ]
    free = [spec for spec in claims.CLAIMS if not spec.uses_tie_scale]
    assert {spec.id for spec in free} == {"alpha_succeeds", "bias_dominates", "different_solutions"}
    for df, ex, weights in cases:
        specs = [spec for spec in free if spec.experiment in ex]
        at = [evaluate_claims(df, ex, weights, scale, specs) for scale in (0.0, 1.0, 1000.0)]
        assert not (at[1]["verdict"] == INSUFFICIENT).any()
        for other in (at[0], at[2]):
            pd.testing.assert_frame_equal(other, at[1])
    df, ex, _ = cases[0]
    plateau = [spec for spec in claims.CLAIMS if spec.id == "lambda_plateau"]
    moved = [evaluate_claims(df, ex, None, scale, plateau) for scale in (0.0, 1000.0)]
    assert not moved[0].equals(moved[1])


# --- the table ------------------------------------------------------------------------------


def test_table_shape_and_missing_experiments():
    df = table([run_row(seed=s) for s in SEEDS])
    out = evaluate_claims(df, experiments(weight_decay={}))
    assert list(out.columns) == claims.COLUMNS
    assert out["claim"].unique().tolist() == [c.id for c in claims.CLAIMS]
    by = out.groupby("claim")["verdict"].first()
    assert by["k_minus_1"] == INSUFFICIENT
    assert "not in the study" in out.set_index("claim").loc["k_minus_1", "evidence"]
    assert by["lambda_plateau"] == INSUFFICIENT  # one λ value only
    assert by["bias_dominates"] == SUPPORTED  # per λ: the one setting there is


def test_median_distance_over_seed_pairs_has_a_bootstrap_interval():
    from backprop_study.analysis.weight_claims import median_distance

    d = np.ones((10, 10))
    e = median_distance(d)
    assert (e.estimate, e.low, e.high, e.n) == (1.0, 1.0, 1.0, 45)
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 1.5, (10, 10))
    d = np.triu(x, 1) + np.triu(x, 1).T
    e = median_distance(d)
    assert e.low <= e.estimate <= e.high and e.low > 0.5 and e.high < 1.5
    assert e.estimate == pytest.approx(np.median(d[np.triu_indices(10, 1)]))
