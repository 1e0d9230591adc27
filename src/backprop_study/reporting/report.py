"""The self-contained HTML study report: loads the study's tables, selects each section's rows
and renders `report/study.html.j2` with one partial per section (`report/sections/`).

One file a reader can open anywhere (figures inlined as data URIs). The claims come from
`tables/claims.parquet` and the numbers of the templated sections from `tables/findings.parquet`;
a template that names a value the context lacks fails the rendering (StrictUndefined).

Sections follow the 2020 report: model, loss, weight decay, k against k-1, the plateau (and why),
learning rate, batch size, weights; then the hidden codes, the remedies, the benchmarks and the
claims. A section whose experiment is not in the study is left out; an experiment no section
knows gets a section of its own.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import yaml

from backprop_study.analysis.axes import symbol
from backprop_study.analysis.classic import EXPERIMENTS as CLASSIC_EXPERIMENTS
from backprop_study.analysis.findings import number_text
from backprop_study.analysis.remedies import EXPERIMENTS as REMEDY_EXPERIMENTS
from backprop_study.analysis.why_plateau import POINT_CURVATURE, POINT_MEASURES
from backprop_study.engine.errors import ConfigError, RunFileError
from backprop_study.engine.runfiles import replace_atomic
from backprop_study.reporting import catalog as figure_specs
from backprop_study.reporting.experiment_sections import experiment_section
from backprop_study.reporting.remedy_figures import OPTIMIZER_TEXT, published
from backprop_study.reporting.sectionbase import (
    Findings,
    ReportData,
    figure_item,
    figures_of,
    grouped_claims,
    html_table,
    join,
    section,
)
from backprop_study.study import provenance
from backprop_study.study.config import load_study

TITLE = "Backpropagation on the 8-3-8 encoder: study report"


def templated(
    key: str, title: str, *figure_sections: str, claims: tuple[str, ...] = ()
) -> Callable[[ReportData], dict]:
    """A section whose sentences are its template's (`report/sections/<key>.html.j2`)."""

    def build(data: ReportData) -> dict[str, Any]:
        out = section(key, title, "", data, claims=claims, template=key)
        for name in figure_sections:
            out["figures"] += figures_of(data, name)
        return out

    return build


def model_section(data: ReportData) -> dict[str, Any]:
    s = data.study.settings
    rows = []
    for enc in sorted({e for exp in data.study.experiments.values() for e in exp.encoding}):
        n = s.classes if enc == "k" else s.classes - 1
        weights = 2 * n * s.hidden
        rows.append(
            {
                "encoding": enc,
                "input = output units": n,
                "hidden units": s.hidden,
                "patterns": s.classes,
                "weights (penalised)": weights,
                "biases": s.hidden + n,
                "parameters": weights + s.hidden + n,
                "runs": int((data.runs["encoding"] == enc).sum()),
            }
        )
    out = section("model", "The model", "", data, pd.DataFrame(rows), template="model")
    return out


def claims_section(data: ReportData) -> dict[str, Any]:
    out = section("claims", "The report's claims, tested", "", data, template="claims")
    claims = data.claims
    primary = claims[claims["role"] == "primary"]
    moved = claims[claims["tie_stability"] != ""]
    out |= {
        "n_claims": claims["claim"].nunique(),
        "n_rows": len(primary),
        "n_other": len(claims) - len(primary),
        "counts": list(primary["verdict_text"].value_counts().items()),
        "undecided": list(
            primary.loc[primary["seeds_needed"].notna(), ["claim", "compared", "seeds_needed"]]
            .astype({"seeds_needed": int})
            .itertuples(index=False)
        ),
        "moved": list(moved[["claim", "compared", "tie_stability"]].itertuples(index=False)),
        "margin": float(claims["margin"].iloc[0]) if len(claims) else 0.0,
        "significance": float(claims["significance"].iloc[0]) if len(claims) else 0.0,
        "claims_table": grouped_claims(claims),
    }
    return out


# (section key, builder, experiments it needs)
SECTIONS: list[tuple[str, Callable[[ReportData], dict[str, Any]], tuple[str, ...]]] = [
    ("model", model_section, ()),
    ("loss", templated("loss", "The loss"), ()),
    ("weight_decay", lambda d: experiment_section(d, "weight_decay"), ("weight_decay",)),
    ("encoding", lambda d: experiment_section(d, "encoding"), ("encoding",)),
    ("plateau", templated("plateau", "The plateau", claims=("bias_dominates",)), ("weight_decay",)),
    ("why_plateau", templated("why_plateau", "Why the plateau"), ("init_scale", "critical_lambda")),
    ("learning_rate", lambda d: experiment_section(d, "learning_rate"), ("learning_rate",)),
    ("batch_size", lambda d: experiment_section(d, "batch_size"), ("batch_size",)),
    ("weights", templated("weights", "The weights", claims=("different_solutions",)), ("weights",)),
    ("codes", templated("codes", "Hidden codes"), ()),
    ("remedies", templated("remedies", "What shortens the plateau", "remedy_controls"),
     ("remedies",)),
    ("benchmarks", templated("benchmarks", "Classic encoder benchmarks", "benchmark_rprop",
                             "benchmark_mitchell"), ("benchmark_rprop",)),
]  # fmt: skip


def build_sections(data: ReportData) -> list[dict[str, Any]]:
    """The report's sections in the seed's order, then other experiments, then the claims."""
    sections = [
        build(data)
        for _, build, needs in SECTIONS
        if all(n in data.study.experiments for n in needs)
    ]
    known = {key for key, _, _ in SECTIONS} | set(REMEDY_EXPERIMENTS) | set(CLASSIC_EXPERIMENTS)
    for name in data.study.experiments:
        if name not in known:
            sections.append(experiment_section(data, name))
    leftovers = [f for f in data.figures if f not in data.used_figures]
    if leftovers:
        extra = section("other_figures", "Other figures", "", data)
        extra["figures"] = []
        for name in leftovers:
            try:
                spec = figure_specs.by_name(name, data.study.experiments)
                title, caption = spec.title, spec.caption
            except ConfigError:
                title, caption = name, ""
            extra["figures"].append(figure_item(name, title, caption, data.figures[name]))
        sections.append(extra)
    sections.append(claims_section(data))
    return sections


def build_context(
    study_config: Mapping[str, Any],
    runs: pd.DataFrame,
    figures: Mapping[str, Path],
    claims: pd.DataFrame,
    findings: pd.DataFrame,
) -> dict[str, Any]:
    """Everything the templates show, as plain values (HTML tables already rendered)."""
    study = load_study(study_config)
    data = ReportData(
        study=study,
        runs=runs,
        figures=dict(figures),
        claims=claims,
        findings=Findings(findings),
    )
    settings = {k: v for k, v in study_config.items() if k != "experiments"}
    origin = provenance.summarise(runs)
    dump = {"sort_keys": False, "allow_unicode": True, "default_flow_style": None}
    return {
        "title": TITLE,
        "f": data.findings,
        "settings": study.settings,
        "experiments": study.experiments,
        "published": published(),
        "optimizer_text": OPTIMIZER_TEXT,
        "point_measures": POINT_MEASURES + POINT_CURVATURE,
        "symbol": symbol,
        "sections": build_sections(data),
        "provenance_table": html_table(provenance.display(origin.groups)),
        "provenance_warnings": origin.warnings,
        "settings_yaml": yaml.safe_dump(settings, **dump),
        "experiments_yaml": yaml.safe_dump({"experiments": study_config["experiments"]}, **dump),
    }


def count(x: float) -> str:
    """A whole number with thousands separators, rounded: 800000.0 → `800,000`."""
    return "—" if x != x else f"{x:,.0f}"


def environment(folder: Path) -> jinja2.Environment:
    """The templates' environment: autoescaped, strict, with the one number formatter."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["num"] = number_text
    env.filters["count"] = count
    env.filters["join_and"] = join
    env.filters["symbol"] = symbol
    return env


def render_report(template: Path, context: Mapping[str, Any]) -> str:
    """Render the page template and its section partials (beside it, in `sections/`)."""
    return environment(template.parent).get_template(template.name).render(**context)


def read_table(path: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise RunFileError(f"{path}: cannot read table ({exc})") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", required=True, help="the study config as JSON")
    parser.add_argument("--template", required=True, help="Jinja2 HTML template")
    parser.add_argument("--runs-table", required=True, help="the study's runs table (Parquet)")
    parser.add_argument("--claims", required=True, help="the claims table (Parquet)")
    parser.add_argument("--findings", required=True, help="the findings table (Parquet)")
    parser.add_argument("--figure", nargs="*", default=[], help="figure PNGs (name = file stem)")
    parser.add_argument("--out", required=True, help="HTML file to write")


def run(args: argparse.Namespace) -> int:
    try:
        study_config = json.loads(args.study)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--study: not valid JSON ({exc})") from None
    context = build_context(
        study_config,
        read_table(args.runs_table),
        {Path(p).stem: Path(p) for p in args.figure},
        read_table(args.claims),
        read_table(args.findings),
    )
    html = render_report(Path(args.template), context)
    replace_atomic(Path(args.out), lambda tmp: tmp.write_text(html, encoding="utf-8"))
    print(f"wrote {args.out} ({len(html) / 1e6:.1f} MB)")
    return 0
