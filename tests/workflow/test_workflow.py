"""The Snakemake workflow, end to end on config/quick.yaml in a temporary copy of the repository.

The first tests read the session's shared quick study (tests/workflow/conftest.py: started,
killed mid-way with SIGKILL, finished by a second call); the rerun scenarios of the issues then
run on this module's copy of it, as dry runs or as real runs that leave it complete again. Source
edits are made to the copy's package on PYTHONPATH and undone. One training job trains every seed
of one setting (a run path without /seed~N), up to 32 of them, and writes their manifest,
seeds-0.json (seeds-1.json for the next 32, ...).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from snakemake_log import jobs_in
from workflow_copy import complete_runs, copy_study, quick_study, snakemake, stamps, train_log

from backprop_study.reporting.catalog import by_experiment
from backprop_study.reporting.figures import FIGURES

pytestmark = pytest.mark.workflow


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


# --- the end-to-end scenarios -----------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_copy(finished_quick_study, tmp_path_factory):
    """This module's copy of the shared quick study, for the tests that change it: (workdir,
    env)."""
    cwd = tmp_path_factory.mktemp("workflow") / "study"
    env = copy_study(finished_quick_study.cwd, cwd)
    return cwd, env


def test_kill_and_rerun_finishes_without_touching_finished_runs(finished_quick_study):
    from backprop_study.engine.runfiles import read_run

    cwd, finished = finished_quick_study.cwd, finished_quick_study.finished
    assert finished, "no run was finished before the kill"
    for d, files in finished.items():  # kept as they were, also those of a killed job
        assert stamps(d) == files, f"{d} was rewritten"
    # Every run is complete and readable: no half-written Parquet was taken as done.
    runs = complete_runs(cwd / "results")
    assert len(runs) == len(quick_study().run_ids())
    for d in runs:
        read_run(d)
    assert (cwd / "results" / "study_report.html").stat().st_size > 0


def test_outputs_of_a_complete_study(finished_quick_study):
    import pandas as pd

    cwd = finished_quick_study.cwd
    study = quick_study()
    runs = pd.read_parquet(cwd / "results" / "tables" / "runs.parquet")
    assert sorted(runs["run_id"]) == study.run_ids()
    for name in study.experiments:
        comparison = (cwd / "results" / "tables" / name / "comparison.md").read_text()
        assert comparison.startswith(f"# {name}")
    pngs = {p.stem for p in (cwd / "results" / "figures").glob("*.png")}
    assert {"loss_by_lambda", "loss_k_vs_k1", "late_weights"} <= pngs
    assert not list((cwd / "results").rglob("*.tmp"))


def test_second_call_does_nothing(finished_quick_study, quick_copy):
    # The study, and the copy the next tests change: copied as complete as the original.
    for cwd, env in ((finished_quick_study.cwd, finished_quick_study.env), quick_copy):
        proc = snakemake(cwd, env, "--dry-run")
        assert "Nothing to be done" in proc.stdout + proc.stderr


def test_adding_a_lambda_runs_only_what_depends_on_it(quick_copy):
    cwd, env = quick_copy
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


def test_any_setting_is_an_axis_and_adding_its_values_trains_only_new_runs(quick_copy):
    cwd, env = quick_copy
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


def test_a_config_file_is_the_whole_config_and_keeps_to_its_results_folder(quick_copy):
    cwd, env = quick_copy
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


def test_a_damaged_run_is_retrained_to_the_same_bytes_and_no_table_is_lost(quick_copy):
    cwd, env = quick_copy
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


def test_a_deleted_run_folder_is_retrained_alone(quick_copy):
    cwd, env = quick_copy
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


def test_adding_seeds_trains_only_the_new_seeds(quick_copy):
    cwd, env = quick_copy
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


def test_editing_plotting_code_retrains_nothing(quick_copy):
    cwd, env = quick_copy
    jobs = dry_run_with_edit(cwd, env, "reporting/figures", "an edit to the plotting code")
    assert "train" not in jobs and "aggregate_experiment" not in jobs
    assert {rule for rule in jobs if rule.startswith("figures_")} == {
        f"figures_{name}" for name in by_experiment(quick_study().experiments)
    }


def test_editing_the_engine_retrains_every_run(quick_copy, tmp_path):
    cwd, env = quick_copy
    study = quick_study()
    jobs = dry_run_with_edit(cwd, env, "engine/training", "an edit to the engine")
    assert jobs["train"] == {manifest(s) for s in study.setting_ids()}
    # Each of those jobs retrains every seed of its setting: one of them, for real.
    setting = "enc~k/lam~0/alpha~0.3/batch~1/epochs~500"
    path = cwd / "src" / "backprop_study" / "engine" / "training.py"
    original = path.read_bytes()
    path.write_bytes(original + b"\n# an edit to the engine\n")
    try:
        # The edited engine's kernels in a cache of their own (compiled here), so the original
        # engine's, in the package's __pycache__, are still there once the edit is undone.
        snakemake(cwd, env | {"NUMBA_CACHE_DIR": str(tmp_path)}, manifest(setting))
    finally:
        path.write_bytes(original)
    log = train_log(cwd, setting)
    assert len(log) == 1 + len(study.seeds_of(setting))
    assert all(" trained in " in line and "trained by engine" in line for line in log[:-1]), log
    snakemake(cwd, env)  # the original engine's runs again, and what depends on them
    # ...and once undone, nothing is left to do.
    proc = snakemake(cwd, env, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_a_phantom_run_cannot_be_requested(quick_copy):
    cwd, env = quick_copy
    for target in (
        "results/runs/enc~k/lam~1e-05/alpha~0.01/batch~8/seeds-0.json",  # not canonical
        "results/runs/enc~k-1/lam~0.1/alpha~0.01/batch~8/seeds-0.json",  # no experiment
        "results/runs/enc~k/lam~0/alpha~0.01/batch~8/seed~7/seeds-0.json",  # not a setting
        "results/runs/enc~k/lam~0/alpha~0.01/batch~8/seeds-1.json",  # a part it has not
        "results/runs/enc~k/lam~0/alpha~0.01/batch~8/seed~7/curve.parquet",  # a run: no job
    ):
        proc = snakemake(cwd, env, "--dry-run", target, check=False)
        assert proc.returncode != 0, target


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
def test_bad_config_stops_before_any_job_with_one_message(quick_copy, snippet, key):
    cwd, env = quick_copy
    (cwd / "bad.yaml").write_text("results: results/bad\n" + snippet)
    proc = snakemake(cwd, env, "--configfile", "bad.yaml", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    errors = [line for line in output.splitlines() if key in line]
    assert len(errors) == 1 and errors[0].startswith(f"config error: {key}: "), output
    assert "allowed" in errors[0] or "write 1.0e-4" in errors[0], errors[0]
    assert "rule train" not in output and "Traceback" not in output
    assert not [line for line in output.splitlines() if line.lstrip().startswith("File ")]
