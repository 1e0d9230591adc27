# Config validation, the grid of runs, output paths and input functions shared by all rules.
# Grid expansion, number formatting and run paths live in backprop_study.study (unit-tested);
# this file only binds them to Snakemake.
import functools
import json
import os
import sys

from backprop_study.reporting import catalog as figure_specs
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.fingerprint import layers_fingerprint
from backprop_study.study.config import (
    SETTINGS_FILE,
    check_config,
    check_results_folder,
)
from backprop_study.study.run_fingerprint import run_fingerprint
from backprop_study.study.grid import MANIFEST
from backprop_study.study.integrity import job_integrity


# Schema (with defaults) + the checks jsonschema cannot express, before any job is scheduled.
# A results folder's run paths name settings against its study-wide values, so a config with
# other study-wide values must not reuse it: its stamp (SETTINGS_STAMP) is an input of every
# training job, so it exists before any run does, whatever the targets. Either error ends
# Snakemake with one line naming the key and the allowed values.
def checked_study():
    """The study of the config, or exit with one line naming the key."""
    try:
        study = check_config(
            config, workflow.source_path("../schemas/config.schema.yaml")
        )
        check_results_folder(f"{study.results}/{SETTINGS_FILE}", study)
    except ConfigError as exc:
        sys.exit(f"config error: {exc}")
    return study


STUDY = checked_study()
EXPERIMENTS = list(STUDY.experiments)
FIGURES = [f.name for f in figure_specs.applicable(STUDY.experiments)]

# Output paths. A run's directory names its parameters:
# enc~{encoding}/lam~{lam}/alpha~{alpha}/batch~{batch_size}[/<other settings>]/seed~{seed}
# with canonical numbers (study.grid). Runs that differ only in their seed form a setting (the
# path without /seed~N, the {setting} wildcard); one training job trains each part of up to 32
# of its seeds (Study.seed_parts, the {part} wildcard): its output is the part's manifest
# (SEEDS_MANIFEST, see train.smk).
# Every output and log lives under the config's own results folder, so two configs (the study
# and the quick study) never touch each other's runs.
RESULTS = STUDY.results
LOGS = f"{RESULTS}/logs"
SETTINGS_STAMP = f"{RESULTS}/{SETTINGS_FILE}"  # checked by checked_study()
RUNS_ROOT = f"{RESULTS}/runs"
SEEDS_MANIFEST = f"{RUNS_ROOT}/{{setting}}/{MANIFEST}"
RUNS_TABLE = f"{RESULTS}/tables/runs.parquet"
TABLE_NAMES = (
    "runs.parquet",
    "comparison.parquet",
    "comparison.md",
    "curve_quantiles.parquet",
    "final_weights.parquet",
    "mechanism.parquet",
    "curvature.parquet",
)
EXPERIMENT_TABLES = f"{RESULTS}/tables/{{experiment}}/{{table}}"
FIGURE_PATH = f"{RESULTS}/figures/{{figure}}.png"
STUDY_REPORT = f"{RESULTS}/study_report.html"
# What a rule's results depend on beyond its inputs follows the package's folders: an edit under
# engine/ retrains every run; under analysis/ or study/ re-aggregates (and redraws); under
# reporting/ redraws the figures and the report; only the first retrains. The engine's is the
# fingerprint its runs record (study/run_fingerprint.py).
ENGINE_FINGERPRINT = run_fingerprint()
ANALYSIS_CODE = layers_fingerprint("analysis", "study")
REPORTING_CODE = layers_fingerprint("analysis", "study", "reporting")
# Minutes a training job may take: the fast engine does > 200,000 epochs/s, the reference
# > 1,500 (batch size 1); about 30x margin. A job trains one part of a setting's seeds; a SLURM
# group job asks for the sum of its members'.
EPOCHS_PER_MINUTE = 200_000 if STUDY.settings.engine == "fast" else 20_000
STUDY_JSON = json.dumps(config, sort_keys=True, separators=(",", ":"))


# Only the exact values in the config can match, so a typo cannot create a phantom run.
wildcard_constraints:
    **STUDY.wildcard_constraints(),
    part=r"\d+",


def repository_path(path):
    """A file of this repository (`path` relative to its root, where the Snakefile is) as seen
    from the working directory, which `snakemake --directory` may put elsewhere; relative, so
    a study run in the repository records the same input paths wherever the repository is.
    """
    return os.path.relpath(os.path.join(workflow.basedir, path))


def benchmark_path(rule, wildcards=""):
    """Where a rule's job writes its benchmark (`benchmark:`; time, peak memory, I/O):
    benchmarks/<rule>/<wildcards>.tsv under the logs, one file per job, so
    `backprop-study resources` can suggest each rule's mem_mb and runtime from measurement.
    """
    return f"{LOGS}/benchmarks/{rule}/{wildcards or rule}.tsv"


def by_attempt(base):
    """A resource that doubles with each attempt: `base` (a number, or a function of the
    wildcards) on the first, twice that on the second, and so on, so a job that a cluster
    killed for its memory or time limit asks for more when `retries` (profiles/slurm) reruns it.
    """

    def resource(wildcards, attempt):
        value = base(wildcards) if callable(base) else base
        return value * 2 ** (attempt - 1)

    return resource


def train_runtime(wildcards):
    """Minutes for one training job: the sum of its seeds' epoch budgets (experiments may set
    their own)."""
    epochs = STUDY.setting_values(wildcards.setting)["epochs"]
    seeds = STUDY.seed_part(wildcards.setting, int(wildcards.part))
    return max(2, len(seeds) * epochs // EPOCHS_PER_MINUTE)


def train_settings(wildcards):
    """The job's settings as canonical JSON (`Study.job_settings`): the engine settings its
    seeds share (those that differ from RunConfig's defaults), its part of the setting's seeds
    and the engine. A change reruns the job, which trains only the runs it lacks; fails for a
    setting or part no experiment has, so it cannot become a phantom job."""
    return STUDY.job_settings(wildcards.setting, int(wildcards.part))


@functools.cache
def _integrity(setting, part):
    seeds = STUDY.seed_part(setting, part)
    return job_integrity(f"{RUNS_ROOT}/{setting}", part, seeds)


def train_integrity(wildcards):
    """The integrity digest of the job's runs (`study.integrity.job_integrity`, read-only): a
    damaged, deleted or replaced run changes it, so any call that needs the run reruns its
    job, which sets the damaged files aside and retrains them; a dry run only names them.
    """
    return _integrity(wildcards.setting, int(wildcards.part))


def manifests(runs):
    """The manifests of the training jobs of `runs`, each once: a job writes its part of a
    setting's runs, and naming one file per job keeps the DAG small (10,000 runs → 1,000
    inputs)."""
    jobs = sorted({STUDY.part_of(r.run_id) for r in runs})
    return [SEEDS_MANIFEST.format(setting=setting, part=part) for setting, part in jobs]


def experiment_manifests(wildcards):
    """The manifests of an experiment's settings (the aggregation reads their runs by path)."""
    return manifests(STUDY.experiments[wildcards.experiment].runs())


def experiment_grid(wildcards):
    return STUDY.experiments[wildcards.experiment].grid_json()
