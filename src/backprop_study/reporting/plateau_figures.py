"""The figures of the section "Why the plateau": the mechanism per snapshot, the Hessian
spectrum per seed, the init-scale law and the critical weight decay. Their numbers are
`analysis.why_plateau`'s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from backprop_study.analysis import init_law
from backprop_study.analysis.axes import format_number
from backprop_study.analysis.findings import number_text as fmt
from backprop_study.analysis.findings import spread_text as spread
from backprop_study.analysis.why_plateau import collapse_shares, plateau_numbers
from backprop_study.reporting.figbase import (
    COLLAPSE_COLOUR,
    MEDIAN_COLOUR,
    POINT_COLOUR,
    FigureData,
    colours,
    new_figure,
)

MU_COLOUR = "#b8860b"


# ---------------------------------------------------------------------------------------------
# Figures


MECHANISM_PANELS = [  # column, title, y label, scale
    ("data_loss", "data loss", "data loss", "linear"),
    ("hidden_spread", "hidden activations: largest range across classes", "range", "log"),
    ("w2_row_spread", "rows of W2: ‖W2 − mean row‖ / ‖W2‖", "relative spread", "linear"),
    ("effective_bias_gap", "effective output bias: largest |b − logit(1/k)|", "gap", "log"),
    ("output_distance", "outputs: RMS distance from the class mean 1/k", "distance", "log"),
    ("grad_norm", "gradient norm ‖∇J‖", "‖∇J‖", "log"),
]


def draw_mechanism(data: FigureData) -> Figure:
    """Mechanism measures against t, median over seeds per initial scale, the plateau shaded."""
    mech = data.tables.get("mechanism")
    runs = data.runs
    fig, axes = new_figure(11.5, 6.6, ncols=3, nrows=2)
    if mech is None or mech.empty:
        axes[0, 0].text(0.5, 0.5, "no mechanism table", ha="center", transform=axes[0, 0].transAxes)
        return fig
    scales = sorted(runs["init_std"].unique())
    palette = colours(len(scales))
    flow = float((runs["alpha"] * (runs["n_patterns"] // runs["batch_size"])).median())
    for ax, (col, label, ylabel, yscale) in zip(axes.ravel(), MECHANISM_PANELS, strict=True):
        for colour, s in zip(palette, scales, strict=True):
            ids = set(runs.loc[np.isclose(runs["init_std"], s), "run_id"])
            g = mech[mech["run_id"].isin(ids) & (mech["t"] > 0)]
            q = g.groupby("t")[col].quantile([0.25, 0.5, 0.75]).unstack()
            ax.plot(q.index, q[0.5], color=colour, lw=1.6, label=f"s = {format_number(s)}")
            if math.isclose(s, 0.1):
                ax.fill_between(q.index, q[0.25], q[0.75], color=colour, alpha=0.2, lw=0)
        base = runs[np.isclose(runs["init_std"], 0.1) & runs["plateau_found"].astype(bool)]
        if len(base):
            start = float(base["plateau_start"].median()) * flow
            end = float(base["plateau_end"].median()) * flow
            ax.axvspan(start, end, color="0.85", alpha=0.5, lw=0, zorder=0)
        ax.set_xscale("log")
        ax.set_yscale(yscale)
        ax.set_title(label, fontsize=9)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("t = α × updates")
    if "data_loss" in mech:
        k = int(runs["n_patterns"].max())
        axes[0, 0].axhline(0.5 * (k - 1) / k, color=COLLAPSE_COLOUR, ls=(0, (1, 2)), lw=1.1)
    axes[0, 0].legend(title="initial scale", fontsize=8, loc="lower left")
    fig.suptitle(
        "The plateau's mechanism: median over seeds per initial weight scale s (band: IQR at "
        "s = 0.1; grey: the median plateau at s = 0.1)",
        fontsize=10,
    )
    return fig


def draw_spectrum(data: FigureData) -> Figure:
    """Every seed's Hessian eigenvalues at the initial network, the plateau and the end at
    λ = 0, and at the end of the largest λ, on a symmetric-log axis."""
    curv = data.tables.get("curvature")
    runs = data.runs
    fig, axes = new_figure(11.5, 4.8, ncols=4, sharey=True)
    if curv is None or curv.empty:
        return fig
    lam_top = float(runs["lam"].max())
    panels = [
        (0.0, "init", "λ = 0: initial network"),
        (0.0, "plateau", "λ = 0: plateau"),
        (0.0, "end", "λ = 0: end (solution)"),
        (lam_top, "end", f"λ = {format_number(lam_top)}: end (collapsed)"),
    ]
    for ax, (lam, point, title) in zip(axes[0], panels, strict=True):
        ids = set(runs.loc[runs["lam"] == lam, "run_id"])
        at = curv[curv["run_id"].isin(ids) & (curv["point"] == point)].sort_values("seed")
        negatives = []
        for row in at.itertuples():
            ev = np.asarray(row.eigenvalues, dtype=float)
            neg = ev < -1e-7
            negatives.append(int(neg.sum()))
            x = np.full(ev.size, float(row.seed)) + np.linspace(-0.25, 0.25, ev.size)
            ax.plot(x[~neg], ev[~neg], ".", color=POINT_COLOUR, ms=3, alpha=0.7)
            ax.plot(x[neg], ev[neg], ".", color=COLLAPSE_COLOUR, ms=3.5)
        ax.axhline(0, color=MEDIAN_COLOUR, lw=0.8)
        ax.set_yscale("symlog", linthresh=1e-5)
        if negatives:
            title += (
                f"\nnegative: median {np.median(negatives):g} "
                f"[{min(negatives)}, {max(negatives)}] of {len(ev)}"
            )
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("seed")
        ax.set_ylabel("eigenvalue")
    axes[0, 0].set_ylabel("eigenvalue of ∇²J (symmetric log; linear within ±1e-5)")
    for ax in axes[0, 1:]:
        ax.tick_params(labelleft=True)
    fig.suptitle(
        "Hessian spectrum per seed (red: negative, below −1e-7): the plateau is a saddle; "
        "weight decay above μ makes the trivial network a minimum",
        fontsize=10,
    )
    return fig


def draw_init_scale(data: FigureData) -> Figure:
    """Escape time at f = `init_law.SHOWN_FRACTION` against ln(1/s), every run, the fit with its
    seed-resampled interval and the predicted slope 1/(μ* − λ) through the same mean point."""
    fig, axes = new_figure(7.8, 5.0)
    ax = axes[0, 0]
    shown = init_law.SHOWN_FRACTION
    ax.set_xlabel("ln(1/s)")
    ax.set_ylabel(f"escape time: first t = α × updates with loss < {fmt(shown)} J*")
    if not data.run_files:
        return fig
    curves = pd.concat(
        [f.curve[["epoch", "data_loss"]].assign(run_id=rid) for rid, f in data.run_files.items()],
        ignore_index=True,
    )
    law = init_law.init_law(data.runs[data.runs["run_id"].isin(set(data.run_files))], curves)
    p = law.points[(law.points["fraction"] == shown) & law.points["usable"]]
    fits = law.fits[np.isclose(law.fits["fraction"].astype(float), shown)]
    if p.empty or fits.empty or not math.isfinite(float(fits["slope"].iloc[0])):
        ax.text(0.5, 0.5, "too few runs left the plateau for a fit", ha="center",
                transform=ax.transAxes)  # fmt: skip
        return fig
    fit = fits.iloc[0]
    x = np.log(1.0 / p["init_std"].to_numpy(dtype=float))
    ax.plot(x, p["t_escape"], "o", color=POINT_COLOUR, ms=5, alpha=0.75, label="one run")
    xs = np.linspace(x.min() - 0.2, x.max() + 0.2, 50)
    xm = float(x.mean())
    ym = fit["intercept"] + fit["slope"] * xm
    ax.plot(xs, ym + fit["slope"] * (xs - xm), color=MEDIAN_COLOUR,
            label=f"least squares: slope {fmt(fit['slope'])} [{fmt(fit['low'])}, "
                  f"{fmt(fit['high'])}] (95% CI over seeds)")  # fmt: skip
    ax.fill_between(xs, ym + fit["low"] * (xs - xm), ym + fit["high"] * (xs - xm), color="0.6",
                    alpha=0.25, lw=0)  # fmt: skip
    if math.isfinite(law.predicted):
        ax.plot(xs, ym + law.predicted * (xs - xm), ls="--", color=MU_COLOUR,
                label=f"predicted slope 1/(μ* − λ) = {fmt(law.predicted)}")  # fmt: skip

    def to_scale(v: Any) -> Any:
        return np.exp(-np.asarray(v, dtype=float))

    def to_log(v: Any) -> Any:
        with np.errstate(divide="ignore"):
            return -np.log(np.asarray(v, dtype=float))

    top = ax.secondary_xaxis("top", functions=(to_scale, to_log))
    top.set_xlabel("initial weight scale s")
    top.set_xticks(sorted(p["init_std"].unique()))
    ax.legend(fontsize=8, loc="upper left")
    ax.set_ylim(bottom=0)
    return fig


def draw_critical_lambda(data: FigureData) -> Figure:
    """Runs collapsed against λ, every seed's final data loss, μ and the measured threshold."""
    runs = data.runs
    numbers = plateau_numbers(runs, data.tables.get("curvature"))
    swept = runs[runs["lam"] > 0]
    fig, axes = new_figure(11.5, 4.6, ncols=2)
    left, right = axes[0]
    lams = sorted(swept["lam"].unique())
    shares = collapse_shares(swept)
    frac, lo, hi = (shares[c].tolist() for c in ("share", "low", "high"))
    yerr = [np.subtract(frac, lo), np.subtract(hi, frac)]
    left.errorbar(lams, frac, yerr=yerr, fmt="o-", color=MEDIAN_COLOUR, capsize=3,
                  label="runs collapsed (95% Clopper–Pearson)")  # fmt: skip
    left.set_ylabel("share of seeds collapsed")
    for lam in lams:
        g = swept[swept["lam"] == lam].sort_values("seed")
        x = lam * 1.04 ** (np.linspace(-1, 1, len(g)) if len(g) > 1 else np.zeros(1))
        colour = np.where(g["collapsed"].astype(bool), COLLAPSE_COLOUR, POINT_COLOUR)
        right.scatter(x, g["final_data_loss"], s=16, c=colour, alpha=0.8)
    k_ = int(runs["n_patterns"].max())
    right.axhline(0.5 * (k_ - 1) / k_, color=COLLAPSE_COLOUR, ls=(0, (1, 2)), lw=1.1,
                  label="trivial network")  # fmt: skip
    right.set_ylabel("final data loss (red: collapsed)")
    mu = numbers.per_seed["mu"].dropna()
    lam_c = numbers.per_seed["lam_c"].dropna()
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("weight decay λ")
        if len(mu):
            ax.axvspan(mu.min(), mu.max(), color=MU_COLOUR, alpha=0.25, lw=0,
                       label=f"μ at the λ = 0 plateau: {spread(mu)}")  # fmt: skip
            ax.axvline(mu.median(), color=MU_COLOUR, ls="--", lw=1.2)
        if len(lam_c):
            ax.axvline(lam_c.median(), color=MEDIAN_COLOUR, ls=":", lw=1.4,
                       label=f"measured λ_c, median {fmt(lam_c.median())}")  # fmt: skip
    left.legend(fontsize=8, loc="lower right")
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle(
        "Where weight decay kills learning: the predicted threshold μ against the measured one",
        fontsize=10,
    )
    return fig
