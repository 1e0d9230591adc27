"""The plateau law's two figures for the family (config/theory.yaml): every prediction against
its measurement on one plot, and the escape time's divergence as λ nears λ_c. The `law-figures`
sub-command draws them from `analysis.lawfamily`'s table and the theory jobs' bisection tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from backprop_study.analysis import lawfamily
from backprop_study.reporting.figbase import colours, new_figure, styled

MARKERS = {"slope": "o", "mu": "s", "mu_star": "D", "lambda_c": "^"}
UNITS = {
    "slope": "escape time per unit ln(1/s) (flow time)",
    "mu": "μ: growth rate of the unstable mode (1/flow time)",
    "mu_star": "μ at the point visited (1/flow time)",
    "lambda_c": "λ_c (weight decay, 1/flow time)",
}


def draw_law(table: pd.DataFrame) -> Figure:
    """Top: predicted (x) against measured (y) for every setting and prediction, log axes, with
    the identity line and the ±TOLERANCE band; error bars are the ratio's 95% interval. Bottom:
    the same as measured / predicted per setting, where a few percent can be seen."""
    fig, axes = new_figure(7.5, 9.5, nrows=2, height_ratios=[3, 2])
    ax = axes[0, 0]
    settings = list(dict.fromkeys(table["setting"]))
    colour = dict(zip(settings, colours(len(settings)), strict=True))
    for r in table.itertuples():
        if not (np.isfinite(r.measured) and np.isfinite(r.predicted)):
            continue
        low, high = r.low * r.predicted, r.high * r.predicted
        err = [[max(r.measured - low, 0.0)], [max(high - r.measured, 0.0)]]
        ax.errorbar(r.predicted, r.measured, yerr=err, fmt=MARKERS[r.prediction], ms=5,
                    color=colour[r.setting], mfc="none" if r.verdict != lawfamily.SUPPORTED
                    else colour[r.setting], lw=1)  # fmt: skip
    span = table[["predicted", "measured"]].to_numpy(dtype=float)
    span = span[np.isfinite(span) & (span > 0)]
    lo, hi = span.min() / 2, span.max() * 2
    x = np.geomspace(lo, hi, 50)
    ax.plot(x, x, color="0.3", lw=1, label="identity: measured = predicted")
    t = lawfamily.TOLERANCE
    ax.fill_between(x, (1 - t) * x, (1 + t) * x, color="0.85", label=f"±{t:.0%}")
    ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi),
           xlabel="predicted (closed form, no fitted constant)",
           ylabel="measured (runs)")  # fmt: skip
    for name, marker in MARKERS.items():
        if (table["prediction"] == name).any():
            ax.plot([], [], marker, color="0.2", mfc="none", label=UNITS[name])
    for name in settings:
        ax.plot([], [], "o", color=colour[name], label=name)
    ax.legend(fontsize=6.5, ncol=2, loc="upper left")
    ax.set_title("The plateau law across the encoder family (filled: supported)", fontsize=10)
    _ratios(axes[1, 0], table, settings, colour)
    return fig


def _ratios(ax, table: pd.DataFrame, settings: list[str], colour: dict) -> None:  # noqa: ANN001
    """measured / predicted with its 95% interval, one column per setting, markers per
    prediction side by side."""
    shift = {name: 0.18 * (i - 1.5) for i, name in enumerate(MARKERS)}
    for r in table.itertuples():
        if not np.isfinite(r.ratio):
            continue
        x = settings.index(r.setting) + shift[r.prediction]
        err = [[max(r.ratio - r.low, 0.0)], [max(r.high - r.ratio, 0.0)]]
        ax.errorbar(x, r.ratio, yerr=err, fmt=MARKERS[r.prediction], ms=4, lw=1,
                    color=colour[r.setting], mfc="none" if r.verdict != lawfamily.SUPPORTED
                    else colour[r.setting])  # fmt: skip
    t = lawfamily.TOLERANCE
    ax.axhspan(1 - t, 1 + t, color="0.88")
    ax.axhline(1.0, color="0.3", lw=1)
    ax.set_xticks(range(len(settings)), settings, rotation=60, ha="right", fontsize=6.5)
    ax.set_ylabel("measured / predicted (95% CI)")


def draw_divergence(
    probes: pd.DataFrame, critical: pd.DataFrame, mu_star: dict[str, float] | None = None
) -> Figure:
    """Escape time (first t with loss below 0.9 J*) in units of the setting's 1/μ* (`mu_star`:
    setting -> μ*; 1 where missing) against 1 − λ/λ_c of the seed, for the bisection's escaped
    runs, per setting; the dashed guide has slope −1 on log axes (a simple pole,
    docs/plateau-theory.md §6) through the median point, a guide, not a fit."""
    mu_star = mu_star or {}
    fig, axes = new_figure(7.5, 4.8)
    ax = axes[0, 0]
    names = list(dict.fromkeys(probes["setting"])) if len(probes) else []
    gaps, times = [], []
    for name, c in zip(names, colours(len(names)), strict=True):
        p = probes[(probes["setting"] == name) & (probes["verdict"] == "escaped")]
        lam_c = critical[critical["setting"] == name].set_index("seed")["lam_c"]
        gap = 1.0 - p["lam"] / p["seed"].map(lam_c)
        ok = (gap > 0) & np.isfinite(p["t_escape"])
        if not ok.any():
            continue
        t = p["t_escape"][ok] * mu_star.get(name, 1.0)
        ax.plot(gap[ok], t, ".", color=c, ms=4, label=name)
        gaps += list(gap[ok])
        times += list(t * gap[ok])
    if gaps:
        x = np.geomspace(min(gaps), max(gaps), 20)
        ax.plot(x, float(np.median(times)) / x, color="0.4", ls="--", lw=1,
                label="slope −1 guide (simple pole)")  # fmt: skip
        ax.legend(fontsize=7)
    ax.set(xscale="log", yscale="log", xlabel="1 − λ/λ_c (λ_c: the seed's bisection)",
           ylabel="μ* × escape time (loss < 0.9 J*; e-foldings at rate μ*)")  # fmt: skip
    ax.set_title("Critical slowing: escape time as λ nears λ_c", fontsize=10)
    return fig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", required=True, help="the law-family table")
    parser.add_argument("--probes", nargs="*", default=[], help="the theory jobs' probes tables")
    parser.add_argument("--critical", nargs="*", default=[], help="their critical tables")
    parser.add_argument("--law-out", required=True)
    parser.add_argument("--divergence-out", required=True)


def _tagged(paths: list[str], suffix: str) -> pd.DataFrame:
    """The tables of several settings, each row tagged with its setting's name."""
    frames = []
    for path in paths:
        key = Path(path).name.removesuffix(f"_{suffix}.parquet")
        n, m, *rest = key.split("_")
        loss, offset = "_".join(rest[:-1]), float(rest[-1].removeprefix("c"))
        df = pd.read_parquet(path)
        if len(df):
            frames.append(df.assign(setting=f"{n}-{m}-{n} {loss} c={offset:g}"))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run(args: argparse.Namespace) -> int:
    table = pd.read_parquet(args.table)
    probes, critical = _tagged(args.probes, "probes"), _tagged(args.critical, "critical")
    stars = table[table["prediction"] == "mu_star"].set_index("setting")["predicted"].to_dict()
    with styled():
        drawn = [(draw_law(table), args.law_out),
                 (draw_divergence(probes, critical, stars), args.divergence_out)]  # fmt: skip
        for fig, out in drawn:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            part = Path(out).with_name("part." + Path(out).name)
            fig.savefig(part, metadata={"Software": None} if out.endswith(".png") else None)
            part.replace(out)
    return 0
