"""The `backprop-study` command.

Each sub-command lives in the module that does the work; this file only routes. A module named in
COMMANDS provides `add_arguments(parser)` and `run(args) -> int`, and is imported only when its
sub-command is used, so that `backprop-study train` does not pay for matplotlib or pandas.

Every way a command ends early is one line on stderr: bad input (status 2; argparse's usage
block would bury the message) and Ctrl-C (status 130, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any, NoReturn

from backprop_study.engine.errors import UserError

# sub-command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("backprop_study.study.train_cli", "train one network and write its Parquet files"),
    "train-seeds": (
        "backprop_study.study.seeds_cli",
        "train the seeds of one setting, keeping runs already there, and write its manifest",
    ),
    "fingerprint": (
        "backprop_study.study.run_fingerprint",
        "print the engine fingerprint that runs trained now record",
    ),
    "compile": (
        "backprop_study.study.kernels",
        "compile the fast engine's kernels into numba's cache (training does it when needed)",
    ),
    "aggregate": ("backprop_study.study.aggregate", "runs table, comparisons and curve quantiles"),
    "findings": (
        "backprop_study.study.findings_cli",
        "the claims table and the findings table the report renders",
    ),
    "figure": ("backprop_study.reporting.figures", "draw one figure of the study from its tables"),
    "report": ("backprop_study.reporting.report", "write the self-contained HTML study report"),
    "provenance": ("backprop_study.study.provenance", "versions and machines that made the runs"),
    "theory": ("backprop_study.study.theory_cli", "test the plateau law on one encoder setting"),
    "law-family": (
        "backprop_study.study.lawfamily_cli",
        "the plateau law's ratio table and claims across the encoder family",
    ),
    "law-figures": (
        "backprop_study.reporting.law_figures",
        "the plateau law's figures: predicted against measured, and the divergence at λ_c",
    ),
    "resources": (
        "backprop_study.study.job_resources",
        "suggest each rule's mem_mb and runtime from the workflow's benchmark files",
    ),
}

INTERRUPTED = 130  # the shell's status for a process ended by SIGINT (128 + 2)


class OneLineParser(argparse.ArgumentParser):
    """A parser whose errors are one line, option first like RunConfig's (`--seed: ...`)."""

    commands: dict[str, argparse.ArgumentParser]  # top level only: the sub-parsers by name

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.removeprefix("argument ").split())
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class VersionAction(argparse.Action):
    """`--version`, looked up only when asked: importlib.metadata would cost every command."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> NoReturn:
        from backprop_study import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


def _peek_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: list[str]) -> OneLineParser:
    """The top-level parser, with the options of the sub-command named in argv only."""
    parser = OneLineParser(
        prog="backprop-study",
        description="Backpropagation on the N-M-N sigmoid encoder: train runs, aggregate, report.",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = _peek_command(argv)
    parser.commands = {}
    for name, (module_name, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        parser.commands[name] = sp
        # Only the chosen sub-command's module is imported (help for others stays cheap).
        if name == wanted:
            importlib.import_module(module_name).add_arguments(sp)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = " ".join(filter(None, ["backprop-study", _peek_command(argv)]))
    try:
        parser = build_parser(argv)
        args, extra = parser.parse_known_args(argv)
        if extra:  # blamed on the sub-command, whose --help lists what it takes
            parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
        module = importlib.import_module(COMMANDS[args.command][0])
        return int(module.run(args) or 0)
    except UserError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
