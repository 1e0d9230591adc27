"""mechanism.py: the hidden activations of every snapshot, read in one pass."""

import numpy as np
import pandas as pd

from backprop_study.analysis.mechanism import snapshot_hidden


def hidden_table(epochs, classes=4, units=2, seed=0):
    rng = np.random.default_rng(seed)
    rows = [(e, c, u, rng.uniform()) for e in epochs for c in range(classes) for u in range(units)]
    return pd.DataFrame(rows, columns=["epoch", "class", "unit", "activation"])


def test_snapshot_hidden_places_every_value_at_its_snapshot():
    table = hidden_table([0, 10, 100, 5000]).sample(frac=1.0, random_state=2)  # any row order
    epochs = np.array([0, 10, 50, 100])  # 50: no hidden rows; 5000: not a snapshot asked for
    got = snapshot_hidden(table, epochs, (4, 2))
    assert got.shape == (4, 4, 2)
    for j, e in enumerate(epochs):
        at = table[table["epoch"] == e]
        want = np.full((4, 2), np.nan)
        want[at["class"], at["unit"]] = at["activation"]
        np.testing.assert_array_equal(got[j], want)  # NaN where the table has nothing
    assert np.isnan(got[2]).all() and not np.isnan(got[[0, 1, 3]]).any()


def test_snapshot_hidden_of_an_empty_table_is_all_nan():
    empty = hidden_table([])
    assert np.isnan(snapshot_hidden(empty, np.array([0, 10]), (4, 2))).all()
    assert snapshot_hidden(hidden_table([0]), np.array([], dtype=int), (4, 2)).shape == (0, 4, 2)
