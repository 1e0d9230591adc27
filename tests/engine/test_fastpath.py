"""The fast engine against the reference: same curve to 1e-12 relative, same events."""

import numpy as np
import pytest

from backprop_study import RunConfig, train

MODES = [
    dict(encoding="k", lam=0.0, alpha=0.5, batch_size=8),
    dict(encoding="k-1", lam=0.0, alpha=0.5, batch_size=8),
    dict(encoding="k", lam=0.01, alpha=0.5, batch_size=8),
    dict(encoding="k", lam=0.0, alpha=0.5, batch_size=4),
    dict(encoding="k", lam=0.0, alpha=0.5, batch_size=2),
    dict(encoding="k", lam=0.0, alpha=0.5, batch_size=1),
    dict(encoding="k-1", lam=0.001, alpha=2.0, batch_size=1),
    dict(encoding="k", lam=0.0, alpha=5.0, batch_size=8),
    dict(encoding="k", lam=0.0, alpha=5.0, batch_size=1),
]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.mark.parametrize("mode", MODES, ids=lambda m: "-".join(f"{v}" for v in m.values()))
def test_fast_matches_reference_over_1000_epochs(mode: dict) -> None:
    cfg = RunConfig(epochs=1000, seed=3, log_every=1, snapshots=5, **mode)
    fast = train(cfg, engine="fast")
    ref = train(cfg, engine="reference")
    for col in ("data_loss", "penalty", "objective", "max_error"):
        nonzero = ref.curve[col] != 0
        assert _rel(fast.curve[col][nonzero], ref.curve[col][nonzero]) <= 1e-12, col
        np.testing.assert_array_equal(fast.curve[col] == 0, ref.curve[col] == 0)
    np.testing.assert_array_equal(fast.curve["correct"], ref.curve["correct"])
    assert fast.first_all_correct == ref.first_all_correct
    assert fast.first_solved == ref.first_solved
    for a, b in zip(fast.final, ref.final, strict=True):
        assert _rel(a, b) <= 1e-10
    for s_fast, s_ref in zip(fast.snapshots, ref.snapshots, strict=True):
        assert s_fast.epoch == s_ref.epoch
        assert _rel(s_fast.hidden, s_ref.hidden) <= 1e-12


def test_modes_reach_interesting_dynamics() -> None:
    """The comparison above is not vacuous: one mode solves the task within its 1000 epochs."""
    cfg = RunConfig(epochs=1000, seed=3, alpha=5.0, batch_size=1)
    r = train(cfg, engine="fast")
    assert r.first_all_correct is not None and r.first_solved is not None
