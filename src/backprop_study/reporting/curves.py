"""Curve figures: loss against epochs or against gradient-flow time, median and IQR over seeds.

Curves are read from an experiment's curve quantiles, so a figure never loads every run; the
time-axis figure (`flow_time_figure`) also draws every seed's own curve. With more than two
configurations each gets its own panel, drawn over the others' medians in grey, so no curve can
hide under another (λ = 0.01 and λ = 0.1 both end at the trivial network's loss, on one line).
The x axis is epochs, or t = α × updates (`time=True`): runs that differ only in α or batch
size follow one path in t.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from backprop_study.analysis.axes import config_columns
from backprop_study.analysis.collapse import n_outputs
from backprop_study.analysis.measures import solve_flow_time
from backprop_study.analysis.stats import MARGIN
from backprop_study.reporting.figbase import (
    EPOCH_LABEL,
    FLOW_LABEL,
    LINESTYLES,
    METRIC_LABELS,
    POINT_COLOUR,
    FigureData,
    budget,
    collapsed_note,
    colours,
    config_label,
    config_runs,
    epoch_lines,
    new_figure,
    settings_note,
    trivial_line,
)
from backprop_study.reporting.outcomes import positions

GREY = "0.78"


def _flow(config: dict[str, Any]) -> float:
    """Gradient-flow time per epoch, α · m / b, of a configuration."""
    return float(config["alpha"]) * (int(config["classes"]) // int(config["batch_size"]))


def configurations(data: FigureData) -> list[tuple[dict[str, Any], pd.DataFrame, str]]:
    """(configuration, its curve quantiles sorted by epoch, its legend label) per configuration."""
    q = data.quantiles
    axes = data.experiment.varying_axes() or ["encoding"]
    shown = [a for a in axes if a in q.columns and q[a].nunique(dropna=False) > 1] or axes
    by = config_columns(q.columns)
    out = []
    for key, group in q.groupby(by, sort=True, dropna=False):
        config = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        label = config_label(config, shown) + collapsed_note(config_runs(data.runs, config))
        out.append((config, group.sort_values("epoch"), label))
    return out


def _xy(group: pd.DataFrame, config: dict, column: str, time: bool, log_x: bool, xlim):
    g = group[group["epoch"] > 0] if log_x else group
    x = g["epoch"].to_numpy(dtype=float) * (_flow(config) if time else 1.0)
    keep = (x >= xlim[0]) & (x <= xlim[1]) if xlim is not None else slice(None)
    return x[keep], g[column].to_numpy(dtype=float)[keep], g, keep


def _finish_axes(ax: Any, data: FigureData, metric: str, log_x: bool, log_y: bool, time: bool):
    if log_x:
        ax.set_xscale("log")
    elif not time:
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    if log_y and metric != "correct" and (data.quantiles[f"{metric}_q25"] > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel(FLOW_LABEL if time else EPOCH_LABEL)
    ax.set_ylabel(METRIC_LABELS[metric])


def draw_curves(
    data: FigureData,
    ax: Any,
    metric: str = "data_loss",
    xlim: tuple[float, float] | None = None,
    log_x: bool = True,
    log_y: bool = True,
    time: bool = False,
) -> None:
    """One line (median) and band (IQR) per configuration on `ax`, with the reference lines."""
    configs = configurations(data)
    cols = colours(len(configs))
    for i, (config, group, label) in enumerate(configs):
        x, y, g, keep = _xy(group, config, f"{metric}_median", time, log_x, xlim)
        lo = g[f"{metric}_q25"].to_numpy()[keep]
        hi = g[f"{metric}_q75"].to_numpy()[keep]
        ax.fill_between(x, lo, hi, color=cols[i], alpha=0.22, lw=0)
        ax.plot(x, y, color=cols[i], ls=LINESTYLES[i % len(LINESTYLES)], label=label)
    _finish_axes(ax, data, metric, log_x, log_y, time)
    if xlim is not None:
        ax.set_xlim(*xlim)
    handles, _ = ax.get_legend_handles_labels()
    if metric == "data_loss" and "trivial_loss" in data.runs:
        for loss in sorted(data.runs["trivial_loss"].unique()):
            handles.append(trivial_line(ax, float(loss)))
    if not time:
        handles += epoch_lines(ax, budget(data))
    ax.legend(handles=handles, loc="best", title="median, IQR band", fontsize=8)


def _draw_panel(data, ax, configs, i, metric, xlim, log_x, time) -> None:
    config, group, label = configs[i]
    colour = colours(len(configs))[i]
    for j, (other_cfg, other, _) in enumerate(configs):
        if j != i:
            x, y, *_ = _xy(other, other_cfg, f"{metric}_median", time, log_x, xlim)
            ax.plot(x, y, color=GREY, lw=1.0, zorder=1)
    x, y, g, keep = _xy(group, config, f"{metric}_median", time, log_x, xlim)
    lo = g[f"{metric}_q25"].to_numpy()[keep]
    hi = g[f"{metric}_q75"].to_numpy()[keep]
    ax.fill_between(x, lo, hi, color=colour, alpha=0.25, lw=0, zorder=2)
    ax.plot(x, y, color=colour, zorder=3, label=label)
    if metric == "data_loss" and float(config.get("lam", 0) or 0) > 0:
        xo, yo, *_ = _xy(group, config, "objective_median", time, log_x, xlim)
        ax.plot(xo, yo, color=colour, ls="--", lw=1.2, zorder=3)
    ax.set_title(label, fontsize=9)


def panels_figure(
    title: str, metric: str = "data_loss", zoom: str | None = None, time: bool = False
) -> Callable[[FigureData], Figure]:
    """A draw function: one panel per configuration, the others' medians in grey behind it."""

    def draw(data: FigureData) -> Figure:
        epochs = budget(data)
        configs = configurations(data)
        n = len(configs)
        ncols = min(3, n)
        nrows = math.ceil(n / ncols)
        fig, axes = new_figure(
            width=4.0 * ncols + 0.5, height=3.1 * nrows + 0.9, ncols=ncols, nrows=nrows,
            sharex=True, sharey=True,
        )  # fmt: skip
        xlim, log_x, log_y = None, True, True
        if zoom == "late":
            xlim, log_x = (epochs / 2, epochs), False
        flat = axes.ravel()
        for i in range(n):
            _draw_panel(data, flat[i], configs, i, metric, xlim, log_x, time)
        for ax in flat[:n]:
            _finish_axes(ax, data, metric, log_x, log_y, time)
            if xlim is not None:
                ax.set_xlim(*xlim)
            refs = []
            if metric == "data_loss" and "trivial_loss" in data.runs:
                refs = [
                    trivial_line(ax, float(v)) for v in sorted(data.runs["trivial_loss"].unique())
                ]
            if not time:
                refs += epoch_lines(ax, epochs)
        handles = [
            Line2D([], [], color=colours(n)[0], label="median over seeds (IQR band)"),
            Line2D([], [], color=GREY, label="the other settings' medians"),
        ]
        if metric == "data_loss" and (data.runs.get("lam", 0) > 0).any():
            handles.append(
                Line2D([], [], color=colours(n)[0], ls="--", label="objective J (with penalty)")
            )
        handles += refs
        for ax in flat[n:]:
            ax.axis("off")
        target = flat[n] if n < len(flat) else flat[n - 1]
        target.legend(handles=handles, loc="center" if n < len(flat) else "best", fontsize=8)
        where = f"epochs {epochs // 2:,} to {epochs:,}, linear epoch axis; " if zoom else ""
        fig.suptitle(
            f"{title}\n{where}{settings_note(data.experiment, data.experiment.varying_axes())}"
        )
        return fig

    return draw


def curves_figure(
    title: str, metrics: tuple[str, ...] = ("data_loss",), time: bool = False
) -> Callable[[FigureData], Figure]:
    """A draw function: every configuration in one panel per metric (for two or so settings)."""

    def draw(data: FigureData) -> Figure:
        fig, axes = new_figure(width=5.6 * len(metrics) + 0.4, height=4.4, ncols=len(metrics))
        for ax, metric in zip(axes[0], metrics, strict=True):
            draw_curves(data, ax, metric, time=time)
            ax.set_title(METRIC_LABELS[metric].split("  ")[0].split(" = ")[0])
        fig.suptitle(f"{title}\n{settings_note(data.experiment, data.experiment.varying_axes())}")
        return fig

    return draw


def early_figure(title: str) -> Callable[[FigureData], Figure]:
    """The first 5% of the budget on linear axes: the reference setting's curve, and every other
    setting's median minus the reference's (the differences are too small to see otherwise)."""

    def draw(data: FigureData) -> Figure:
        epochs = budget(data)
        xlim = (0, epochs / 20)
        configs = configurations(data)
        cols = colours(len(configs))
        fig, axes = new_figure(width=12.0, height=4.4, ncols=2)
        ax, ax_d = axes[0]
        ref_cfg, ref, ref_label = configs[0]
        x, y, g, keep = _xy(ref, ref_cfg, "data_loss_median", False, False, xlim)
        ax.fill_between(
            x, g["data_loss_q25"].to_numpy()[keep], g["data_loss_q75"].to_numpy()[keep],
            color=cols[0], alpha=0.25, lw=0,
        )  # fmt: skip
        ax.plot(x, y, color=cols[0], label=f"{ref_label} (median, IQR band)")
        _finish_axes(ax, data, "data_loss", False, False, False)
        ax.set_xlim(*xlim)
        ax.legend(loc="best", fontsize=8)
        ax.set_title(f"{ref_label}: first {epochs // 20:,} epochs")
        base = ref.set_index("epoch")["data_loss_median"]
        for i, (_config, group, label) in enumerate(configs[1:], start=1):
            other = group.set_index("epoch")["data_loss_median"]
            diff = (other - base).dropna()
            diff = diff[(diff.index >= xlim[0]) & (diff.index <= xlim[1])]
            ax_d.plot(diff.index, diff.to_numpy(), color=cols[i], label=label,
                      ls=LINESTYLES[i % len(LINESTYLES)])  # fmt: skip
        ax_d.axhline(0, color="0.4", lw=0.8)
        span = np.nanmax(np.abs([line.get_ydata() for line in ax_d.get_lines()[:-1]] or [[1.0]]))
        ax_d.set_yscale("symlog", linthresh=max(float(span) / 1000, 1e-12))
        ax_d.set_xlim(*xlim)
        ax_d.xaxis.set_major_formatter(ax.xaxis.get_major_formatter())
        ax_d.set_xlabel(EPOCH_LABEL)
        ax_d.set_ylabel(f"data loss minus that at {ref_label} (medians; symlog)")
        ax_d.set_title("Difference from the reference setting")
        ax_d.legend(loc="best", fontsize=8)
        fig.suptitle(f"{title}\n{settings_note(data.experiment, data.experiment.varying_axes())}")
        return fig

    return draw


def per_output_figure(title: str) -> Callable[[FigureData], Figure]:
    """k against k-1: the summed data loss (the seed's Fig 7) and the loss per output unit, the
    like-for-like comparison (k sums over 8 outputs, k-1 over 7)."""

    def draw(data: FigureData) -> Figure:
        fig, axes = new_figure(width=12.0, height=4.6, ncols=2)
        ax, ax_o = axes[0]
        draw_curves(data, ax, "data_loss")
        ax.set_title("Summed over output units (the seed's Fig 7)")
        configs = configurations(data)
        cols = colours(len(configs))
        for i, (config, group, label) in enumerate(configs):
            outs = n_outputs(config["encoding"], int(config["classes"]))
            g = group[group["epoch"] > 0]
            x = g["epoch"].to_numpy()
            ax_o.fill_between(x, g["data_loss_q25"] / outs, g["data_loss_q75"] / outs,
                              color=cols[i], alpha=0.22, lw=0)  # fmt: skip
            style = LINESTYLES[i % len(LINESTYLES)]
            ax_o.plot(x, g["data_loss_median"] / outs, color=cols[i], ls=style,
                      label=f"{label} ({outs} outputs)")  # fmt: skip
        _finish_axes(ax_o, data, "data_loss", True, True, False)
        ax_o.set_ylabel("data loss per output unit")
        k = int(configs[0][0]["classes"])
        handles, _ = ax_o.get_legend_handles_labels()
        handles.append(
            trivial_line(ax_o, 0.5 / k * (1 - 1 / k), "trivial network, per output (both)")
        )
        handles += epoch_lines(ax_o, budget(data))
        ax_o.legend(handles=handles, loc="best", fontsize=8, title="median, IQR band")
        ax_o.set_title("Per output unit (like for like)")
        fig.suptitle(f"{title}\n{settings_note(data.experiment, data.experiment.varying_axes())}")
        return fig

    return draw


# ---------------------------------------------------------------------------------------------
# Gradient-flow time: every α and batch curve, every seed, against t; the deviation per seed


def _seed_curves(data: FigureData, runs: pd.DataFrame):
    for r in runs.itertuples():
        files = data.run_files.get(r.run_id)
        if files is not None:
            yield r, files.curve


def _ratio_panel(ax: Any, runs: pd.DataFrame, axis: str, base, measure, label: str) -> None:
    """Per seed: the measure at each level over the same seed's at `base` (1 = exact rescaling)."""
    levels = sorted(runs[axis].unique())
    pos = positions(levels, axis)
    ref = runs[runs[axis] == base].set_index("seed")
    rv, rc = measure(ref)
    ref_values = dict(zip(ref.index, rv, strict=True))
    ax.axhspan(1 / (1 + MARGIN), 1 + MARGIN, color="0.92", zorder=0,
               label=f"±{MARGIN:.0%} equivalence margin")  # fmt: skip
    ax.axhline(1.0, color="0.3", lw=1.0, label="exact rescaling (ratio 1)")
    meds = []
    for level in levels:
        g = runs[runs[axis] == level].sort_values("seed")
        v, c = measure(g)
        ratios = np.array([x / ref_values[s] for x, s in zip(v, g["seed"], strict=True)])
        for k, (r, cens) in enumerate(zip(ratios, c, strict=True)):
            ax.plot(pos.jittered(level, k, len(ratios)), r, marker="o", ms=5,
                    mfc="white" if cens else POINT_COLOUR, mec=POINT_COLOUR, ls="none")  # fmt: skip
        meds.append(float(np.exp(np.mean(np.log(ratios)))))
    ax.plot([pos.x[v] for v in levels], meds, color="#222222", marker="D", ms=6, lw=1.2,
            label="geometric mean over seeds")  # fmt: skip
    pos.apply(ax, axis)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:.2f}"))
    ax.yaxis.set_minor_formatter(StrMethodFormatter("{x:.2f}"))
    ax.set_ylabel(label)
    ax.legend(loc="best", fontsize=8)


def flow_time_figure(data: FigureData) -> Figure:
    """All α and batch-size curves against t with every seed (top), and per seed the deviation
    from exact rescaling (bottom)."""
    runs = data.runs
    alpha_runs = runs[(runs["batch_size"] == runs["batch_size"].max())]
    alpha_min = alpha_runs["alpha"].min()
    batch_runs = runs[np.isclose(runs["alpha"], alpha_min)]
    fig, axes = new_figure(width=13.0, height=9.4, ncols=2, nrows=2)
    for ax, sub, axis in (
        (axes[0][0], alpha_runs, "alpha"),
        (axes[0][1], batch_runs, "batch_size"),
    ):
        levels = sorted(sub[axis].unique())
        cols = colours(len(levels))
        for i, level in enumerate(levels):
            g = sub[sub[axis] == level]
            curves = list(_seed_curves(data, g))
            for r, curve in curves:
                c = curve[curve["epoch"] > 0]
                t = c["epoch"].to_numpy() * r.alpha * (r.n_patterns // r.batch_size)
                ax.plot(t, c["data_loss"], color=cols[i], lw=0.6, alpha=0.45)
            name = config_label({axis: level}, [axis])
            ax.plot([], [], color=cols[i], lw=2, label=f"{name} ({len(curves)} seeds)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(FLOW_LABEL)
        ax.set_ylabel(METRIC_LABELS["data_loss"])
        handles, _ = ax.get_legend_handles_labels()
        handles.append(trivial_line(ax, float(runs["trivial_loss"].iloc[0])))
        ax.legend(handles=handles, loc="lower left", fontsize=8, title="one line per seed")
    axes[0][0].set_title("Every learning rate α against t (batch size 8)")
    axes[0][1].set_title(f"Every batch size against t (α = {alpha_min:g})")
    _ratio_panel(axes[1][0], alpha_runs, "alpha", alpha_min, solve_flow_time,
                 f"time to solve in t, ratio to α = {alpha_min:g} (same seed)")  # fmt: skip
    axes[1][0].set_title("Time to solve in t: the deviation grows with α")
    _ratio_panel(axes[1][1], batch_runs, "batch_size", batch_runs["batch_size"].max(),
                 solve_flow_time, "time to solve in t, ratio to the full batch")  # fmt: skip
    axes[1][1].set_title("Time to solve in t: deviation from exact rescaling")
    fig.suptitle(
        "Learning rate and batch size only rescale time: t = α × updates\n"
        f"λ = {runs['lam'].min():g}, k encoding; thin lines are single seeds"
    )
    return fig
