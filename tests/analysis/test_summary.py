import itertools
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis import summary
from backprop_study.analysis.summary import summarise_run
from backprop_study.engine.schedules import log_epochs, snapshot_epochs

EPOCHS = 400_000


def logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


def synthetic_run(with_plateau=True, solved=None, batch_size=8, codes_distinct=True):
    """A run shaped as data-model.md: plateau 0.44 between ~1e3 and 1e5 epochs."""
    ep = log_epochs(EPOCHS)
    x = np.log10(np.maximum(ep, 1))
    if with_plateau:
        obj = 0.56 * logistic(-(x - 3) / 0.15) + 0.44 * logistic(-(x - 5) / 0.15)
    else:
        obj = 1.0 / (1.0 + ep / 100.0)
    curve = pd.DataFrame(
        {
            "epoch": ep,
            "data_loss": obj,
            "penalty": 0.0,
            "objective": obj,
            "correct": np.where(ep > 10**5, 8, 1),
            "max_error": 1.0 - obj,
        }
    )
    snaps = snapshot_epochs(EPOCHS)
    wrows, hrows = [], []
    bits = np.array(list(itertools.product((0, 1), repeat=3)))
    if not codes_distinct:
        bits[1] = bits[0]
    for e in snaps:
        inside = 10**3.5 <= e <= 10**4.5
        bias, weight = (2.0, 0.5) if inside else (0.5, 2.0)  # biases dominate only inside
        for layer, n_to, n_from in (("hidden", 3, 8), ("output", 8, 3)):
            for i in range(n_to):
                wrows.append((e, layer, i, -1, True, -bias if i % 2 else bias))
                for j in range(n_from):
                    wrows.append((e, layer, i, j, False, weight * (1 + 0.01 * j)))
        acts = np.where(bits > 0, 0.9, 0.1) if e == snaps[-1] else np.full((8, 3), 0.5)
        for c, u in itertools.product(range(8), range(3)):
            hrows.append((e, c, u, acts[c, u]))
    weights = pd.DataFrame(
        wrows, columns=["epoch", "layer", "to_unit", "from_unit", "is_bias", "value"]
    )
    hidden = pd.DataFrame(hrows, columns=["epoch", "class", "unit", "activation"])
    meta = {
        "config": {"encoding": "k", "classes": 8, "hidden": 3, "batch_size": batch_size},
        "first_all_correct": None if solved is None else solved - 10,
        "first_solved": solved,
        "epochs_run": EPOCHS,
    }
    return SimpleNamespace(curve=curve, weights=weights, hidden=hidden, meta=meta)


def test_every_column_is_a_documented_flat_scalar():
    row = summarise_run(synthetic_run(solved=200_000))
    for key, value in row.items():
        assert key in summary.__doc__, key
        assert isinstance(value, bool | int | float | str), key


def test_run_with_plateau():
    row = summarise_run(synthetic_run(solved=200_000, batch_size=1))
    assert row["plateau_found"] and row["plateau_left"]
    assert 1_000 < row["plateau_start"] < row["plateau_end"] < 100_000
    assert row["plateau_level"] == pytest.approx(0.44, rel=0.01)
    assert row["plateau_epochs"] == row["plateau_end"] - row["plateau_start"]
    assert row["plateau_start"] <= row["bias_ratio_plateau_epoch"] <= row["plateau_end"]
    assert row["bias_ratio_plateau_hidden"] == pytest.approx(2.0 / (0.5 * 1.035))
    assert row["bias_ratio_end_output"] == pytest.approx(0.5 / (2.0 * 1.01))
    assert row["bias_ratio_end"] == pytest.approx(0.5 / (2.0 * (1.035 + 1.01) / 2))
    assert row["code_all_distinct"] and row["code_distinct"] == 8
    assert row["code_gap"] == pytest.approx(0.1)
    assert row["code_codebook"].startswith("000,001,")
    assert row["updates_per_epoch"] == 8
    assert row["first_solved_updates"] == 8 * 200_000
    assert row["first_all_correct_updates"] == 8 * (200_000 - 10)
    assert 1_000 < row["drop_epoch"] < 10_000


def test_run_without_plateau_or_solution():
    row = summarise_run(synthetic_run(with_plateau=False, codes_distinct=False))
    assert not row["plateau_found"] and not row["plateau_left"]
    for key in ("plateau_start", "plateau_end", "plateau_level", "bias_ratio_plateau"):
        assert math.isnan(row[key]), key
    assert math.isnan(row["first_solved_updates"])
    assert row["code_distinct"] == 7 and not row["code_all_distinct"]
    assert math.isfinite(row["bias_ratio_end"])


def test_missing_snapshots_give_nan_not_an_error():
    run = synthetic_run()
    run.weights = run.weights.iloc[0:0]
    run.hidden = run.hidden.iloc[0:0]
    row = summarise_run(run)
    assert math.isnan(row["bias_ratio_end"]) and row["code_distinct"] == 0


def test_rounded_correct_epoch_is_the_first_logged_epoch_with_max_error_below_half():
    curve = pd.DataFrame({"epoch": [0, 10, 100, 1000], "max_error": [0.9, 0.5, 0.49, 0.2]})
    assert summary.rounded_correct_epoch(curve) == 100.0
    assert math.isnan(summary.rounded_correct_epoch(curve.assign(max_error=0.7)))
    assert "first_rounded_correct" in summarise_run(synthetic_run())


def flat_spot_curve():
    """Falls to 1/16 within ~50 epochs and sits there to the end: a saturated RPROP run."""
    ep = log_epochs(EPOCHS)
    obj = 0.0625 + 0.4375 * np.exp(-ep / 10.0)
    return pd.DataFrame({"epoch": ep, "objective": obj, "data_loss": obj})


def test_a_saturated_runs_flat_spot_is_not_a_plateau():
    curve = flat_spot_curve()
    raw = summary.plateau_columns(curve, math.nan)
    assert raw["plateau_found"] and not raw["plateau_left"]  # what the detector alone says
    cols = summary.plateau_columns(curve, math.nan, saturated=True)
    assert not cols["plateau_found"] and cols["plateau_saturated"]
    assert math.isnan(cols["plateau_decades"])


def test_a_plateau_left_before_saturating_stays():
    run = synthetic_run()
    cols = summary.plateau_columns(run.curve, math.nan, saturated=True)
    assert cols["plateau_found"] and cols["plateau_left"] and not cols["plateau_saturated"]


def test_summary_has_the_saturation_columns():
    row = summarise_run(synthetic_run())
    assert row["saturated"] is False and row["saturated_outputs"] == 0
    assert {"saturated_hidden", "saturated_patterns", "output_net_max_end"} <= set(row)
