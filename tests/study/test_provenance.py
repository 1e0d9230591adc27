"""study/provenance.py: distinct provenance records of a study's runs, warnings, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from tiny_study import tiny_study, train_runs

from backprop_study.cli import main
from backprop_study.engine.provenance import FIELDS, SIDECAR
from backprop_study.study import provenance
from backprop_study.study.config import SETTINGS_FILE
from backprop_study.study.grid import run_dir

LOCAL = {
    "python": "3.11.7", "numpy": "2.4.6", "numba": "0.68.1", "pyarrow": "26.0.1",
    "backprop_study": "0.1.0", "fingerprint": "aaaa", "cpu": "Xeon", "os": "Linux-6.1",
    "executor": "local", "slurm_job_id": "",
}  # fmt: skip


def records(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([LOCAL | row for row in rows])


def test_one_setup_is_one_record_without_warnings():
    summary = provenance.summarise(records({}, {}, {}))
    assert len(summary.groups) == 1 and summary.groups["n_runs"].tolist() == [3]
    assert summary.warnings == []


def test_another_machine_is_another_record_but_no_warning():
    slurm = {"cpu": "EPYC", "executor": "slurm"}
    summary = provenance.summarise(
        records({}, slurm | {"slurm_job_id": "1"}, slurm | {"slurm_job_id": "2"})
    )
    groups = summary.groups
    assert groups["n_runs"].tolist() == [2, 1]  # most runs first
    assert groups["cpu"].tolist() == ["EPYC", "Xeon"]
    assert groups["n_slurm_jobs"].tolist() == [2, 0]
    assert summary.warnings == []
    shown = provenance.display(groups)
    assert shown["executor"].tolist() == ["slurm (2 jobs)", "local"]


@pytest.mark.parametrize(
    ("field", "label"), [("numpy", "numpy"), ("fingerprint", "engine fingerprint")]
)
def test_different_versions_or_fingerprints_warn(field, label):
    summary = provenance.summarise(records({}, {field: "other"}))
    assert len(summary.groups) == 2
    (warning,) = summary.warnings
    assert f"{label} " in warning and "other" in warning and LOCAL[field] in warning


def test_runs_without_a_record_are_unknown_and_counted():
    runs = records({}, {})
    runs.loc[1, list(provenance.COLUMNS)] = ""
    summary = provenance.summarise(runs)
    assert sorted(summary.groups["n_runs"]) == [1, 1]
    assert len(summary.warnings) == 1 and "1 of 2 runs have no provenance" in summary.warnings[0]
    # A runs table aggregated before provenance columns existed: every run unknown.
    old = provenance.summarise(pd.DataFrame({"run_id": ["a", "b"]}))
    assert old.groups["n_runs"].tolist() == [2]
    assert (provenance.display(old.groups).drop(columns="runs") == "unknown").all(axis=None)


def test_text_lists_each_record_with_its_count_and_the_warnings():
    text = provenance.format_text(provenance.summarise(records({}, {}, {"numba": "0.61.0"})))
    assert text.startswith("3 runs, 2 distinct provenance record(s)")
    assert "record 1: 2 runs" in text and "record 2: 1 runs" in text
    assert "0.61.0" in text and "warning: The runs of this study" in text


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A results directory of the tiny study, one run's sidecar from "another numpy" on SLURM,
    one run without a sidecar."""
    root = tmp_path_factory.mktemp("results")
    train_runs(tiny_study(), root / "runs")
    ids = tiny_study().run_ids()
    path = Path(run_dir(root / "runs", ids[0])) / SIDECAR
    record = json.loads(path.read_text())
    path.write_text(
        json.dumps(record | {"numpy": "1.26.0", "executor": "slurm", "slurm_job_id": "9"})
    )
    (Path(run_dir(root / "runs", ids[1])) / SIDECAR).unlink()
    return root


def test_the_cli_summarises_the_sidecars_under_a_results_directory(results, capsys):
    assert main(["provenance", str(results)]) == 0
    out = capsys.readouterr().out
    n = len(tiny_study().run_ids())
    assert out.startswith(f"{n} runs, 3 distinct provenance record(s)")
    assert f"record 1: {n - 2} runs" in out
    assert "slurm (1 job)" in out and "1.26.0" in out
    assert "warning: 1 of" in out and "warning: The runs of this study" in out
    assert f"over the {n - 1} runs with a record" in out
    assert set(FIELDS) <= set(provenance.COLUMNS)


def test_the_cli_names_a_path_without_runs(tmp_path, capsys):
    assert main(["provenance", str(tmp_path / "nope")]) == 2
    assert "RESULTS:" in capsys.readouterr().err
    shutil.rmtree(tmp_path, ignore_errors=True)
    tmp_path.mkdir()
    assert main(["provenance", str(tmp_path)]) == 2
    assert "no run directories" in capsys.readouterr().err


def test_a_study_nested_in_the_results_folder_is_not_counted(results, tmp_path, capsys):
    """results/quick inside results/ is another study: its runs are not the main one's."""
    main_study = tmp_path / "results"
    shutil.copytree(results, main_study)
    nested = main_study / "quick"
    shutil.copytree(results / "runs", nested / "runs")
    (nested / SETTINGS_FILE).write_text("{}")
    n = len(tiny_study().run_ids())
    assert main(["provenance", str(main_study)]) == 0
    assert capsys.readouterr().out.startswith(f"{n} runs,")
    assert len(provenance.run_dirs(main_study)) == len(provenance.run_dirs(nested)) == n
    # A folder of run folders (no runs/ inside) still finds its runs, but not a nested study's.
    shutil.move(nested, main_study / "runs" / "quick")
    assert len(provenance.run_dirs(main_study / "runs")) == n
