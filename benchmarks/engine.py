"""Engine speed: epochs/s of the fast path and the reference, their ratio, and cold start;
then the fast path's epochs/s for every optimizer and loss at full batch and batch size 1,
as a share of plain gradient descent's (gd, mse) at the same batch size.

Run: python benchmarks/engine.py [--epochs 400000]. One core, 8-3-8, float64, every epoch
checked (events), the default geometric logging. Prints one line per batch size, then one per
optimizer, loss and batch size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from backprop_study import RunConfig, train
from backprop_study.engine.losses import LOSS_NAMES
from backprop_study.engine.optimizers import FULL_BATCH_ONLY, OPTIMIZERS


def rate(config: RunConfig, engine: str, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        train(config, engine=engine)
        best = min(best, time.perf_counter() - t)
    return config.epochs / best


def cold_start() -> tuple[float, float]:
    """Seconds for a fresh process to import and train 1 epoch: with numba's cache, and without."""
    code = "from backprop_study import RunConfig, train; train(RunConfig(epochs=1))"
    times = []
    with tempfile.TemporaryDirectory() as empty_cache:
        for env_extra in ({}, {"NUMBA_CACHE_DIR": empty_cache}):  # the second must compile
            env = {**os.environ, **env_extra}
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            times.append(time.perf_counter() - t)
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=400_000, help="fast-path epochs per run")
    parser.add_argument("--ref-epochs", type=int, default=3_000, help="reference epochs per run")
    parser.add_argument("--repeats", type=int, default=3, help="best of N")
    args = parser.parse_args()
    train(RunConfig(epochs=2, batch_size=1))  # load compiled kernels before timing
    print(f"{'batch':>5} {'fast epochs/s':>14} {'reference epochs/s':>19} {'ratio':>7}")
    for batch in (8, 4, 2, 1):
        fast = rate(RunConfig(epochs=args.epochs, batch_size=batch), "fast", args.repeats)
        ref = rate(RunConfig(epochs=args.ref_epochs, batch_size=batch), "reference", 1)
        print(f"{batch:>5} {fast:>14,.0f} {ref:>19,.0f} {fast / ref:>6.0f}x")
    print()
    print(f"{'optimizer':>9} {'loss':>13} {'batch':>5} {'fast epochs/s':>14} {'of gd, mse':>10}")
    for batch in (8, 1):
        gd = None
        for optimizer in OPTIMIZERS:
            if optimizer in FULL_BATCH_ONLY and batch != 8:
                continue
            for loss in LOSS_NAMES:
                cfg = RunConfig(
                    epochs=args.epochs, batch_size=batch, optimizer=optimizer, loss=loss
                )
                train(RunConfig(epochs=2, batch_size=batch, optimizer=optimizer, loss=loss))
                r = rate(cfg, "fast", args.repeats)
                gd = r if gd is None else gd
                print(f"{optimizer:>9} {loss:>13} {batch:>5} {r:>14,.0f} {r / gd:>9.0%}")
    cached, compiled = cold_start()
    print(
        f"cold start (new process, import + 1 epoch): {cached:.2f} s with numba cache, "
        f"{compiled:.2f} s compiling"
    )


if __name__ == "__main__":
    main()
