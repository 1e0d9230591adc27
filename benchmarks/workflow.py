"""Benchmark the workflow: a study end to end with its time split, its size, and a 10,000-run
dry run.

    python benchmarks/workflow.py                 # both parts (about 6 minutes on 2 cores)
    python benchmarks/workflow.py --only dry-run  # just the 10,000-run DAG
    python benchmarks/workflow.py --only study --cores 2 --keep /tmp/study
    # the seed report's original 140-run grid at its 400,000 epochs, and with 100 seeds:
    python benchmarks/workflow.py --only study \
        --experiments weight_decay,encoding,learning_rate,batch_size,weights --epochs 400000
    python benchmarks/workflow.py --only study --seeds 100 \
        --experiments weight_decay,encoding,learning_rate,batch_size,weights --epochs 400000
    # the quick study, and its share that answers the seed report's questions:
    python benchmarks/workflow.py --only study --config quick.yaml
    python benchmarks/workflow.py --only study --config quick.yaml \
        --experiments weight_decay,encoding,learning_rate,batch_size,weights
    # as a fresh clone's first call would (the kernels compiled in the call):
    python benchmarks/workflow.py --only study --config quick.yaml --cold-cache
    # another checkout (e.g. before a change), same measurements:
    python benchmarks/workflow.py --only study --source ../main

Works on a temporary copy of the workflow and the package (PYTHONPATH), so the repository's
results/ is never touched. The time split of the study call: the engine (the runs' training
time, from their provenance.json), training jobs outside the engine (process start-up, checks,
reading and writing), aggregation, figures and report, claims and findings (each job's start
and end from .snakemake/metadata), and Snakemake's own share (the wall time not covered by the
jobs' busy time spread over the cores). Prints figures; asserts nothing (targets from the
issues: the study ≤ 10 min with --cores 2 on a 2-core machine (issue 12), results/ < 300 MB,
the dry run ≤ 30 s; issue 13: a 100-seed study in minutes).
"""

from __future__ import annotations

import argparse
import json
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


def make_copy(dest: Path, source: Path = ROOT, cold: bool = False) -> dict[str, str]:
    """The workflow and package of checkout `source` in `dest`; the environment that runs them.
    `cold`: without the package's `__pycache__` folders, so the kernels compile as in a fresh
    clone."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in ("Snakefile", "workflow", "config", "report", "profiles"):
        src = source / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    # copy2 keeps mtimes: numba's cache in __pycache__ stays valid for the copy.
    ignore = shutil.ignore_patterns("__pycache__") if cold else None
    shutil.copytree(
        source / "src" / "backprop_study", dest / "src" / "backprop_study", ignore=ignore
    )
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


def study_config(config: dict, seeds: int | None, experiments: str | None, epochs: int | None):
    """The config with only `experiments` (comma-separated), every experiment on seeds
    0..`seeds`-1 and `epochs` as the study-wide budget, where given."""
    config = dict(config)
    if experiments:
        names = experiments.split(",")
        unknown = sorted(set(names) - set(config["experiments"]))
        if unknown:
            sys.exit(f"--experiments: {unknown[0]!r} is not an experiment of the config")
        config["experiments"] = {n: config["experiments"][n] for n in names}
    if seeds is not None:
        config["seeds"] = list(range(seeds))
        for exp in config["experiments"].values():
            exp.pop("seeds", None)
        config["max_runs"] = max(config.get("max_runs", 20_000), 100_000)
    if epochs is not None:
        config["epochs"] = epochs
    return config


JOB_KINDS = {
    "train": "training",
    "aggregate_experiment": "aggregation",
    "runs_table": "aggregation",
    "study_settings": "aggregation",
    "study_report": "figures + report",
    "claims_table": "claims and findings",
    "findings_table": "claims and findings",
    "curves_table": "aggregation",
}


def job_kind(rule: str) -> str:
    """An experiment's figure rule (`figures_<experiment>`) counts with the report."""
    return "figures + report" if rule.startswith("figures_") else JOB_KINDS.get(rule, rule)


def job_times(work: Path) -> dict[str, list[float]]:
    """Seconds per job by kind, from Snakemake's records (one per output; a job's records share
    its log file): start = when its output was marked incomplete, end = its last output's mtime."""
    jobs: dict[tuple, list[float]] = {}
    for path in (work / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text())
        key = (record["rule"], tuple(record.get("log") or [path.name]))
        start, end = record["starttime"], record["endtime"]
        if key in jobs:
            start, end = min(start, jobs[key][0]), max(end, jobs[key][1])
        jobs[key] = [start, end]
    kinds: dict[str, list[float]] = {}
    for (rule, _), (start, end) in jobs.items():
        kinds.setdefault(job_kind(rule), []).append(end - start)
    return kinds


def engine_seconds(results: Path) -> tuple[int, float]:
    """Runs and their summed training time (provenance.json `wall_time_s`)."""
    times = [
        json.loads(p.read_text())["wall_time_s"] for p in results.glob("runs/**/provenance.json")
    ]
    return len(times), sum(times)


def print_split(work: Path, wall: float, cores: int) -> None:
    """Where the study call's wall time went (see the module docstring)."""
    kinds = job_times(work)
    n_runs, engine = engine_seconds(work / "results")
    training = sum(kinds.get("training", []))
    busy = sum(sum(v) for v in kinds.values())
    print(f"  time split (job seconds; {cores} cores busy for {busy / cores:.1f} s of wall):")
    print(f"    engine ({n_runs} runs): {engine:.1f} s")
    n_train = len(kinds.get("training", []))
    print(f"    training jobs outside the engine ({n_train} jobs): {training - engine:.1f} s")
    for kind in ("aggregation", "figures + report", "claims and findings"):
        print(f"    {kind} ({len(kinds.get(kind, []))} jobs): {sum(kinds.get(kind, [])):.1f} s")
    print(f"    Snakemake's own (wall - busy / cores): {wall - busy / cores:.1f} s")


def bench_study(
    work: Path, cores: int, source: Path, config_name: str, config_args: tuple, cold: bool
) -> None:
    """Time `config_name` (a file in the checkout's config/, narrowed by `config_args`), written
    as the copy's config/config.yaml with its results in results/."""
    env = make_copy(work, source, cold)
    config_path = work / "config" / "config.yaml"
    base = work / "config" / config_name
    if not base.is_file():
        sys.exit(f"--config: {config_name!r} is not a file in {source / 'config'}")
    config = study_config(yaml.safe_load(base.read_text()), *config_args)
    config["results"] = "results"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    n_runs = len(_study(config_path).run_ids())
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
    cache = "empty kernel cache" if cold else "kernels cached"
    print(f"study of {source} ({config_name}, {cache}): {n_runs} runs, ", end="")
    print(f"snakemake --cores {cores}: {wall:.1f} s wall")
    print_split(work, wall, cores)
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


def bench_dry_run(work: Path, source: Path) -> None:
    env = make_copy(work, source)
    config = work / "config" / "config.yaml"
    config.write_text(yaml.safe_dump(ten_thousand_runs()))
    n_runs = len(_study(config).run_ids())
    snakemake = str(BIN / "snakemake")
    full = timed([snakemake, "--dry-run"], work, env, work / "dry.log")
    quiet = timed([snakemake, "--dry-run", "--quiet"], work, env, work / "dry-quiet.log")
    print(
        f"dry run of {n_runs} runs ({source}): snakemake -n {full:.1f} s (printing every job), ",
        end="",
    )
    print(f"snakemake -n --quiet {quiet:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("study", "dry-run"), help="run one part only")
    parser.add_argument("--cores", type=int, default=2, help="cores for the study (default 2)")
    parser.add_argument("--keep", type=Path, help="work here (kept) instead of a temporary dir")
    parser.add_argument(
        "--config", default="config.yaml", help="the config in config/ (default config.yaml)"
    )
    parser.add_argument(
        "--cold-cache", action="store_true", help="copy the package without its compiled kernels"
    )
    parser.add_argument("--seeds", type=int, help="every experiment gets seeds 0..N-1")
    parser.add_argument("--experiments", help="keep only these experiments (comma-separated)")
    parser.add_argument("--epochs", type=int, help="the study-wide epoch budget")
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="checkout whose workflow and package to time"
    )
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-workflow-"))
    try:
        if args.only in (None, "study"):
            config_args = (args.seeds, args.experiments, args.epochs)
            source = args.source.resolve()
            bench_study(
                base / "study", args.cores, source, args.config, config_args, args.cold_cache
            )
        if args.only in (None, "dry-run"):
            bench_dry_run(base / "dry-run", args.source.resolve())
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
