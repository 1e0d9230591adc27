"""The self-contained HTML study report: figures, comparison tables, claims and the settings used.

One file a reader can open anywhere (figures inlined as data URIs, no external assets), rendered
from a Jinja2 template in `report/` so its layout can change without touching code.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backprop_study.errors import ConfigError
from backprop_study.study import Experiment, load_study

if TYPE_CHECKING:
    import pandas as pd


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def claims_table(
    runs: pd.DataFrame,
    experiments: Mapping[str, Experiment],
    final_weights: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The seed's claims tested on the runs table (`claims.evaluate_claims`)."""
    from backprop_study import claims

    axes = {name: exp.to_grid() for name, exp in experiments.items()}
    return claims.evaluate_claims(runs, axes, final_weights)


def union_final_weights(tables: Sequence[pd.DataFrame]) -> pd.DataFrame | None:
    """Experiments' last-snapshot weights, each run once (runs two experiments share)."""
    import pandas as pd

    seen: set[str] = set()
    parts = []
    for table in tables:
        fresh = table[~table["run_id"].isin(seen)]
        seen.update(fresh["run_id"].unique())
        parts.append(fresh)
    return pd.concat(parts, ignore_index=True) if parts else None


def build_context(
    study_config: Mapping[str, Any],
    runs: pd.DataFrame,
    comparisons: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Path],
    final_weights: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain values (HTML tables already rendered)."""
    import yaml

    from backprop_study import figures as figure_specs
    from backprop_study.aggregate import COMPARISON_NOTE, comparison_display

    study = load_study(study_config)
    sections = []
    for name, exp in study.experiments.items():
        figs = [
            {
                "name": spec.name,
                "title": spec.title,
                "caption": spec.caption,
                "src": _data_uri(figures[spec.name]),
            }  # fmt: skip
            for spec in figure_specs.applicable(study.experiments)
            if spec.experiment == name and spec.name in figures
        ]
        table = comparisons.get(name)
        sections.append(
            {
                "name": name,
                "description": exp.description,
                "n_runs": len(exp.runs()),
                "n_seeds": len(exp.seeds),
                "compares": ", ".join(exp.varying_axes()) or "—",
                "figures": figs,
                "table": None
                if table is None
                else comparison_display(table).to_html(index=False, border=0, classes="table"),
            }
        )
    claims = claims_table(runs, study.experiments, final_weights)
    settings = {k: v for k, v in study_config.items() if k != "experiments"}
    return {
        "title": "Backpropagation on the 8-3-8 encoder: study report",
        "n_runs": len(runs),
        "n_diverged": int(runs["diverged"].sum()) if len(runs) else 0,
        "train_minutes": float(runs["wall_time_s"].sum()) / 60 if len(runs) else 0.0,
        "sections": sections,
        "comparison_note": COMPARISON_NOTE,
        "claims": claims.to_html(index=False, border=0, classes="table"),
        "settings_yaml": yaml.safe_dump(settings, sort_keys=False),
        "experiments_yaml": yaml.safe_dump(
            {"experiments": study_config["experiments"]}, sort_keys=False
        ),
    }


def render_report(template: Path, context: Mapping[str, Any]) -> str:
    """Render the Jinja2 template (autoescaped; pre-rendered tables are marked safe)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template.parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template(template.name).render(**context)


def _experiment_of(path: str) -> str:
    """results/tables/{experiment}/comparison.parquet → experiment."""
    return Path(path).parent.name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", required=True, help="the study config as JSON")
    parser.add_argument("--template", required=True, help="Jinja2 HTML template")
    parser.add_argument("--runs-table", required=True, help="the study's runs table (Parquet)")
    parser.add_argument("--comparison", nargs="*", default=[], help="experiments' comparisons")
    parser.add_argument("--final-weights", nargs="*", default=[], help="experiments' weights")
    parser.add_argument("--figure", nargs="*", default=[], help="figure PNGs (name = file stem)")
    parser.add_argument("--out", required=True, help="HTML file to write")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from backprop_study.aggregate import write_atomic

    try:
        study_config = json.loads(args.study)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--study: not valid JSON ({exc})") from None
    comparisons = {_experiment_of(p): pd.read_parquet(p) for p in args.comparison}
    figures = {Path(p).stem: Path(p) for p in args.figure}
    final_weights = union_final_weights([pd.read_parquet(p) for p in args.final_weights])
    runs = pd.read_parquet(args.runs_table)
    context = build_context(study_config, runs, comparisons, figures, final_weights)
    html = render_report(Path(args.template), context)
    write_atomic(args.out, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
    print(f"wrote {args.out} ({len(html) / 1e6:.1f} MB)")
    return 0
