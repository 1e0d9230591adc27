"""report.py: the self-contained HTML study report from a tiny real study's tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from tiny_study import TINY_CONFIG, tiny_study, train_runs

from backprop_study.analysis.findings import trend_word
from backprop_study.analysis.stats import VERDICTS
from backprop_study.cli import main
from backprop_study.reporting import figures, report, sectionbase
from backprop_study.study import aggregate, findings_cli
from backprop_study.study.curves_table import write_curves_table

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "report" / "study.html.j2"
# Enough of a PNG for inlining: signature and an IHDR chunk giving a width of 1300 px.
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x0dIHDR" + (1300).to_bytes(4, "big") + b"\0" * 8
FIGURE_NAMES = [f.name for f in figures.applicable(tiny_study().experiments)]
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:e[+-]\d+)?")


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    study = tiny_study()
    train_runs(study, root / "runs")
    runs = []
    for name, exp in study.experiments.items():
        t = aggregate.read_experiment(exp, root / "runs")
        (root / name).mkdir()
        t.final_weights.to_parquet(root / name / "final_weights.parquet")
        t.mechanism.to_parquet(root / name / "mechanism.parquet")
        t.curvature.to_parquet(root / name / "curvature.parquet")
        runs.append(t.runs)
    aggregate.union_runs_tables(runs).to_parquet(root / "runs.parquet")
    write_curves_table(study.run_ids(), root / "runs", root / "curves.parquet")
    (root / "figures").mkdir()
    for name in FIGURE_NAMES:
        (root / "figures" / f"{name}.png").write_bytes(PNG)
    names = list(TINY_CONFIG["experiments"])
    common = ["--study", json.dumps(TINY_CONFIG), "--runs-table", str(root / "runs.parquet")]
    assert main(["findings", "claims", *common,
                 "--final-weights", *[str(root / n / "final_weights.parquet") for n in names],
                 "--out", str(root / "claims.parquet"),
                 "--markdown-out", str(root / "claims.md")]) == 0  # fmt: skip
    assert main(["findings", "table", *common,
                 "--final-weights", *[str(root / n / "final_weights.parquet") for n in names],
                 "--mechanism", *[str(root / n / "mechanism.parquet") for n in names],
                 "--curvature", *[str(root / n / "curvature.parquet") for n in names],
                 "--curves", str(root / "curves.parquet"),
                 "--out", str(root / "findings.parquet")]) == 0  # fmt: skip
    return root


def _cli_args(tables: Path, out: Path) -> list[str]:
    return [
        "report", "--study", json.dumps(TINY_CONFIG), "--template", str(TEMPLATE),
        "--runs-table", str(tables / "runs.parquet"),
        "--claims", str(tables / "claims.parquet"),
        "--findings", str(tables / "findings.parquet"),
        "--figure", *[str(tables / "figures" / f"{n}.png") for n in FIGURE_NAMES],
        "--out", str(out),
    ]  # fmt: skip


def test_report_is_self_contained_and_complete(tables, tmp_path):
    out = tmp_path / "study.html"
    assert main(_cli_args(tables, out)) == 0
    html = out.read_text()
    # Self-contained: the figure is inlined and nothing is fetched from elsewhere.
    assert "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    # Every section of the seed's outline, the hidden codes and the claims, in that order.
    sections = ["model", "loss", "weight_decay", "encoding", "plateau", "why_plateau",
                "learning_rate", "batch_size", "weights", "codes", "claims",
                "settings"]  # fmt: skip
    positions = [html.index(f'<section id="{key}">') for key in sections]
    assert positions == sorted(positions)
    # Every figure, with its title, at one display scale (1300 px saved at 130 dpi → 950 px).
    for name in FIGURE_NAMES:
        assert f'id="fig-{name}"' in html
        assert figures.by_name(name).title in html
    assert html.count('width="950"') == len(FIGURE_NAMES)
    # Claims table (a row per claim), outcome tables and the settings used.
    for claim in ("lambda_plateau", "k_minus_1", "different_solutions"):
        assert f'id="claim-{claim}"' in html
    assert "epochs to solve, median [IQR]" in html
    assert html.count('class="finding"') >= 8
    # Section titles are words, never an experiment's key.
    titles = re.findall(r"<h2>(.*?)</h2>", html)
    assert not [t for t in titles if t in TINY_CONFIG["experiments"] or "_" in t]
    assert "epochs: 300" in html and "per_decade: 30" in html
    # The init-scale law, from the logged curves: the prediction, a slope per threshold, a verdict.
    findings = pd.read_parquet(tables / "findings.parquet").set_index("key")
    verdict = findings.loc["why_plateau.law.verdict", "text"]
    assert verdict in ("consistent", "inconsistent", "inconclusive", "outside the small-s regime")
    assert f"<strong>{verdict}</strong>" in html and "docs/plateau-theory.md" in html
    assert html.count("measured / predicted") >= 1


def test_final_weights_of_shared_runs_count_once(tables):
    names = list(TINY_CONFIG["experiments"])
    union = findings_cli.union_by_run([str(tables / n / "final_weights.parquet") for n in names])
    per_run = union.groupby("run_id").size()
    # One snapshot per run: 59 parameters for k (8-3-8), 52 for k-1 (7-3-7), 115 for 10-5-10.
    expected = [
        52 if rid.startswith("enc~k-1/") else 115 if "/classes~10/" in rid else 59
        for rid in per_run.index
    ]
    assert per_run.tolist() == expected
    assert set(union["run_id"]) == set(tiny_study().run_ids())


def test_claims_cover_the_seeds_sections(tables):
    claims = pd.read_parquet(tables / "claims.parquet")
    assert {"weight_decay", "encoding", "learning_rate", "batch_size"} <= set(claims["experiment"])
    assert claims["verdict"].notna().all()


def test_bad_study_json_is_one_line(tables, tmp_path, capsys):
    args = _cli_args(tables, tmp_path / "x.html")
    args[args.index("--study") + 1] = "{not json"
    assert main(args) == 2
    assert "--study" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


@pytest.fixture(scope="module")
def context(tables) -> dict:
    runs = pd.read_parquet(tables / "runs.parquet")
    pngs = {n: tables / "figures" / f"{n}.png" for n in FIGURE_NAMES}
    return report.build_context(TINY_CONFIG, runs, pngs, *_findings_tables(tables))


def _findings_tables(tables: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(tables / "claims.parquet"), pd.read_parquet(tables / "findings.parquet")


def _numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


@pytest.fixture(scope="module")
def sections_html(context) -> dict[str, str]:
    """Each section of the rendered report, by key."""
    html = report.render_report(TEMPLATE, context)
    parts = re.split(r'<section id="', html)[1:]
    return {p[: p.index('"')]: p for p in parts}


def _findings_of(section_html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", p)) for p in
            re.findall(r'<p class="finding">(.*?)</p>', section_html, flags=re.S)]  # fmt: skip


EXPERIMENT_SECTIONS = ["weight_decay", "encoding", "learning_rate", "batch_size", "init_scale",
                       "critical_lambda", "plateau", "codes", "weights"]  # fmt: skip


@pytest.mark.parametrize("key", EXPERIMENT_SECTIONS)
def test_findings_quote_the_numbers_of_their_tables(sections_html, key):
    """Every number in a section's finding is a cell of its table, or in its introduction, so
    findings cannot drift from the data."""
    body = sections_html[key]
    tables = "".join(re.findall(r"<table.*?</table>", body, flags=re.S))
    intro = body[: body.index("<table")] if "<table" in body else body
    allowed = _numbers(re.sub(r"<[^>]+>", " ", tables + intro)) | {f"{TINY_CONFIG['epochs']:,}"}
    findings = _findings_of(body)
    assert findings
    for finding in findings:
        finding = finding.split("Finding.")[-1]
        stray = _numbers(finding) - allowed
        assert not stray, f"{key}: {stray} not in its tables: {finding}"


def test_experiment_finding_reports_the_solve_counts_and_medians(sections_html, tables):
    runs = pd.read_parquet(tables / "runs.parquet")
    (finding,) = _findings_of(sections_html["learning_rate"])
    ids = {r.run_id for r in tiny_study().experiments["learning_rate"].runs()}
    exp = runs[runs["run_id"].isin(ids)]
    for alpha, group in exp.groupby("alpha"):
        solved = f"{group['first_solved'].notna().sum()}/{len(group)}"
        assert f"{solved} at α = {alpha:g}" in finding


def test_trend_words_follow_the_ratio_rule():
    assert trend_word(100, 200) == "grows"
    assert trend_word(200, 100) == "shrinks"
    assert trend_word(100, 110) == "changes little"
    assert trend_word(float("nan"), 1) == "changes little"


def test_sections_of_missing_experiments_are_left_out(tables):
    config = {
        **TINY_CONFIG,
        "experiments": {"learning_rate": TINY_CONFIG["experiments"]["learning_rate"]},
    }
    runs = pd.read_parquet(tables / "runs.parquet")
    ctx = report.build_context(config, runs, {}, *_findings_tables(tables))
    keys = [s["key"] for s in ctx["sections"]]
    assert keys == ["model", "loss", "learning_rate", "codes", "claims"]


def test_claim_evidence_splits_only_at_top_level_semicolons():
    text = "a: 1 of 2 (median 3; drift 0); b: 2 of 2"
    assert sectionbase.evidence_items(text) == ["a: 1 of 2 (median 3; drift 0)", "b: 2 of 2"]


def _provenance_rows(html: str) -> list[str]:
    settings = html[html.index('<p id="provenance">') :]
    body = settings[settings.index("<tbody>") : settings.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def test_settings_list_one_provenance_record_for_one_setup(context, tables):
    html = report.render_report(TEMPLATE, context)
    runs = pd.read_parquet(tables / "runs.parquet")
    (row,) = _provenance_rows(html)
    assert f"<td>{len(runs)}</td>" in row and f"<td>{runs['numpy'].iloc[0]}</td>" in row
    assert f"<td>{runs['fingerprint'].iloc[0]}</td>" in row and "<td>local</td>" in row
    assert 'class="warning"' not in html
    assert "minutes of training" not in html  # timings are not results: see provenance.json


def test_mixed_provenance_gives_two_groups_and_a_warning(tables):
    runs = pd.read_parquet(tables / "runs.parquet")
    slurm = runs.index[:3]
    runs.loc[slurm, "numba"] = "0.61.0"
    runs.loc[slurm, "executor"] = "slurm"
    runs.loc[slurm, "slurm_job_id"] = ["11", "11", "12"]
    context = report.build_context(TINY_CONFIG, runs, {}, *_findings_tables(tables))
    html = report.render_report(TEMPLATE, context)
    rows = _provenance_rows(html)
    assert len(rows) == 2
    assert f"<td>{len(runs) - 3}</td>" in rows[0] and "<td>local</td>" in rows[0]
    assert "<td>3</td>" in rows[1] and "<td>slurm (2 jobs)</td>" in rows[1]
    assert "<td>0.61.0</td>" in rows[1]
    (warning,) = re.findall(r'<p class="warning">(.*?)</p>', html, flags=re.S)
    assert "different versions or engine fingerprints" in warning and "0.61.0" in warning


def test_claims_table_has_a_row_per_claim_and_setting(context, tables):
    html = report.render_report(TEMPLATE, context)
    section = next(s for s in context["sections"] if s["key"] == "claims")
    claims = {c["claim"]: c for c in section["claims_table"]}
    # Never pooled: bias_dominates and different_solutions have one row per λ of their
    # experiment (tiny study: λ = 0 and 0.1).
    assert [r["compared"] for r in claims["bias_dominates"]["rows"]] == ["λ = 0", "λ = 0.1"]
    assert [r["compared"] for r in claims["different_solutions"]["rows"]] == ["λ = 0", "λ = 0.1"]
    for c in section["claims_table"]:
        for r in c["rows"]:
            assert r["verdict"] in VERDICTS
            if r["verdict"] in ("supported", "contradicted", "no effect"):
                assert "[" in r["effect"]  # an effect size with its interval
    body = html[html.index('<section id="claims">') : html.index('<section id="settings">')]
    assert "what the runs show instead" in body and "effect [95% CI]" in body
    assert body.count('<tr class="role-') == sum(len(c["rows"]) for c in section["claims_table"])
    assert "tie tolerance" in body


def test_collapse_is_named_in_the_weight_decay_section(sections_html, tables):
    runs = pd.read_parquet(tables / "runs.parquet")
    n = int(runs[(runs["lam"] == 0.1) & (runs["alpha"] == 0.5)]["collapsed"].sum())
    body = sections_html["weight_decay"]
    assert "<th>collapsed</th>" in body
    if n:
        (finding,) = _findings_of(body)
        assert "collapsed to the trivial network" in finding
        assert f"{n}/3 at λ = 0.1" in finding
