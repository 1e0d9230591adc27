"""robustness.py: verdicts recomputed on subsets of the seeds."""

import math

import numpy as np
import pandas as pd

from backprop_study.analysis import claims, robustness
from backprop_study.analysis.stats import SUPPORTED

SEEDS = list(range(40))


def lambda_runs(seeds, slow):
    """λ = 1e-4 against 0: solves `slow`× later, each seed its own factor and some noise."""
    rng = np.random.default_rng(7)
    rows = []
    for s in seeds:
        f = rng.lognormal(0, 0.3)
        for lam, k in ((0.0, 1.0), (1e-4, slow * rng.lognormal(0, 0.25))):
            rows.append(
                {
                    "run_id": f"lam~{lam}/seed~{s}", "encoding": "k", "lam": lam, "alpha": 0.01,
                    "batch_size": 8, "seed": s, "epochs": 1_000_000, "n_patterns": 8,
                    "first_solved": int(300_000 * f * k), "first_all_correct": 1,
                    "final_data_loss": 0.01, "final_correct": 8, "collapsed": False,
                }
            )  # fmt: skip
    df = pd.DataFrame(rows)
    df["first_solved"] = df["first_solved"].astype("Int64")
    return df


SLOWS = [c for c in claims.CLAIMS if c.id == "lambda_slows"]


def experiments(seeds):
    return {"weight_decay": {"lam": [0, 1e-4], "seeds": seeds}}


def robust(df, seeds):
    table = claims.evaluate_claims(df, experiments(seeds), claims=SLOWS)
    shares = robustness.seed_robustness(
        table,
        lambda ex: claims.evaluate_claims(df, ex, claims=SLOWS),
        experiments(seeds),
        draws=8,
    )
    return table, shares


def test_a_clear_effect_is_reproduced_by_every_draw_of_10_seeds():
    table, shares = robust(lambda_runs(SEEDS, slow=2.0), SEEDS)
    assert table["verdict"].iloc[0] == SUPPORTED
    assert shares["seed_robustness"].iloc[0] == 1.0
    assert shares["subset_verdicts"].iloc[0] == "supported 8"


def test_a_small_effect_that_needs_all_seeds_is_not_reproduced_by_every_draw():
    table, shares = robust(lambda_runs(SEEDS, slow=1.12), SEEDS)
    share = shares["seed_robustness"].iloc[0]
    assert 0.0 <= share < 1.0
    assert table["verdict"].iloc[0] in shares["subset_verdicts"].iloc[0] or share == 0.0
    again = robust(lambda_runs(SEEDS, slow=1.12), SEEDS)[1]  # fixed generator: reproducible
    pd.testing.assert_frame_equal(shares, again)


def test_no_draws_with_10_seeds_or_fewer():
    seeds = SEEDS[:10]
    table, shares = robust(lambda_runs(seeds, slow=2.0), seeds)
    assert math.isnan(shares["seed_robustness"].iloc[0])
    assert shares["subset_verdicts"].iloc[0] == ""


def test_subsets_are_distinct_seeds_of_the_study():
    subsets = robustness.seed_subsets(SEEDS, 10, 5)
    assert all(len(set(s)) == 10 and set(s) <= set(SEEDS) for s in subsets)
    assert subsets == robustness.seed_subsets(SEEDS, 10, 5)
    cut = robustness.restrict({"a": {"seeds": [1, 2, 3], "lam": [0]}}, [2, 3, 9])
    assert cut == {"a": {"seeds": [2, 3], "lam": [0]}}
