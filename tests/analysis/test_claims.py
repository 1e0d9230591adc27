import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis import claims
from backprop_study.analysis.claims import (
    CONTRADICTED,
    INSUFFICIENT,
    MIXED,
    SUPPORTED,
    combine,
    evaluate_claims,
    judge,
    min_pairs,
    order,
    select,
    sign_test_p,
)
from backprop_study.engine.network import Params

SEEDS = list(range(1, 9))


def run_row(encoding="k", lam=0.0, alpha=0.01, batch_size=8, seed=1, **over):
    row = {
        "run_id": f"enc~{encoding}/lam~{lam}/alpha~{alpha}/batch~{batch_size}/seed~{seed}",
        "encoding": encoding,
        "lam": float(lam),
        "alpha": float(alpha),
        "batch_size": batch_size,
        "seed": seed,
        "epochs": 100_000,
        "n_patterns": 8,
        "first_solved": 50_000,
        "first_all_correct": 40_000,
        "final_objective": 0.05,
        "plateau_found": True,
        "plateau_left": True,
        "plateau_start": 1_000.0,
        "plateau_end": 20_000.0,
        "plateau_decades": np.log10(20.0),
        "drop_epoch": 500.0,
        "bias_ratio_plateau": 2.0,
        "bias_ratio_plateau_hidden": 3.0,
        "bias_ratio_plateau_output": 1.5,
        "bias_ratio_end": 0.8,
        "bias_ratio_end_hidden": 0.1,
        "bias_ratio_end_output": 0.9,
        "code_canonical": f"code{seed}",
        "weight_end_drift": 0.05,
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


def verdict_of(result, claim):
    return result.set_index("claim").loc[claim, "verdict"]


# --- statistics ----------------------------------------------------------------------------


def test_sign_test():
    assert sign_test_p(6, 6) == pytest.approx(2 / 64)
    assert sign_test_p(0, 6) == pytest.approx(2 / 64)
    assert sign_test_p(3, 6) == 1.0
    assert sign_test_p(7, 10) == pytest.approx(2 * (1 + 10 + 45 + 120) / 1024)
    assert sign_test_p(0, 0) == 1.0
    assert min_pairs() == 6 and min_pairs(0.01) == 8


def test_order_with_censoring_and_ties():
    assert order(1.0, False, 2.0, False) == -1
    assert order(2.0, False, 1.0, False) == 1
    assert order(100.0, False, 100.5, False) == 0  # within 1 %
    assert order(1000.0, True, 500.0, False) == 1  # never solved vs solved
    assert order(1000.0, True, 2000.0, False) is None  # censored below an observed value
    assert order(1000.0, True, 1000.0, True) is None  # both never: no evidence
    assert order(500.0, False, 1000.0, True) == -1


def test_judge_and_combine():
    assert judge(6, 0, 0) == SUPPORTED
    assert judge(0, 6, 2) == CONTRADICTED
    assert judge(4, 4, 0) == MIXED
    assert judge(5, 0, 0) == INSUFFICIENT
    assert judge(0, 0, 8) == MIXED  # enough pairs, no difference
    assert combine([SUPPORTED, SUPPORTED, INSUFFICIENT]) == SUPPORTED
    assert combine([CONTRADICTED]) == CONTRADICTED
    assert combine([SUPPORTED, CONTRADICTED]) == MIXED
    assert combine([SUPPORTED, MIXED]) == MIXED
    assert combine([INSUFFICIENT]) == INSUFFICIENT
    assert combine([]) == INSUFFICIENT


def test_select_matches_axes_including_float_values():
    df = table([run_row(lam=lam, seed=s) for lam in (0.0, 1e-4, 0.1) for s in (1, 2, 3)])
    got = select(df, {"lam": [0.1 * 1e-3, 0], "seeds": [1, 3]})
    assert sorted(got["lam"].unique()) == [0.0, 1e-4]
    assert sorted(got["seed"].unique()) == [1, 3]
    assert select(df, {"encoding": ["k-1"]}).empty


# --- claims 1 and 2: weight decay -----------------------------------------------------------


def lambda_runs(effect, seeds=SEEDS):
    """effect(lam_index, seed) -> multiplier on drop, plateau length and solve time."""
    rows = []
    for i, lam in enumerate((0.0, 1e-4, 1e-3)):
        for s in seeds:
            f = effect(i, s)
            rows.append(
                run_row(
                    lam=lam,
                    seed=s,
                    drop_epoch=500.0 * f,
                    plateau_end=1_000 + 10_000 * f,
                    first_solved=int(20_000 * f),
                    first_all_correct=int(15_000 * f),
                )
            )
    return table(rows)


def test_weight_decay_claims_supported():
    df = lambda_runs(lambda i, s: 1 + i * 0.5 + 0.01 * s)
    out = evaluate_claims(df, experiments(weight_decay={"lam": [0.0, 1e-4, 1e-3]}))
    assert verdict_of(out, "lambda_plateau") == SUPPORTED
    assert verdict_of(out, "lambda_slows") == SUPPORTED
    evidence = out.set_index("claim").loc["lambda_plateau", "evidence"]
    assert "8 of 8 pairs as claimed" in evidence and "λ=0 vs 0.0001" in evidence


def test_weight_decay_claims_contradicted():
    df = lambda_runs(lambda i, s: 3 - i * 0.5 + 0.01 * s)
    out = evaluate_claims(df, experiments(weight_decay={"lam": [0.0, 1e-4, 1e-3]}))
    assert verdict_of(out, "lambda_plateau") == CONTRADICTED
    assert verdict_of(out, "lambda_slows") == CONTRADICTED


def test_weight_decay_claims_mixed_when_seeds_disagree():
    df = lambda_runs(lambda i, s: 1 + i * 0.5 * (1 if s % 2 else -0.5))
    out = evaluate_claims(df, experiments(weight_decay={"lam": [0.0, 1e-4, 1e-3]}))
    assert verdict_of(out, "lambda_plateau") == MIXED


def test_weight_decay_claims_insufficient_with_few_seeds():
    df = lambda_runs(lambda i, s: 1 + i, seeds=[1, 2, 3])
    out = evaluate_claims(df, experiments(weight_decay={"lam": [0.0, 1e-4, 1e-3]}))
    assert verdict_of(out, "lambda_plateau") == INSUFFICIENT
    assert verdict_of(out, "lambda_slows") == INSUFFICIENT


def test_never_solving_with_weight_decay_counts_as_slower():
    rows = [run_row(lam=0.0, seed=s) for s in SEEDS]
    rows += [run_row(lam=0.1, seed=s, first_solved=None, first_all_correct=None) for s in SEEDS]
    out = evaluate_claims(table(rows), experiments(weight_decay={"lam": [0.0, 0.1]}))
    assert verdict_of(out, "lambda_slows") == SUPPORTED
    assert "λ=0.1: 0%" in out.set_index("claim").loc["lambda_slows", "evidence"]


def test_budget_too_short_to_tell_is_insufficient():
    rows = [
        run_row(lam=lam, seed=s, first_solved=None, first_all_correct=None)
        for lam in (0.0, 0.1)
        for s in SEEDS
    ]
    out = evaluate_claims(table(rows), experiments(weight_decay={"lam": [0.0, 0.1]}))
    assert verdict_of(out, "lambda_slows") == INSUFFICIENT
    assert "8 undetermined (censored)" in out.set_index("claim").loc["lambda_slows", "evidence"]


def test_lambda_slows_needs_lambda_zero():
    rows = [run_row(lam=lam, seed=s) for lam in (1e-4, 1e-3) for s in SEEDS]
    out = evaluate_claims(table(rows), experiments(weight_decay={"lam": [1e-4, 1e-3]}))
    assert verdict_of(out, "lambda_slows") == INSUFFICIENT


# --- claim 3: encodings ---------------------------------------------------------------------


def test_k_minus_1_supported_and_mixed():
    rows = [
        run_row(encoding="k", seed=s, plateau_end=50_000.0, final_objective=0.05) for s in SEEDS
    ]
    rows += [
        run_row(encoding="k-1", seed=s, plateau_end=10_000.0, final_objective=0.02) for s in SEEDS
    ]
    ex = experiments(encoding={"encoding": ["k", "k-1"]})
    assert verdict_of(evaluate_claims(table(rows), ex), "k_minus_1") == SUPPORTED
    for r in rows:
        if r["encoding"] == "k-1":
            r["final_objective"] = 0.09  # leaves sooner but ends higher
    assert verdict_of(evaluate_claims(table(rows), ex), "k_minus_1") == MIXED


def test_k_minus_1_never_leaving_the_plateau_is_slower():
    rows = [run_row(encoding="k-1", seed=s, final_objective=0.02) for s in SEEDS]
    rows += [
        run_row(encoding="k", seed=s, plateau_left=False, plateau_end=100_000.0) for s in SEEDS
    ]
    out = evaluate_claims(table(rows), experiments(encoding={"encoding": ["k", "k-1"]}))
    assert verdict_of(out, "k_minus_1") == SUPPORTED


# --- claim 4: learning rate -----------------------------------------------------------------


def alpha_runs(solved_at_5=True):
    rows = []
    for a in (0.01, 0.1, 1.0, 5.0):
        for s in SEEDS:
            rows.append(
                run_row(
                    alpha=a,
                    seed=s,
                    plateau_start=10.0 / a,
                    plateau_end=(10_000.0 + s) / a,
                    first_solved=int(2_000 / a) if (a < 5 or solved_at_5) else None,
                )
            )
    return table(rows)


def test_alpha_claim_supported():
    ex = experiments(learning_rate={"alpha": [0.01, 0.1, 1, 5]})
    out = evaluate_claims(alpha_runs(), ex)
    assert verdict_of(out, "alpha_plateau") == SUPPORTED
    assert "8 of 8 runs solved" in out.set_index("claim").loc["alpha_plateau", "evidence"]


def test_alpha_claim_mixed_when_alpha_5_fails():
    ex = experiments(learning_rate={"alpha": [0.01, 0.1, 1, 5]})
    out = evaluate_claims(alpha_runs(solved_at_5=False), ex)
    assert verdict_of(out, "alpha_plateau") == MIXED
    assert (
        "0 of 8 runs solved → contradicted"
        in out.set_index("claim").loc["alpha_plateau", "evidence"]
    )


# --- claim 5: batch size --------------------------------------------------------------------


def test_batch_claim_per_epoch_supported_per_update_reported():
    rows = [run_row(batch_size=8, seed=s, first_solved=40_000 + s) for s in SEEDS]
    rows += [run_row(batch_size=1, seed=s, first_solved=10_000 + s) for s in SEEDS]
    out = evaluate_claims(table(rows), experiments(batch_size={"batch_size": [1, 8]}))
    assert verdict_of(out, "batch_one") == SUPPORTED
    evidence = out.set_index("claim").loc["batch_one", "evidence"]
    # 8 updates per epoch: batch 1 needs 80,000 updates vs 40,000: more per update
    assert "fewer updates to solve: 0 of 8 pairs as claimed, 8 opposite" in evidence


def test_batch_claim_contradicted():
    rows = [run_row(batch_size=8, seed=s, first_solved=10_000 + s) for s in SEEDS]
    rows += [run_row(batch_size=1, seed=s, first_solved=None) for s in SEEDS]
    out = evaluate_claims(table(rows), experiments(batch_size={"batch_size": [1, 8]}))
    assert verdict_of(out, "batch_one") == CONTRADICTED


# --- claim 6: biases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "verdict"), [(3.0, SUPPORTED), (0.4, CONTRADICTED), (np.nan, INSUFFICIENT)]
)
def test_bias_claim(ratio, verdict):
    rows = [run_row(seed=s, bias_ratio_plateau=ratio * (1 + 0.01 * s)) for s in SEEDS]
    out = evaluate_claims(table(rows), experiments(weight_decay={}))
    assert verdict_of(out, "bias_dominates") == verdict


def test_bias_claim_mixed():
    rows = [run_row(seed=s, bias_ratio_plateau=3.0 if s % 2 else 0.3) for s in SEEDS]
    out = evaluate_claims(table(rows), experiments(weight_decay={}))
    assert verdict_of(out, "bias_dominates") == MIXED


# --- claim 7: different solutions -----------------------------------------------------------


def long_form(run_id, p):
    rows = []
    for layer, W, b in (("hidden", p.W1, p.b1), ("output", p.W2, p.b2)):
        for i in range(W.shape[0]):
            rows.append((run_id, 9, layer, i, -1, True, b[i]))
            for j in range(W.shape[1]):
                rows.append((run_id, 9, layer, i, j, False, W[i, j]))
    cols = ["run_id", "epoch", "layer", "to_unit", "from_unit", "is_bias", "value"]
    return pd.DataFrame(rows, columns=cols)


def weights_runs(same):
    rng = np.random.default_rng(0)
    base = Params(*(rng.normal(0, 3, s) for s in ((3, 8), (3,), (8, 3), (8,))))
    df = table([run_row(lam=0.1, seed=s) for s in SEEDS])
    final = []
    for rid in df["run_id"]:
        p = base if same else Params(*(rng.normal(0, 3, a.shape) for a in base))
        final.append(long_form(rid, p))
    return df, pd.concat(final)


def test_different_solutions_supported_and_contradicted():
    ex = experiments(weights={"lam": [0.1]})
    df, fw = weights_runs(same=False)
    assert verdict_of(evaluate_claims(df, ex, fw), "different_solutions") == SUPPORTED
    df, fw = weights_runs(same=True)
    out = evaluate_claims(df, ex, fw)
    assert verdict_of(out, "different_solutions") == CONTRADICTED
    assert "0 of 28 seed pairs" in out.set_index("claim").loc["different_solutions", "evidence"]


def test_different_solutions_from_codes_only():
    ex = experiments(weights={"lam": [0.1]})
    df, _ = weights_runs(same=False)
    assert verdict_of(evaluate_claims(df, ex), "different_solutions") == SUPPORTED
    df["code_canonical"] = "same"
    assert verdict_of(evaluate_claims(df, ex), "different_solutions") == MIXED


# --- the table ------------------------------------------------------------------------------


def test_table_shape_and_missing_experiments():
    df = table([run_row(seed=s) for s in SEEDS])
    out = evaluate_claims(df, experiments(weight_decay={}))
    assert list(out.columns[:5]) == ["claim", "statement", "verdict", "evidence", "experiment"]
    assert out["claim"].tolist() == [c.claim for c in claims.CLAIMS]
    assert set(out["verdict"]) <= {SUPPORTED, CONTRADICTED, MIXED, INSUFFICIENT}
    by = out.set_index("claim")
    assert by.loc["k_minus_1", "verdict"] == INSUFFICIENT
    assert "not in the study" in by.loc["k_minus_1", "evidence"]
    assert by.loc["lambda_plateau", "verdict"] == INSUFFICIENT  # one λ value only
