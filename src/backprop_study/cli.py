"""The `backprop-study` command.

Each sub-command lives in the module that does the work; this file only routes. A module named in
COMMANDS provides `add_arguments(parser)` and `run(args) -> int`, and is imported only when its
sub-command is used, so that `backprop-study train` does not pay for matplotlib or pandas.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from backprop_study.engine.errors import UserError

# sub-command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("backprop_study.engine.train_cli", "train one network and write its Parquet files"),
    "fingerprint": ("backprop_study.engine.fingerprint", "print the engine fingerprint"),
    "aggregate": ("backprop_study.study.aggregate", "runs table, comparisons and curve quantiles"),
    "figure": ("backprop_study.reporting.figures", "draw one figure of the study from its tables"),
    "report": ("backprop_study.reporting.report", "write the self-contained HTML study report"),
    "provenance": ("backprop_study.study.provenance", "versions and machines that made the runs"),
}


def _peek_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-study",
        description="Backpropagation on the N-M-N sigmoid encoder: train runs, aggregate, report.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = _peek_command(argv)
    for name, (module_name, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        # Only the chosen sub-command's module is imported (help for others stays cheap).
        if name == wanted:
            importlib.import_module(module_name).add_arguments(sp)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except UserError as exc:
        print(f"backprop-study {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
