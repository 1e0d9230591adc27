"""`backprop-study train`: one run from the command line into a directory of Parquet files.

Everything the user can get wrong (a setting, the destination) is checked before training, so a
mistake costs a second rather than a run, and ends with one line naming the option as typed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from backprop_study.engine.errors import ConfigError, UserError
from backprop_study.engine.losses import LOSS_NAMES
from backprop_study.engine.optimizers import HYPER, OPTIMIZERS
from backprop_study.engine.runconfig import ENCODINGS, RunConfig

INTERRUPTED = 130  # the shell's status for a process ended by SIGINT (128 + 2)


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


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The run's settings (`add_setting_arguments`), then where its files go."""
    add_setting_arguments(p, seed=True)
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


def add_setting_arguments(p: argparse.ArgumentParser, seed: bool) -> None:
    """Every engine option of a run (`--seed` only if `seed`): shared by `train` and by
    `train-seeds`, which takes a list of seeds instead."""
    d = RunConfig.__dataclass_fields__
    model = p.add_argument_group("model")
    model.add_argument(
        "--encoding",
        default=d["encoding"].default,
        help=f"class encoding: {' or '.join(ENCODINGS)} (k: one-hot; k-1: class 0 is all zeros)",
    )
    model.add_argument(
        "--classes",
        type=_integer,
        default=d["classes"].default,
        help="number of classes k (default %(default)s)",
    )
    model.add_argument(
        "--hidden",
        type=_integer,
        default=d["hidden"].default,
        help="hidden units (default %(default)s)",
    )
    model.add_argument(
        "--init-std",
        type=_number,
        default=d["init_std"].default,
        help="std of the N(0, std^2) initial weights and biases (default %(default)s)",
    )
    opt = p.add_argument_group("training")
    opt.add_argument(
        "--lam",
        type=_number,
        default=d["lam"].default,
        help="weight decay lambda >= 0 (default %(default)s)",
    )
    opt.add_argument(
        "--alpha",
        type=_number,
        default=d["alpha"].default,
        help="learning rate alpha > 0 (default %(default)s)",
    )
    opt.add_argument(
        "--batch-size",
        type=_integer,
        default=d["batch_size"].default,
        help="patterns per update; must divide --classes (default %(default)s)",
    )
    opt.add_argument(
        "--epochs",
        type=_integer,
        default=d["epochs"].default,
        help="passes over all patterns (default %(default)s)",
    )
    if seed:
        opt.add_argument(
            "--seed",
            type=_integer,
            default=d["seed"].default,
            help="seed >= 0 of the initial weights and the batch order (default %(default)s)",
        )
    opt.add_argument(
        "--optimizer",
        default=d["optimizer"].default,
        help=f"how a gradient becomes a step: {', '.join(OPTIMIZERS)} (default %(default)s; "
        "rprop needs the full batch and does not use --alpha)",
    )
    opt.add_argument(
        "--loss",
        default=d["loss"].default,
        help=f"loss per pattern: {', '.join(LOSS_NAMES)} (mse: 1/2 ||h - y||^2; "
        "cross_entropy: binary, summed over outputs) (default %(default)s)",
    )
    opt.add_argument(
        "--prime-offset",
        type=_number,
        default=d["prime_offset"].default,
        help="Fahlman's flat-spot fix: added to the sigmoid derivative in the backward pass "
        "(default %(default)s)",
    )
    hyper = p.add_argument_group("optimizer settings (each optimizer reads only its own)")
    helps = {
        "momentum": "momentum mu in [0, 1) of --optimizer momentum",
        "rprop_delta0": "rprop: initial step size",
        "rprop_eta_plus": "rprop: step growth factor (>= 1)",
        "rprop_eta_minus": "rprop: step shrink factor (0, 1]",
        "rprop_delta_max": "rprop: largest step size",
        "rprop_delta_min": "rprop: smallest step size",
        "adam_beta1": "adam: decay of the first moment, in [0, 1)",
        "adam_beta2": "adam: decay of the second moment, in [0, 1)",
        "adam_eps": "adam: epsilon added to the root of the second moment",
    }
    for name in HYPER:
        hyper.add_argument(
            option_name(name),
            type=_number,
            default=d[name].default,
            help=f"{helps[name]} (default %(default)s)",
        )
    opt.add_argument(
        "--engine",
        choices=("fast", "reference"),
        default="fast",
        help="fast (numba) or reference (plain numpy, slow) (default %(default)s)",
    )
    log = p.add_argument_group("logging and snapshots")
    log.add_argument(
        "--log-every",
        type=_integer,
        default=None,
        help="log every N epochs (default: geometric schedule below)",
    )
    log.add_argument(
        "--log-dense-until",
        type=_integer,
        default=d["log_dense_until"].default,
        help="geometric schedule: log every epoch up to this one (default %(default)s)",
    )
    log.add_argument(
        "--log-per-decade",
        type=_integer,
        default=d["log_per_decade"].default,
        help="geometric schedule: logged epochs per decade after that (default %(default)s)",
    )
    log.add_argument(
        "--snapshots",
        type=_integer,
        default=d["snapshots"].default,
        help="log-spaced weight snapshots, plus epoch 0 and the last (default %(default)s)",
    )
    log.add_argument(
        "--snapshot-at",
        type=_int_list,
        default=(),
        help="extra snapshot epochs, comma-separated, e.g. 350000",
    )


def option_name(setting: str) -> str:
    """The option that sets a RunConfig setting, as the user types it (`batch_size` ->
    `--batch-size`)."""
    return "--" + setting.replace("_", "-")


def config_from_args(args: argparse.Namespace, seed: int | None = None) -> RunConfig:
    """The run's settings (with `seed` instead of `--seed` if given); a ConfigError names the
    option, not the RunConfig field."""
    try:
        return RunConfig(
            encoding=args.encoding,
            classes=args.classes,
            hidden=args.hidden,
            lam=args.lam,
            alpha=args.alpha,
            batch_size=args.batch_size,
            epochs=args.epochs,
            seed=args.seed if seed is None else seed,
            init_std=args.init_std,
            optimizer=args.optimizer,
            loss=args.loss,
            prime_offset=args.prime_offset,
            **{name: getattr(args, name) for name in HYPER},
            log_every=args.log_every,
            log_dense_until=args.log_dense_until,
            log_per_decade=args.log_per_decade,
            snapshots=args.snapshots,
            snapshot_at=args.snapshot_at,
        )
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


def skip_blas_probe() -> None:
    """Load numba's array-math registry with scipy's BLAS hidden from it. numba loads that
    registry at its first compile or cache load and probes for BLAS there by importing
    scipy.linalg: about 0.3 s, a third of a training job's start-up. The kernels call no BLAS.
    scipy stays importable as usual afterwards; only numba's own np.dot & co. are off in this
    process, which is why only the training commands call this."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    sys.modules["scipy.linalg.cython_blas"] = None  # an import of it raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg.cython_blas"]


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
    skip_blas_probe()
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
    from backprop_study.engine.fingerprint import engine_fingerprint

    try:
        runfiles.write_run(result, out, version("backprop-study"), engine_fingerprint())
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
