"""`backprop-study train`: one run from the command line into a directory of Parquet files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import ENCODINGS, RunConfig


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of epochs"
        ) from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = RunConfig.__dataclass_fields__
    model = p.add_argument_group("model")
    model.add_argument(
        "--encoding",
        default=d["encoding"].default,
        help=f"class encoding: {' or '.join(ENCODINGS)} (k: one-hot; k-1: class 0 is all zeros)",
    )
    model.add_argument(
        "--classes",
        type=int,
        default=d["classes"].default,
        help="number of classes k (default %(default)s)",
    )
    model.add_argument(
        "--hidden", type=int, default=d["hidden"].default, help="hidden units (default %(default)s)"
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
        type=int,
        default=d["batch_size"].default,
        help="patterns per update; must divide --classes (default %(default)s)",
    )
    opt.add_argument(
        "--epochs",
        type=int,
        default=d["epochs"].default,
        help="passes over all patterns (default %(default)s)",
    )
    opt.add_argument(
        "--seed",
        type=int,
        default=d["seed"].default,
        help="seed >= 0 of the initial weights and the batch order (default %(default)s)",
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
        type=int,
        default=None,
        help="log every N epochs (default: geometric schedule below)",
    )
    log.add_argument(
        "--log-dense-until",
        type=int,
        default=d["log_dense_until"].default,
        help="geometric schedule: log every epoch up to this one (default %(default)s)",
    )
    log.add_argument(
        "--log-per-decade",
        type=int,
        default=d["log_per_decade"].default,
        help="geometric schedule: logged epochs per decade after that (default %(default)s)",
    )
    log.add_argument(
        "--snapshots",
        type=int,
        default=d["snapshots"].default,
        help="log-spaced weight snapshots, plus epoch 0 and the last (default %(default)s)",
    )
    log.add_argument(
        "--snapshot-at",
        type=_int_list,
        default=(),
        help="extra snapshot epochs, comma-separated, e.g. 350000",
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--out",
        required=True,
        type=Path,
        help="directory for curve.parquet, weights.parquet, hidden.parquet",
    )
    out.add_argument("--force", action="store_true", help="overwrite results already in --out")
    out.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: only when stderr is a terminal)",
    )


def config_from_args(args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        encoding=args.encoding,
        classes=args.classes,
        hidden=args.hidden,
        lam=args.lam,
        alpha=args.alpha,
        batch_size=args.batch_size,
        epochs=args.epochs,
        seed=args.seed,
        init_std=args.init_std,
        log_every=args.log_every,
        log_dense_until=args.log_dense_until,
        log_per_decade=args.log_per_decade,
        snapshots=args.snapshots,
        snapshot_at=args.snapshot_at,
    )


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    from importlib.metadata import version

    from backprop_study.engine import runfiles
    from backprop_study.engine.fingerprint import engine_fingerprint

    present = runfiles.existing_results(args.out)
    if present and not args.force:
        raise ConfigError(
            f"--out: {args.out} already holds results ({', '.join(present)}); "
            "allowed: a directory without run files, or pass --force"
        )
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out: {args.out} is a file; allowed: a directory")
    from backprop_study.engine.training import train

    show = sys.stderr.isatty() if args.progress is None else args.progress
    if show:
        from tqdm import tqdm

        with tqdm(total=config.epochs, unit="epoch", unit_scale=True, desc="train") as bar:
            result = train(config, engine=args.engine, progress=bar.update)
    else:
        result = train(config, engine=args.engine)
    runfiles.write_run(result, args.out, version("backprop-study"), engine_fingerprint())
    if result.diverged:
        print(
            f"backprop-study train: diverged at epoch {result.diverged_epoch}; "
            f"kept {result.epochs_run} epochs in {args.out}",
            file=sys.stderr,
        )
    return 0
