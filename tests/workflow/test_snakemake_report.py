"""`snakemake --report` on the quick study: the workflow's own report builds from a finished
study (a copy of the session's shared one, tests/workflow/conftest.py), with the figures'
captions and the study report in it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from workflow_copy import copy_study, make_copy, quick_config, snakemake

from backprop_study.reporting.catalog import applicable
from backprop_study.study.config import load_study

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def quick_study(finished_quick_study, tmp_path_factory) -> tuple[Path, dict, dict]:
    """A copy of the finished quick study: (folder, env, config)."""
    cwd = tmp_path_factory.mktemp("report") / "study"
    env = copy_study(finished_quick_study.cwd, cwd)
    return cwd, env, quick_config()


def test_snakemake_report_builds_on_the_quick_study(quick_study):
    cwd, env, quick = quick_study
    snakemake(cwd, env, "--report", "report.html", timeout=900)
    html = (cwd / "report.html").read_text(encoding="utf-8")
    # Snakemake's report holds its entries as JSON (non-ASCII escaped).
    specs = applicable(load_study(quick).experiments)
    for spec in specs[0], specs[-1]:  # each figure with its own title and caption
        assert json.dumps(spec.title) in html and f'"results/figures/{spec.name}.png"' in html
        assert json.dumps(spec.caption.split(",")[0])[1:-1] in html
    assert '"Study report": {"Other": ["results/study_report.html"]}' in html


def test_the_quick_study_writes_its_findings_tables(quick_study):
    cwd, _, _ = quick_study
    tables = cwd / "results" / "tables"
    claims = pd.read_parquet(tables / "claims.parquet")
    runs = pd.read_parquet(tables / "runs.parquet")
    findings = pd.read_parquet(tables / "findings.parquet").set_index("key")
    assert claims["verdict"].notna().all() and len(claims) > 0
    assert "| claim | compared | role |" in (tables / "claims.md").read_text()
    assert findings.loc["study.runs", "value"] == len(runs)
    report = (cwd / "results" / "study_report.html").read_text()
    assert f"{len(runs)} training runs" in report


def test_every_figure_is_written_in_each_configured_format(tmp_path):
    quick = quick_config()
    formats = ["png", "svg", "pdf"]
    env = make_copy(tmp_path, quick | {"results": "results", "figure_formats": formats})
    listed = snakemake(tmp_path, env, "--summary").stdout  # every output of the DAG, one a line
    outputs = {line.split("\t")[0] for line in listed.splitlines()}
    for spec in applicable(load_study(quick).experiments):
        for fmt in formats:
            assert f"results/figures/{spec.name}.{fmt}" in outputs
