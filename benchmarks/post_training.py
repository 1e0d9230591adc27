"""Time the post-training jobs (aggregation, figures, report) of a kept study, one job at a time,
for two versions of the package side by side.

    python benchmarks/workflow.py --only study --cores 2 --keep /tmp/study \
        --experiments weight_decay,encoding,learning_rate,batch_size,weights --epochs 400000
    python benchmarks/post_training.py /tmp/study/study --old /tmp/study/study/src --new src

Each job's command comes from the study's Snakemake records (.snakemake/metadata) and is run
again in the study folder with PYTHONPATH set to each version in turn, alternating which goes
first, `--reps` times; a job's figure is the least wall and CPU time (user + system) of its
runs, since other load on the machine only adds. Whole-workflow timings drift with the machine
by more than a post-training change saves; this pairs each job with itself. The jobs rewrite
their outputs in place, so compare checksums of results/ before and after (the versions are
meant to write the same bytes). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import time
from pathlib import Path

RULES = ("study_settings", "aggregate_experiment", "runs_table", "figures", "study_report")


def kind(rule: str) -> str:
    """The rule's entry in RULES: an experiment's figure rule `figures_<experiment>` is "figures"
    (a study kept by older code may have one `figure` rule)."""
    return "figures" if rule == "figure" or rule.startswith("figures_") else rule


def jobs(study: Path) -> dict[str, tuple[str, str]]:
    """name -> (rule, shell command) of every post-training job, in the workflow's order."""
    found = {}
    for path in (study / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text())
        if kind(record["rule"]) in RULES:
            name = f"{record['rule']}:{Path(record['log'][0]).stem}"
            found[name] = (kind(record["rule"]), record["shellcmd"])
    return dict(sorted(found.items(), key=lambda kv: (RULES.index(kv[1][0]), kv[0])))


def timed(command: str, study: Path, source: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command` with the package from `source`."""
    env = dict(os.environ, PYTHONPATH=str(Path(source).resolve()))
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, shell=True, cwd=study, env=env, check=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("study", type=Path, help="a study folder kept by benchmarks/workflow.py")
    parser.add_argument("--old", required=True, help="folder holding the old backprop_study")
    parser.add_argument("--new", required=True, help="folder holding the new backprop_study")
    parser.add_argument("--reps", type=int, default=2, help="runs of each job per version")
    parser.add_argument("--only", default="", help="jobs whose name contains this text")
    args = parser.parse_args()
    totals: dict[str, list[float]] = {}
    for name, (rule, command) in jobs(args.study).items():
        if args.only not in name:
            continue
        runs: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
        for rep in range(args.reps):
            for version in ("old", "new") if rep % 2 == 0 else ("new", "old"):
                runs[version].append(timed(command, args.study, getattr(args, version)))
        best = [min(t[i] for t in runs[v]) for v in ("old", "new") for i in (0, 1)]
        wall_old, cpu_old, wall_new, cpu_new = best
        print(
            f"{name:38s} wall {wall_old:5.2f} -> {wall_new:5.2f}",
            f" cpu {cpu_old:5.2f} -> {cpu_new:5.2f}",
        )
        total = totals.setdefault(rule, [0.0] * 5)
        total[:4] = [a + b for a, b in zip(total[:4], best, strict=True)]
        total[4] += 1
    for rule, (wall_old, cpu_old, wall_new, cpu_new, n) in totals.items():
        print(
            f"total {rule} ({n:g} jobs): wall {wall_old:.1f} -> {wall_new:.1f} s, "
            f"cpu {cpu_old:.1f} -> {cpu_new:.1f} s"
        )


if __name__ == "__main__":
    main()
