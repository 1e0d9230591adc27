"""The sections of the experiments that sweep one setting (weight decay, encoding, learning
rate, batch size, and any experiment no other section reports): their titles and the claims
they test. A finding's wording is chosen by stated rules (`findings.trend_word`), never written
for a result.
"""

from __future__ import annotations

from typing import Any

from backprop_study.analysis.axes import axis
from backprop_study.reporting.sectionbase import ReportData, join, section
from backprop_study.study.display import OUTCOME_NOTE

# section title and the claims its experiment tests; what the seed said is the template's
EXPERIMENT_SECTIONS = {
    "weight_decay": ("Weight decay λ", ("lambda_drop", "lambda_plateau", "lambda_slows")),
    "encoding": ("Classes: k against k-1", ("k_minus_1",)),
    "learning_rate": ("Learning rate α", ("alpha_plateau", "alpha_succeeds")),
    "batch_size": ("Batch size", ("batch_one",)),
    "init_scale": ("Initial weight scale s", ()),
    "critical_lambda": ("Critical weight decay: the fine λ sweep", ()),
}


def section_title(name: str, axes: list[str]) -> str:
    """An experiment's section title in words: its own, or the settings it sweeps."""
    if name in EXPERIMENT_SECTIONS:
        return EXPERIMENT_SECTIONS[name][0]
    return "Experiment on " + join([axis(a).title for a in axes])


def experiment_section(data: ReportData, name: str) -> dict[str, Any]:
    """An experiment's section: its outcome table and finding are findings rows
    (`study.outcome_findings`), its words `report/sections/experiment.html.j2`."""
    exp = data.study.experiments[name]
    axes = exp.varying_axes() or ["encoding"]
    title, claim_ids = EXPERIMENT_SECTIONS.get(name, (section_title(name, axes), ()))
    out = section(name, title, "", data, claims=claim_ids, template="experiment")
    out |= {"name": name, "note": OUTCOME_NOTE}
    return out
