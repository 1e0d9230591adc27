"""Which epochs a run logs and snapshots.

The default geometric schedule keeps every early epoch (where the loss moves fast) and about
`per_decade` points per decade after, so a 400,000-epoch curve is a few thousand rows.
"""

from __future__ import annotations

import numpy as np


def log_epochs(
    epochs: int, every: int | None = None, dense_until: int = 1000, per_decade: int = 1000
) -> np.ndarray:
    """Sorted unique logged epochs in [0, epochs], always including 0 and `epochs`."""
    if every is not None:
        grid = np.arange(0, epochs + 1, every, dtype=np.int64)
    else:
        dense = np.arange(0, min(dense_until, epochs) + 1, dtype=np.int64)
        grid = dense
        if epochs > dense_until:
            start = max(dense_until, 1)
            decades = np.log10(epochs / start)
            n = int(np.ceil(decades * per_decade)) + 1
            geo = np.rint(start * np.logspace(0, decades, n)).astype(np.int64)
            grid = np.concatenate([dense, geo])
    return np.unique(np.concatenate([grid, [0, epochs]]).clip(0, epochs))


def logged_rows(
    epochs: int, every: int | None = None, dense_until: int = 1000, per_decade: int = 1000
) -> int:
    """An upper bound on `len(log_epochs(...))`, without building it (for range checks)."""
    if every is not None:
        return epochs // every + 2
    dense = min(dense_until, epochs) + 1
    if epochs <= dense_until:
        return dense + 1
    decades = np.log10(epochs / max(dense_until, 1))
    return dense + int(np.ceil(decades * per_decade)) + 2


def snapshot_epochs(epochs: int, count: int = 40, extra: tuple[int, ...] = ()) -> np.ndarray:
    """About `count` log-spaced epochs plus 0, the last epoch and any `extra` ones."""
    grid = np.rint(np.logspace(0, np.log10(epochs), count)).astype(np.int64) if count else []
    return np.unique(np.concatenate([grid, list(extra), [0, epochs]]).astype(np.int64))
