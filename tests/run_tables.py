"""Small hand-made runs tables (a row per run) for the per-configuration statistics and their
display: the columns `across_seeds` reads, with values chosen so the expected numbers can be
worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seed_runs(**cols) -> pd.DataFrame:
    """One configuration's runs (k, λ = 0, α = 0.01, b = 8, none diverged), `cols` on top."""
    n = len(next(iter(cols.values())))
    base = {
        "encoding": ["k"] * n,
        "lam": [0.0] * n,
        "alpha": [0.01] * n,
        "batch_size": [8] * n,
        "diverged": [False] * n,
        "final_objective": [0.1] * n,
    }
    df = pd.DataFrame(base | cols)
    df["first_solved"] = df["first_solved"].astype("Int64")
    return df


def outcome_runs() -> pd.DataFrame:
    """Four seeds of one configuration: two solved, one never, one diverged; plateaus left,
    never left, and none."""
    return pd.DataFrame(
        {
            "encoding": "k", "lam": 0.0, "alpha": 0.5, "batch_size": 4, "seed": [0, 1, 2, 3],
            "epochs": 1000, "n_patterns": 8, "diverged": [False, False, False, True],
            "first_solved": pd.array([100, 300, None, None], dtype="Int64"),
            "final_data_loss": [0.01, 0.02, 0.3, np.nan],
            "plateau_found": [True, True, True, False], "plateau_left": [True, True, False, False],
            "plateau_epochs": [50.0, 70.0, 900.0, np.nan],
            "bias_ratio_plateau": [2.0, 3.0, 4.0, np.nan],
        }
    )  # fmt: skip
