"""Benchmark the workflow: the default study end to end, its size, and a 10,000-run dry run.

    python benchmarks/workflow.py                 # both parts (about 5 minutes on 2 cores)
    python benchmarks/workflow.py --only dry-run  # just the 10,000-run DAG
    python benchmarks/workflow.py --only study --cores 2 --keep /tmp/study

Works on a temporary copy of the workflow and the package (PYTHONPATH), so the repository's
results/ is never touched. Prints figures; asserts nothing (targets from the issues: the study
≤ 10 min with --cores 2 on a 2-core machine (issue 12; 5 min before its remedies and
benchmarks), results/ < 300 MB, the dry run ≤ 30 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def make_copy(dest: Path) -> dict[str, str]:
    dest.mkdir(parents=True, exist_ok=True)
    for part in ("Snakefile", "workflow", "config", "report", "profiles"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    # copy2 keeps mtimes: numba's cache in __pycache__ stays valid for the copy.
    shutil.copytree(ROOT / "src" / "backprop_study", dest / "src" / "backprop_study")
    env = os.environ.copy()
    env["PYTHONPATH"] = str(dest / "src")
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    return env


def timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed; see {log}")
    return elapsed


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench_study(work: Path, cores: int) -> None:
    env = make_copy(work)
    n_runs = len(_study(work / "config" / "config.yaml").run_ids())
    wall = timed([str(BIN / "snakemake"), "--cores", str(cores)], work, env, work / "snakemake.log")
    again = timed([str(BIN / "snakemake"), "--cores", str(cores)], work, env, work / "again.log")
    nothing = "Nothing to be done" in (work / "again.log").read_text()
    report = timed(
        [str(BIN / "snakemake"), "--report", "results/report.html"],
        work,
        env,
        work / "report.log",
    )
    results = work / "results"
    print(f"default study: {n_runs} runs, snakemake --cores {cores}: {wall:.1f} s wall")
    print(f"  second call: {again:.1f} s, nothing to do: {nothing}")
    print(f"  snakemake --report results/report.html: {report:.1f} s")
    print(f"  results/: {size_mb(results):.1f} MB ", end="")
    parts = {p.name: size_mb(p) for p in results.iterdir() if p.is_dir()}
    print("(" + ", ".join(f"{k} {v:.1f} MB" for k, v in sorted(parts.items())) + ")")


def _study(config_path: Path):
    sys.path.insert(0, str(ROOT / "src"))
    from backprop_study.study.config import load_study

    return load_study(yaml.safe_load(config_path.read_text()))


def ten_thousand_runs() -> dict:
    """One experiment of 10 λ × 25 α × 4 batch sizes × 2 encodings × 5 seeds = 10,000 runs."""
    lam = [0, 0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
    alpha = [round(0.01 * 1.3**i, 6) for i in range(25)]
    return {
        "results": "results",
        "epochs": 400_000,
        "seeds": list(range(5)),
        "experiments": {
            "weight_decay": {
                "lam": lam,
                "alpha": alpha,
                "batch_size": [1, 2, 4, 8],
                "encoding": ["k", "k-1"],
            }
        },
    }


def bench_dry_run(work: Path) -> None:
    env = make_copy(work)
    config = work / "config" / "config.yaml"
    config.write_text(yaml.safe_dump(ten_thousand_runs()))
    n_runs = len(_study(config).run_ids())
    snakemake = str(BIN / "snakemake")
    full = timed([snakemake, "--dry-run"], work, env, work / "dry.log")
    quiet = timed([snakemake, "--dry-run", "--quiet"], work, env, work / "dry-quiet.log")
    print(f"dry run of {n_runs} runs: snakemake -n {full:.1f} s (printing every job), ", end="")
    print(f"snakemake -n --quiet {quiet:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("study", "dry-run"), help="run one part only")
    parser.add_argument("--cores", type=int, default=2, help="cores for the study (default 2)")
    parser.add_argument("--keep", type=Path, help="work here (kept) instead of a temporary dir")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-workflow-"))
    try:
        if args.only in (None, "study"):
            bench_study(base / "study", args.cores)
        if args.only in (None, "dry-run"):
            bench_dry_run(base / "dry-run")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
