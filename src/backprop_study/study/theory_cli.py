"""The `theory` sub-command: the plateau law tested on one encoder setting.

For one N-M-N setting (loss, σ' offset, step α) it runs the init-scale sweep and, unless
`--bisect-max-budget` is 0, the per-seed bisection for λ_c (`analysis.plateaulaw`), and writes
four tables: the law (predicted against measured, with intervals), the escape rows, the
critical-λ rows and the bisection's runs. The workflow (workflow/rules/theory.smk) asks for one
job per setting of `theory_settings.settings_of`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import pandas as pd

from backprop_study.analysis import flowrun, plateaulaw
from backprop_study.study.atomic import write_parquet

BISECT_ALPHA = 1.0  # α × the largest curvature on the way stays ≪ 2; 10× fewer steps than 0.1
BISECT_BUDGET_SHARE = 0.25  # the bisection's first budget, as a share of the escape budget
BISECT_CAP = 32.0  # its largest budget, as a multiple of the escape budget (≈ 600/μ): enough
# to decide a run 1% from λ_c, where escape and collapse take ≈ 100 ln(1/s)/λ_c


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
    parser.add_argument(
        "--bisect-alpha",
        type=float,
        default=BISECT_ALPHA,
        help=f"step α of the bisection's runs (default {BISECT_ALPHA:g}; λ_c is predicted for it)",
    )
    parser.add_argument("--law-out", required=True)
    parser.add_argument("--escapes-out", required=True)
    parser.add_argument("--critical-out", required=True)
    parser.add_argument("--probes-out", required=True, help="every run of the bisection")


def run(args: argparse.Namespace) -> int:
    setting = flowrun.Setting(args.classes, args.hidden, args.loss, args.offset, 0.0, args.alpha)
    escapes = plateaulaw.escape_rows(setting, list(args.seeds), args.t_max)
    cap = BISECT_CAP * args.t_max if args.bisect_max_budget is None else args.bisect_max_budget
    critical, probes = pd.DataFrame(), pd.DataFrame()
    if cap > 0:
        first = min(BISECT_BUDGET_SHARE * args.t_max, cap)
        at = replace(setting, alpha=args.bisect_alpha)
        critical, probes = plateaulaw.critical_rows(at, list(args.seeds), first, cap)
    law = plateaulaw.law_table(setting, escapes, critical, args.bisect_alpha)
    write_parquet(escapes, args.escapes_out)
    write_parquet(critical, args.critical_out)
    write_parquet(probes, args.probes_out)
    write_parquet(law, args.law_out)
    return 0
