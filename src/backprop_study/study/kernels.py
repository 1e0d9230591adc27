"""The fast engine's kernels, compiled once per numba cache rather than once per training job.

numba compiles a kernel at its first call in a process and keeps the machine code on disk
(`engine.jitcache` keeps that cache to the engine's sources). Training jobs started together on
a cold cache (a fresh clone, or the first call after an engine edit) would each compile the same
kernels, each slower for sharing the cores with the others. So the first job compiles the kernels
its runs use under a file lock in the cache folder (both at once, in two processes, when it uses
both), while the others wait, and records which kernels the cache holds for this engine, numba
and CPU; the others then load them from disk. A study that never trains four seeds of a setting
together (the quick study has two) never compiles the lane kernel.

A lock rather than a workflow job that training jobs depend on: a new input of the training rule
would rerun every training job of an existing results folder (Snakemake's "set of input files
has changed"), and a temporary one every training job of the call whenever one reruns.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from backprop_study.engine.fingerprint import engine_fingerprint
from backprop_study.engine.jitcache import cache_folder
from backprop_study.engine.runconfig import RunConfig

ONE_RUN, LANES = "one-run", "lanes"
KERNELS = (ONE_RUN, LANES)
"""The kernels by name: `fastpath._run` trains one network, `lanes._run` eight at once."""
LOCK = "kernels.lock"
WARM_UP = RunConfig(epochs=2)
"""Two epochs of the default setting: every kernel's one signature, the same for any setting
(what differs between settings are scalar arguments)."""


def ready_marker(kernel: str) -> str:
    """The file in the cache folder that holds the cache key `kernel` was compiled for."""
    return f"kernel-ready-{kernel}.txt"


def _kernels() -> tuple:
    from backprop_study.engine import fastpath, lanes

    return fastpath._run, lanes._run


def cache_key() -> str:
    """What a compiled kernel is valid for: the engine's sources, numba's version and the CPU
    numba compiles for (its own cache key, the target's 'magic tuple')."""
    import numba

    kernel = _kernels()[0]
    magic = kernel.targetctx.codegen().magic_tuple()
    return f"engine {engine_fingerprint()}; numba {numba.__version__}; target {magic}\n"


def _misses() -> int:
    """Kernel compilations in this process so far (numba's cache misses)."""
    return sum(sum(kernel.stats.cache_misses.values()) for kernel in _kernels())


def _warm_one_run() -> int:
    """Compile (or load from the cache) the one-run kernel; its compilations in this process."""
    from backprop_study.engine.training import train

    skip_blas_probe()
    train(WARM_UP)
    return _misses()


def _warm_lanes() -> None:
    from backprop_study.engine.training import MIN_LANE_RUNS, train_many

    configs = [RunConfig(epochs=WARM_UP.epochs, seed=s) for s in range(MIN_LANE_RUNS)]
    for _ in train_many(configs):
        pass


CHILD = "from backprop_study.study import kernels; print(kernels._warm_one_run())"
"""What the child of `_warm_up` (both kernels) runs: it prints its compilations."""


def _warm_up(kernels: Sequence[str] = KERNELS) -> tuple[int, int]:
    """Compile (or load from the cache) `kernels` by training a few networks; returns the
    kernels' (cache hits, cache misses), the child's compilations among the misses.

    Both kernels: a child process compiles the one-run kernel into the cache while this one
    compiles the lane kernel, so a cold cache costs the longer compile rather than the sum of
    both (each is one core's work); this process then loads the child's kernel from the cache,
    or compiles it itself if the child failed."""
    child = None
    if LANES in kernels:
        if ONE_RUN in kernels:
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True
            )
        _warm_lanes()
    compiled_by_child = 0
    if child is not None:
        out, _ = child.communicate()
        with suppress(ValueError):
            compiled_by_child = int(out.strip()) if child.returncode == 0 else 0
    if ONE_RUN in kernels:
        _warm_one_run()
    hits = sum(sum(kernel.stats.cache_hits.values()) for kernel in _kernels())
    return hits, _misses() + compiled_by_child


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created); without one where the file system refuses."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        yield
        return
    try:
        with suppress(OSError):  # e.g. a network file system without locks
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def skip_blas_probe() -> None:
    """Load numba's array-math registry with scipy's BLAS hidden from it. numba loads that
    registry at its first compile or cache load and probes for BLAS there by importing
    scipy.linalg: about 0.3 s, a third of a training job's start-up. The kernels call no BLAS.
    scipy stays importable as usual afterwards; only numba's own np.dot & co. are off in this
    process, which is why only the training commands call this (`prepare`)."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    sys.modules["scipy.linalg.cython_blas"] = None  # an import of it raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg.cython_blas"]


def used_kernels(configs: Sequence[RunConfig]) -> tuple[str, ...]:
    """The kernels that training `configs` (`train_many`) runs: blocks of 4 to 8 seeds of a
    setting train in lanes, the rest one at a time (`engine.training.lane_blocks`)."""
    from backprop_study.engine.training import lane_blocks

    uses = {in_lanes for in_lanes, _ in lane_blocks(configs)}
    return tuple(k for k, in_lanes in ((ONE_RUN, False), (LANES, True)) if in_lanes in uses)


def prepare(engine: str, configs: Sequence[RunConfig]) -> None:
    """Before a process trains `configs` on `engine`: the fast engine's kernels that `configs`
    use ready in the cache (one line on stderr when this process compiled them or waited for
    another) and loaded into this process (each costs a few tenths of a second), so that a
    run's recorded training time holds neither compiling nor loading; numba's BLAS probe
    skipped."""
    if engine == "fast":
        uses = used_kernels(configs)
        if note := ready(uses):
            print(note, file=sys.stderr, flush=True)
        one_run, lane = _kernels()
        if LANES in uses and not lane.signatures:
            _warm_lanes()  # loads it from the cache
        if ONE_RUN in uses and not one_run.signatures:
            _warm_one_run()
    skip_blas_probe()


def ready(kernels: Sequence[str] = KERNELS) -> str | None:
    """Make sure `kernels` are in the cache, compiling those no other process did; one line
    saying what it did, or None when the cache was already known to hold them."""
    skip_blas_probe()  # before numba's first compile or cache load, as in training
    folder = cache_folder(_kernels()[0])
    key = cache_key()
    if folder is None or not kernels:  # no cache (each process compiles anyway), or nothing asked
        return None

    def missing() -> list[str]:
        return [k for k in KERNELS if k in kernels and _read(folder / ready_marker(k)) != key]

    if not missing():
        return None
    started = time.perf_counter()
    with _locked(folder / LOCK):
        waited = time.perf_counter() - started
        todo = missing()
        if not todo:
            return f"kernels: compiled by another process (waited {waited:.1f} s)"
        hits, misses = _warm_up(todo)
        for kernel in todo:
            tmp = folder / f".{ready_marker(kernel)}.{os.getpid()}.tmp"
            try:
                tmp.write_text(key, encoding="utf-8")
                tmp.replace(folder / ready_marker(kernel))
            except OSError:
                tmp.unlink(missing_ok=True)
    took = time.perf_counter() - started - waited
    how = "compiled" if misses else "loaded from the cache"
    return f"kernels: {how} in {took:.1f} s ({misses} compiled, {hits} loaded: {', '.join(todo)})"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the kernels are the engine's, the cache numba's."""


def run(args: argparse.Namespace) -> int:
    print(ready() or "kernels: ready (in the cache)")
    return 0
