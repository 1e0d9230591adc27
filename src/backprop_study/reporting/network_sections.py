"""The sections on the networks themselves: the plateau's weights, the final weights of runs
that learn and of runs that collapse, and the hidden codes."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from backprop_study.analysis import codes, weightstats
from backprop_study.analysis.axes import config_columns, format_number, symbol
from backprop_study.analysis.convergence import as_times
from backprop_study.reporting.sectionbase import ReportData, join, section, value
from backprop_study.study.aggregate import format_value


def _count(mask: pd.Series) -> str:
    return str(int(mask.sum()))


def mean_target_loss(classes: int) -> float:
    """Data loss of a k-encoded network that outputs the mean target 1/k for every pattern."""
    return 0.5 * (classes - 1) / classes


def plateau_section(data: ReportData, name: str = "weight_decay") -> dict[str, Any]:
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
                **{symbol(a): value(a, v) for a, v in config.items()},
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
        f"setting: nothing is pooled across {join([symbol(a) for a in axes])}. Initial weights "
        f"~ N(0, {format_number(data.study.settings.init_std)}²)."
    )
    if runs.empty:
        return section("plateau", "The plateau", intro, data, table, finding="No runs.")
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
            + join(
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
            + join([where(i) for i in gone])
            + " the runs collapse ("
            + join([table.loc[i, "collapsed"] for i in gone])
            + "): the plateau is the trivial network itself and the ratio (median "
            + join([table.loc[i, "bias ratio at the end, median"] for i in gone])
            + " at the end) divides by weights on their way to zero."
        )
    return section(
        "plateau",
        "The plateau",
        intro,
        data,
        table,
        "Collapsed: runs that end at (or head to) the trivial network.",
        " ".join(sentences),
        ("bias_dominates",),
    )


def pairwise_distances(final_weights: pd.DataFrame, run_ids: Sequence[str]) -> dict[str, float]:
    """Per run: aligned relative distance (`weightstats.aligned_distance`) to the nearest other
    run of `run_ids` at the last snapshot (NaN if it has no other run)."""
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
    exp = data.study.experiments[name]
    axes = exp.varying_axes()
    runs = data.experiment_runs(name).sort_values([*axes, "seed"])
    fw = data.final_weights
    different = float(data.findings["claims.different_distance"].value)
    rows, summaries = [], []
    for key, g in runs.groupby(axes or ["encoding"], sort=True, dropna=False):
        config = dict(zip(axes, key if isinstance(key, tuple) else (key,), strict=False))
        named = {symbol(a): value(a, v) for a, v in config.items()}
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
        f"{format_value(different)}."
    )
    if runs.empty:
        return section("weights", "The weights", intro, data, table, finding="No runs.")
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
            same = float(np.nanmax(d)) <= different
            text += (
                f" There each run is a median {med['distance to nearest other seed']} from its "
                "nearest other seed once hidden units are matched: "
                + ("one solution up to symmetry" if same else "different solutions")
                + f" ({books} distinct hidden codebook{'s' if books != 1 else ''} up to "
                "symmetry)."
            )
        sentences.append(text)
    return section(
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
                **{symbol(c): value(c, v) for c, v in zip(by, cfg, strict=True)},
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
        return section("codes", "Hidden codes", intro, data, table, finding="No runs.")
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
    return section(
        "codes",
        "Hidden codes",
        intro,
        data,
        table,
        "One row per setting (never pooled across settings).",
        finding,
    )
