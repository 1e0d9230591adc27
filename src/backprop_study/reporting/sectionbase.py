"""What every report section shares: the report's data, a section's dictionary for its
template, its figures and the few wording helpers."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from backprop_study.analysis.axes import symbol, value_text
from backprop_study.analysis.claims import select
from backprop_study.reporting import catalog as figure_specs
from backprop_study.study.grid import Study

DISPLAY_PX_PER_SAVED_PX = 95 / 130  # figures are saved at 130 dpi, shown at 95 px per inch


class Findings:
    """The findings table by key, for templates: `f['study.runs'].value`; a key the table lacks
    fails the rendering."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table.reset_index(drop=True)
        self.rows = {r.key: r for r in self.table.itertuples(index=False)}

    def __getitem__(self, key: str) -> Any:
        try:
            return self.rows[key]
        except KeyError:
            raise KeyError(f"the findings table has no row {key!r}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def under(self, prefix: str) -> list[Any]:
        """The rows whose key starts with `prefix`, in the table's order."""
        return [r for k, r in self.rows.items() if k.startswith(prefix)]

    def groups(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Rows of `prefix[<name>].<x>` grouped by name: {name: {x: row}}, in the table's
        order."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.under(prefix + "["):
            name, _, rest = row.key[len(prefix) + 1 :].partition("].")
            out.setdefault(name, {})[rest] = row
        return out


@dataclass
class ReportData:
    """Everything sections are built from."""

    study: Study
    runs: pd.DataFrame
    figures: dict[str, Path]
    claims: pd.DataFrame
    findings: Findings
    used_figures: set[str] = field(default_factory=set)

    def experiment_runs(self, name: str) -> pd.DataFrame:
        return select(self.runs, self.study.experiments[name].to_grid())

    @property
    def budget(self) -> int:
        return int(self.runs["epochs"].max()) if len(self.runs) else self.study.settings.epochs


def png_width(png: Path) -> int | None:
    """Pixel width from a PNG's header (None if the file is not a PNG)."""
    head = png.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big")


def figure_item(name: str, title: str, caption: str, png: Path) -> dict[str, Any]:
    """A figure for the template; shown at one scale for all, so every figure's text is the same
    size on screen (wide figures shrink to the page)."""
    width = png_width(png)
    return {
        "name": name,
        "title": title,
        "caption": caption,
        "src": "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii"),
        "width": round(width * DISPLAY_PX_PER_SAVED_PX) if width else None,
    }


def figures_of(data: ReportData, section: str) -> list[dict[str, Any]]:
    out = []
    for spec in figure_specs.applicable(data.study.experiments):
        if spec.report_section == section and spec.name in data.figures:
            data.used_figures.add(spec.name)
            out.append(figure_item(spec.name, spec.title, spec.caption, data.figures[spec.name]))
    return out


def html_table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="table", escape=True)


def section(
    key: str,
    title: str,
    intro: str,
    data: ReportData,
    table: pd.DataFrame | None = None,
    note: str = "",
    finding: str = "",
    claims: Sequence[str] = (),
    template: str = "tabled",
) -> dict[str, Any]:
    """A section for its template (`report/sections/<template>.html.j2`)."""
    rows = data.claims[data.claims["claim"].isin(list(claims))] if len(claims) else None
    return {
        "key": key,
        "title": title,
        "template": template,
        "intro": intro,
        "figures": figures_of(data, key),
        "table": None if table is None else html_table(table),
        "table_note": note,
        "finding": finding,
        "claims": [] if rows is None else grouped_claims(rows),
    }


def grouped_claims(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Claim rows grouped by claim, in order: statement, the seed's words and rule once, then one
    row per compared settings and measure (primary first, then its explanation and secondary
    rows)."""
    out: list[dict[str, Any]] = []
    for r in rows.itertuples():
        if not out or out[-1]["claim"] != r.claim:
            out.append(
                {
                    "claim": r.claim,
                    "statement": r.statement,
                    "wording": r.wording,
                    "rule": r.rule,
                    "rows": [],
                }
            )
        out[-1]["rows"].append(
            {
                "compared": r.compared,
                "role": r.role,
                "verdict": r.verdict,
                "verdict_text": r.verdict_text,
                "effect": r.effect,
                "measure": r.measure,
                "p": "—" if r.p != r.p else f"{r.p:.2g}",
                "test": r.test,
                "n": int(r.n),
                "resolution": r.resolution,
                "robustness": "" if r.seed_robustness != r.seed_robustness else r.subset_verdicts,
                "instead": r.instead,
                "evidence": evidence_items(str(r.evidence)),
                "stable": r.tie_stability,
            }
        )
    return out


def evidence_items(evidence: str) -> list[str]:
    """A claim's evidence split at its top-level "; " (not inside parentheses), one per item."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(evidence):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and evidence.startswith("; ", i):
            items.append(evidence[start:i])
            start = i + 2
    items.append(evidence[start:])
    return [item.strip() for item in items if item.strip()]


def value(axis: str, v: Any) -> str:
    return value_text(axis, None if pd.isna(v) else v)


def at(axis: str, v: Any) -> str:
    return f"{symbol(axis)} = {value(axis, v)}"


def join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
