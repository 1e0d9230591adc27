"""profiles/slurm, end to end: the quick study submitted through a real (local) SLURM cluster.

Needs the single-node cluster that .ci/slurm-up.sh starts (root, Debian, job accounting); the
tests do not start it themselves. One temporary copy of the workflow runs config/quick.yaml, cut
to three of its experiments (every member of a group job is a Snakemake process of its own, so
the whole quick study would cost minutes of start-ups without testing more of the profile),
through `--workflow-profile profiles/slurm` (plus the test-only poll settings of
tests/slurm_profile), with a copy of the package; the session's shared quick study, trained
locally (tests/workflow/conftest.py) by the same code, is the reference. The SLURM study does not
wait for the reference: under pytest-xdist they run at once. The SLURM copy is then reused for
the failure scenario. Every SLURM command runs under `timeout`, so a hung cluster fails the test
instead of stalling it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from snakemake_log import jobs_in
from workflow_copy import copy_workflow

from backprop_study.study.config import load_study

pytestmark = pytest.mark.slurm

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUN_FILES = ("curve.parquet", "weights.parquet", "hidden.parquet")
QUICK = ["--configfile", "config/quick.yaml"]
QUICK_CONFIG = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text())
RESULTS = QUICK_CONFIG["results"]
EXPERIMENTS = ("weight_decay", "encoding", "weights")
"""The experiments of config/quick.yaml that the copy keeps: 6 settings, each one training job
of two seeds; `encoding` has settings of its own for the cancelled-job scenario, and `weights`
adds its snapshot epoch to two of weight_decay's settings, so that every run's config is the
one it has in the whole quick study (the local reference)."""
# Two training submissions: the 6 training jobs as 3 + 3 (the profile's 5 would give 5 + 1).
TRAINING_BATCH = 3
SLURM_ARGS = [
    "--workflow-profile", "profiles/slurm",
    "--profile", str(ROOT / "tests" / "slurm_profile"),
    "--group-components", f"training={TRAINING_BATCH}", "summaries=100",
]  # fmt: skip
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+)")
RUN_UUID = re.compile(r"SLURM run ID: (\S+)")


def slurm_unavailable() -> str | None:
    """Why the local test cluster cannot be used here, or None if it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root (the test cluster of .ci/slurm-up.sh runs as root)"
    if not Path("/etc/debian_version").exists():
        return "needs Debian (.ci/slurm-up.sh installs Debian's SLURM packages)"
    if shutil.which("sinfo") is None:
        return "SLURM is not installed: run `bash .ci/slurm-up.sh` first"
    proc = slurm("sinfo", "-h", "-o", "%a", timeout=20, check=False)
    if proc.returncode != 0 or "up" not in proc.stdout:
        return f"no SLURM controller answers sinfo ({proc.stderr.strip()}): run .ci/slurm-up.sh"
    return None


def slurm(*cmd: str, timeout: int = 30, check: bool = True) -> subprocess.CompletedProcess:
    """A SLURM client command, killed if it hangs."""
    proc = subprocess.run(
        ["timeout", "-k", "30", str(timeout), *cmd], capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed: {proc.stderr}")
    return proc


@pytest.fixture(scope="module", autouse=True)
def cluster():
    reason = slurm_unavailable()
    if reason is not None:
        # CI brings the cluster up before the tests: there a missing cluster is a failure.
        if os.environ.get("CI") == "true" and os.geteuid() == 0:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """A copy of the checkout's package for every SLURM run of this module, so an edit of the
    checkout meanwhile changes none of them (copy2 keeps the mtimes that numba's cache checks)."""
    src = tmp_path_factory.mktemp("package")
    shutil.copytree(ROOT / "src" / "backprop_study", src / "backprop_study")
    return src


def slurm_config() -> dict:
    """config/quick.yaml with only `EXPERIMENTS`."""
    experiments = {name: QUICK_CONFIG["experiments"][name] for name in EXPERIMENTS}
    return QUICK_CONFIG | {"experiments": experiments}


def make_copy(dest: Path, package: Path) -> dict[str, str]:
    """Copy the workflow files to `dest`, its config/quick.yaml cut to `EXPERIMENTS`; return an
    environment that runs `package` (SLURM jobs inherit it: the plugin submits with
    --export=ALL)."""
    copy_workflow(dest)
    (dest / "config" / "quick.yaml").write_text(yaml.safe_dump(slurm_config()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_"))}
    env["PYTHONPATH"] = str(package)
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    return env


def snakemake_cmd(*args: str, timeout: int) -> list[str]:
    return ["timeout", "-k", "30", str(timeout), str(BIN / "snakemake"), *args]


def run_snakemake(cwd: Path, env: dict, *args: str, timeout: int = 420) -> tuple[int, str]:
    """Run Snakemake to the end; return its exit code and output (also kept in cwd/*.out)."""
    log = cwd / f"snakemake-{len(list(cwd.glob('snakemake-*.out')))}.out"
    with log.open("w") as out:
        proc = subprocess.run(
            snakemake_cmd(*args, timeout=timeout), cwd=cwd, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    return proc.returncode, log.read_text()


def job_ids(output: str) -> list[str]:
    return SUBMITTED.findall(output)


def run_files(cwd: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(cwd)): p.read_bytes()
        for p in sorted(cwd.glob(f"{RESULTS}/runs/**/*.parquet"))
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_same_run_files(slurm_dir: Path, local_results: Path, run_ids: list[str]) -> None:
    """Every run's three Parquet files are the local run's, byte for byte (sha256): timings,
    machine and executor live in the provenance.json sidecar, which is not compared."""
    for rid in run_ids:
        for name in RUN_FILES:
            a, b = (d / "runs" / rid / name for d in (slurm_dir / RESULTS, local_results))
            assert sha256(a) == sha256(b), f"{rid}/{name} differs from the local run"


def cancel_leftovers(output: str) -> None:
    for uuid in RUN_UUID.findall(output):
        slurm("scancel", f"--name={uuid}", check=False)


@pytest.fixture(scope="module")
def study():
    study = load_study(slurm_config())
    whole = load_study(QUICK_CONFIG)
    for rid in study.run_ids():  # else the runs could not equal the local reference's
        assert study.run_config(rid) == whole.run_config(rid), rid
    return study


@pytest.fixture(scope="module")
def slurm_study(tmp_path_factory, package):
    """The quick study (`EXPERIMENTS`) through profiles/slurm: (workdir, env, exit code,
    output)."""
    cwd = tmp_path_factory.mktemp("slurm")
    env = make_copy(cwd, package)
    start = time.monotonic()
    code, output = run_snakemake(cwd, env, *SLURM_ARGS, *QUICK)
    seconds = time.monotonic() - start
    print(
        f"\nquick study through SLURM: {seconds:.0f} s, {len(job_ids(output))} sbatch submissions"
    )
    yield cwd, env, code, output
    cancel_leftovers(output)


def sources(package: Path) -> dict[str, bytes]:
    return {str(p.relative_to(package)): p.read_bytes() for p in package.rglob("*.py")}


@pytest.fixture(scope="module")
def local_runs(finished_quick_study, package) -> Path:
    """The results folder of the quick study trained locally (`--cores 2`), by the same code."""
    assert sources(finished_quick_study.cwd / "src") == sources(package), (
        "the checkout changed between the local and the SLURM study's copies of the package"
    )
    return finished_quick_study.cwd / "results"


def test_the_quick_study_finishes_through_slurm(slurm_study, study):
    cwd, env, code, output = slurm_study
    assert code == 0, output
    ids = job_ids(output)
    # Training went out in batches of TRAINING_BATCH training jobs, plus one for all summaries.
    assert len(ids) == math.ceil(len(study.training_jobs()) / TRAINING_BATCH) + 1, output
    for jid in ids:
        assert list((cwd / ".snakemake" / "slurm_logs").rglob(f"{jid}.log")), jid
    (uuid,) = RUN_UUID.findall(output)
    # Accounting (slurmdbd) knows every job, by the run's name, as completed.
    deadline = time.monotonic() + 30
    while True:
        rows = slurm(
            "sacct", "-X", "-n", "-P", "-o", "JobIDRaw,JobName,State", "-j", ",".join(ids)
        ).stdout.split()
        states = {row.split("|")[0]: row.split("|")[1:] for row in rows}
        if set(states) == set(ids) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert states == {jid: [uuid, "COMPLETED"] for jid in ids}


def test_every_output_of_the_study_exists(slurm_study, study):
    cwd, env, code, _ = slurm_study
    assert code == 0
    for rid in study.run_ids():
        for name in RUN_FILES:
            assert (cwd / RESULTS / "runs" / rid / name).stat().st_size > 0
    for name in study.experiments:
        assert (cwd / RESULTS / "tables" / name / "comparison.parquet").exists()
    assert list((cwd / RESULTS / "figures").glob("*.png"))
    assert (cwd / RESULTS / "study_report.html").stat().st_size > 0
    dry_code, dry = run_snakemake(cwd, env, *SLURM_ARGS, *QUICK, "--dry-run", timeout=120)
    assert dry_code == 0 and "Nothing to be done" in dry, dry


def test_runs_equal_a_local_run_bit_for_bit(slurm_study, local_runs, study):
    cwd, _, code, output = slurm_study
    assert code == 0
    assert_same_run_files(cwd, local_runs, study.run_ids())
    # The sidecars say where each run was made: a SLURM job of this study, or locally.
    for rid in study.run_ids():
        there = json.loads((cwd / RESULTS / "runs" / rid / "provenance.json").read_text())
        here = json.loads((local_runs / "runs" / rid / "provenance.json").read_text())
        assert there["executor"] == "slurm" and there["slurm_job_id"] in job_ids(output), rid
        assert here["executor"] == "local" and here["slurm_job_id"] is None, rid


def test_a_cancelled_job_fails_the_run_and_a_rerun_finishes_only_what_is_missing(
    slurm_study, local_runs, study
):
    """One experiment's own runs and tables are lost; the job retraining them is cancelled in
    SLURM (as an admin would); Snakemake must fail, and the next call retrain only them (the
    settings whose runs are gone) and leave every other run's files as they were."""
    cwd, env, code, _ = slurm_study
    assert code == 0
    shared = {
        r.run_id for name, exp in study.experiments.items() if name != "encoding"
        for r in exp.runs()
    }  # fmt: skip
    lost = sorted({r.run_id for r in study.experiments["encoding"].runs()} - shared)
    assert lost  # runs only the `encoding` experiment has
    # Snakemake recreates lost intermediate files only for an output that needs redoing.
    shutil.rmtree(cwd / RESULTS / "tables" / "encoding")
    for rid in lost:
        shutil.rmtree(cwd / RESULTS / "runs" / rid)
    kept = run_files(cwd)
    mtimes = {path: (cwd / path).stat().st_mtime_ns for path in kept}

    log = cwd / "cancelled.out"
    with log.open("w") as out:
        proc = subprocess.Popen(
            # Without the profile's retries, which would resubmit the cancelled job (as after
            # the last retry failed).
            snakemake_cmd(*SLURM_ARGS, *QUICK, "--retries", "0", timeout=300), cwd=cwd, env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not job_ids(log.read_text()):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "no job was submitted"
                time.sleep(0.1)
            (victim,) = job_ids(log.read_text())
            slurm("scancel", victim)
            code = proc.wait(timeout=330)
        finally:
            if proc.poll() is None:
                proc.terminate()  # `timeout` passes it on to Snakemake, which cancels its jobs
                proc.wait(timeout=120)
            cancel_leftovers(log.read_text())
    output = log.read_text()
    assert code not in (0, 124, 137), output  # failed by itself, not killed by `timeout`
    assert "At least one job did not complete successfully" in output, output
    state = slurm("sacct", "-X", "-n", "-P", "-o", "State", "-j", victim).stdout
    assert state.startswith("CANCELLED"), state
    assert run_files(cwd).keys() >= kept.keys()

    # Their training jobs' manifests still list the lost runs (a manifest is an update()
    # output: kept, or restored, when its job fails), so exactly those jobs run again.
    lost_jobs = {f"{RESULTS}/runs/{rid.rsplit('/', 1)[0]}/seeds-0.json" for rid in lost}
    code, output = run_snakemake(cwd, env, *SLURM_ARGS, *QUICK)
    assert code == 0, output
    assert jobs_in(output)["train"] == lost_jobs
    assert {k: v for k, v in run_files(cwd).items() if k in kept} == kept
    assert {path: (cwd / path).stat().st_mtime_ns for path in kept} == mtimes
    assert_same_run_files(cwd, local_runs, study.run_ids())
