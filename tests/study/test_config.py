"""config.py: ranges that hold end to end, numbers YAML reads as text, keys named where they
were set, results folders apart from the source; each refused in one line before any job."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import RunConfig
from backprop_study.study.config import (
    MAX_PARAMETERS,
    STUDY_RANGES,
    check_config,
    figure_formats,
    load_study,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"

BASE = """
results: results/test
epochs: 100
seeds: [0, 1]
experiments:
  e:
    lam: [0]
    alpha: [0.01]
"""


def config(extra: str = "", **experiment: str) -> dict:
    """The base config with YAML snippets added at the top level and to experiment e (so YAML's
    own typing applies)."""
    cfg = yaml.safe_load(BASE + extra)
    for key, value in experiment.items():
        cfg["experiments"]["e"][key] = yaml.safe_load(value)
    return cfg


def refusal(cfg: dict) -> str:
    with pytest.raises(ConfigError) as info:
        check_config(cfg, SCHEMA)
    text = str(info.value)
    assert "\n" not in text
    return text


SIZES = [
    # the two: 104 GiB for the Hessian, and 102 s / 1.9 GB to aggregate two runs
    ("classes: 1000\nbatch_size: 1000\n", {}, r"^classes: 1000 is out of range; allowed: an integer in \[2, 64\]"),  # noqa: E501
    ("hidden: 1000\nclasses: 2\nbatch_size: 2\n", {}, r"^hidden: 1000 is out of range; allowed: an integer in \[1, 64\]"),  # noqa: E501
    ("", {"classes": "[8, 1000]", "batch_size": "[1]"}, r"^experiments\.e\.classes\[1\]: 1000 is out of range"),  # noqa: E501
    ("", {"hidden": "[3, 64]"}, r"^experiments\.e\.hidden\[1\]: 64 hidden units with classes=8 make 1,096 parameters; allowed: at most 600 parameters \(hidden <= 34 at classes=8\)"),  # noqa: E501
    ("hidden: 16\n", {"classes": "[64]", "batch_size": "[64]"}, r"^experiments\.e\.classes\[0\]: 64 classes with hidden=16 make 2,128 parameters; allowed: at most 600 parameters \(classes <= 17 at hidden=16\)"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("extra", "experiment", "message"), SIZES)
def test_a_network_too_large_to_aggregate_is_refused(extra, experiment, message):
    text = refusal(config(extra, **experiment))
    assert re.search(message, text), text


def test_the_largest_networks_allowed_stay_within_the_parameter_bound():
    lo, hi = STUDY_RANGES["classes"]
    largest = [(k, h) for k in (lo, 8, 10, hi) for h in (1, 4, 35, STUDY_RANGES["hidden"][1])]
    for k, h in largest:
        n = RunConfig(classes=k, hidden=h, batch_size=1).n_parameters
        cfg = config(f"classes: {k}\nhidden: {h}\nbatch_size: 1\n")
        if n <= MAX_PARAMETERS:
            assert check_config(cfg, SCHEMA).settings.classes == k
        else:
            assert "parameters; allowed: at most 600" in refusal(cfg)


TEXT_NUMBERS = [
    ("", {"lam": "[1e-4]"}, "experiments.e.lam[0]", "1.0e-4 or 0.0001"),
    ("", {"alpha": "[1e3]"}, "experiments.e.alpha[0]", "1.0e+3 or 1000"),
    ("", {"lam": "[1.0e308]"}, "experiments.e.lam[0]", "1.0e+308"),
    ("epochs: 1.0e6\n", {}, "epochs", "1000000"),
    ("epochs: '300'\n", {}, "epochs", "300"),
]


@pytest.mark.parametrize(("extra", "experiment", "key", "spelling"), TEXT_NUMBERS)
def test_a_number_yaml_reads_as_text_gets_a_spelling_yaml_reads_as_a_number(
    extra, experiment, key, spelling
):
    text = refusal(config(extra, **experiment))
    assert text.startswith(f"{key}: '") and " is a string, not a number (" in text, text
    assert text.endswith(f"; write {spelling}"), text
    for written in spelling.split(" or "):
        assert isinstance(yaml.safe_load(written), int | float), written


STUDY_LEVEL = [
    # values the experiment does not set are named at the top level, where they were written
    ("epochs: 20000000\nlogging:\n  every: 1\n", {}, r"^logging\.every: logs [\d,]+ rows over"),
    ("epochs: 20000000\n", {"log_every": "[1]"}, r"^experiments\.e\.log_every\[0\]: logs"),
    ("batch_size: 3\n", {}, r"^batch_size: 3 does not divide classes=8; allowed: 1, 2, 4, 8$"),
    ("", {"classes": "[6]"}, r"^experiments\.e\.classes\[0\]: 6 is not a multiple of batch_size=8"),  # noqa: E501
    ("optimizer: rprop\nbatch_size: 4\n", {}, r"^batch_size: 4 is not allowed with optimizer rprop"),  # noqa: E501
    ("rprop_delta0: 60\n", {}, r"^rprop_delta0: 60 is outside \[rprop_delta_min, rprop_delta_max\]"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("extra", "experiment", "message"), STUDY_LEVEL)
def test_an_error_names_the_key_where_the_value_was_set(extra, experiment, message):
    text = refusal(config(extra, **experiment))
    assert re.search(message, text), text


@pytest.mark.parametrize("folder", [".", "./", "src", "workflow/results", "config", ".git/x"])
def test_a_results_folder_in_the_source_is_refused(folder):
    text = refusal(config() | {"results": folder})
    assert text.startswith(f"results: {folder!r} holds the workflow's source; allowed: "), text


def test_a_results_folder_holding_a_copy_of_the_source_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "Snakefile").write_text("")
    text = refusal(config() | {"results": "copy"})
    assert text == (
        "results: 'copy' holds the workflow's source (Snakefile); allowed: a folder of its own "
        "such as results or results/quick"
    )
    assert check_config(config() | {"results": "results/copy"}, SCHEMA).results == "results/copy"


@pytest.mark.parametrize(
    ("snippet", "line"),
    [
        ("classes: 1000\n", "config error: classes: 1000 is out of range; allowed: an integer"),
        ("results: .\n", "config error: results: '.' holds the workflow's source; allowed: "),
    ],
)
def test_snakemake_stops_before_any_job_with_the_line(tmp_path, snippet, line):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(yaml.safe_load(BASE) | yaml.safe_load(snippet)))
    snakemake = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run(
        [str(snakemake), "-n", "--configfile", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert [x for x in output.splitlines() if x.startswith("config error:")] == [
        next(x for x in output.splitlines() if x.startswith(line))
    ], output
    assert "rule " not in output and "Traceback" not in output, output


def test_init_distribution_range_and_the_new_optimizers_are_axes():
    cfg = config(
        "init_range: 0.3\n",
        optimizer="[quickprop, supersab]",
        init_distribution="[normal, uniform]",
        quickprop_mu="[1.75, 2.0]",
        supersab_eta_plus="[1.05]",
    )
    study = check_config(cfg, SCHEMA)
    configs = [study.run_config(r.run_id) for r in study.experiments["e"].runs()]
    assert {(c.optimizer, c.init_distribution, c.quickprop_mu) for c in configs} == {
        (o, d, m)
        for o in ("quickprop", "supersab")
        for d in ("normal", "uniform")
        for m in (1.75, 2.0)
    }
    assert {c.init_range for c in configs} == {0.3}
    assert len({r.run_id for r in study.experiments["e"].runs()}) == len(configs)


@pytest.mark.parametrize(
    ("extra", "experiment", "message"),
    [
        ("", {"init_distribution": "[gaussian]"}, r"^experiments\.e\.init_distribution\[0\]: 'gaussian' is not allowed; allowed: normal, uniform$"),  # noqa: E501
        ("init_range: -1\n", {}, r"^init_range: -1 is out of range"),
        ("optimizer: supersab\nbatch_size: 4\n", {}, r"^batch_size: 4 is not allowed with optimizer supersab"),  # noqa: E501
        ("", {"optimizer": "[quickprop]", "batch_size": "[1]"}, r"^experiments\.e\.batch_size\[0\]: 1 is not allowed with optimizer quickprop"),  # noqa: E501
        ("", {"supersab_momentum": "[1.0]"}, r"^experiments\.e\.supersab_momentum\[0\]: 1\.0 is out of range"),  # noqa: E501
    ],
)  # fmt: skip
def test_the_new_settings_are_refused_in_one_line(extra, experiment, message):
    text = refusal(config(extra, **experiment))
    assert re.search(message, text), text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("figure_formats: [png, eps]\n", r"^figure_formats\[1\]: 'eps' is not allowed; allowed: png, svg, pdf$"),  # noqa: E501
        ("figure_formats: svg\n", r"^figure_formats: 'svg' is not of type array$"),
        ("figure_formats: []\n", r"^figure_formats: is empty; give at least one value$"),
    ],
)  # fmt: skip
def test_a_figure_format_outside_png_svg_pdf_is_refused(extra, message):
    text = refusal(config(extra))
    assert re.search(message, text), text
    with pytest.raises(ConfigError, match=r"^figure_formats: .* is not allowed; allowed: a list"):
        load_study(config(extra))  # the same check without the schema


def test_figure_formats_default_to_png_and_always_hold_it():
    cfg = config()
    check_config(cfg, SCHEMA)
    assert cfg["figure_formats"] == ["png"] and figure_formats(cfg) == ("png",)
    assert figure_formats(config("figure_formats: [pdf, svg]\n")) == ("png", "pdf", "svg")
