"""The Snakemake workflow, end to end on config/quick.yaml in a temporary copy of the repository.

The slow tests (marked `workflow`) share one copy: it is started, killed mid-way with SIGKILL,
and finished by a second call; the rerun scenarios of the issues are then checked on the
completed study, as dry runs or as real runs that leave it complete again. Source edits are made
to a copy of the package on PYTHONPATH and undone. One training job trains every seed of one
setting (a run path without /seed~N), up to 32 of them, and writes their manifest, seeds-0.json
(seeds-1.json for the next 32, ...).
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from snakemake_log import jobs_in
from workflow_copy import make_copy as copy_with_config
from workflow_copy import snakemake

from backprop_study.reporting.catalog import by_experiment
from backprop_study.reporting.figures import FIGURES
from backprop_study.study.config import load_study

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUN_FILES = ("curve.parquet", "weights.parquet", "hidden.parquet")
WRITTEN = ("provenance.json", *RUN_FILES, "checksums.sha256")
pytestmark = pytest.mark.workflow


def make_copy(dest: Path) -> dict[str, str]:
    """The workflow and package in `dest`, with the quick study writing to results/."""
    quick = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text())
    return copy_with_config(dest, quick | {"results": "results"})


def dry_run_jobs(cwd: Path, env: dict, *args: str) -> dict[str, set[str]]:
    """rule -> outputs of the jobs a dry run would execute (one entry per job: its first output)."""
    proc = snakemake(cwd, env, "--dry-run", *args)
    return jobs_in(proc.stdout + proc.stderr)


def dry_run_with_edit(cwd: Path, env: dict, module: str, comment: str) -> dict[str, set[str]]:
    """The dry-run jobs while package module `module` carries one more comment line."""
    path = cwd / "src" / "backprop_study" / f"{module}.py"  # module: e.g. "engine/training"
    original = path.read_bytes()
    path.write_bytes(original + f"\n# {comment}\n".encode())
    try:
        return dry_run_jobs(cwd, env)
    finally:
        path.write_bytes(original)


def quick_study():
    return load_study(yaml.safe_load((ROOT / "config" / "quick.yaml").read_text()))


def complete_runs(results: Path) -> list[Path]:
    """Run directories with every file (the checksums are written last)."""
    dirs = {p.parent for p in results.glob("runs/**/checksums.sha256")}  # any path depth
    return sorted(d for d in dirs if all((d / f).exists() for f in WRITTEN))


def stamps(run: Path) -> dict[str, tuple[int, int, bytes]]:
    """(inode, mtime, bytes) of a run's files: unchanged means the run was not rewritten."""
    return {f: ((run / f).stat().st_ino, (run / f).stat().st_mtime_ns, (run / f).read_bytes())
            for f in WRITTEN}  # fmt: skip


def manifest(setting: str, results: str = "results", part: int = 0) -> str:
    """The output of a setting's training job (of its first 32 seeds unless `part`)."""
    return f"{results}/runs/{setting}/seeds-{part}.json"


def run_snakemake_with_config(cwd: Path, env: dict, edit, *args: str) -> str:
    """A real call with config/config.yaml changed by `edit(config)`; returns its output."""
    config_path = cwd / "config" / "config.yaml"
    original = config_path.read_text()
    config = yaml.safe_load(original)
    edit(config)
    config_path.write_text(yaml.safe_dump(config))
    try:
        proc = snakemake(cwd, env, *args)
    finally:
        config_path.write_text(original)
    return proc.stdout + proc.stderr


def train_log(cwd: Path, setting: str, part: int = 0) -> list[str]:
    log = cwd / "results" / "logs" / "train" / setting / f"seeds-{part}.log"
    return log.read_text().splitlines()


def incomplete_outputs(cwd: Path) -> set[str]:
    """Outputs Snakemake marked as being written when it died (.snakemake/incomplete)."""
    out = set()
    base = cwd / ".snakemake" / "incomplete"
    for marker in base.rglob("*"):
        if marker.is_file() and marker.name != "migration_underway":
            parts = marker.relative_to(base).parts
            encoded = "".join(p.lstrip("@") for p in parts)
            out.add(base64.urlsafe_b64decode(encoded).decode())
    return out


# --- the end-to-end scenarios -----------------------------------------------------------------


@pytest.fixture(scope="module")
def killed_then_finished(tmp_path_factory):
    """Start the quick study, SIGKILL Snakemake and its jobs mid-way, rerun to the end.

    Returns (workdir, env, files (inode, mtime, bytes) of the runs complete at the kill,
    outputs Snakemake had marked incomplete, number of complete run directories at the kill)."""
    cwd = tmp_path_factory.mktemp("workflow")
    env = make_copy(cwd)
    total = len(quick_study().run_ids())
    proc = subprocess.Popen(
        [str(BIN / "snakemake"), "--cores", "2"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches every job
    )
    deadline = time.monotonic() + 300
    try:
        while len(complete_runs(cwd / "results")) < min(6, total // 3):
            assert proc.poll() is None, "snakemake ended before it could be killed"
            assert time.monotonic() < deadline, "no runs finished in time"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = complete_runs(cwd / "results")
    assert 0 < len(done) < total
    marked = incomplete_outputs(cwd)
    # Only manifests are outputs: a killed training job's finished runs are not Snakemake's.
    assert not [m for m in marked if m.endswith(WRITTEN)], marked
    finished = {d: stamps(d) for d in done}
    # A SIGKILL leaves Snakemake's lock behind: release it, as a user would, then rerun.
    snakemake(cwd, env, "--unlock")
    snakemake(cwd, env, "--rerun-incomplete")
    return cwd, env, finished, marked, len(done)


@pytest.mark.workflow
def test_kill_and_rerun_finishes_without_touching_finished_runs(killed_then_finished):
    from backprop_study.engine.runfiles import read_run

    cwd, _, finished, _, _ = killed_then_finished
    assert finished, "no run was finished before the kill"
    for d, files in finished.items():  # kept as they were, also those of a killed job
        assert stamps(d) == files, f"{d} was rewritten"
    # Every run is complete and readable: no half-written Parquet was taken as done.
    runs = complete_runs(cwd / "results")
    assert len(runs) == len(quick_study().run_ids())
    for d in runs:
        read_run(d)
    assert (cwd / "results" / "study_report.html").stat().st_size > 0


@pytest.mark.workflow
def test_outputs_of_a_complete_study(killed_then_finished):
    import pandas as pd

    cwd = killed_then_finished[0]
    study = quick_study()
    runs = pd.read_parquet(cwd / "results" / "tables" / "runs.parquet")
    assert sorted(runs["run_id"]) == study.run_ids()
    for name in study.experiments:
        comparison = (cwd / "results" / "tables" / name / "comparison.md").read_text()
        assert comparison.startswith(f"# {name}")
    pngs = {p.stem for p in (cwd / "results" / "figures").glob("*.png")}
    assert {"loss_by_lambda", "loss_k_vs_k1", "late_weights"} <= pngs
    assert not list((cwd / "results").rglob("*.tmp"))


@pytest.mark.workflow
def test_second_call_does_nothing(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    proc = snakemake(cwd, env, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_adding_a_lambda_runs_only_what_depends_on_it(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    config_path = cwd / "config" / "config.yaml"
    original = config_path.read_text()
    config = yaml.safe_load(original)
    config["experiments"]["weight_decay"]["lam"].append(0.3)
    config_path.write_text(yaml.safe_dump(config))
    try:
        jobs = dry_run_jobs(cwd, env)
    finally:
        config_path.write_text(original)
    assert jobs["train"] == {manifest("enc~k/lam~0.3/alpha~0.01/batch~8")}  # its seeds: one job
    assert jobs["aggregate_experiment"] == {"results/tables/weight_decay/runs.parquet"}
    weight_decay_figures = [f.name for f in FIGURES if f.experiment == "weight_decay"]
    assert "loss_by_lambda" in weight_decay_figures
    # One job draws the experiment's figures (a job is listed by its first output).
    assert jobs["figures_weight_decay"] == {f"results/figures/{weight_decay_figures[0]}.png"}
    assert set(jobs) == {"train", "aggregate_experiment", "figures_weight_decay", "runs_table",
                         "curves_table", "claims_table", "findings_table", "study_report",
                         "all"}  # fmt: skip


def dry_run_with_experiments(cwd: Path, env: dict, experiments: dict) -> dict[str, set[str]]:
    """The dry-run jobs once the study's config has these experiments too (then undone)."""
    config_path = cwd / "config" / "config.yaml"
    original = config_path.read_text()
    config = yaml.safe_load(original)
    config["experiments"].update(experiments)
    config_path.write_text(yaml.safe_dump(config))
    try:
        return dry_run_jobs(cwd, env)
    finally:
        config_path.write_text(original)


@pytest.mark.workflow
def test_any_setting_is_an_axis_and_adding_its_values_trains_only_new_runs(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    base = "enc~k/lam~0/alpha~0.01/batch~8"
    jobs = dry_run_with_experiments(
        cwd, env, {"init_sweep": {"init_std": [0.1, 1]}, "width": {"hidden": [3, 4]}}
    )
    # init_std 0.1 and hidden 3 are the study-wide values: those runs exist already.
    assert jobs["train"] == {manifest(f"{base}/{setting}") for setting in ("init~1", "hidden~4")}
    assert jobs["aggregate_experiment"] == {
        f"results/tables/{name}/runs.parquet" for name in ("init_sweep", "width")
    }
    # Each new experiment gets its figures (loss first), drawn by a job of its own.
    figure_jobs = {"figures_init_sweep", "figures_width"}
    assert {rule: jobs[rule] for rule in figure_jobs} == {
        f"figures_{name}": {f"results/figures/{name}_loss.png"} for name in ("init_sweep", "width")
    }
    assert set(jobs) == {"train", "aggregate_experiment", "runs_table", "curves_table",
                         "claims_table", "findings_table", "study_report", "all",
                         *figure_jobs}  # fmt: skip


@pytest.mark.workflow
def test_a_config_file_is_the_whole_config_and_keeps_to_its_results_folder(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    # A minimal one-experiment config: nothing of config/config.yaml leaks into it.
    (cwd / "mini.yaml").write_text(
        "results: results/mini\nepochs: 100\nseeds: [0]\nexperiments:\n  one:\n    lam: [0, 0.1]\n"
    )
    jobs = dry_run_jobs(cwd, env, "--configfile", "mini.yaml")
    assert jobs["train"] == {
        manifest(f"enc~k/lam~{lam}/alpha~0.01/batch~8", "results/mini") for lam in ("0", "0.1")
    }
    assert jobs["aggregate_experiment"] == {"results/mini/tables/one/runs.parquet"}
    # The finished study's folder with other study-wide values: refused in one line, and the
    # finished runs are left alone.
    (cwd / "clash.yaml").write_text(
        (cwd / "mini.yaml").read_text().replace("results/mini", "results")
    )
    before = sorted(p.stat().st_mtime_ns for p in (cwd / "results" / "runs").rglob("*.parquet"))
    proc = snakemake(cwd, env, "--configfile", "clash.yaml", check=False)
    output = proc.stdout + proc.stderr
    errors = [line for line in output.splitlines() if "holds runs of a study with" in line]
    assert proc.returncode != 0 and len(errors) == 1, output
    assert "results: results/ holds runs of a study with epochs=2000, not 100" in errors[0]
    after = sorted(p.stat().st_mtime_ns for p in (cwd / "results" / "runs").rglob("*.parquet"))
    assert after == before


@pytest.mark.workflow
def test_a_damaged_run_is_retrained_to_the_same_bytes_and_no_table_is_lost(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    setting = "enc~k/lam~0.1/alpha~0.01/batch~8"  # in the weight_decay and weights experiments
    rid = f"{setting}/seed~0"
    run = cwd / "results" / "runs" / rid
    neighbour = stamps(cwd / "results" / "runs" / setting / "seed~1")
    curve = run / "curve.parquet"
    curve.write_bytes(curve.read_bytes()[:1000])  # truncated, as by a full disk or a bad copy
    checksums = (run / "checksums.sha256").read_text()
    tables = {p: p.read_bytes() for p in (cwd / "results" / "tables").rglob("*") if p.is_file()}
    # A dry run names the damaged run in one line and changes nothing.
    proc = snakemake(cwd, env, "--dry-run")
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "damaged" in line]
    assert lines == [
        f"results/runs/{rid}: damaged (curve.parquet differs from its checksum); its training "
        "job reruns"
    ]
    assert len(curve.read_bytes()) == 1000
    # The next real call's training job sets it aside, retrains it alone and re-aggregates its
    # two experiments.
    proc = snakemake(cwd, env)
    jobs = jobs_in(proc.stdout + proc.stderr)
    assert jobs["train"] == {manifest(setting)}
    assert [line.split(":")[1].split()[0] for line in train_log(cwd, setting)[:2]] == [
        "kept", "trained"
    ]  # fmt: skip
    assert stamps(cwd / "results" / "runs" / setting / "seed~1") == neighbour
    assert jobs["aggregate_experiment"] == {
        f"results/tables/{name}/runs.parquet" for name in ("weight_decay", "weights")
    }
    assert (run / "checksums.sha256").read_text() == checksums  # the same bytes as before
    assert len((run / "curve.parquet.damaged").read_bytes()) == 1000  # kept for a look
    for path, data in tables.items():  # every table is there, byte for byte as it was
        assert path.read_bytes() == data, path


@pytest.mark.workflow
def test_a_deleted_run_folder_is_retrained_alone(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    setting = "enc~k-1/lam~0/alpha~0.01/batch~8"  # only in the encoding experiment
    runs = cwd / "results" / "runs" / setting
    neighbour = stamps(runs / "seed~0")
    shutil.rmtree(runs / "seed~1")
    proc = snakemake(cwd, env)
    output = proc.stdout + proc.stderr
    assert (
        f"results/runs/{setting}/seed~1: missing (its files are gone); its training job reruns"
        in output
    )
    jobs = jobs_in(output)
    assert jobs["train"] == {manifest(setting)}
    assert jobs["aggregate_experiment"] == {"results/tables/encoding/runs.parquet"}
    assert stamps(runs / "seed~0") == neighbour
    assert [line.split(":")[0] for line in train_log(cwd, setting) if "trained in" in line] == [
        "seed~1"
    ]
    proc = snakemake(cwd, env, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_adding_seeds_trains_only_the_new_seeds(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    setting = "enc~k/lam~0/alpha~0.3/batch~1/epochs~500"  # benchmark_mitchell's only setting
    runs = cwd / "results" / "runs" / setting
    old = {s: stamps(runs / f"seed~{s}") for s in (0, 1)}

    def more_seeds(config):
        config["experiments"]["benchmark_mitchell"]["seeds"] = list(range(40))

    # 40 seeds are two jobs, seeds 0-31 and 32-39; the first keeps the two runs it has.
    jobs = jobs_in(run_snakemake_with_config(cwd, env, more_seeds))
    assert jobs["train"] == {manifest(setting), manifest(setting, part=1)}
    assert jobs["aggregate_experiment"] == {"results/tables/benchmark_mitchell/runs.parquet"}
    log = train_log(cwd, setting)
    assert [line.split(" (")[0] for line in log[:2]] == ["seed~0: kept", "seed~1: kept"]
    assert [line.split(":")[0] for line in log[2:-1]] == [f"seed~{s}" for s in range(2, 32)]
    assert all(" trained in " in line for line in log[2:-1])
    log = train_log(cwd, setting, part=1)
    assert [line.split(":")[0] for line in log[:-1]] == [f"seed~{s}" for s in range(32, 40)]
    assert {s: stamps(runs / f"seed~{s}") for s in (0, 1)} == old
    assert all((runs / f"seed~{s}" / "checksums.sha256").exists() for s in range(40))
    # Back to two seeds: the first job reruns (its params changed) and keeps both runs.
    proc = snakemake(cwd, env)
    assert jobs_in(proc.stdout + proc.stderr)["train"] == {manifest(setting)}
    assert all(" kept " in line for line in train_log(cwd, setting)[:2])
    assert {s: stamps(runs / f"seed~{s}") for s in (0, 1)} == old


@pytest.mark.workflow
def test_editing_plotting_code_retrains_nothing(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    jobs = dry_run_with_edit(cwd, env, "reporting/figures", "an edit to the plotting code")
    assert "train" not in jobs and "aggregate_experiment" not in jobs
    study = load_study(yaml.safe_load((cwd / "config" / "config.yaml").read_text()))
    assert {rule for rule in jobs if rule.startswith("figures_")} == {
        f"figures_{name}" for name in by_experiment(study.experiments)
    }


@pytest.mark.workflow
def test_editing_the_engine_retrains_every_run(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    study = quick_study()
    jobs = dry_run_with_edit(cwd, env, "engine/training", "an edit to the engine")
    assert jobs["train"] == {manifest(s) for s in study.setting_ids()}
    # Each of those jobs retrains every seed of its setting: one of them, for real.
    setting = "enc~k/lam~0/alpha~0.3/batch~1/epochs~500"
    path = cwd / "src" / "backprop_study" / "engine" / "training.py"
    original = path.read_bytes()
    path.write_bytes(original + b"\n# an edit to the engine\n")
    try:
        snakemake(cwd, env, manifest(setting))
    finally:
        path.write_bytes(original)
    log = [line for line in train_log(cwd, setting) if not line.startswith("kernels: ")]
    assert len(log) == 1 + len(study.seeds_of(setting))
    assert all(" trained in " in line and "trained by engine" in line for line in log[:-1]), log
    snakemake(cwd, env)  # the original engine's runs again, and what depends on them
    # ...and once undone, nothing is left to do.
    proc = snakemake(cwd, env, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_a_phantom_run_cannot_be_requested(killed_then_finished):
    cwd, env, *_ = killed_then_finished
    for target in (
        "results/runs/enc~k/lam~1e-05/alpha~0.01/batch~8/seeds-0.json",  # not canonical
        "results/runs/enc~k-1/lam~0.1/alpha~0.01/batch~8/seeds-0.json",  # no experiment
        "results/runs/enc~k/lam~0/alpha~0.01/batch~8/seed~7/seeds-0.json",  # not a setting
        "results/runs/enc~k/lam~0/alpha~0.01/batch~8/seeds-1.json",  # a part it has not
        "results/runs/enc~k/lam~0/alpha~0.01/batch~8/seed~7/curve.parquet",  # a run: no job
    ):
        proc = snakemake(cwd, env, "--dry-run", target, check=False)
        assert proc.returncode != 0, target


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ("experiments:\n  weight_decay:\n    lam: [1e-4]\n", "experiments.weight_decay.lam[0]"),
        (
            "experiments:\n  batch_size:\n    batch_size: [3]\n",
            "experiments.batch_size.batch_size[0]",
        ),
        ("epochs: 0\nexperiments:\n  a:\n    lam: [0]\n", "epochs"),
        ("seeds: [1.5]\nexperiments:\n  a:\n    lam: [0]\n", "seeds[0]"),
        ("experiments:\n  a:\n    alpha: [.inf]\n", "experiments.a.alpha[0]"),
        ("experiments:\n  a:\n    hidden_units: [2]\n", "experiments.a"),
    ],
)
def test_bad_config_stops_before_any_job_with_one_message(killed_then_finished, snippet, key):
    cwd, env, *_ = killed_then_finished
    (cwd / "bad.yaml").write_text("results: results/bad\n" + snippet)
    proc = snakemake(cwd, env, "--configfile", "bad.yaml", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    errors = [line for line in output.splitlines() if key in line]
    assert len(errors) == 1 and errors[0].startswith(f"config error: {key}: "), output
    assert "allowed" in errors[0] or "write 1.0e-4" in errors[0], errors[0]
    assert "rule train" not in output and "Traceback" not in output
    assert not [line for line in output.splitlines() if line.lstrip().startswith("File ")]


# --- static checks ------------------------------------------------------------------------------


def test_snakefmt_is_clean():
    proc = subprocess.run(
        [str(BIN / "snakefmt"), "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lint_is_clean(tmp_path):
    env = make_copy(tmp_path)
    proc = snakemake(tmp_path, env, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Lints for" not in proc.stdout + proc.stderr
