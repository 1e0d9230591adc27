"""`snakemake --report` on the quick study: the workflow's own report builds from a finished
study (a copy of the session's shared one, tests/workflow/conftest.py), with the figures'
captions and the study report in it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from workflow_copy import copy_study, quick_config, snakemake

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
    spec = applicable(load_study(quick).experiments)[0]
    assert json.dumps(spec.title) in html and f'"results/figures/{spec.name}.png"' in html
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
