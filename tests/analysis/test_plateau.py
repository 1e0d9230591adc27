import math

import numpy as np
import pandas as pd
import pytest

from backprop_study.analysis.plateau import (
    NO_PLATEAU,
    PlateauParams,
    drop_epoch,
    find_plateau,
    plateau_of_curve,
)
from backprop_study.engine.schedules import log_epochs

EPOCHS = log_epochs(400_000)  # the engine's geometric grid: every epoch to 1000, then 1000/decade


def logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


def staircase(epochs, levels, steps, width=0.15):
    """Objective that falls from levels[i] to levels[i+1] around log10(epoch) = steps[i]."""
    x = np.log10(np.maximum(epochs, 1))
    y = np.full(len(epochs), float(levels[-1]))
    for i, s in enumerate(steps):
        y += (levels[i] - levels[i + 1]) * logistic(-(x - s) / width)
    return y


def encoder_like(epochs=EPOCHS, escape=5.0, final=0.0):
    """The 8-3-8 shape at small alpha: 1.0 -> 0.44 near 1e3 epochs, escape to `final`."""
    return staircase(epochs, [1.0, 0.44, final], [3.0, escape])


def test_known_plateau_is_found_between_the_two_drops():
    p = find_plateau(EPOCHS, encoder_like())
    assert p.found and p.left
    assert 1_000 < p.start < 10_000
    assert 10**4.2 < p.end < 10**5
    assert p.level == pytest.approx(0.44, rel=0.01)
    assert p.epochs == p.end - p.start
    assert p.decades == pytest.approx(math.log10(p.end / p.start))


def test_start_and_end_are_logged_epochs():
    p = find_plateau(EPOCHS, encoder_like())
    assert p.start in set(EPOCHS.tolist()) and p.end in set(EPOCHS.tolist())


def test_longer_plateau_measures_longer():
    short = find_plateau(EPOCHS, encoder_like(escape=4.8))
    long = find_plateau(EPOCHS, encoder_like(escape=5.4))
    assert short.found and long.found
    assert long.decades == pytest.approx(short.decades + 0.6, abs=0.1)


def test_plateau_never_left_ends_at_last_epoch():
    p = find_plateau(EPOCHS, encoder_like(escape=7.0))  # escape long after the budget
    assert p.found and not p.left
    assert p.end == EPOCHS[-1]
    assert p.level == pytest.approx(0.44, rel=0.01)


def test_weight_decay_final_level_is_not_the_plateau():
    # plateau at 0.44, then down to a higher final level 0.2 that stays flat to the end
    y = staircase(EPOCHS, [1.0, 0.44, 0.2], [3.0, 4.6], width=0.1)
    p = find_plateau(EPOCHS, y)
    assert p.found and p.left
    assert p.level == pytest.approx(0.44, rel=0.01)
    assert p.end < 10**4.6
    assert p.n_candidates == 2  # the final level qualified too, but was never left


def test_flat_end_after_solving_is_not_a_plateau():
    # a single drop straight to a flat final level: stuck, unless the run had solved by then
    y = staircase(EPOCHS, [1.0, 0.3], [2.0])
    assert find_plateau(EPOCHS, y).found
    assert not find_plateau(EPOCHS, y, solved_epoch=300).found


def test_steady_power_law_descent_has_no_plateau():
    y = 1.0 / (1.0 + EPOCHS / 100.0)
    assert find_plateau(EPOCHS, y) == NO_PLATEAU


def test_nothing_happening_is_not_a_plateau():
    # with a tiny learning rate the curve is flat in log-epoch because nothing has happened yet
    y = np.full(len(EPOCHS), 1.0) - 1e-7 * EPOCHS
    assert not find_plateau(EPOCHS, y).found


def test_noisy_plateau_is_still_found():
    rng = np.random.default_rng(0)
    y = encoder_like() * (1 + 0.03 * rng.standard_normal(len(EPOCHS)))
    p = find_plateau(EPOCHS, y)
    assert p.found and p.left and p.n_candidates == 1
    assert 1_000 < p.start < 10_000
    assert 10**4.2 < p.end < 10**5
    assert p.level == pytest.approx(0.44, rel=0.03)


def test_a_blip_inside_the_plateau_does_not_split_it():
    y = encoder_like()
    x = np.log10(np.maximum(EPOCHS, 1))
    y = y + 0.05 * np.exp(-(((x - 4.0) / 0.05) ** 2))  # a short bump at 1e4 epochs
    p = find_plateau(EPOCHS, y)
    assert p.n_candidates == 1
    assert p.start < 10**3.9 and p.end > 10**4.2


def test_plateau_from_the_first_epoch_with_a_large_learning_rate():
    # the initial drop happens within epoch 1; plateau 2..100, escape near 300
    epochs = log_epochs(20_000)
    y = staircase(epochs, [0.44, 0.0], [2.5])
    y[0] = 1.0
    p = find_plateau(epochs, y)
    assert p.found and p.left
    assert p.start <= 3 and 50 < p.end < 300


def test_linear_epoch_grid_works_too():
    epochs = log_epochs(400_000, every=100)
    p = find_plateau(epochs, encoder_like(epochs))
    assert p.found and p.left
    assert 10**4.2 < p.end < 10**5


def test_stricter_flatness_shortens_the_plateau():
    rng = np.random.default_rng(1)
    x = np.log10(np.maximum(EPOCHS, 1))
    y = encoder_like() - 0.02 * np.clip(x - 3.5, 0, None)  # slow drift along the plateau
    y = y * (1 + 0.001 * rng.standard_normal(len(y)))
    loose = find_plateau(EPOCHS, y)
    strict = find_plateau(EPOCHS, y, PlateauParams(flat_per_decade=0.03))
    assert loose.found
    assert not strict.found or strict.decades < loose.decades


def test_degenerate_inputs_give_no_plateau():
    assert find_plateau([], []) == NO_PLATEAU
    assert find_plateau([0, 1], [1.0, 0.5]) == NO_PLATEAU
    assert find_plateau(EPOCHS, np.full(len(EPOCHS), np.nan)) == NO_PLATEAU
    assert math.isnan(NO_PLATEAU.decades) and math.isnan(NO_PLATEAU.epochs)


def test_curve_table_and_drop_epoch():
    curve = pd.DataFrame({"epoch": EPOCHS, "objective": encoder_like()})
    assert plateau_of_curve(curve) == find_plateau(EPOCHS, encoder_like())
    d = drop_epoch(curve)
    assert curve.loc[curve["epoch"] == d, "objective"].item() <= 0.5 * curve["objective"].iloc[0]
    before = curve[curve["epoch"] < d]
    assert (before["objective"] > 0.5 * curve["objective"].iloc[0]).all()
    assert math.isnan(drop_epoch(curve.assign(objective=1.0)))
