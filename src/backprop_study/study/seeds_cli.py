"""`backprop-study train-seeds`: seeds of one setting, each into `<root>/seed~N`, then a
manifest of them.

The workflow trains the seeds of one setting (a run path without its seed), up to 32 per job, so
that a process start-up pays for many runs rather than one. Its settings are one JSON text
(`grid.Study.job_settings`), also the workflow param that decides when the job reruns.
Snakemake deletes a job's outputs before it runs the job, so the runs cannot be its outputs
without losing the seeds already trained; the job's one output is the manifest, and this command
decides run by run, from the run's own files, whether a run already there is kept or trained
again (`stale`); a damaged run's files are first set aside as `*.damaged`. Every run is written
by the same atomic writer as `backprop-study train` and from the same config, so its Parquet
files are byte-identical to a run trained alone. A run is complete once its checksums file
exists (written last, and removed before a stale run is rewritten), so a killed job leaves
finished runs valid and the rest visibly unfinished.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from backprop_study.engine import runfiles
from backprop_study.engine.errors import ConfigError, RunFileError, UserError
from backprop_study.engine.runconfig import RunConfig
from backprop_study.study import kernels, train_cli
from backprop_study.study.run_fingerprint import run_fingerprint

if TYPE_CHECKING:
    from backprop_study.engine.training import TrainResult

INTERRUPTED = train_cli.INTERRUPTED
SUFFIX = ".damaged"
"""Added to the files of a damaged run before it is retrained (kept for a look)."""


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


def set_aside(run: Path) -> None:
    """Rename a run's files to `NAME.damaged`: the run then counts as not trained."""
    for name in runfiles.WRITTEN:
        if (run / name).exists():
            (run / name).replace(run / f"{name}{SUFFIX}")


def train_each(configs: Sequence[RunConfig], engine: str) -> Iterator[TrainResult]:
    """Train `configs`, yielding each result as soon as it exists, so the caller writes it
    before the next ones start (a killed job keeps what it finished). The seeds of a setting
    train together, several at once (`training.train_many`), with the same bits as alone."""
    if not configs:
        return
    from backprop_study.engine.training import train_many

    yield from train_many(configs, engine=engine)


class Manifest(NamedTuple):
    runs: dict[int, str]
    """seed -> checksums digest of each run listed."""
    integrity: str
    """The integrity digest the job was started for (`study.integrity.job_integrity`)."""


def manifest_text(root: str | Path, seeds: Sequence[int], integrity: str = "") -> str:
    """The manifest of a setting's runs: its seeds in order, each with its checksums digest,
    and the integrity digest the job ran for if any (none unless runs were found damaged or
    missing). Nothing time-dependent, so kept and retrained runs give the same text."""
    runs = [
        {"seed": s, "checksums_sha256": runfiles.checksums_digest(seed_dir(root, s))}
        for s in sorted(seeds)
    ]
    return (
        json.dumps({"runs": runs, **({"integrity": integrity} if integrity else {})}, indent=1)
        + "\n"
    )


def read_manifest(path: str | Path) -> Manifest:
    """The runs a manifest lists and its integrity digest; RunFileError if unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        runs = {int(r["seed"]): str(r["checksums_sha256"]) for r in data["runs"]}
        return Manifest(runs, str(data.get("integrity", "")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RunFileError(f"{path}: not a readable manifest ({exc})") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's settings (one JSON text), where runs and manifest go, and the integrity digest
    to record."""
    p.add_argument(
        "--settings",
        required=True,
        help='the job\'s settings as JSON: {"config": RunConfig settings but the seed (the '
        'others at their defaults), "seeds": [N, ...], "engine": "fast" or "reference"} '
        "(grid.Study.job_settings)",
    )
    p.add_argument(
        "--root", required=True, help="the setting's directory: run N goes to ROOT/seed~N"
    )
    p.add_argument(
        "--manifest",
        required=True,
        help="file listing the seeds and their checksums, written last (e.g. ROOT/seeds-0.json)",
    )
    p.add_argument(
        "--integrity",
        default="",
        help="the workflow's digest of the runs' damage when it started the job, recorded in "
        "the manifest (study.integrity.job_integrity; default: none)",
    )


def configs_from_settings(text: str) -> tuple[list[RunConfig], str]:
    """One checked config per seed, and the engine; a bad value names its key in `--settings`."""
    try:
        settings = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"--settings: not JSON ({exc})") from None
    keys = ("config", "engine", "seeds")
    if not isinstance(settings, dict) or sorted(settings) != list(keys):
        raise ConfigError(f"--settings: give an object with exactly the keys {', '.join(keys)}")
    config, engine, seeds = (settings[k] for k in keys)
    if engine not in train_cli.ENGINES:
        allowed = ", ".join(train_cli.ENGINES)
        raise ConfigError(f"--settings: engine {engine!r} is not allowed; allowed: {allowed}")
    if not isinstance(config, dict) or "seed" in config:
        raise ConfigError("--settings: config must be an object of settings other than the seed")
    if not isinstance(seeds, list) or not seeds:
        raise ConfigError("--settings: seeds must be a list of at least one seed")
    configs = []
    for i, seed in enumerate(seeds):
        if seed in seeds[:i]:
            raise ConfigError(f"--settings: seed {seed} appears twice; allowed: distinct seeds")
        configs.append(_config({**config, "seed": seed}))
    return configs, engine


def _config(values: dict[str, Any]) -> RunConfig:
    try:
        return RunConfig.from_dict(values)
    except (ConfigError, TypeError) as exc:
        raise ConfigError(f"--settings: {exc}") from None


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
    configs, engine = configs_from_settings(args.settings)
    root = Path(args.root)
    train_cli.prepare_out(args.root, force=True, option="--root")
    manifest = _prepare_manifest(args.manifest)

    from importlib.metadata import version

    fingerprint = run_fingerprint()
    package = version("backprop-study")
    reasons = {}
    for config in configs:
        run = seed_dir(root, config.seed)
        state = runfiles.run_state(run)
        if state is not None and state[0] == "damaged":
            set_aside(run)
            reasons[config.seed] = f"damaged ({state[1]}); set aside as *{SUFFIX}"
            continue
        why = stale(run, config, engine, fingerprint)
        if why is None:
            print(f"seed~{config.seed}: kept (same settings, engine {fingerprint})", flush=True)
        else:
            reasons[config.seed] = why
    todo = [c for c in configs if c.seed in reasons]
    if todo:
        kernels.prepare(engine, todo)
    seed: int | None = None
    try:
        for result in train_each(todo, engine):
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
    text = manifest_text(root, [c.seed for c in configs], args.integrity)
    try:
        runfiles.replace_atomic(manifest, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise UserError(
            f"--manifest: writing {manifest} failed ({train_cli.one_line(exc)})"
        ) from None
    print(f"{len(todo)} trained, {len(configs) - len(todo)} kept; wrote {manifest}")
    return 0
