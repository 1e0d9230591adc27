"""The sections of the experiments that sweep one setting (weight decay, encoding, learning
rate, batch size, and any experiment no other section reports): their titles, what the seed
said, the claims they test. A finding's wording is chosen by stated rules
(`findings.trend_word`), never written for a result.
"""

from __future__ import annotations

from typing import Any

from backprop_study.analysis.axes import axis
from backprop_study.reporting.sectionbase import ReportData, join, section
from backprop_study.study.aggregate import OUTCOME_NOTE

EXPERIMENT_SECTIONS = {
    "weight_decay": (
        "Weight decay λ",
        "The seed (§6, Figs 4-6): the smaller λ, the faster the "
        "loss drops and the sooner the plateau is overcome; weight decay works "
        "against the model on this problem.",
        ("lambda_drop", "lambda_plateau", "lambda_slows"),
    ),
    "encoding": (
        "Classes: k against k-1",
        "The seed (§7, Fig 7): the k-1 encoding passes the "
        "plateau far sooner than k and ends at a lower loss, perhaps because it has 52 "
        "instead of 59 parameters.",
        ("k_minus_1",),
    ),
    "learning_rate": (
        "Learning rate α",
        "The seed (§9, Fig 9): a larger α shortens or removes "
        "the plateau; α as high as 5 still finds a solution.",
        ("alpha_plateau", "alpha_succeeds"),
    ),
    "batch_size": (
        "Batch size",
        "The seed (§10, Fig 10): batch size 1 converges in far fewer epochs than the full batch.",
        ("batch_one",),
    ),
    "init_scale": ("Initial weight scale s", "", ()),
    "critical_lambda": ("Critical weight decay: the fine λ sweep", "", ()),
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
    title, seed_says, claim_ids = EXPERIMENT_SECTIONS.get(name, (section_title(name, axes), "", ()))
    out = section(name, title, "", data, claims=claim_ids, template="experiment")
    out |= {"name": name, "seed_says": seed_says, "note": OUTCOME_NOTE}
    return out
