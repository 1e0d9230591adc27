"""Plateau detection on a loss curve, in log-epoch.

Curves are logged on a geometric epoch grid and the interesting dynamics span decades, so the
curve is read as a function of x = log10(epoch) (epoch 0, the initial network, is only used as
the reference level J0). Definition, with the parameters of `PlateauParams`:

1. Resample the objective onto a uniform grid in x (`grid_per_decade` points per decade; the
   median of the logged points in each grid bin, interpolated where a bin is empty) and smooth it
   with a running median `smooth_decades` wide (robust to the noise of small batches).
2. A grid point is *flat* where the objective changes by less than `flat_per_decade` of its own
   level per decade, the change measured across a window `window_decades` wide centred on it.
3. Flat points before the objective has first fallen to (1 - `min_entry_drop`) * J0 are
   ignored: with a small learning rate the first few epochs are flat in log-epoch only because
   nothing has happened yet.
4. Maximal runs of flat points are candidate stretches; two consecutive candidates are merged
   when the objective between them never falls below (1 - `min_exit_drop`) times the earlier
   one's level (a noise blip or a slow drift inside one plateau). Candidates shorter than
   `min_decades` are dropped, as are candidates that start at or after `solved_epoch` (a run
   that has solved is converging, not stuck: a flat end with weight decay is its final level).
5. A candidate is *left* if the objective later falls below (1 - `min_exit_drop`) times its
   level. The plateau is the longest (in decades) left candidate; if no candidate was left, it
   is the last candidate, extended to the last logged epoch and marked not left. Otherwise there
   is no plateau.

The plateau's level is the median logged objective between its start and end epochs (both
logged epochs). On the 8-3-8 encoder at alpha = 0.01 this finds the stretch at J ~ 0.44 (every
output ~ 1/8, the mean target) between the fast initial drop and the final descent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PlateauParams:
    """Knobs of the plateau definition (module docstring); defaults suit the 8-3-8 encoder."""

    flat_per_decade: float = 0.1
    window_decades: float = 0.25
    smooth_decades: float = 0.1
    grid_per_decade: int = 100
    min_decades: float = 0.3
    min_entry_drop: float = 0.1
    min_exit_drop: float = 0.25


@dataclass(frozen=True)
class Plateau:
    """One run's plateau; `found` False means none (then every number is NaN)."""

    found: bool
    left: bool
    start: float
    end: float
    level: float
    n_candidates: int

    @property
    def epochs(self) -> float:
        """Length in epochs."""
        return self.end - self.start

    @property
    def decades(self) -> float:
        """Length in decades of epochs, log10(end / start)."""
        if not self.found:
            return math.nan
        return math.log10(self.end / self.start)


NO_PLATEAU = Plateau(False, False, math.nan, math.nan, math.nan, 0)


def _resample(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Median of the points in each grid bin; linear interpolation for empty bins."""
    h = grid[1] - grid[0] if len(grid) > 1 else 1.0
    idx = np.clip(np.rint((x - grid[0]) / h).astype(np.int64), 0, len(grid) - 1)
    binned = pd.Series(y).groupby(idx).median()
    have = binned.index.to_numpy()
    out = np.interp(np.arange(len(grid)), have, binned.to_numpy())
    return out


def _running_median(y: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or len(y) < 3:
        return y
    width = min(width | 1, (len(y) - 1) | 1)
    pad = width // 2
    padded = np.pad(y, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    return np.median(windows, axis=1)


def _flat_runs(flat: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of maximal runs of True."""
    edges = np.diff(np.concatenate([[0], flat.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def find_plateau(
    epochs: np.ndarray,
    objective: np.ndarray,
    params: PlateauParams | None = None,
    solved_epoch: float | None = None,
) -> Plateau:
    """The plateau of one loss curve (module docstring), or `NO_PLATEAU`.

    `epochs` ascending, `objective` the same length; non-finite values are ignored.
    """
    p = params or PlateauParams()
    epochs = np.asarray(epochs, dtype=np.float64)
    objective = np.asarray(objective, dtype=np.float64)
    ok = np.isfinite(epochs) & np.isfinite(objective)
    epochs, objective = epochs[ok], objective[ok]
    if len(epochs) == 0:
        return NO_PLATEAU
    j0 = float(objective[np.argmin(epochs)])
    pos = epochs >= 1
    e, y = epochs[pos], objective[pos]
    if len(e) < 3 or e[-1] <= e[0]:
        return NO_PLATEAU
    x = np.log10(e)
    n_grid = max(int(math.ceil((x[-1] - x[0]) * p.grid_per_decade)) + 1, 3)
    grid = np.linspace(x[0], x[-1], n_grid)
    step = grid[1] - grid[0]
    smooth = _running_median(_resample(x, y, grid), int(round(p.smooth_decades / step)))

    half = p.window_decades / 2
    lo = np.clip(grid - half, grid[0], grid[-1])
    hi = np.clip(grid + half, grid[0], grid[-1])
    change = np.interp(lo, grid, smooth) - np.interp(hi, grid, smooth)
    level = np.maximum(np.abs(smooth), np.finfo(float).tiny)
    rate = np.abs(change) / ((hi - lo) * level)
    flat = rate < p.flat_per_decade
    entered = np.flatnonzero(smooth <= (1 - p.min_entry_drop) * j0)
    if len(entered) == 0:
        return NO_PLATEAU
    flat[: entered[0]] = False

    def level_of(a: int, b: int) -> float:
        return float(np.median(smooth[a : b + 1]))

    runs = _flat_runs(flat)
    merged: list[list[int]] = []
    for a, b in runs:
        if merged:
            pa, pb = merged[-1]
            floor = (1 - p.min_exit_drop) * level_of(pa, pb)
            if smooth[pb : b + 1].min() > floor:
                merged[-1][1] = b
                continue
        merged.append([a, b])

    def to_epoch(i: int, side: str) -> float:
        target = 10 ** grid[i]
        k = np.searchsorted(e, target, side="left")
        # start rounds up to a logged epoch inside the stretch, end rounds down
        if side == "start":
            return float(e[min(k, len(e) - 1)])
        if k < len(e) and e[k] == target:
            return float(e[k])
        return float(e[max(k - 1, 0)])

    candidates = []
    for a, b in merged:
        if grid[b] - grid[a] < p.min_decades:
            continue
        start = to_epoch(a, "start")
        if solved_epoch is not None and start >= solved_epoch:
            continue
        left = bool(b + 1 < len(smooth)) and smooth[b + 1 :].min() <= (
            1 - p.min_exit_drop
        ) * level_of(a, b)
        candidates.append((a, b, start, left))
    if not candidates:
        return NO_PLATEAU

    left_ones = [c for c in candidates if c[3]]
    if left_ones:
        a, b, start, _ = max(left_ones, key=lambda c: (grid[c[1]] - grid[c[0]], -c[0]))
        end, left = to_epoch(b, "end"), True
    else:
        a, b, start, _ = candidates[-1]
        end, left = float(e[-1]), False
    inside = (e >= start) & (e <= end)
    return Plateau(True, left, start, end, float(np.median(y[inside])), len(candidates))


def plateau_of_curve(
    curve: pd.DataFrame, params: PlateauParams | None = None, solved_epoch: float | None = None
) -> Plateau:
    """`find_plateau` on a run's curve table (columns `epoch`, `objective`)."""
    return find_plateau(
        curve["epoch"].to_numpy(), curve["objective"].to_numpy(), params, solved_epoch
    )


def drop_epoch(curve: pd.DataFrame, fraction: float = 0.5) -> float:
    """First logged epoch at which the objective is at most `fraction` of its initial value.

    A speed-of-initial-drop measure that does not depend on the plateau definition (the seed's
    "the loss drops off faster"); NaN if it never gets there.
    """
    obj = curve["objective"].to_numpy()
    ep = curve["epoch"].to_numpy()
    if len(obj) == 0:
        return math.nan
    hit = np.flatnonzero(obj <= fraction * obj[0])
    return float(ep[hit[0]]) if len(hit) else math.nan
