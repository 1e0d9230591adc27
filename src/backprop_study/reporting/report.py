"""The self-contained HTML study report: the seed's outline, each section with its figures, its
table and a finding written from that table; then the claims and the settings used.

One file a reader can open anywhere (figures inlined as data URIs, no external assets), rendered
from a Jinja2 template in `report/` so its layout can change without touching code.

Sections follow the 2020 report: model, loss, weight decay, k against k-1, the plateau (and why:
its mechanism and curvature, `plateau`), learning rate, batch size, weights; then the hidden
codes and the claims. A section whose experiment is
not in the study is left out; an experiment no section knows gets a section of its own. Findings
are generated: every number in them is formatted by the same function as the table cell it comes
from, and their wording is chosen by stated rules (`trend_word`), never written for a result.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backprop_study.analysis.axes import config_columns, format_number, symbol, value_text
from backprop_study.engine.errors import ConfigError
from backprop_study.reporting import remedies
from backprop_study.study import provenance
from backprop_study.study.config import load_study
from backprop_study.study.grid import Experiment, Study

if TYPE_CHECKING:
    import pandas as pd

TREND_RATIO = 1.25  # medians differing by less than this factor "change little"


DISPLAY_PX_PER_SAVED_PX = 95 / 130  # figures are saved at 130 dpi, shown at 95 px per inch


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def png_width(png: Path) -> int | None:
    """Pixel width from a PNG's header (None if the file is not a PNG)."""
    head = png.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big")


def _figure_item(name: str, title: str, caption: str, png: Path) -> dict[str, Any]:
    """A figure for the template; shown at one scale for all, so every figure's text is the same
    size on screen (wide figures shrink to the page)."""
    width = png_width(png)
    return {
        "name": name,
        "title": title,
        "caption": caption,
        "src": _data_uri(png),
        "width": round(width * DISPLAY_PX_PER_SAVED_PX) if width else None,
    }


def claims_table(
    runs: pd.DataFrame,
    experiments: Mapping[str, Experiment],
    final_weights: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The seed's claims tested on the runs table, one row per claim and setting
    (`claims.evaluate_claims`), with `tie_stability`: '' when the verdict does not move as the tie
    tolerance goes from 0 to 2 times each measure's resolution."""
    from backprop_study.analysis import claims

    axes = {name: exp.to_grid() for name, exp in experiments.items()}
    return claims.claims_with_stability(runs, axes, final_weights)


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


# ---------------------------------------------------------------------------------------------
# Wording rules


def trend_word(first: float, last: float, ratio: float = TREND_RATIO) -> str:
    """`grows`, `shrinks` or `changes little` from the first to the last median."""
    if not (math.isfinite(first) and math.isfinite(last)):
        return "changes little"
    lo, hi = sorted((abs(first), abs(last)))
    if hi <= lo * ratio or hi == 0:
        return "changes little"
    return "grows" if last > first else "shrinks"


def _value(axis: str, v: Any) -> str:
    import pandas as pd

    return value_text(axis, None if pd.isna(v) else v)


def _at(axis: str, v: Any) -> str:
    return f"{symbol(axis)} = {_value(axis, v)}"


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# ---------------------------------------------------------------------------------------------
# The report's data and its sections


@dataclass
class ReportData:
    """Everything sections are built from."""

    study: Study
    runs: pd.DataFrame
    figures: dict[str, Path]
    claims: pd.DataFrame
    final_weights: pd.DataFrame | None = None
    used_figures: set[str] = field(default_factory=set)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # mechanism, curvature

    def experiment_runs(self, name: str) -> pd.DataFrame:
        from backprop_study.analysis.claims import select

        return select(self.runs, self.study.experiments[name].to_grid())

    @property
    def budget(self) -> int:
        return int(self.runs["epochs"].max()) if len(self.runs) else self.study.settings.epochs


def _figures_of(data: ReportData, section: str) -> list[dict[str, str]]:
    from backprop_study.reporting import figures as figure_specs

    out = []
    for spec in figure_specs.applicable(data.study.experiments):
        if spec.report_section == section and spec.name in data.figures:
            data.used_figures.add(spec.name)
            out.append(_figure_item(spec.name, spec.title, spec.caption, data.figures[spec.name]))
    return out


def _html_table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="table", escape=True)


def _section(
    key: str,
    title: str,
    intro: str,
    data: ReportData,
    table: pd.DataFrame | None = None,
    note: str = "",
    finding: str = "",
    claims: Sequence[str] = (),
) -> dict[str, Any]:
    claim_rows = data.claims[data.claims["claim"].isin(list(claims))] if len(claims) else None
    return {
        "key": key,
        "title": title,
        "intro": intro,
        "figures": _figures_of(data, key),
        "table": None if table is None else _html_table(table),
        "table_note": note,
        "finding": finding,
        "claims_table": [],
        "claims": [] if claim_rows is None else grouped_claims(claim_rows),
    }


def grouped_claims(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Claim rows grouped by claim, in order: statement and rule once, then one row per
    setting."""
    out: list[dict[str, Any]] = []
    for r in rows.itertuples():
        if not out or out[-1]["claim"] != r.claim:
            out.append({"claim": r.claim, "statement": r.statement, "rule": r.rule, "rows": []})
        stable = getattr(r, "tie_stability", "")
        out[-1]["rows"].append(
            {
                "setting": r.setting,
                "verdict": r.verdict,
                "effect": r.effect,
                "measure": r.measure,
                "p": "—" if r.p != r.p else f"{r.p:.2g}",
                "test": r.test,
                "n": int(r.n),
                "instead": r.instead,
                "evidence": evidence_items(str(r.evidence)),
                "stable": stable,
            }
        )
    return out


def model_section(data: ReportData) -> dict[str, Any]:
    import pandas as pd

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
    intro = (
        f"An n → {s.hidden} → n encoder with sigmoid hidden and output units and a bias on both "
        f"layers learns to reproduce its input. With the k encoding the {s.classes} classes are "
        f"the one-hot vectors of length {s.classes}; with k-1, class 0 is the all-zeros vector "
        f"and class i ≥ 1 is the one-hot vector of length {s.classes - 1}. Every weight and bias "
        f"starts ~ N(0, {format_number(s.init_std)}²), drawn from the run's seed alone, so one "
        f"seed gives the same initial network for every λ, α and batch size. Each run trains "
        f"{s.epochs:,} epochs of plain gradient descent unless its section says otherwise. "
        f"{budget_sentence(data)}"
    )
    return _section("model", "The model", intro, data, table=pd.DataFrame(rows))


def budget_sentence(data: ReportData) -> str:
    """How the base setting (k, λ = 0, the smallest α, the full batch) fares at this budget and
    at the seed's 400,000 epochs."""
    import numpy as np

    from backprop_study.analysis.convergence import as_times
    from backprop_study.reporting.figbase import SEED_BUDGET

    runs = data.runs
    if runs.empty or not {"lam", "alpha", "batch_size"} <= set(runs.columns):
        return ""
    base = runs[
        (runs["encoding"] == "k")
        & (runs["lam"] == 0)
        & (runs["alpha"] == runs["alpha"].min())
        & (runs["batch_size"] == runs["batch_size"].max())
    ]
    if base.empty:
        return ""
    t = as_times(base["first_solved"])
    setting = f"α = {format_number(float(base['alpha'].iloc[0]))}"
    return (
        f"The budget is chosen so that the base setting (k, λ = 0, {setting}, batch size "
        f"{int(base['batch_size'].iloc[0])}) solves: {int(np.isfinite(t).sum())} of {len(t)} "
        f"seeds do within it, against {int((t <= SEED_BUDGET).sum())} of {len(t)} within the "
        f"seed's {SEED_BUDGET:,} epochs (marked in the figures). A run that has not solved at "
        "the budget is reported as censored, never as a property of its setting."
    )


def loss_section(data: ReportData) -> dict[str, Any]:
    intro = (
        "J(W, b) = (1/m) Σᵢ ½‖h(xᵢ) − yᵢ‖² + (λ/2) Σ W², the seed's (UFLDL) loss: a data term "
        "over the m patterns and a weight-decay penalty on the weights (biases not penalised). "
        "Runs record both terms separately. A pattern is correct when it decodes to its class; "
        "the task is solved when every output is within 0.4 of its target (the 40-20-40 rule), "
        "checked every epoch. A run that never solves within its budget is censored: its time "
        "to solve is only known to exceed the budget, and tables mark such values with ≥."
    )
    return _section("loss", "The loss", intro, data)


def experiment_finding(
    outcomes: pd.DataFrame, display: pd.DataFrame, axis: str, budget: int
) -> str:
    """Two to four sentences on an experiment's outcome table, numbers as in `display`."""
    col = symbol(axis)
    levels = outcomes[axis].tolist()
    solved = display["solved"].tolist()
    sentences = [
        f"Seeds that solved within the {budget:,}-epoch budget: "
        + _join([f"{s} at {_at(axis, v)}" for v, s in zip(levels, solved, strict=True)])
        + "."
    ]
    solve = display["epochs to solve, median [IQR]"].str.split(" \\[").str[0].tolist()
    observed = ~outcomes["solve_median_censored"].to_numpy(dtype=bool)
    if observed.any():
        med = outcomes["solve_median"].where(observed)
        fast, slow = int(med.idxmin()), int(outcomes["solve_median"].idxmax())
        if fast != slow:
            sentences.append(
                f"The median run solved fastest at {_at(axis, levels[fast])} ({solve[fast]} "
                f"epochs) and slowest at {_at(axis, levels[slow])} ({solve[slow]})."
            )
        else:
            sentences.append(f"The median run solved in {solve[fast]} epochs.")
    else:
        sentences.append(f"At no {col} did the median run solve within the budget.")
    plateau = display["plateau length (epochs), median [IQR]"].str.split(" \\[").str[0].tolist()
    if len(levels) > 1:
        word = trend_word(outcomes["plateau_median"].iloc[0], outcomes["plateau_median"].iloc[-1])
        sentences.append(
            f"The median plateau {word} from {plateau[0]} epochs at {_at(axis, levels[0])} to "
            f"{plateau[-1]} at {_at(axis, levels[-1])}"
            + (" (≥: never left within the budget)." if "≥" in plateau[-1] else ".")
        )
    flow = {
        "alpha": ("plateau length in t (α·updates), median [IQR]", "plateau_median", "plateau"),
        "batch_size": ("t to solve (α·updates), median [IQR]", "solve_median", "time to solve"),
    }.get(axis)
    if flow and flow[0] in display.columns and len(levels) > 1:
        column, key, what = flow
        values = display[column].str.split(" \\[").str[0].tolist()
        scale = outcomes["flow_per_epoch"]
        scaled = (outcomes[key] * scale).to_numpy()
        word = trend_word(scaled[0], scaled[-1])
        raw_key = outcomes[key].to_numpy()
        link = "Also" if trend_word(raw_key[0], raw_key[-1]) == word else "But"
        sentences.append(
            f"{link} in gradient-flow time t = α·updates the median {what} {word}: {values[0]} "
            f"at {_at(axis, levels[0])}, {values[-1]} at {_at(axis, levels[-1])}."
        )
    if "collapsed" in display.columns and outcomes["n_collapsed"].sum() > 0:
        hit = [(v, c) for v, c in zip(levels, display["collapsed"], strict=True) if c[0] != "0"]
        sentences.append(
            "Runs that collapsed to the trivial network (every weight near zero, every output "
            "the class mean, never solving): "
            + _join([f"{c} at {_at(axis, v)}" for v, c in hit])
            + "."
        )
    return " ".join(sentences)


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
}


def experiment_section(data: ReportData, name: str) -> dict[str, Any]:
    from backprop_study.study.aggregate import OUTCOME_NOTE, outcome_display, outcome_table

    exp = data.study.experiments[name]
    title, seed_says, claim_ids = EXPERIMENT_SECTIONS.get(name, (name, "", ()))
    axes = exp.varying_axes() or ["encoding"]
    runs = data.experiment_runs(name)
    outcomes = outcome_table(runs, axes) if len(runs) else None
    intro = (
        f"{exp.description} {len(exp.runs())} runs: {_join([symbol(a) for a in axes])} × "
        f"{len(exp.seeds)} seeds. {seed_says}"
    ).strip()
    if outcomes is None or outcomes.empty:
        return _section(name, title, intro, data, finding="No runs of this experiment.")
    display = outcome_display(outcomes, axes)
    finding = experiment_finding(outcomes, display, axes[0], data.budget) if len(axes) == 1 else ""
    return _section(name, title, intro, data, display, OUTCOME_NOTE, finding, claim_ids)


def _count(mask: pd.Series) -> str:
    return str(int(mask.sum()))


def mean_target_loss(classes: int) -> float:
    """Data loss of a k-encoded network that outputs the mean target 1/k for every pattern."""
    return 0.5 * (classes - 1) / classes


def plateau_section(data: ReportData, name: str = "weight_decay") -> dict[str, Any]:
    import pandas as pd

    from backprop_study.study.aggregate import format_value

    exp = data.study.experiments[name]
    runs = data.experiment_runs(name)
    axes = exp.varying_axes() or ["encoding"]
    groups = [
        (dict(zip(axes, k if isinstance(k, tuple) else (k,), strict=True)), g)
        for k, g in runs.groupby(axes, sort=True)
    ]
    rows = []
    for config, g in groups:

        def med(col: str, g=g) -> str:
            return format_value(float(g[col].median())) if col in g else "—"

        collapsed = int(g["collapsed"].sum()) if "collapsed" in g else 0
        rows.append(
            {
                **{symbol(a): _value(a, v) for a, v in config.items()},
                "runs": len(g),
                "collapsed": f"{collapsed}/{len(g)}",
                "plateau found / left": f"{int(g['plateau_found'].sum())} / "
                f"{int(g['plateau_left'].sum())}",
                "plateau level (objective), median": med("plateau_level"),
                "in plateau: runs with bias ratio > 1": _count(g["bias_ratio_plateau"] > 1)
                + f"/{int(g['bias_ratio_plateau'].notna().sum())}",
                "bias ratio in plateau, median": med("bias_ratio_plateau"),
                "… hidden layer": med("bias_ratio_plateau_hidden"),
                "… output layer": med("bias_ratio_plateau_output"),
                "mean |weight| input → hidden in plateau, median": med("weight_abs_plateau_hidden"),
                "bias ratio at the end, median": med("bias_ratio_end"),
            }
        )
    table = pd.DataFrame(rows)
    k = data.study.settings.classes
    intro = (
        "The seed (§8, Fig 8): the plateau is a sub-optimal point where the bias weights are much "
        "larger than the others, and a small learning rate keeps the other weights from moving. "
        f"A network that outputs the mean target 1/k for every pattern has data loss "
        f"½(k − 1)/k = {format_value(mean_target_loss(k))} for k = {k}. Bias ratio = mean |bias| "
        "/ mean |non-bias weight|, at the snapshot nearest the plateau's log-middle. One row per "
        f"setting: nothing is pooled across {_join([symbol(a) for a in axes])}. Initial weights "
        f"~ N(0, {format_number(data.study.settings.init_std)}²)."
    )
    if runs.empty:
        return _section("plateau", "The plateau", intro, data, table, finding="No runs.")
    learn = [i for i, r in table.iterrows() if r["collapsed"].startswith("0/")]
    gone = [i for i in table.index if i not in learn]

    def where(i: int) -> str:
        return ", ".join(f"{symbol(a)} = {table.loc[i, symbol(a)]}" for a in axes)

    sentences = []
    if learn:
        first = learn[0]
        sentences.append(
            "Where the networks learn, the biases are larger than the other weights inside the "
            "plateau: "
            + _join(
                [
                    f"{table.loc[i, 'in plateau: runs with bias ratio > 1']} runs at {where(i)} "
                    f"(median ratio {table.loc[i, 'bias ratio in plateau, median']})"
                    for i in learn
                ]
            )
            + "."
        )
        row = table.loc[first]
        sentences.append(
            f"At {where(first)} the plateau sits at {row['plateau level (objective), median']} "
            "while the input → hidden weights are still at their initial size (mean |weight| "
            f"{row['mean |weight| input → hidden in plateau, median']}): the ratio is large "
            "because those weights have not grown yet."
        )
    if gone:
        sentences.append(
            "At "
            + _join([where(i) for i in gone])
            + " the runs collapse ("
            + _join([table.loc[i, "collapsed"] for i in gone])
            + "): the plateau is the trivial network itself and the ratio (median "
            + _join([table.loc[i, "bias ratio at the end, median"] for i in gone])
            + " at the end) divides by weights on their way to zero."
        )
    return _section(
        "plateau",
        "The plateau",
        intro,
        data,
        table,
        "Collapsed: runs that end at (or head to) the trivial network.",
        " ".join(sentences),
        ("bias_dominates",),
    )


def why_plateau_section(data: ReportData) -> dict[str, Any]:
    """Issue 11: the plateau's mechanism, its curvature and two predictions (`plateau`)."""
    from backprop_study.reporting.plateau import why_plateau

    parts = why_plateau(
        data.experiment_runs("init_scale"),
        data.experiment_runs("critical_lambda"),
        data.tables,
        data.study.settings.classes,
    )
    section = _section(
        "why_plateau", "Why the plateau", parts.intro, data, parts.table, parts.note, parts.finding
    )
    section["extra_tables"] = [
        {"title": title, "html": _html_table(df)} for title, df in parts.extra_tables
    ]
    section["findings"] = parts.findings
    section["related"] = parts.related
    return section


def pairwise_distances(final_weights: pd.DataFrame, run_ids: Sequence[str]) -> dict[str, float]:
    """Per run: aligned relative distance (`weightstats.aligned_distance`) to the nearest other
    run of `run_ids` at the last snapshot (NaN if it has no other run)."""
    from backprop_study.analysis import weightstats

    params = {
        rid: weightstats.params_at(w)
        for rid, w in final_weights.groupby("run_id")
        if rid in set(run_ids)
    }
    ids = sorted(params)
    matrix = weightstats.distance_matrix([params[rid] for rid in ids])
    nearest = {rid: math.inf for rid in params}
    for i, j in itertools.combinations(range(len(ids)), 2):
        a, b, d = ids[i], ids[j], float(matrix[i, j])
        nearest[a], nearest[b] = min(nearest[a], d), min(nearest[b], d)
    return {rid: (d if math.isfinite(d) else math.nan) for rid, d in nearest.items()}


def weights_section(data: ReportData, name: str = "weights") -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from backprop_study.analysis.testers import DIFFERENT_DISTANCE
    from backprop_study.study.aggregate import format_value

    exp = data.study.experiments[name]
    axes = exp.varying_axes()
    runs = data.experiment_runs(name).sort_values([*axes, "seed"])
    fw = data.final_weights
    rows, summaries = [], []
    for key, g in runs.groupby(axes or ["encoding"], sort=True, dropna=False):
        config = dict(zip(axes, key if isinstance(key, tuple) else (key,), strict=False))
        named = {symbol(a): _value(a, v) for a, v in config.items()}
        distances = pairwise_distances(fw, g["run_id"].tolist()) if fw is not None else {}
        part = []
        for r in g.itertuples():
            w = fw[fw["run_id"] == r.run_id] if fw is not None else None

            def mag(bias: bool, w: pd.DataFrame | None = w) -> str:
                if w is None or not len(w):
                    return "—"
                return format_value(float(w[w["is_bias"] == bias]["value"].abs().mean()))

            part.append(
                {
                    **named,
                    "run": f"seed {r.seed}",
                    "collapsed": "yes" if bool(getattr(r, "collapsed", False)) else "no",
                    "solved at": "never" if pd.isna(r.first_solved) else f"{int(r.first_solved):,}",
                    "final data loss": format_value(r.final_data_loss),
                    "mean |weight|": mag(False),
                    "mean |bias|": mag(True),
                    "codebook": r.code_codebook,
                    "distance to nearest other seed": format_value(
                        distances.get(r.run_id, math.nan)
                    ),
                }
            )
        d = np.array([distances.get(rid, np.nan) for rid in g["run_id"]], dtype=float)

        def median(col: str, part=part) -> str:
            values = [float(x[col]) for x in part if x[col] != "—"]
            return format_value(float(np.median(values))) if values else "—"

        summary = {c: "" for c in part[0]} | named
        summary |= {
            "run": "median",
            "collapsed": f"{sum(x['collapsed'] == 'yes' for x in part)}/{len(part)}",
            "final data loss": median("final data loss"),
            "mean |weight|": median("mean |weight|"),
            "mean |bias|": median("mean |bias|"),
            "distance to nearest other seed": format_value(float(np.nanmedian(d)))
            if np.isfinite(d).any()
            else "—",
        }
        rows += [*part, summary]
        summaries.append((named, summary, g, d))
    table = pd.DataFrame(rows)
    intro = (
        "The seed (§11, Figs 11-13, at λ = 0.1): biases end small and negative, and different "
        "random initialisations end at completely different weights with no recognisable "
        "pattern. Here the networks are compared where they learn (λ = 0) and at the seed's "
        "λ = 0.1, per setting. Distance = relative distance between two runs' final parameters "
        "after matching hidden units (permutation and sign flip) as well as possible "
        "(weightstats.aligned_distance); the claims call two runs different above "
        f"{format_value(DIFFERENT_DISTANCE)}."
    )
    if runs.empty:
        return _section("weights", "The weights", intro, data, table, finding="No runs.")
    sentences = []
    for named, med, g, d in summaries:
        at = ", ".join(f"{k} = {v}" for k, v in named.items()) or "this setting"
        books = g["code_canonical"].nunique()
        text = (
            f"At {at} the median run ends with data loss {med['final data loss']}, mean |weight| "
            f"{med['mean |weight|']} and mean |bias| {med['mean |bias|']}."
        )
        if not med["collapsed"].startswith("0/"):
            text += (
                f" There {med['collapsed']} runs collapsed to the trivial network, so the seeds "
                f"end at one network (median distance {med['distance to nearest other seed']})."
            )
        elif np.isfinite(d).any():
            same = float(np.nanmax(d)) <= DIFFERENT_DISTANCE
            text += (
                f" There each run is a median {med['distance to nearest other seed']} from its "
                "nearest other seed once hidden units are matched: "
                + ("one solution up to symmetry" if same else "different solutions")
                + f" ({books} distinct hidden codebook{'s' if books != 1 else ''} up to "
                "symmetry)."
            )
        sentences.append(text)
    return _section(
        "weights",
        "The weights",
        intro,
        data,
        table,
        "A median row closes each setting (medians over its seeds; never pooled across settings).",
        " ".join(sentences),
        ("different_solutions",),
    )


def codes_section(data: ReportData) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from backprop_study.analysis import codes
    from backprop_study.analysis.convergence import as_times
    from backprop_study.study.aggregate import format_value

    k = data.study.settings.classes
    runs = data.runs
    solved = np.isfinite(as_times(runs["first_solved"])) if len(runs) else np.array([], bool)
    runs = runs.assign(_solved=solved)
    # The settings that vary across the study's runs (grouping by a constant one changes nothing).
    by = [c for c in config_columns(runs.columns) if runs[c].nunique(dropna=False) > 1]
    by = by or ["encoding"]
    groups = [(cfg, g) for cfg, g in runs.groupby(by, sort=True, dropna=False)]
    rows = []
    for cfg, g in groups:
        distinct = g["code_all_distinct"].astype(bool)
        rows.append(
            {
                **{symbol(c): _value(c, v) for c, v in zip(by, cfg, strict=True)},
                "runs": len(g),
                f"{k} distinct codes": f"{int(distinct.sum())}/{len(g)}",
                "… among solved runs": f"{int((distinct & g['_solved']).sum())}/"
                f"{int(g['_solved'].sum())}",
                "distinct codes, mean": format_value(float(g["code_distinct"].mean())),
                "gap, mean": format_value(float(g["code_gap"].mean())),
                "codebooks up to symmetry": codes.n_codebooks(g["code_canonical"]),
            }
        )
    table = pd.DataFrame(rows)
    intro = (
        f"A class's hidden code is its {data.study.settings.hidden} hidden activations at the "
        "last snapshot, binarised at 0.5; 3 units give 8 binary codes, so a binary solution "
        "uses each corner of the unit cube once. Gap = mean distance of an activation to the "
        "nearer of 0 and 1 (0 = binary). Codebooks are compared up to permuting and flipping "
        "hidden units."
    )
    if runs.empty:
        return _section("codes", "Hidden codes", intro, data, table, finding="No runs.")
    by_gap = table.assign(_gap=runs.groupby(by, dropna=False)["code_gap"].mean().values)
    binary, graded = by_gap.loc[by_gap["_gap"].idxmin()], by_gap.loc[by_gap["_gap"].idxmax()]

    def label(row: pd.Series) -> str:
        varying = [c for c in by if table[symbol(c)].nunique() > 1]
        return ", ".join(f"{symbol(c)} = {row[symbol(c)]}" for c in varying) or "the study"

    counts = table["… among solved runs"].str.split("/", expand=True).astype(int)
    solved = table[counts[1] > 0]
    shared = table[(counts[1] > 0) & (counts[0] < counts[1])]
    if solved.empty:
        verdict = "No run solved, so no solved network's code can be read."
    elif shared.empty:
        verdict = "In every setting, every solved run gives each class its own binary code."
    else:
        fewest = shared.loc[(counts[0] / counts[1])[shared.index].idxmin()]
        verdict = (
            f"Solved runs need not give all {k} classes distinct binary codes: at "
            f"{label(fewest)} only {fewest['… among solved runs']} solved runs do, so a network "
            "can solve the task with two classes sharing a code, the outputs reading the graded "
            "activations."
        )
    finding = (
        f"{verdict} Codes are most binary at {label(binary)} (gap {binary['gap, mean']}) "
        f"and least at {label(graded)} (gap {graded['gap, mean']}), where "
        f"{graded[f'{k} distinct codes']} runs have distinct codes."
    )
    return _section(
        "codes",
        "Hidden codes",
        intro,
        data,
        table,
        "One row per setting (never pooled across settings).",
        finding,
    )


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


def claims_section(data: ReportData) -> dict[str, Any]:
    from backprop_study.analysis.stats import MARGIN, SIGNIFICANCE

    claims = data.claims
    counts = claims["verdict"].value_counts()
    moved = claims[claims["tie_stability"] != ""] if "tie_stability" in claims else claims[:0]
    finding = (
        f"{claims['claim'].nunique()} claims tested in {len(claims)} settings: "
        + ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
        + ". "
        + (
            "No verdict moves when the tie tolerance goes from 0 to 2 times each measure's "
            "resolution."
            if moved.empty
            else f"{len(moved)} verdicts move with the tie tolerance: "
            + "; ".join(f"{r.claim} {r.setting} ({r.tie_stability})" for r in moved.itertuples())
            + "."
        )
    )
    intro = (
        "Each statement of the 2020 report, tested per setting (never pooled across settings) "
        "by the rule under it. Effects are ratios (claimed setting / other) with 95% bootstrap "
        "intervals; paired by seed where the seed fixes the initial network (λ, α, batch size), "
        "unpaired where it does not (k against k-1). Verdicts: supported or contradicted when "
        f"the interval excludes 1 and p < {SIGNIFICANCE:g}; no effect when the interval lies "
        f"within the ±{MARGIN:.0%} equivalence margin; inconclusive otherwise; collapsed when "
        "the setting ends at the trivial network, so the claim does not apply. ≥ marks an "
        "effect that is a bound because runs never solved within the budget. The last column "
        "says what the runs show where the seed's explanation is not what happens."
    )
    section = _section("claims", "The report's claims, tested", intro, data, finding=finding)
    section["claims_table"] = grouped_claims(claims)
    return section


# (section key, builder, experiments it needs)
SECTIONS: list[tuple[str, Callable[[ReportData], dict[str, Any]], tuple[str, ...]]] = [
    ("model", model_section, ()),
    ("loss", loss_section, ()),
    ("weight_decay", lambda d: experiment_section(d, "weight_decay"), ("weight_decay",)),
    ("encoding", lambda d: experiment_section(d, "encoding"), ("encoding",)),
    ("plateau", plateau_section, ("weight_decay",)),
    ("why_plateau", why_plateau_section, ("init_scale", "critical_lambda")),
    ("learning_rate", lambda d: experiment_section(d, "learning_rate"), ("learning_rate",)),
    ("batch_size", lambda d: experiment_section(d, "batch_size"), ("batch_size",)),
    ("weights", weights_section, ("weights",)),
    ("codes", codes_section, ()),
    ("remedies", remedies.remedies_section, ("remedies",)),
    ("benchmarks", remedies.benchmarks_section, ("benchmark_rprop",)),
]


def build_sections(data: ReportData) -> list[dict[str, Any]]:
    """The report's sections in the seed's order, then other experiments, then the claims."""
    sections = [
        build(data)
        for key, build, needs in SECTIONS
        if all(n in data.study.experiments for n in needs)
    ]
    known = {key for key, _, _ in SECTIONS} | set(remedies.EXPERIMENTS)
    for name in data.study.experiments:
        if name not in known:
            sections.append(experiment_section(data, name))
    leftovers = [f for f in data.figures if f not in data.used_figures]
    if leftovers:
        from backprop_study.reporting import figures as figure_specs

        extra = _section("other_figures", "Other figures", "", data)
        extra["figures"] = []
        for name in leftovers:
            try:
                spec = figure_specs.by_name(name, data.study.experiments)
                title, caption = spec.title, spec.caption
            except ConfigError:
                title, caption = name, ""
            extra["figures"].append(_figure_item(name, title, caption, data.figures[name]))
        sections.append(extra)
    sections.append(claims_section(data))
    return sections


def build_context(
    study_config: Mapping[str, Any],
    runs: pd.DataFrame,
    figures: Mapping[str, Path],
    final_weights: pd.DataFrame | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain values (HTML tables already rendered)."""
    import yaml

    study = load_study(study_config)
    data = ReportData(
        study=study,
        runs=runs,
        figures=dict(figures),
        claims=claims_table(runs, study.experiments, final_weights),
        final_weights=final_weights,
        tables=dict(tables or {}),
    )
    settings = {k: v for k, v in study_config.items() if k != "experiments"}
    origin = provenance.summarise(runs)
    return {
        "title": "Backpropagation on the 8-3-8 encoder: study report",
        "n_runs": len(runs),
        "n_seeds": len(set(runs["seed"])) if len(runs) else 0,
        "epochs": data.budget,
        "n_diverged": int(runs["diverged"].sum()) if len(runs) else 0,
        "sections": build_sections(data),
        "provenance_table": _html_table(provenance.display(origin.groups)),
        "provenance_warnings": origin.warnings,
        "settings_yaml": yaml.safe_dump(
            settings, sort_keys=False, allow_unicode=True, default_flow_style=None
        ),
        "experiments_yaml": yaml.safe_dump(
            {"experiments": study_config["experiments"]},
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=None,
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", required=True, help="the study config as JSON")
    parser.add_argument("--template", required=True, help="Jinja2 HTML template")
    parser.add_argument("--runs-table", required=True, help="the study's runs table (Parquet)")
    parser.add_argument("--final-weights", nargs="*", default=[], help="experiments' weights")
    parser.add_argument("--figure", nargs="*", default=[], help="figure PNGs (name = file stem)")
    parser.add_argument("--mechanism", nargs="*", default=[], help="experiments' mechanism")
    parser.add_argument("--curvature", nargs="*", default=[], help="experiments' curvature")
    parser.add_argument("--out", required=True, help="HTML file to write")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from backprop_study.study.aggregate import write_atomic

    try:
        study_config = json.loads(args.study)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--study: not valid JSON ({exc})") from None
    figures = {Path(p).stem: Path(p) for p in args.figure}
    final_weights = union_final_weights([pd.read_parquet(p) for p in args.final_weights])
    runs = pd.read_parquet(args.runs_table)
    tables = {
        name: pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True).drop_duplicates(
            subset=keys, ignore_index=True
        )
        for name, paths, keys in (
            ("mechanism", args.mechanism, ["run_id", "epoch"]),
            ("curvature", args.curvature, ["run_id", "point"]),
        )
        if paths
    }
    context = build_context(study_config, runs, figures, final_weights, tables)
    html = render_report(Path(args.template), context)
    write_atomic(args.out, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
    print(f"wrote {args.out} ({len(html) / 1e6:.1f} MB)")
    return 0
