"""`train`: one run from its config, on either engine, with the schedules applied.

Both engines advance the network between "stops" (logged or snapshot epochs) and check every
epoch in between; this module owns everything they share (data, initial weights, batch order,
events, logging), so the engines differ only in how they compute.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_study.engine import network, optimizers
from backprop_study.engine.encodings import SOLVED_TOLERANCE, patterns
from backprop_study.engine.losses import LOSSES, loss_code
from backprop_study.engine.network import Params, Record, Update
from backprop_study.engine.runconfig import RunConfig
from backprop_study.engine.schedules import log_epochs, snapshot_epochs

ENGINES = ("fast", "reference")
CHUNK_EPOCHS = 50_000  # epochs per engine call: bounds the batch-order buffer, paces progress
CURVE_COLUMNS = ("epoch", "data_loss", "penalty", "objective", "correct", "max_error")


@dataclass
class Snapshot:
    epoch: int
    params: Params
    hidden: np.ndarray  # (classes, hidden) activations


@dataclass
class TrainResult:
    """Everything a run produced. `curve` maps CURVE_COLUMNS to equal-length arrays."""

    config: RunConfig
    engine: str
    curve: dict[str, np.ndarray]
    snapshots: list[Snapshot]
    initial: Params
    final: Params
    first_all_correct: int | None
    first_solved: int | None
    epochs_run: int
    diverged: bool
    diverged_epoch: int | None
    wall_time_s: float

    def summary(self) -> dict[str, Any]:
        """The run's outcome as plain JSON-able values (goes into the files' metadata).

        No wall time: it differs from rerun to rerun, so it goes to the provenance sidecar and
        the files stay byte-identical for the same config and seed.
        """
        return {
            "engine": self.engine,
            "epochs_run": self.epochs_run,
            "diverged": self.diverged,
            "diverged_epoch": self.diverged_epoch,
            "first_all_correct": self.first_all_correct,
            "first_solved": self.first_solved,
            "unused_settings": list(self.config.unused_settings()),
        }


def random_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent (init, shuffle) generators from the seed alone."""
    init_seq, shuffle_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init_seq), np.random.default_rng(shuffle_seq)


def epoch_orders(rng: np.random.Generator, n_epochs: int, m: int) -> np.ndarray:
    """Pattern order of each of the next n_epochs: argsort of m uniforms per epoch.

    Drawn per epoch in sequence, so the orders do not depend on how epochs are grouped.
    """
    return np.argsort(rng.random((n_epochs, m)), axis=1, kind="stable")


def coerce_init(init: Any, n: int, h: int) -> Params:
    """Explicit initial parameters: a Params, a (W1, b1, W2, b2) sequence or a dict of those."""
    arrays = [init[k] for k in Params._fields] if isinstance(init, dict) else list(init)
    if len(arrays) != 4:
        raise ValueError("init: expected W1, b1, W2, b2")
    shapes = {"W1": (h, n), "b1": (h,), "W2": (n, h), "b2": (n,)}
    out = []
    for name, a in zip(Params._fields, arrays, strict=True):
        a = np.array(a, dtype=np.float64, order="C", copy=True)
        if a.shape != shapes[name]:
            raise ValueError(f"init: {name} has shape {a.shape}; expected {shapes[name]}")
        out.append(a)
    return Params(*out)


def _record(logged: np.ndarray, snaps: np.ndarray, m: int, n: int, h: int) -> Record:
    """Preallocated outputs; the slot windows are filled per engine call (`_window`)."""
    k = len(snaps)
    return Record(
        np.full(CHUNK_EPOCHS + 1, -1, dtype=np.int64),
        np.full((len(logged), len(CURVE_COLUMNS)), np.nan),
        np.full(CHUNK_EPOCHS + 1, -1, dtype=np.int64),
        np.empty((k, h, n)),
        np.empty((k, h)),
        np.empty((k, n, h)),
        np.empty((k, n)),
        np.empty((k, m, h)),
    )


def _window(record: Record, logged: np.ndarray, snaps: np.ndarray, e0: int, e1: int) -> None:
    """Point the record's slots at the rows of epochs e0..e1 (slot index = epoch - e0)."""
    for slot, epochs in ((record.log_slot, logged), (record.snap_slot, snaps)):
        slot[:] = -1
        lo, hi = np.searchsorted(epochs, [e0, e1 + 1])
        slot[epochs[lo:hi] - e0] = np.arange(lo, hi)


def update_of(config: RunConfig) -> Update:
    """The engines' view of how a batch changes the network."""
    return Update(
        lam=config.lam,
        alpha=config.alpha,
        loss=loss_code(config.loss),
        optimizer=optimizers.optimizer_code(config.optimizer),
        prime_offset=config.prime_offset,
        hyper=np.array([getattr(config, name) for name in optimizers.HYPER], dtype=np.float64),
    )


def _engine(name: str) -> Callable[..., tuple[int, network.Metrics, int, int, bool]]:
    if name == "reference":
        return network.run_epochs
    if name == "fast":
        from backprop_study.engine import fastpath

        return fastpath.run_epochs
    raise ValueError(f"engine: {name!r} is not allowed; allowed: {', '.join(ENGINES)}")


@dataclass
class _Run:
    """One run between engine calls: what `train` and `train_many` share of it."""

    config: RunConfig
    X: np.ndarray
    k_minus_1: bool
    shuffle_rng: np.random.Generator
    initial: Params
    theta: np.ndarray
    params: Params  # views of theta
    update: Update
    state: optimizers.State
    logged: np.ndarray
    snaps: np.ndarray
    record: Record
    first_correct: int | None
    first_solved: int | None


def _start(config: RunConfig, init: Any = None) -> _Run:
    """Data, initial weights, optimizer state, schedules and epoch 0 of a run."""
    X = patterns(config.encoding, config.classes)
    m, n, h = X.shape[0], config.n_inputs, config.hidden
    k_minus_1 = config.encoding == "k-1"
    init_rng, shuffle_rng = random_streams(config.seed)
    params = (
        network.init_params(
            n, h, config.init_std, init_rng, config.init_distribution, config.init_range
        )
        if init is None
        else coerce_init(init, n, h)
    )
    initial = params.copy()
    theta, params = network.pack(params)  # the four arrays become views of one flat buffer
    update = update_of(config)
    state = optimizers.State.new(config.optimizer, theta.size, update.hyper, config.alpha)
    logged = log_epochs(
        config.epochs, config.log_every, config.log_dense_until, config.log_per_decade
    )
    snaps = snapshot_epochs(config.epochs, config.snapshots, config.snapshot_at)
    record = _record(logged, snaps, m, n, h)
    metrics = network.evaluate(params, X, X, config.lam, k_minus_1, LOSSES[update.loss])
    _window(record, logged, snaps, 0, 0)
    record.keep(0, 0, metrics, params, X)
    return _Run(
        config=config,
        X=X,
        k_minus_1=k_minus_1,
        shuffle_rng=shuffle_rng,
        initial=initial,
        theta=theta,
        params=params,
        update=update,
        state=state,
        logged=logged,
        snaps=snaps,
        record=record,
        first_correct=0 if metrics.correct == m else None,
        first_solved=0 if metrics.max_error < SOLVED_TOLERANCE else None,
    )


def _orders(run: _Run, e0: int, e1: int) -> np.ndarray:
    """The batch orders of epochs e0 + 1 .. e1 (none needed with full batch)."""
    m = run.X.shape[0]
    if run.config.batch_size == m:
        return np.zeros((0, m), dtype=np.int64)
    return epoch_orders(run.shuffle_rng, e1 - e0, m)


def _result(
    run: _Run, engine: str, epochs_run: int, diverged_epoch: int | None, wall: float
) -> TrainResult:
    """The run's outcome from its record: rows and snapshots up to the last finite epoch."""
    record = run.record
    kept_rows = run.logged <= epochs_run
    kept_snaps = run.snaps <= epochs_run
    table = record.curve[kept_rows]
    curve = {
        name: table[:, i].astype(np.int64 if name in ("epoch", "correct") else np.float64)
        for i, name in enumerate(CURVE_COLUMNS)
    }
    snapshots = [
        Snapshot(
            int(e),
            Params(
                record.W1[k].copy(), record.b1[k].copy(), record.W2[k].copy(), record.b2[k].copy()
            ),
            record.hidden[k].copy(),
        )
        for k, e in enumerate(run.snaps[kept_snaps])
    ]
    return TrainResult(
        config=run.config,
        engine=engine,
        curve=curve,
        snapshots=snapshots,
        initial=run.initial,
        final=run.params,
        first_all_correct=run.first_correct,
        first_solved=run.first_solved,
        epochs_run=epochs_run,
        diverged=diverged_epoch is not None,
        diverged_epoch=diverged_epoch,
        wall_time_s=wall,
    )


def train(
    config: RunConfig,
    init: Any = None,
    engine: str = "fast",
    progress: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train one network as `config` says.

    `init` overrides the seeded initial weights (see `coerce_init`; shapes in `network`).
    `progress`, if given, is called with the number of epochs done since its last call.
    """
    run_epochs = _engine(engine)
    started = time.perf_counter()
    run = _start(config, init)
    epoch = 0
    diverged_epoch = None
    while epoch < config.epochs:
        stop = min(epoch + CHUNK_EPOCHS, config.epochs)
        orders = _orders(run, epoch, stop)
        _window(run.record, run.logged, run.snaps, epoch, stop)
        done, fc, fs, stopped = run_epochs(
            run.theta,
            run.params,
            run.X,
            run.X,
            run.update,
            config.batch_size,
            epoch,
            stop,
            orders,
            run.k_minus_1,
            run.record,
            run.state,
        )
        if run.first_correct is None and fc:
            run.first_correct = fc
        if run.first_solved is None and fs:
            run.first_solved = fs
        if progress is not None:
            progress(done - epoch)
        if stopped:
            diverged_epoch = done
            break
        epoch = stop
    # The engine kept rows and snapshots up to the last finite epoch, also inside a chunk.
    epochs_run = epoch if diverged_epoch is None else diverged_epoch - 1
    return _result(run, engine, epochs_run, diverged_epoch, time.perf_counter() - started)


def lane_key(config: RunConfig) -> RunConfig:
    """What runs trained together in lanes must share: everything but the seed."""
    return dataclasses.replace(config, seed=0)


def train_many(configs: Sequence[RunConfig], engine: str = "fast") -> Iterator[TrainResult]:
    """Train `configs`, yielding each result in order as soon as it exists: the same results as
    `train` on each, bit for bit (tested).

    With the fast engine, consecutive runs that differ only in their seed (the seeds of a
    setting) go through `lanes` together, `lanes.LANES` at a time; a group of fewer than
    MIN_LANE_RUNS, a network too big for the lanes, and the reference engine go one by one
    through `train`. A lane block's results arrive together; each one's wall time is the
    block's divided by the runs in it.
    """
    _engine(engine)
    if engine != "fast":  # the lanes are the fast path's; no numba for the reference
        for config in configs:
            yield train(config, engine=engine)
        return
    for in_lanes, block in lane_blocks(configs):
        if in_lanes:
            yield from _train_lanes(block)
        else:
            for config in block:
                yield train(config, engine=engine)


def lane_blocks(configs: Sequence[RunConfig]) -> Iterator[tuple[bool, list[RunConfig]]]:
    """How the fast engine's `train_many` trains `configs`, in order: (True, a block trained in
    lanes) or (False, runs trained one by one)."""
    todo = list(configs)
    width = _lanes().LANES
    i = 0
    while i < len(todo):
        j = i + 1
        while j < len(todo) and j - i < width and lane_key(todo[j]) == lane_key(todo[i]):
            j += 1
        yield j - i >= MIN_LANE_RUNS and _fits_lanes(todo[i]), todo[i:j]
        i = j


MIN_LANE_RUNS = 4
"""Fewest runs a lane block is worth: a block costs about what 3 runs alone do (measured: 100
seeds at full batch, 0.105 s a block against 0.036 s a run alone, 40,000 epochs each)."""


def _fits_lanes(config: RunConfig) -> bool:
    limit = _lanes().MAX_UNITS
    return max(config.classes, config.n_inputs, config.hidden) <= limit


def _lanes():  # noqa: ANN202
    from backprop_study.engine import lanes

    return lanes


def _train_lanes(configs: Sequence[RunConfig]) -> list[TrainResult]:
    """Runs of one setting (at most LANES) trained in one lane block; free lanes repeat lane 0
    and are never recorded."""
    lanes = _lanes()
    L = lanes.LANES
    started = time.perf_counter()
    runs = [_start(c) for c in configs]
    config, first = runs[0].config, runs[0]
    m, n = first.X.shape
    h = config.hidden
    source = [r if r < len(runs) else 0 for r in range(L)]
    theta = np.stack([runs[s].theta for s in source], axis=1)
    state = [np.stack([getattr(runs[s].state, f) for s in source], axis=1) for f in "abc"]
    step_count = first.state.t.copy()
    k = len(first.snaps)
    curve = np.stack([r.record.curve for r in runs] + [first.record.curve] * (L - len(runs)))
    snaps = [
        np.empty((L, k, h, n)),
        np.empty((L, k, h)),
        np.empty((L, k, n, h)),
        np.empty((L, k, n)),
        np.empty((L, k, m, h)),
    ]
    for r, run in enumerate(runs):  # epoch 0 as `_start` kept it
        for dest, src in zip(snaps, run.record[3:], strict=True):
            dest[r] = src
    active = np.array([r < len(runs) for r in range(L)])
    fc = np.array([-1 if r >= len(runs) or runs[r].first_correct is None else 0 for r in range(L)])
    fs = np.array([-1 if r >= len(runs) or runs[r].first_solved is None else 0 for r in range(L)])
    diverged = np.zeros(L, dtype=bool)
    diverged_at = [None] * len(runs)
    u = first.update
    record = first.record
    epoch = 0
    while epoch < config.epochs and active.any():
        stop = min(epoch + CHUNK_EPOCHS, config.epochs)
        drawn = [_orders(run, epoch, stop) for run in runs]  # each run's stream, once
        orders = np.stack([drawn[s] for s in source], axis=-1)
        at = epoch
        while at < stop and active.any():
            _window(record, first.logged, first.snaps, at, stop)
            done = lanes.run(
                theta,
                first.X,
                first.X,
                h,
                float(u.lam),
                float(u.alpha),
                int(u.loss),
                float(LOSSES[u.loss].factor),
                int(u.optimizer),
                float(u.prime_offset),
                np.asarray(u.hyper, dtype=np.float64),
                int(config.batch_size),
                at,
                stop,
                np.ascontiguousarray(orders[at - epoch :]),
                first.k_minus_1,
                record.log_slot,
                curve,
                record.snap_slot,
                *snaps,
                *state,
                step_count,
                active,
                fc,
                fs,
                diverged,
            )
            for r in np.flatnonzero(diverged & active):
                diverged_at[r] = done
                runs[r].theta[:] = theta[:, r]  # its weights where it stopped, as `train` keeps
                active[r] = False
            if done < stop and active.any():  # diverged lanes go on as a copy of a live one
                live = int(np.flatnonzero(active)[0])
                for arr in (theta, *state):
                    arr[:, ~active] = arr[:, [live]]
            diverged[:] = False
            at = done
        epoch = stop
    wall = (time.perf_counter() - started) / len(runs)
    results = []
    for r, run in enumerate(runs):
        run.record = Record(record.log_slot, curve[r], record.snap_slot, *(s[r] for s in snaps))
        run.first_correct = None if fc[r] < 0 else int(fc[r])
        run.first_solved = None if fs[r] < 0 else int(fs[r])
        d = diverged_at[r]
        if d is None:
            run.theta[:] = theta[:, r]  # run.params are views of it
        results.append(_result(run, "fast", config.epochs if d is None else d - 1, d, wall))
    return results
