"""The study's tables for people: comparisons and outcomes with rounded numbers, parameters
in their canonical spelling, censored values marked and NaN spelled out, and the notes on how to
read them. The aggregate step writes the comparison's Markdown; the report shows the outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from backprop_study.analysis.axes import PATH_ALWAYS, config_columns, symbol, value_text
from backprop_study.study.grid import Experiment

if TYPE_CHECKING:
    import pandas as pd


def format_value(x: float) -> str:
    """A measured value for people: three significant digits, `—` for none."""
    return "—" if x != x else f"{x:.3g}"


def _fmt_epoch(x: float) -> str:
    return "never" if x != x else f"{x:.0f}"


def format_epochs(value: float, censored: bool = False) -> str:
    """An epoch count for people: `20,771`; `≥ 400,000` when censored (at least that many)."""
    if value != value:
        return "—"
    text = f"{value:,.0f}"
    return f"≥ {text}" if censored else text


def outcome_display(outcomes: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """`outcome_table` for people: canonical parameters, epochs with censoring marked (≥).

    Also the Kaplan–Meier median epochs to solve with its 95% interval, and the runs that
    collapsed to the trivial network, and those that ended saturated (shown when any did).
    Comparing learning rates or batch sizes adds the
    gradient-flow time t = α·updates (epochs × α·m/b) of the plateau and of solving: equal
    values in t mean the settings only rescale time; comparing batch sizes also adds the
    parameter updates to solve (epochs × m / b).
    """
    import pandas as pd

    by = by or config_columns(outcomes.columns)

    def quantiles(prefix: str, scale: Any = 1.0) -> list[str]:
        scale = pd.Series(scale, index=outcomes.index) if not hasattr(scale, "index") else scale
        out = []
        for (_, r), k in zip(outcomes.iterrows(), scale, strict=True):
            m, a, b = (
                format_epochs(r[f"{prefix}_{q}"] * k, r[f"{prefix}_{q}_censored"])
                for q in ("median", "q1", "q3")
            )
            out.append(f"{m} [{a}, {b}]")
        return out

    def km() -> list[str]:
        out = []
        for r in outcomes.itertuples():
            if r.solve_km_median != r.solve_km_median:
                out.append(f"> {format_epochs(r.budget)}")
                continue
            high = "∞" if r.solve_km_high == float("inf") else format_epochs(r.solve_km_high)
            out.append(
                f"{format_epochs(r.solve_km_median)} [{format_epochs(r.solve_km_low)}, {high}]"
            )
        return out

    columns: dict[str, Any] = {symbol(c): outcomes[c].map(_fmt_param(c)) for c in by}
    columns["solved"] = [
        f"{s}/{n}" for s, n in zip(outcomes["n_solved"], outcomes["n_runs"], strict=True)
    ]
    if "n_collapsed" in outcomes:
        columns["collapsed"] = [
            f"{c}/{n}" for c, n in zip(outcomes["n_collapsed"], outcomes["n_runs"], strict=True)
        ]
    if "n_saturated" in outcomes and outcomes["n_saturated"].any():
        columns["saturated"] = [
            f"{c}/{n}" for c, n in zip(outcomes["n_saturated"], outcomes["n_runs"], strict=True)
        ]
    columns["epochs to solve, median [IQR]"] = quantiles("solve")
    if "solve_km_median" in outcomes:
        columns["epochs to solve, Kaplan–Meier median [95% CI]"] = km()
    flow = ("alpha" in by or "batch_size" in by) and "flow_per_epoch" in outcomes
    if flow:
        per_epoch = outcomes["flow_per_epoch"]
        if "batch_size" in by:
            updates = outcomes["n_patterns"] // outcomes["batch_size"]
            columns["updates to solve, median [IQR]"] = quantiles("solve", updates)
        columns["t to solve (α·updates), median [IQR]"] = quantiles("solve", per_epoch)
    columns["plateau found / left"] = [
        f"{f} / {v}" for f, v in zip(outcomes["n_plateau"], outcomes["n_plateau_left"], strict=True)
    ]
    columns["plateau length (epochs), median [IQR]"] = quantiles("plateau")
    if flow:
        columns["plateau length in t (α·updates), median [IQR]"] = quantiles("plateau", per_epoch)
    columns["final data loss, median"] = outcomes["final_data_loss_median"].map(format_value)
    if "weight_max_end_median" in outcomes:
        columns["largest weight at the end, median"] = outcomes["weight_max_end_median"].map(
            format_value
        )
    columns["diverged"] = outcomes["n_diverged"].astype(int)
    return pd.DataFrame(columns)


OUTCOME_NOTE = (
    "Epochs to solve: first epoch at which every output is within the 40-20-40 rule. Plateau "
    "length: epochs between the plateau's start and end (plateau.find_plateau); 0 when none was "
    "found. ≥ marks a censored value: runs that never solved count at the budget, plateaus never "
    "left at their observed length, so the true value is at least the number shown. "
    "Kaplan–Meier median: first epoch by which half the seeds are estimated to have solved, "
    "with the 95% interval from the log-log Greenwood band (> budget: fewer than half solved; "
    "∞: the band never reaches one half). Collapsed: runs that end at (or head to) the trivial "
    "network, every weight near zero and every output the class mean 1/k. t = α·updates is "
    "gradient-flow time."
)


def comparison_display(
    comparison: pd.DataFrame, shown: Sequence[str] = PATH_ALWAYS
) -> pd.DataFrame:
    """The comparison for people: the `shown` settings canonical, numbers rounded, NaN spelled
    out."""
    import pandas as pd

    def triples(prefix: str, fmt: Callable[[float], str]) -> list[str]:
        cols = [f"{prefix}_median", f"{prefix}_q25", f"{prefix}_q75"]
        return [
            f"{fmt(m)} [{fmt(a)}, {fmt(b)}]" for m, a, b in comparison[cols].itertuples(index=False)
        ]

    out = pd.DataFrame(
        {
            **{col: comparison[col].map(_fmt_param(col)) for col in shown},
            "final loss, median [IQR]": triples("final_data_loss", format_value),
            "epochs to solve, median [IQR]": triples("epochs_to_solve", _fmt_epoch),
            "solved": [
                f"{s}/{n}"
                for s, n in zip(comparison["n_solved"], comparison["n_runs"], strict=True)
            ],
            "diverged": comparison["n_diverged"].astype(int),
        }
    )
    if "n_saturated" in comparison and comparison["n_saturated"].any():
        out["saturated"] = [
            f"{s}/{n}" for s, n in zip(comparison["n_saturated"], comparison["n_runs"], strict=True)
        ]
    return out


COMPARISON_NOTE = (
    "Final loss: data loss at the last epoch (diverged runs left out). Epochs to solve: first "
    "epoch at which every output is within the 40-20-40 rule; `never` when half the seeds (a "
    "quarter, for the quartiles) never got there. Saturated (shown when any run is): runs that "
    "end with an output wrong on a pattern where its σ′ is 0 (analysis.saturation)."
)


def comparison_markdown(comparison: pd.DataFrame, experiment: Experiment) -> str:
    """The comparison as a Markdown document: title, description, table, how to read it."""
    title = f"# {experiment.name}\n\n"
    if experiment.description:
        title += experiment.description + "\n\n"
    table = comparison_display(comparison, experiment.shown_axes()).to_markdown(
        index=False, disable_numparse=True
    )
    return f"{title}{table}\n\n{COMPARISON_NOTE}\n"


def _fmt_param(col: str) -> Callable[[Any], str]:
    import pandas as pd

    return lambda v: value_text(col, None if pd.isna(v) else v)
