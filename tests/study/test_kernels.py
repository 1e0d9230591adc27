"""Kernels compiled once per cache: the first process compiles under a lock, the others wait and
load; and a run's files are the same bytes whichever way its process got the kernels."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from workflow_copy import make_copy

from backprop_study.study import kernels


@pytest.fixture
def fake_cache(monkeypatch, tmp_path):
    """A cache folder in tmp_path and a warm-up that only records its calls (the kernels)."""
    calls = []

    def warm_up(names=kernels.KERNELS):
        calls.append(tuple(names))
        return 0, len(names)

    monkeypatch.setattr(kernels, "cache_folder", lambda kernel: tmp_path)
    monkeypatch.setattr(kernels, "cache_key", lambda: "key of today\n")
    monkeypatch.setattr(kernels, "_warm_up", warm_up)
    return tmp_path, calls


def marker(folder: Path, kernel: str) -> Path:
    return folder / kernels.ready_marker(kernel)


def test_the_first_call_compiles_and_later_ones_do_nothing(fake_cache) -> None:
    folder, calls = fake_cache
    note = kernels.ready()
    assert note is not None and note.startswith("kernels: compiled in ")
    for kernel in kernels.KERNELS:
        assert marker(folder, kernel).read_text() == "key of today\n"
    assert kernels.ready() is None
    assert calls == [kernels.KERNELS]  # both kernels at once


def test_only_the_kernels_asked_for_are_compiled_and_the_other_later(fake_cache) -> None:
    """The quick study (two seeds a setting) never needs the lane kernel."""
    folder, calls = fake_cache
    assert kernels.ready([kernels.ONE_RUN]).endswith(": one-run)")
    assert not marker(folder, kernels.LANES).exists()
    assert kernels.ready([kernels.ONE_RUN]) is None
    assert kernels.ready(kernels.KERNELS).endswith(": lanes)")
    assert kernels.ready(kernels.KERNELS) is None
    assert kernels.ready([]) is None
    assert calls == [(kernels.ONE_RUN,), (kernels.LANES,)]


def test_a_cache_ready_for_another_engine_or_cpu_is_compiled_again(fake_cache) -> None:
    folder, calls = fake_cache
    for kernel in kernels.KERNELS:
        marker(folder, kernel).write_text("key of another engine\n")
    assert kernels.ready().startswith("kernels: compiled in ")
    assert calls == [kernels.KERNELS]


def test_a_process_that_waited_for_the_lock_does_not_compile_again(fake_cache) -> None:
    folder, calls = fake_cache
    holding = threading.Event()

    def other_process() -> None:  # holds the lock while it "compiles", then marks the cache
        with kernels._locked(folder / kernels.LOCK):
            holding.set()
            time.sleep(0.3)
            for kernel in kernels.KERNELS:
                marker(folder, kernel).write_text("key of today\n")

    other = threading.Thread(target=other_process)
    other.start()
    holding.wait()
    note = kernels.ready()
    other.join()
    assert note.startswith("kernels: compiled by another process (waited ")
    assert calls == []


def test_the_cache_key_names_the_engine_numba_and_the_cpu() -> None:
    import numba

    from backprop_study.engine.fingerprint import engine_fingerprint

    key = kernels.cache_key()
    assert f"engine {engine_fingerprint()}; numba {numba.__version__}; target (" in key


def test_the_parallel_warm_up_loads_both_kernels_and_counts_the_childs_compiles(
    monkeypatch,
) -> None:
    ran = []
    real = subprocess.Popen

    def popen(args, **kwargs):
        ran.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(kernels.subprocess, "Popen", popen)
    hits, misses = kernels._warm_up(kernels.KERNELS)
    assert ran == [[sys.executable, "-c", kernels.CHILD]]
    assert all(kernel.signatures for kernel in kernels._kernels())
    assert hits + misses >= 2  # each kernel loaded or compiled, here or in the child


@pytest.mark.parametrize(("engine", "readied"), [("fast", 1), ("reference", 0)])
def test_training_on_the_fast_engine_gets_the_kernels_ready_first(
    monkeypatch, capsys, engine, readied
) -> None:
    calls = []
    monkeypatch.setattr(
        kernels, "ready", lambda names: calls.append(("ready", *names)) or "kernels: compiled"
    )
    monkeypatch.setattr(kernels, "skip_blas_probe", lambda: calls.append("probe"))
    kernels.prepare(engine, [])
    assert calls == [("ready",)] * readied + ["probe"]
    assert capsys.readouterr().err == "kernels: compiled\n" * readied


@pytest.mark.parametrize(
    ("seeds", "loaded"), [(2, ["one run"]), (8, ["lanes"]), (10, ["lanes", "one run"])]
)
def test_preparing_readies_and_loads_only_the_kernels_the_runs_use(
    monkeypatch, seeds, loaded
) -> None:
    """Ten seeds of a setting train as eight in lanes and two alone (`train_many`)."""
    from backprop_study.engine.runconfig import RunConfig

    class NotLoaded:
        signatures: list = []

    calls, readied = [], []
    monkeypatch.setattr(kernels, "ready", readied.append)
    monkeypatch.setattr(kernels, "_kernels", lambda: (NotLoaded, NotLoaded))
    monkeypatch.setattr(kernels, "_warm_lanes", lambda: calls.append("lanes"))
    monkeypatch.setattr(kernels, "_warm_one_run", lambda: calls.append("one run"))
    kernels.prepare("fast", [RunConfig(epochs=2, seed=s) for s in range(seeds)])
    assert calls == loaded
    assert readied == [tuple(k for k in kernels.KERNELS if k.replace("-", " ") in loaded)]


# Ten seeds: eight in lanes, two alone, so both kernels run.
SETTINGS = (
    '{"config": {"alpha": 0.5, "batch_size": 2, "epochs": 400, "lam": 0.001}, '
    '"engine": "fast", "seeds": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}'
)


def train_seeds(cwd: Path, env: dict, root: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "backprop_study.cli", "train-seeds", "--settings", SETTINGS]
    return subprocess.Popen(
        [*command, "--root", root, "--manifest", f"{root}/seeds-0.json"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run_files(root: Path) -> dict[str, bytes]:
    files = [*root.rglob("*.parquet"), *root.rglob("checksums.sha256"), root / "seeds-0.json"]
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.mark.compile
def test_kernels_compile_once_and_runs_are_the_same_bytes_compiled_or_cached(tmp_path) -> None:
    env = make_copy(tmp_path)
    cache = tmp_path / "src" / "backprop_study" / "engine" / "__pycache__"
    for stale in [*cache.glob("*.nb?"), *cache.glob(kernels.ready_marker("*"))]:
        stale.unlink(missing_ok=True)
    # Two jobs started together on a cold cache: one compiles, the other waits and loads.
    jobs = [train_seeds(tmp_path, env, root) for root in ("a", "b")]
    notes = []
    for job in jobs:
        out, err = job.communicate(timeout=900)
        assert job.returncode == 0, err
        notes += [line for line in err.splitlines() if line.startswith("kernels: ")]
    assert sorted(note.split(" (")[0].split(" in ")[0] for note in notes) == [
        "kernels: compiled",
        "kernels: compiled by another process",
    ], notes
    # A third, later, neither compiles nor waits.
    job = train_seeds(tmp_path, env, "c")
    out, err = job.communicate(timeout=900)
    assert job.returncode == 0 and "kernels: " not in err, err
    a, b, c = (run_files(tmp_path / root) for root in "abc")
    assert len(a) == 10 * 4 + 1
    assert a == b == c
