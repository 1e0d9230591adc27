"""report.py: the self-contained HTML study report from a tiny real study's tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from tiny_study import TINY_CONFIG, tiny_study, train_runs

from backprop_study import aggregate, report
from backprop_study.cli import main

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "report" / "study.html.j2"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16  # enough of a PNG for inlining


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    study = tiny_study()
    train_runs(study, root / "runs")
    runs = []
    for name, exp in study.experiments.items():
        t = aggregate.read_experiment(exp, root / "runs")
        (root / name).mkdir()
        aggregate.comparison_table(t.runs).to_parquet(root / name / "comparison.parquet")
        t.final_weights.to_parquet(root / name / "final_weights.parquet")
        runs.append(t.runs)
    aggregate.union_runs_tables(runs).to_parquet(root / "runs.parquet")
    (root / "figures").mkdir()
    (root / "figures" / "loss_by_alpha.png").write_bytes(PNG)
    return root


def _cli_args(tables: Path, out: Path) -> list[str]:
    names = list(TINY_CONFIG["experiments"])
    return [
        "report", "--study", json.dumps(TINY_CONFIG), "--template", str(TEMPLATE),
        "--runs-table", str(tables / "runs.parquet"),
        "--comparison", *[str(tables / n / "comparison.parquet") for n in names],
        "--final-weights", *[str(tables / n / "final_weights.parquet") for n in names],
        "--figure", str(tables / "figures" / "loss_by_alpha.png"), "--out", str(out),
    ]  # fmt: skip


def test_report_is_self_contained_and_complete(tables, tmp_path):
    out = tmp_path / "study.html"
    assert main(_cli_args(tables, out)) == 0
    html = out.read_text()
    # Self-contained: the figure is inlined and nothing is fetched from elsewhere.
    assert "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    for name in TINY_CONFIG["experiments"]:
        assert f'id="{name}"' in html
    assert "Loss for each learning rate α (Fig 9)" in html
    # Claims table, comparison tables and the settings used.
    assert "lambda_plateau" in html and "verdict" in html
    assert "epochs to solve, median [IQR]" in html
    assert "epochs: 300" in html and "per_decade: 30" in html


def test_final_weights_of_shared_runs_count_once(tables):
    names = list(TINY_CONFIG["experiments"])
    parts = [pd.read_parquet(tables / n / "final_weights.parquet") for n in names]
    union = report.union_final_weights(parts)
    per_run = union.groupby("run_id").size()
    # One snapshot per run: 59 parameters for k (8-3-8), 52 for k-1 (7-3-7).
    expected = [52 if rid.startswith("enc~k-1/") else 59 for rid in per_run.index]
    assert per_run.tolist() == expected
    assert set(union["run_id"]) == set(tiny_study().run_ids())


def test_claims_cover_the_seeds_sections(tables):
    runs = pd.read_parquet(tables / "runs.parquet")
    claims = report.claims_table(runs, tiny_study().experiments)
    assert {"weight_decay", "encoding", "learning_rate", "batch_size"} <= set(claims["experiment"])
    assert claims["verdict"].notna().all()


def test_bad_study_json_is_one_line(tables, tmp_path, capsys):
    args = _cli_args(tables, tmp_path / "x.html")
    args[args.index("--study") + 1] = "{not json"
    assert main(args) == 2
    assert "--study" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
