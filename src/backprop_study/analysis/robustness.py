"""Seed robustness of the claims table: would a study with fewer seeds have said the same?

The claims are evaluated again on `DRAWS` random subsets of `SUBSET_SEEDS` seeds (drawn without
replacement from the seeds of the claims' experiments, with a fixed generator, so the shares
are reproducible); for every row of the full table, the share of draws that give its verdict,
and the verdicts the draws gave. A verdict that 10 seeds reproduce in most draws does not rest
on the extra seeds; one they seldom reproduce is a verdict the default study could not reach.
Only a study with more than `SUBSET_SEEDS` seeds has something to draw from.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

SUBSET_SEEDS = 10
DRAWS = 20
RNG_SEED = 2020
KEY = ["claim", "setting", "role", "measure_key"]  # one row of the claims table


def study_seeds(experiments: Mapping[str, Mapping], names: set[str]) -> list[int]:
    """Every seed of the experiments `names` (the claims' experiments)."""
    seeds: set[int] = set()
    for name in names & set(experiments):
        seeds.update(int(s) for s in experiments[name].get("seeds") or ())
    return sorted(seeds)


def seed_subsets(seeds: list[int], size: int, draws: int, rng_seed: int = RNG_SEED) -> list:
    """`draws` subsets of `size` seeds, each drawn without replacement, sorted."""
    rng = np.random.default_rng(rng_seed)
    return [sorted(rng.choice(seeds, size=size, replace=False).tolist()) for _ in range(draws)]


def restrict(experiments: Mapping[str, Mapping], subset: list[int]) -> dict[str, dict]:
    """The experiments with their seeds cut to `subset`."""
    keep = set(subset)
    return {
        name: {**axes, "seeds": [s for s in axes.get("seeds") or () if int(s) in keep]}
        for name, axes in experiments.items()
    }


def seed_robustness(
    table: pd.DataFrame,
    evaluate: Callable[[dict], pd.DataFrame],
    experiments: Mapping[str, Mapping],
    size: int = SUBSET_SEEDS,
    draws: int = DRAWS,
) -> pd.DataFrame:
    """Per row of `table`: `seed_robustness` (share of draws giving its verdict; NaN when the
    study has no more than `size` seeds) and `subset_verdicts` ("supported 17, inconclusive 3").
    `evaluate(experiments)` gives the claims table for experiments with fewer seeds."""
    out = pd.DataFrame(
        {"seed_robustness": [math.nan] * len(table), "subset_verdicts": [""] * len(table)},
        index=table.index,
    )
    seeds = study_seeds(experiments, set(table["experiment"]))
    if len(seeds) <= size or table.empty:
        return out
    keys = list(table[KEY].itertuples(index=False, name=None))
    found: dict[tuple, list[str]] = {k: [] for k in keys}
    for subset in seed_subsets(seeds, size, draws):
        sub = evaluate(restrict(experiments, subset))
        rows = sub[KEY].itertuples(index=False, name=None)
        verdicts = dict(zip(rows, sub["verdict"], strict=True))
        for k in keys:
            found[k].append(verdicts.get(k, "missing"))
    out["seed_robustness"] = [
        float(np.mean([v == full for v in found[k]]))
        for k, full in zip(keys, table["verdict"], strict=True)
    ]
    out["subset_verdicts"] = [
        ", ".join(f"{v} {n}" for v, n in Counter(found[k]).most_common()) for k in keys
    ]
    return out
