"""`backprop-study train`: one run from the command line into a directory of Parquet files.

Everything the user can get wrong (a setting, the destination) is checked before training, so a
mistake costs a second rather than a run, and ends with one line naming the option as typed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backprop_study.engine.errors import ConfigError, UserError
from backprop_study.engine.losses import LOSS_NAMES
from backprop_study.engine.optimizers import HYPER, OPTIMIZERS
from backprop_study.engine.runconfig import ENCODINGS, RunConfig
from backprop_study.study import kernels
from backprop_study.study.run_fingerprint import run_fingerprint

INTERRUPTED = 130  # the shell's status for a process ended by SIGINT (128 + 2)
ENGINES = ("fast", "reference")


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of epochs"
        ) from None


def _number(text: str) -> float | str:
    """A real option as typed; text that is no number goes on to RunConfig, whose message names
    the allowed values (argparse would only say "invalid value")."""
    try:
        return float(text)
    except ValueError:
        return text


def _integer(text: str) -> int | float | str:
    """An integer option as typed; `1.5` stays a float so RunConfig says it is not an integer."""
    try:
        return int(text)
    except ValueError:
        return _number(text)


HELP: dict[str, str] = {
    "encoding": f"class encoding: {' or '.join(ENCODINGS)} (k: one-hot; k-1: class 0 is all zeros)",
    "classes": "number of classes k",
    "hidden": "hidden units",
    "lam": "weight decay lambda >= 0",
    "alpha": "learning rate alpha > 0",
    "batch_size": "patterns per update; must divide --classes",
    "epochs": "passes over all patterns",
    "seed": "seed >= 0 of the initial weights and the batch order",
    "init_std": "std of the N(0, std^2) initial weights and biases (--init-distribution normal)",
    "init_distribution": "initial weights and biases: normal (N(0, init_std^2)) or uniform",
    "init_range": "half-width r of the U(-r, r) initial weights (--init-distribution uniform)",
    "optimizer": f"how a gradient becomes a step: {', '.join(OPTIMIZERS)} (rprop needs the full "
    "batch and does not use --alpha)",
    "loss": f"loss per pattern: {', '.join(LOSS_NAMES)} (mse: 1/2 ||h - y||^2; cross_entropy: "
    "binary, summed over outputs)",
    "prime_offset": "Fahlman's flat-spot fix: added to the sigmoid derivative in the backward pass",
    "momentum": "momentum mu in [0, 1) of --optimizer momentum",
    "rprop_delta0": "rprop: initial step size",
    "rprop_eta_plus": "rprop: step growth factor (>= 1)",
    "rprop_eta_minus": "rprop: step shrink factor (0, 1]",
    "rprop_delta_max": "rprop: largest step size",
    "rprop_delta_min": "rprop: smallest step size",
    "adam_beta1": "adam: decay of the first moment, in [0, 1)",
    "adam_beta2": "adam: decay of the second moment, in [0, 1)",
    "adam_eps": "adam: epsilon added to the root of the second moment",
    "quickprop_mu": "quickprop: maximum growth factor of a step over the previous one",
    "quickprop_decay": "quickprop: weight decay added to every slope",
    "supersab_eta_plus": "supersab: factor a weight's rate grows by while its gradient keeps sign",
    "supersab_eta_minus": "supersab: factor a weight's rate shrinks by on a sign change",
    "supersab_momentum": "supersab: momentum of the weight changes",
    "log_every": "log every N epochs (default: the geometric schedule below)",
    "log_dense_until": "geometric schedule: log every epoch up to this one",
    "log_per_decade": "geometric schedule: logged epochs per decade after that",
    "snapshots": "log-spaced weight snapshots, plus epoch 0 and the last",
    "snapshot_at": "extra snapshot epochs, comma-separated, e.g. 350000",
}
"""The help of each RunConfig setting's option; the options themselves (name, type, default)
come from the dataclass fields."""
PARSERS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "int": _integer,
    "float": _number,
    "int | None": _integer,
    "tuple[int, ...]": _int_list,
}
"""How an option's text becomes a value, by the field's type annotation."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The run's settings (`add_setting_arguments`), the engine, then where its files go."""
    add_setting_arguments(p)
    add_engine_argument(p)
    out = p.add_argument_group("output")
    out.add_argument(
        "--out",
        required=True,
        help="directory for curve.parquet, weights.parquet, hidden.parquet (created if missing)",
    )
    out.add_argument("--force", action="store_true", help="overwrite results already in --out")
    out.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: only when stderr is a terminal)",
    )


def _group(name: str) -> str:
    if name in HYPER:
        return "optimizer settings (each optimizer reads only its own)"
    if name.startswith(("log_", "snapshot")):
        return "logging and snapshots"
    return "run settings"


def add_setting_arguments(p: argparse.ArgumentParser) -> None:
    """One option per RunConfig field, with the field's default: a new setting gets its option
    by appearing in the dataclass (and its help in HELP)."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in dataclasses.fields(RunConfig):
        title = _group(f.name)
        if title not in groups:
            groups[title] = p.add_argument_group(title)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        shown = " (default %(default)s)" if default not in (None, ()) else ""
        groups[title].add_argument(
            option_name(f.name),
            type=PARSERS[str(f.type)],
            default=default,
            help=HELP[f.name] + shown,
        )


def add_engine_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=ENGINES[0],
        help="fast (numba) or reference (plain numpy, slow) (default %(default)s)",
    )


def option_name(setting: str) -> str:
    """The option that sets a RunConfig setting, as the user types it (`batch_size` ->
    `--batch-size`)."""
    return "--" + setting.replace("_", "-")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run's settings; a ConfigError names the option, not the RunConfig field."""
    try:
        return RunConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig)})
    except ConfigError as exc:
        setting, sep, rest = str(exc).partition(": ")
        if sep and setting in RunConfig.__dataclass_fields__:
            raise ConfigError(f"{option_name(setting)}: {rest}") from None
        raise


def one_line(exc: OSError) -> str:
    """An OS error as one short phrase (its strerror, else its message on one line)."""
    return exc.strerror or " ".join(str(exc).split())


def prepare_out(text: str, force: bool, option: str = "--out") -> list[Path]:
    """Make `--out` (or the directory of `option`) ready before training, so a bad destination
    fails in a second, not after a long run: refuse an empty path, a file on the way and results
    already there (unless `force`), create what is missing, and write and remove a probe file
    (permission bits alone do not tell, e.g. for root or on a read-only mount). Returns the
    directories it created, for `discard`."""
    if not text:
        raise ConfigError(f"{option}: empty; allowed: a directory path")
    out = Path(text)
    made: list[Path] = []
    try:
        chain = [out, *out.parents]
        found = next((i for i, p in enumerate(chain) if p.exists()), len(chain))
        if found < len(chain) and not chain[found].is_dir():
            where = "" if found == 0 else f" (on the way to {out})"
            raise ConfigError(
                f"{option}: {chain[found]} is not a directory{where}; allowed: a directory path"
            )
        from backprop_study.engine import runfiles

        present = runfiles.existing_results(out) if found == 0 else []
        if present and not force:
            raise ConfigError(
                f"{option}: {out} already holds results ({', '.join(present)}); "
                "allowed: a directory without run files, or pass --force"
            )
        for directory in reversed(chain[:found]):
            try:
                directory.mkdir()
            except FileExistsError:
                if not directory.is_dir():
                    raise
                continue  # made meanwhile by another job (a setting's seed parts): not ours
            made.append(directory)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        discard(out, made, files=False)
        raise ConfigError(
            f"{option}: cannot write to {out} ({one_line(exc)}); allowed: a writable directory"
        ) from None
    return made


def discard(out: Path, made: list[Path], files: bool) -> None:
    """Leave `out` as if the run had not written: its run files (if `files`: a half-written set
    is worse than none, and with --force the old set is already mixed with the new) and the
    directories `prepare_out` made."""
    from backprop_study.engine import runfiles

    if files:
        for name in runfiles.WRITTEN:
            (out / name).unlink(missing_ok=True)
    for directory in reversed(made):
        with contextlib.suppress(OSError):  # not empty or gone: someone else's now
            directory.rmdir()


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    made = prepare_out(args.out, args.force)
    if "alpha" in config.unused_settings():
        print(
            f"backprop-study train: note: --alpha is not used by --optimizer {config.optimizer} "
            "(its steps are its own; the run's metadata lists it under unused_settings)",
            file=sys.stderr,
        )
    out = Path(args.out)
    show = sys.stderr.isatty() if args.progress is None else args.progress
    kernels.prepare(args.engine, [config])
    try:
        from backprop_study.engine.training import train

        if show:
            from tqdm import tqdm

            with tqdm(total=config.epochs, unit="epoch", unit_scale=True, desc="train") as bar:
                result = train(config, engine=args.engine, progress=bar.update)
        else:
            result = train(config, engine=args.engine)
    except KeyboardInterrupt:
        discard(out, made, files=False)
        print(f"backprop-study train: interrupted; nothing written to {out}", file=sys.stderr)
        return INTERRUPTED
    from importlib.metadata import version

    from backprop_study.engine import runfiles

    try:
        runfiles.write_run(result, out, version("backprop-study"), run_fingerprint())
    except KeyboardInterrupt:
        discard(out, made, files=True)
        print(
            f"backprop-study train: interrupted while writing; no run files left in {out}",
            file=sys.stderr,
        )
        return INTERRUPTED
    except OSError as exc:
        discard(out, made, files=True)
        raise UserError(
            f"--out: writing the results to {out} failed ({one_line(exc)}); no run files left there"
        ) from None
    if result.diverged:
        print(
            f"backprop-study train: diverged at epoch {result.diverged_epoch}; "
            f"kept {result.epochs_run} epochs in {out}",
            file=sys.stderr,
        )
    return 0
