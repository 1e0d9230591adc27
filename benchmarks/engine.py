"""Engine speed: epochs/s of the fast path per batch size, per optimizer and loss, and for many
runs of one setting in one process as its training job trains them (run-epochs/s: 10 and
100 seeds, each run a tenth of --epochs), against the reference engine and,
with --baseline REV, against the fast path of another git revision measured in the same run.

    python benchmarks/engine.py                    # this checkout
    python benchmarks/engine.py --baseline 4acbe6b # ... beside the fast path of 4acbe6b

One core, 8-3-8, float64, every epoch checked (events), the default geometric logging; best of
--repeats. The baseline runs this same script in a subprocess on `git archive REV src` with a
fresh numba cache (compile time excluded), alternating with this checkout so that load from
elsewhere hits both alike. Prints figures; asserts nothing (the targets of issue 13: >= 1,000,000
epochs/s at full batch, >= 400,000 at batch size 1, >= 2,000,000 run-epochs/s for many runs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np

from backprop_study import RunConfig, train
from backprop_study.engine.losses import LOSS_NAMES
from backprop_study.engine.optimizers import FULL_BATCH_ONLY, OPTIMIZERS

ROOT = Path(__file__).resolve().parents[1]
SEEDS = 10  # "many runs": the seeds of one setting (and 100, as researchers want)


def rate(config: RunConfig, engine: str, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        train(config, engine=engine)
        best = min(best, time.perf_counter() - t)
    return config.epochs / best


def many_rate(seeds: int, epochs: int, batch: int, repeats: int) -> float:
    """Run-epochs/s for `seeds` seeds of one setting, `epochs` each, trained as a setting's
    training job trains them: `train_many` (several at once), or one after another in a
    revision that has no `train_many`."""
    try:
        from backprop_study.engine.training import train_many
    except ImportError:
        train_many = None  # noqa: N806
    configs = [RunConfig(epochs=epochs, batch_size=batch, seed=s) for s in range(seeds)]
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        if train_many is None:
            for config in configs:
                train(config)
        else:
            list(train_many(configs))
        best = min(best, time.perf_counter() - t)
    return seeds * epochs / best


def modes() -> list[tuple[str, dict]]:
    """(label, RunConfig options) of every fast-path mode measured."""
    out = [(f"gd mse batch {b}", {"batch_size": b}) for b in (8, 4, 2, 1)]
    for batch in (8, 1):
        for optimizer in OPTIMIZERS:
            if optimizer in FULL_BATCH_ONLY and batch != 8:
                continue
            for loss in LOSS_NAMES:
                if (optimizer, loss) != ("gd", "mse"):
                    opts = {"batch_size": batch, "optimizer": optimizer, "loss": loss}
                    out.append((f"{optimizer} {loss} batch {batch}", opts))
    return out


def measure(label: str, epochs: int, repeats: int) -> float:
    """Epochs/s of one mode (label from `modes`, or 'many batch B'), kernels loaded first."""
    if label.startswith("many"):  # "many S batch B": S seeds, epochs / 10 each
        _, seeds, _, batch = label.split()
        many_rate(int(seeds), 2, int(batch), 1)  # kernels loaded first
        return many_rate(int(seeds), epochs // SEEDS, int(batch), repeats)
    opts = dict(modes())[label]
    train(RunConfig(epochs=2, **opts))
    return rate(RunConfig(epochs=epochs, **opts), "fast", repeats)


def labels() -> list[str]:
    many = [f"many {seeds} batch {b}" for seeds in (SEEDS, 100) for b in (8, 1)]
    return [label for label, _ in modes()] + many


def baseline_source(rev: str, dest: Path) -> Path:
    """`src/` of a git revision, unpacked under dest."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def in_subprocess(src: Path, cache: Path, label: str, epochs: int, repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "NUMBA_CACHE_DIR": str(cache)}
    cmd = [sys.executable, __file__, "--one", label]
    cmd += ["--epochs", str(epochs), "--repeats", str(repeats)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True)
    return json.loads(out.stdout)["rate"]


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
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # one mode, as JSON (the baseline's)
    args = parser.parse_args()
    if args.one:
        print(json.dumps({"rate": measure(args.one, args.epochs, args.repeats)}))
        return

    print(f"{'batch':>5} {'reference epochs/s':>19}")
    for batch in (8, 1):
        train(RunConfig(epochs=2, batch_size=batch), engine="reference")
        ref = rate(RunConfig(epochs=args.ref_epochs, batch_size=batch), "reference", 1)
        print(f"{batch:>5} {ref:>19,.0f}")
    print()
    with tempfile.TemporaryDirectory() as tmp:
        src = baseline_source(args.baseline, Path(tmp)) if args.baseline else None
        head = f"{'fast path (epochs/s; many: run-epochs/s)':<42} {'now':>11}"
        print(head + (f" {args.baseline:>11} {'ratio':>6}" if src else ""))
        gd = {}
        for label in labels():
            now = measure(label, args.epochs, args.repeats)
            line = f"{label:<42} {now:>11,.0f}"
            if src:
                before = in_subprocess(src, Path(tmp) / "cache", label, args.epochs, args.repeats)
                line += f" {before:>11,.0f} {now / before:>5.2f}x"
            batch = label.split()[-1]
            gd.setdefault(batch, now)  # the first line of each batch size is gd, mse
            if not label.startswith(("gd mse", "many")):
                line += f"   {now / gd[batch]:.0%} of gd mse"
            print(line)
    cached, compiled = cold_start()
    print(
        f"cold start (new process, import + 1 epoch): {cached:.2f} s with numba cache, "
        f"{compiled:.2f} s compiling"
    )


if __name__ == "__main__":
    main()
