"""A new user's first call, timed: clone the repository to a temporary folder, run the README's
setup-and-study command there as written, and print where the seconds went.

    python benchmarks/first_call.py                    # the README's study (the default study)
    python benchmarks/first_call.py --study quick      # its setup, then the quick study
    python benchmarks/first_call.py --study quick --again   # ...and once more with a warm cache
    python benchmarks/first_call.py --rev 2d339fd      # another commit of this repository

The commands are read from the clone's README.md (the code block under "Two commands" and the
quick study's inline command), so they cannot drift from what the README says. They run as one
bash line, traced (`set -x`) so that each command's start is stamped. Printed: install (until
Snakemake starts), compile (the training jobs' own note, where the commit writes one), training
(until the last training job ends), post-training (aggregation, figures and report, to the end)
and total seconds; with --again, the same study called again on the installed clone after its
results folder is removed (the numba cache stays warm). Job times come from Snakemake's records
in .snakemake/metadata. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def readme_commands(readme: str) -> tuple[str, str]:
    """(setup, study): the one-line block under "Two commands" cut before its `snakemake`, and
    its `snakemake` part."""
    section = readme.split("## Two commands", 1)[1]
    block = re.search(r"```bash\n(.*?)\n```", section, re.S).group(1).strip()
    setup, study = block.rsplit(" && snakemake ", 1)
    return setup, f"snakemake {study}"


def quick_command(readme: str) -> str:
    """The quick study's command, an inline code span of the README."""
    spans = re.findall(r"`(snakemake --cores \d+ --configfile config/quick\.yaml)`", readme)
    if not spans:
        sys.exit("README.md names no `snakemake ... --configfile config/quick.yaml` command")
    return spans[0]


def clean_env() -> dict[str, str]:
    """This process's environment without its venv, as a new user's shell would be."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        env["PATH"] = os.pathsep.join(
            p for p in env["PATH"].split(os.pathsep) if not p.startswith(venv)
        )
    return env


def run_traced(line: str, cwd: Path, log: Path) -> tuple[float, float, dict[str, float]]:
    """Run `line` traced, each command stamped `+@<epoch seconds> <command>` (PS4 is set in the
    shell: bash takes none from the environment as root). Returns when it started (epoch
    seconds), its wall seconds, and when each command started (seconds after the start; the
    first command of each name)."""
    traced = f"PS4='+@$EPOCHREALTIME '; set -x; {line}"
    started = time.time()
    with log.open("w") as out:
        proc = subprocess.run(
            ["bash", "-c", traced], cwd=cwd, env=clean_env(), stdout=out, stderr=subprocess.STDOUT
        )
    wall = time.time() - started
    if proc.returncode != 0:
        sys.exit(f"{line!r} failed (status {proc.returncode}); see {log}")
    starts: dict[str, float] = {}
    for text in log.read_text(errors="replace").splitlines():
        if m := re.match(r"^\++@(\d+\.\d+) (\S+)", text):
            starts.setdefault(Path(m.group(2)).name, float(m.group(1)) - started)
    return started, wall, starts


def jobs(work: Path) -> list[tuple[str, float, float]]:
    """(rule, start, end) of each job Snakemake ran, from its records (one per output; the
    records of one job share its log)."""
    found: dict[tuple, list] = {}
    for path in (work / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text())
        key = (record["rule"], tuple(record.get("log") or [path.name]))
        start, end = record["starttime"], record["endtime"]
        if key in found:
            start, end = min(start, found[key][1]), max(end, found[key][2])
        found[key] = [record["rule"], start, end]
    return [tuple(v) for v in found.values()]


def kernel_notes(results: Path) -> list[str]:
    """The training jobs' notes on the kernels (`kernels: compiled in 41.2 s ...`)."""
    notes = []
    for log in (results / "logs" / "train").rglob("*.log"):
        notes += [x for x in log.read_text().splitlines() if x.startswith("kernels: ")]
    return notes


def report(label: str, call: tuple[float, float, dict[str, float]], work: Path, results: Path):
    """Print the split of one call (`run_traced`'s answer)."""
    started, wall, starts = call
    install = starts["snakemake"]
    done = jobs(work)
    n_train = sum(rule == "train" for rule, _, _ in done)
    train_end = max((end for rule, _, end in done if rule == "train"), default=None)
    training = train_end - started - install if train_end else 0.0
    notes = kernel_notes(results)
    compiled = [float(m.group(1)) for n in notes if (m := re.search(r"compiled in ([\d.]+) s", n))]
    runs = len(list(results.glob("runs/**/checksums.sha256")))
    print(f"{label}:")
    print(f"  install        {install:7.1f} s")
    if compiled:
        print(f"  compile        {sum(compiled):7.1f} s  ({len(compiled)} job, within training)")
    else:
        print("  compile            n/a    (no job reports it; within training)")
    print(f"  training       {training:7.1f} s  ({runs} runs, {n_train} jobs)")
    post = wall - install - training
    print(f"  post-training  {post:7.1f} s  ({len(done) - n_train} jobs)")
    print(f"  total          {wall:7.1f} s")


def results_folder(work: Path, study: str) -> Path:
    config = work / "config" / ("quick.yaml" if study == "quick" else "config.yaml")
    return work / yaml.safe_load(config.read_text())["results"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", choices=("readme", "quick"), default="readme")
    parser.add_argument("--rev", default="HEAD", help="commit to clone (default: HEAD)")
    parser.add_argument("--source", default=str(ROOT), help="repository to clone")
    parser.add_argument("--again", action="store_true", help="call the study again, warm")
    parser.add_argument("--keep", help="clone here (kept) instead of a temporary folder")
    args = parser.parse_args()

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="first-call-"))
    work = tmp / "clone"
    rev = subprocess.run(
        ["git", "-C", args.source, "rev-parse", "--short", args.rev],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(["git", "clone", "--quiet", args.source, str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "checkout", "--quiet", rev], check=True)
    readme = (work / "README.md").read_text()
    setup, study = readme_commands(readme)
    if args.study == "quick":
        study = quick_command(readme)
    line = f"{setup} && {study}"
    print(f"commit {rev}, {os.cpu_count()} cores; in {work}:\n  {line}")
    call = run_traced(line, work, tmp / "first-call.log")
    results = results_folder(work, args.study)
    report("first call (fresh clone)", call, work, results)
    if args.again:
        shutil.rmtree(results)
        shutil.rmtree(work / ".snakemake" / "metadata")
        call = run_traced(f". .venv/bin/activate && {study}", work, tmp / "again.log")
        report("again, warm cache (results removed)", call, work, results)
    if not args.keep:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
