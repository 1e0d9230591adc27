"""The SLURM profile and the resources and benchmarks the rules declare for it: a failed job is
retried with twice its memory and time, and every job writes a benchmark file to size them by.
The workflow is read in-process with the tiny study's config (nothing runs)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import yaml
from tiny_study import TINY_CONFIG

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
# The one lint the workflow keeps, on purpose (Snakefile, README "Software routes"): its rules run
# in the environment Snakemake runs in, the venv from requirements.lock, and declare no conda
# environment or container that no test could build.
SOFTWARE_LINT = "Specify a conda environment or container for each rule."


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """The workflow as Snakemake reads it, for the tiny study writing to results/."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    tmp = tmp_path_factory.mktemp("workflow")
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump({**TINY_CONFIG, "results": "results"}))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        with SnakemakeApi(OutputSettings()) as api:
            workflow_api = api.workflow(
                snakefile=ROOT / "Snakefile",
                workdir=tmp,
                resource_settings=ResourceSettings(),
                config_settings=ConfigSettings(configfiles=[config]),
            )
            wf = workflow_api._get_workflow()
            wf.include(workflow_api.snakefile, overwrite_default_target=True)
            wf.check()
            yield wf


def job_rules(wf) -> list:
    """The rules that run a command (not the target rules `all` and `theory`)."""
    return [r for r in wf.rules if r.shellcmd is not None]


def example_wildcards(wf, rule) -> types.SimpleNamespace:
    """Wildcards of one job of `rule` in the tiny study."""
    study = wf.globals["STUDY"]
    setting = study.run_ids()[0].rsplit("/seed~", 1)[0]
    values = {
        "setting": setting,
        "part": "0",
        "experiment": next(iter(study.experiments)),
        "law_setting": "escape_example",  # the tiny study has no theory settings
    }
    return types.SimpleNamespace(**{name: values[name] for name in rule.wildcard_names})


def test_profile_retries_failed_jobs():
    profile = yaml.safe_load(PROFILE.read_text())
    assert isinstance(profile.get("retries"), int) and profile["retries"] >= 1


def test_memory_and_time_double_with_each_attempt(workflow):
    rules = job_rules(workflow)
    assert {"train", "aggregate_experiment", "study_report"} <= {r.name for r in rules}
    for rule in rules:
        wildcards = example_wildcards(workflow, rule)
        for name in ("mem_mb", "runtime"):
            resource = rule.resources[name]
            first, second, third = (
                resource.evaluate(wildcards, attempt=attempt).value for attempt in (1, 2, 3)
            )
            assert first > 0, (rule.name, name)
            assert (second, third) == (2 * first, 4 * first), (rule.name, name)


def test_every_job_writes_a_benchmark_file_per_rule(workflow):
    logs = workflow.globals["LOGS"]
    for rule in job_rules(workflow):
        benchmark = str(rule.benchmark)
        assert benchmark.startswith(f"{logs}/benchmarks/{rule.name}/"), rule.name
        assert benchmark.endswith(".tsv"), rule.name
        # one file per job: the path names every wildcard of the rule
        assert all(f"{{{name}" in benchmark for name in rule.wildcard_names), rule.name


def test_rules_run_in_the_current_environment(workflow):
    """No rule asks for a conda environment or container: the software is the venv from
    requirements.lock, on the login node and (shared) on the compute nodes alike."""
    for rule in workflow.rules:
        assert rule.conda_env is None and rule.container_img is None, rule.name
    assert not (ROOT / "workflow" / "envs").exists()


def test_lint_finds_nothing_but_the_software_route(workflow):
    """`snakemake --lint`, less the one lint the workflow keeps on purpose."""
    from snakemake.linting.rules import RuleLinter
    from snakemake.linting.snakefiles import SnakefileLinter

    snakefile_lints, _ = SnakefileLinter(workflow, workflow.included).lint(json=True)
    rule_lints, _ = RuleLinter(workflow, workflow.rules).lint(json=True)
    assert snakefile_lints == []
    assert "train" in {entry["for"]["rule"] for entry in rule_lints}  # the linter ran
    other = [
        (entry["for"]["rule"], lint["title"])
        for entry in rule_lints
        for lint in entry["lints"]
        if lint["title"] != SOFTWARE_LINT
    ]
    assert other == []
