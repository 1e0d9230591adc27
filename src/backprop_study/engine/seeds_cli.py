"""`backprop-study train-seeds`: seeds of one setting, each into `<root>/seed~N`, then a
manifest of them.

The workflow trains the seeds of one setting (a run path without its seed), up to 32 per job, so
that a process start-up pays for many runs rather than one. Snakemake deletes a job's outputs
before it runs the job, so the runs cannot be its outputs without losing the seeds already
trained; the job's one output is the manifest, and this command decides run by run, from the
run's own files, whether a run already there is kept or trained again (`stale`). Every run is
written by the same atomic writer as `backprop-study train` and from the same config, so its
Parquet files are byte-identical to a run trained alone. A run is complete once its checksums
file exists (written last, and removed before a stale run is rewritten), so a killed job leaves
finished runs valid and the rest visibly unfinished.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from backprop_study.engine import runfiles, train_cli
from backprop_study.engine.errors import ConfigError, RunFileError, UserError
from backprop_study.engine.runconfig import RunConfig

if TYPE_CHECKING:
    from backprop_study.engine.training import TrainResult

INTERRUPTED = train_cli.INTERRUPTED


def seed_dir(root: str | Path, seed: int) -> Path:
    """Where one seed of the setting in `root` lives (the run path's last part)."""
    return Path(root) / f"seed~{seed}"


def stale(run: Path, config: RunConfig, engine: str, fingerprint: str) -> str | None:
    """Why the run directory `run` must be (re)trained for `config` on `engine` at this engine
    `fingerprint` (one phrase), or None when it holds exactly that run, complete and intact."""
    state = runfiles.run_state(run)
    if state is not None:
        kind, why = state
        return "not trained yet" if kind == "absent" else f"{kind} ({why})"
    try:
        meta = runfiles.read_meta(run / runfiles.FILES[0])
    except RunFileError:
        return "unreadable metadata"
    if meta.get("engine") != engine:
        return f"trained by the {meta.get('engine')} engine, not {engine}"
    if meta.get("fingerprint") != fingerprint:
        return f"trained by engine {meta.get('fingerprint')}, not {fingerprint}"
    stored, wanted = meta.get("config") or {}, config.to_dict()
    if stored != wanted:
        differ = sorted(k for k in stored.keys() | wanted.keys() if stored.get(k) != wanted.get(k))
        return f"trained with other settings ({', '.join(differ)})"
    return None


def train_each(configs: Sequence[RunConfig], engine: str) -> Iterator[TrainResult]:
    """Train `configs`, yielding each result as soon as it exists, so the caller writes it
    before the next ones start (a killed job keeps what it finished). The seeds of a setting
    train together, several at once (`training.train_many`), with the same bits as alone."""
    from backprop_study.engine.training import train_many

    yield from train_many(configs, engine=engine)


def manifest_text(root: str | Path, seeds: Sequence[int]) -> str:
    """The manifest of a setting's runs: its seeds in order, each with its checksums digest.
    Nothing time- or history-dependent, so kept and retrained runs give the same text."""
    runs = [
        {"seed": s, "checksums_sha256": runfiles.checksums_digest(seed_dir(root, s))}
        for s in sorted(seeds)
    ]
    return json.dumps({"runs": runs}, indent=1) + "\n"


def read_manifest(path: str | Path) -> dict[int, str]:
    """seed -> checksums digest of the runs a manifest lists; RunFileError if unreadable."""
    try:
        return {
            int(r["seed"]): str(r["checksums_sha256"])
            for r in json.loads(Path(path).read_text(encoding="utf-8"))["runs"]
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunFileError(f"{path}: not a readable manifest ({exc})") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `train` but `--seed`, plus the seeds and where runs and manifest go."""
    train_cli.add_setting_arguments(p, seed=False)
    out = p.add_argument_group("seeds and output")
    out.add_argument(
        "--seeds",
        nargs="+",
        type=train_cli._integer,
        required=True,
        help="the seeds to train (each >= 0, no repeats)",
    )
    # Otherwise argparse would take `--seed 3` for an abbreviation of `--seeds`.
    out.add_argument("--seed", dest="single_seed", default=None, help=argparse.SUPPRESS)
    out.add_argument(
        "--root", required=True, help="the setting's directory: run N goes to ROOT/seed~N"
    )
    out.add_argument(
        "--manifest",
        required=True,
        help="file listing the seeds and their checksums, written last (e.g. ROOT/seeds-0.json)",
    )


def configs_from_args(args: argparse.Namespace) -> list[RunConfig]:
    """One checked config per seed; a bad setting or seed names its option (`--seeds` for a
    seed)."""
    if args.single_seed is not None:
        raise ConfigError("--seed: train-seeds takes a list; allowed: --seeds N [N ...]")
    seen: set[object] = set()
    configs = []
    for seed in args.seeds:
        if seed in seen:
            raise ConfigError(f"--seeds: {seed} appears twice; allowed: distinct seeds")
        seen.add(seed)
        try:
            configs.append(train_cli.config_from_args(args, seed=seed))
        except ConfigError as exc:
            message = str(exc)
            if message.startswith("--seed: "):
                message = "--seeds: " + message.removeprefix("--seed: ")
            raise ConfigError(message) from None
    return configs


def _prepare_manifest(text: str) -> Path:
    if not text:
        raise ConfigError("--manifest: empty; allowed: a file path")
    path = Path(text)
    if path.is_dir():
        raise ConfigError(f"--manifest: {path} is a directory; allowed: a file path")
    train_cli.prepare_out(str(path.parent), force=True, option="--manifest")
    return path


def write_run(result: TrainResult, out: Path, version: str, fingerprint: str) -> None:
    """Write one run: its old checksums go first, so a run cut short while being rewritten is
    never taken for complete; on failure its files are removed."""
    try:
        (out / runfiles.CHECKSUMS).unlink(missing_ok=True)
        runfiles.write_run(result, out, version, fingerprint)
    except BaseException:
        train_cli.discard(out, [], files=True)
        raise


def run(args: argparse.Namespace) -> int:
    configs = configs_from_args(args)
    root = Path(args.root)
    train_cli.prepare_out(args.root, force=True, option="--root")
    manifest = _prepare_manifest(args.manifest)

    from importlib.metadata import version

    from backprop_study.engine.fingerprint import engine_fingerprint

    fingerprint = engine_fingerprint()
    package = version("backprop-study")
    reasons = {}
    for config in configs:
        why = stale(seed_dir(root, config.seed), config, args.engine, fingerprint)
        if why is None:
            print(f"seed~{config.seed}: kept (same settings, engine {fingerprint})", flush=True)
        else:
            reasons[config.seed] = why
    todo = [c for c in configs if c.seed in reasons]
    train_cli.skip_blas_probe()
    seed: int | None = None
    try:
        for result in train_each(todo, args.engine):
            seed = result.config.seed
            out = seed_dir(root, seed)
            write_run(result, out, package, fingerprint)
            diverged = f", diverged at epoch {result.diverged_epoch}" if result.diverged else ""
            print(
                f"seed~{seed}: trained in {result.wall_time_s:.2f} s ({reasons[seed]}{diverged})",
                flush=True,
            )
            seed = None
    except KeyboardInterrupt:
        print(
            "backprop-study train-seeds: interrupted; the runs reported above are complete, "
            "the others are not",
            file=sys.stderr,
        )
        return INTERRUPTED
    except OSError as exc:
        raise UserError(
            f"--root: writing seed~{seed} to {root} failed ({train_cli.one_line(exc)}); "
            "no files of it left there"
        ) from None
    text = manifest_text(root, [c.seed for c in configs])
    try:
        runfiles.replace_atomic(manifest, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise UserError(
            f"--manifest: writing {manifest} failed ({train_cli.one_line(exc)})"
        ) from None
    print(f"{len(todo)} trained, {len(configs) - len(todo)} kept; wrote {manifest}")
    return 0
