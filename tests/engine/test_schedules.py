import numpy as np

from backprop_study.engine.schedules import log_epochs, snapshot_epochs


def test_geometric_log_is_dense_early_and_sparse_late() -> None:
    e = log_epochs(400_000)
    assert e[0] == 0 and e[-1] == 400_000
    np.testing.assert_array_equal(e[:1001], np.arange(1001))
    assert np.all(np.diff(e) > 0)
    late = e[e > 1000]
    per_decade = len(late) / np.log10(400)
    assert 900 < per_decade < 1100
    assert len(e) < 5000


def test_log_every() -> None:
    np.testing.assert_array_equal(log_epochs(25, every=10), [0, 10, 20, 25])


def test_short_runs() -> None:
    np.testing.assert_array_equal(log_epochs(3), [0, 1, 2, 3])
    np.testing.assert_array_equal(snapshot_epochs(1, 40), [0, 1])


def test_snapshots_include_extra_and_last() -> None:
    s = snapshot_epochs(400_000, 40, (350_000,))
    assert {0, 350_000, 400_000} <= set(s.tolist())
    assert 38 <= len(s) <= 43
