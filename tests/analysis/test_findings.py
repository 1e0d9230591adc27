"""findings: a finding per number, the study's counts, the one number formatter."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from backprop_study.analysis.findings import (
    Finding,
    findings_frame,
    number_text,
    study_findings,
)


def test_a_key_stated_twice_is_an_error():
    with pytest.raises(ValueError, match="a.b"):
        findings_frame([Finding("a.b", 1), Finding("a.b", 2)])


def test_the_study_counts_runs_per_budget():
    runs = pd.DataFrame(
        {
            "run_id": list("abcde"),
            "seed": [0, 1, 0, 1, 2],
            "epochs": [800, 800, 800, 50, 50],
            "diverged": [False, True, False, False, False],
            "encoding": "k",
            "lam": 0.0,
            "alpha": [0.01, 0.01, 0.1, 0.01, 0.01],
            "batch_size": [8, 8, 8, 8, 1],
            "n_patterns": 8,
            "first_solved": pd.array([100, None, 10, 20, None], dtype="Int64"),
        }
    )
    f = {r.key: r for r in findings_frame(study_findings(runs)).itertuples()}
    assert f["study.runs"].value == 5 and f["study.seeds"].value == 3
    assert f["study.diverged"].value == 1 and f["study.diverged"].run_ids == ["b"]
    assert f["study.runs_at_epochs.800"].value == 3 and f["study.runs_at_epochs.50"].value == 2
    # the base setting: k, λ = 0, the smallest α, the full batch, at its longest budget
    assert f["base.seeds"].value == 2 and f["base.solved"].value == 1
    assert f["base.seeds"].run_ids == ["a", "b"]
    assert f["base.budget"].value == 800 and f["base.solved_in_seed_budget"].value == 1


def test_numbers_read_the_same_everywhere():
    assert [number_text(x) for x in (0.012345, 5.0, 12345.6, math.nan)] == [
        "0.0123", "5", "12,346", "—",
    ]  # fmt: skip
    assert number_text(3.14159, 2) == "3.1" and number_text(2.9975e12) == "3e+12"
