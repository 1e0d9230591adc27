"""`train`: one run from its config, on either engine, with the schedules applied.

Both engines advance the network between "stops" (logged or snapshot epochs) and check every
epoch in between; this module owns everything they share (data, initial weights, batch order,
events, logging), so the engines differ only in how they compute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
    X = patterns(config.encoding, config.classes)
    Y = X
    m, n, h = X.shape[0], config.n_inputs, config.hidden
    k_minus_1 = config.encoding == "k-1"
    init_rng, shuffle_rng = random_streams(config.seed)
    params = (
        network.init_params(n, h, config.init_std, init_rng)
        if init is None
        else coerce_init(init, n, h)
    )
    initial = params.copy()
    theta, params = network.pack(params)  # the four arrays become views of one flat buffer
    update = update_of(config)
    state = optimizers.State.new(config.optimizer, theta.size, update.hyper)

    logged = log_epochs(
        config.epochs, config.log_every, config.log_dense_until, config.log_per_decade
    )
    snaps = snapshot_epochs(config.epochs, config.snapshots, config.snapshot_at)
    record = _record(logged, snaps, m, n, h)

    metrics = network.evaluate(params, X, Y, config.lam, k_minus_1, LOSSES[update.loss])
    first_correct = 0 if metrics.correct == m else None
    first_solved = 0 if metrics.max_error < SOLVED_TOLERANCE else None
    _window(record, logged, snaps, 0, 0)
    record.keep(0, 0, metrics, params, X)

    no_orders = np.zeros((0, m), dtype=np.int64)
    epoch = 0
    diverged_epoch = None
    while epoch < config.epochs:
        stop = min(epoch + CHUNK_EPOCHS, config.epochs)
        orders = no_orders if config.batch_size == m else epoch_orders(shuffle_rng, stop - epoch, m)
        _window(record, logged, snaps, epoch, stop)
        done, fc, fs, stopped = run_epochs(
            theta,
            params,
            X,
            Y,
            update,
            config.batch_size,
            epoch,
            stop,
            orders,
            k_minus_1,
            record,
            state,
        )
        if first_correct is None and fc:
            first_correct = fc
        if first_solved is None and fs:
            first_solved = fs
        if progress is not None:
            progress(done - epoch)
        if stopped:
            diverged_epoch = done
            break
        epoch = stop

    # The engine kept rows and snapshots up to the last finite epoch, also inside a chunk.
    epochs_run = epoch if diverged_epoch is None else diverged_epoch - 1
    kept_rows = logged <= epochs_run
    kept_snaps = snaps <= epochs_run
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
        for k, e in enumerate(snaps[kept_snaps])
    ]
    return TrainResult(
        config=config,
        engine=engine,
        curve=curve,
        snapshots=snapshots,
        initial=initial,
        final=params,
        first_all_correct=first_correct,
        first_solved=first_solved,
        epochs_run=epochs_run,
        diverged=diverged_epoch is not None,
        diverged_epoch=diverged_epoch,
        wall_time_s=time.perf_counter() - started,
    )
