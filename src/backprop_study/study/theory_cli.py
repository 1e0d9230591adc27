"""The `theory` sub-command: the plateau law tested on one encoder setting.

For one N-M-N setting (loss, σ' offset, step α) it runs the init-scale sweep and, unless
`--bisect-max-budget` is 0, the per-seed bisection for λ_c (`analysis.plateaulaw`), and writes
three tables: the law (predicted against measured, with intervals), the escape rows and the
critical-λ rows. `settings_of` reads the settings from a study config's `escape_*` experiments,
one per loss and offset, so the workflow (workflow/rules/theory.smk) asks for one job each.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from backprop_study.analysis import flowrun, plateaulaw
from backprop_study.study.aggregate import write_atomic

PREFIX = "escape_"
BISECT_BUDGET_SHARE = 0.25  # the bisection's first budget, as a share of the escape budget
BISECT_CAP = 8.0  # its largest budget, as a multiple of the escape budget


def settings_of(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Setting name (`8_3_mse_c0`) -> its `theory` arguments, for every loss and offset of every
    `escape_*` experiment; the flow-time budget is the experiment's epochs × α."""
    out = {}
    for name, exp in config.get("experiments", {}).items():
        if not name.startswith(PREFIX):
            continue
        n, m = int(exp.get("classes", config["classes"])), int(exp.get("hidden", config["hidden"]))
        alpha = float(exp["alpha"][0] if isinstance(exp["alpha"], list) else exp["alpha"])
        seeds = [int(s) for s in exp.get("seeds", config["seeds"])]
        losses = exp.get("loss", config.get("loss", "mse"))
        offsets = exp.get("prime_offset", config.get("prime_offset", 0.0))
        for loss in losses if isinstance(losses, list) else [losses]:
            for offset in offsets if isinstance(offsets, list) else [offsets]:
                key = f"{n}_{m}_{loss}_c{float(offset):g}"
                out[key] = {
                    "classes": n, "hidden": m, "loss": loss, "offset": float(offset),
                    "alpha": alpha, "seeds": seeds,
                    "t_max": float(exp.get("epochs", config["epochs"])) * alpha,
                }  # fmt: skip
    return out


def command_args(setting: dict[str, Any]) -> str:
    """The command-line arguments of one `settings_of` entry."""
    seeds = " ".join(str(s) for s in setting["seeds"])
    return (
        f"--classes {setting['classes']} --hidden {setting['hidden']} --loss {setting['loss']}"
        f" --offset {setting['offset']!r} --alpha {setting['alpha']!r} --seeds {seeds}"
        f" --t-max {setting['t_max']!r}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--classes", type=int, required=True)
    parser.add_argument("--hidden", type=int, required=True)
    parser.add_argument("--loss", choices=("mse", "cross_entropy"), required=True)
    parser.add_argument("--offset", type=float, default=0.0)
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--t-max", type=float, required=True, help="flow-time budget per run")
    parser.add_argument(
        "--bisect-max-budget",
        type=float,
        default=None,
        help=f"largest flow-time budget of a bisection run (default {BISECT_CAP:g} × --t-max; "
        "0: no bisection)",
    )
    parser.add_argument("--law-out", required=True)
    parser.add_argument("--escapes-out", required=True)
    parser.add_argument("--critical-out", required=True)


def _write(table: pd.DataFrame, path: str) -> None:
    write_atomic(path, lambda tmp: table.to_parquet(tmp, index=False))


def run(args: argparse.Namespace) -> int:
    setting = flowrun.Setting(args.classes, args.hidden, args.loss, args.offset, 0.0, args.alpha)
    escapes = plateaulaw.escape_rows(setting, list(args.seeds), args.t_max)
    cap = BISECT_CAP * args.t_max if args.bisect_max_budget is None else args.bisect_max_budget
    critical = pd.DataFrame()
    if cap > 0:
        first = min(BISECT_BUDGET_SHARE * args.t_max, cap)
        critical = plateaulaw.critical_rows(setting, list(args.seeds), first, cap)
    law = plateaulaw.law_table(setting, escapes, critical)
    _write(escapes, args.escapes_out)
    _write(critical, args.critical_out)
    _write(law, args.law_out)
    return 0
