"""figbase.py: the helpers every figure shares."""

from __future__ import annotations

import pandas as pd
import pytest

from backprop_study.reporting.figbase import config_runs


@pytest.mark.parametrize("unset", [None, float("nan"), pd.NA])
def test_config_runs_matches_an_unset_value_however_it_is_spelled(unset):
    runs = pd.DataFrame(
        {
            "run_id": ["a", "b", "c"],
            "lam": [0.0, 0.0, 0.1],
            "log_every": pd.array([None, 10, None], dtype="Int64"),
        }
    )
    assert config_runs(runs, {"lam": 0.0, "log_every": unset})["run_id"].tolist() == ["a"]
    assert config_runs(runs, {"lam": 0.0, "log_every": 10})["run_id"].tolist() == ["b"]
