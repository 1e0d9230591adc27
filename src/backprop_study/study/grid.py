"""The study: config → named experiments → the grid of runs, their paths and engine arguments.

The workflow (`workflow/rules/common.smk`) and the aggregation both import this module, so the run
grid, the canonical spelling of numbers and the run paths are defined once. A run's directory names
its parameters (`enc~k/lam~0.1/alpha~0.01/batch~8/seed~3`) with every number written one canonical
way, so two spellings of one value (`1e-05`, `0.00001`) can never name two runs.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import ENCODINGS, divisors

AXES = ("encoding", "lam", "alpha", "batch_size", "seed")
"""The parameters that name a run, in path order (also the run's wildcards in the workflow)."""

RUN_PATTERN = "enc~{encoding}/lam~{lam}/alpha~{alpha}/batch~{batch_size}/seed~{seed}"
"""A run's directory relative to the runs root; its fields are the workflow's wildcards."""

_RUN_ID_RE = re.compile(
    r"^enc~(?P<encoding>[^/]+)/lam~(?P<lam>[^/]+)/alpha~(?P<alpha>[^/]+)"
    r"/batch~(?P<batch_size>[^/]+)/seed~(?P<seed>[^/]+)$"
)


def format_number(x: float | int) -> str:
    """Shortest decimal that reads back as `x`, never an exponent: 1e-05 → `0.00001`, 5.0 → `5`."""
    import numpy as np

    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ConfigError(f"{x!r} is not a number")
    if isinstance(x, int):
        return str(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ConfigError(f"{x!r} is not a finite number")
    if x == 0:
        return "0"  # also for -0.0
    return np.format_float_positional(x, unique=True, trim="-")


@dataclass(frozen=True, order=True)
class Run:
    """One training run: the parameters that appear in its path."""

    encoding: str
    lam: float
    alpha: float
    batch_size: int
    seed: int

    @property
    def run_id(self) -> str:
        """The run's directory relative to the runs root (the `run_id` column of the runs table)."""
        return RUN_PATTERN.format(**self.wildcards())

    def wildcards(self) -> dict[str, str]:
        """The canonical string of each path parameter, keyed like the workflow's wildcards."""
        return {
            "encoding": self.encoding,
            "lam": format_number(self.lam),
            "alpha": format_number(self.alpha),
            "batch_size": str(self.batch_size),
            "seed": str(self.seed),
        }

    @property
    def configuration(self) -> tuple[str, float, float, int]:
        """The run without its seed: runs that differ only in seed are repeats of one setting."""
        return (self.encoding, self.lam, self.alpha, self.batch_size)

    @classmethod
    def from_id(cls, run_id: str) -> Run:
        """Parse a run directory name; raises ConfigError unless it is in canonical form."""
        match = _RUN_ID_RE.match(run_id)
        if match is None:
            raise ConfigError(f"run id {run_id!r} does not match {RUN_PATTERN}")
        g = match.groupdict()
        try:
            run = cls(g["encoding"], float(g["lam"]), float(g["alpha"]), int(g["batch_size"]),
                      int(g["seed"]))  # fmt: skip
        except ValueError as exc:
            raise ConfigError(f"run id {run_id!r}: {exc}") from None
        if run.run_id != run_id:
            raise ConfigError(f"run id {run_id!r} is not canonical; expected {run.run_id!r}")
        return run


@dataclass(frozen=True)
class Experiment:
    """A named sub-grid: every combination of its axes is one run."""

    name: str
    encoding: tuple[str, ...]
    lam: tuple[float, ...]
    alpha: tuple[float, ...]
    batch_size: tuple[int, ...]
    seeds: tuple[int, ...]
    snapshot_at: tuple[int, ...] = ()
    description: str = ""

    def runs(self) -> list[Run]:
        """Every run of the grid, in axis order (encoding, lam, alpha, batch_size, seed)."""
        return [
            Run(*combo)
            for combo in itertools.product(
                self.encoding, self.lam, self.alpha, self.batch_size, self.seeds
            )
        ]

    def varying_axes(self) -> list[str]:
        """The axes (other than seed) with more than one value: what the experiment compares."""
        return [a for a in AXES[:-1] if len(getattr(self, a)) > 1]

    def to_grid(self) -> dict[str, Any]:
        """A JSON-able description (the aggregate sub-command rebuilds the experiment from it)."""
        return {
            "name": self.name,
            "encoding": list(self.encoding),
            "lam": list(self.lam),
            "alpha": list(self.alpha),
            "batch_size": list(self.batch_size),
            "seeds": list(self.seeds),
            "snapshot_at": list(self.snapshot_at),
            "description": self.description,
        }

    def grid_json(self) -> str:
        """`to_grid` as compact, stable JSON (a workflow param: any change re-aggregates)."""
        return json.dumps(self.to_grid(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_grid(cls, grid: Mapping[str, Any] | str) -> Experiment:
        """Inverse of `to_grid` (accepts the JSON text too)."""
        if isinstance(grid, str):
            try:
                grid = json.loads(grid)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"experiment grid is not valid JSON: {exc}") from None
        try:
            return cls(
                name=str(grid["name"]),
                encoding=tuple(grid["encoding"]),
                lam=tuple(float(v) for v in grid["lam"]),
                alpha=tuple(float(v) for v in grid["alpha"]),
                batch_size=tuple(int(v) for v in grid["batch_size"]),
                seeds=tuple(int(v) for v in grid["seeds"]),
                snapshot_at=tuple(int(v) for v in grid.get("snapshot_at", ())),
                description=str(grid.get("description", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"experiment grid: bad or missing field {exc}") from None


@dataclass(frozen=True)
class Settings:
    """What every run shares and what changes a run without appearing in its path."""

    classes: int = 8
    hidden: int = 3
    epochs: int = 400_000
    init_std: float = 0.1
    log_every: int | None = None
    log_dense_until: int = 1000
    log_per_decade: int = 1000
    snapshots: int = 40
    snapshot_at: tuple[int, ...] = ()
    engine: str = "fast"

    def train_args(self) -> list[str]:
        """Engine options shared by every run (everything but the path parameters and snapshots)."""
        args = [
            "--classes", str(self.classes),
            "--hidden", str(self.hidden),
            "--epochs", str(self.epochs),
            "--init-std", format_number(self.init_std),
        ]  # fmt: skip
        if self.log_every is not None:
            args += ["--log-every", str(self.log_every)]
        else:
            args += [
                "--log-dense-until", str(self.log_dense_until),
                "--log-per-decade", str(self.log_per_decade),
            ]  # fmt: skip
        args += ["--snapshots", str(self.snapshots), "--engine", self.engine]
        return args


@dataclass(frozen=True)
class Study:
    """Shared settings plus named experiments; the union of their runs is what gets trained."""

    settings: Settings
    experiments: dict[str, Experiment]
    _snapshots: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # A run's extra snapshots: the shared ones plus those of every experiment that has it,
        # so a run two experiments share trains once, with everything either one needs.
        extra: dict[str, set[int]] = {}
        for exp in self.experiments.values():
            for run in exp.runs():
                extra.setdefault(run.run_id, set(self.settings.snapshot_at)).update(exp.snapshot_at)
        self._snapshots.update({rid: tuple(sorted(s)) for rid, s in sorted(extra.items())})

    def run_ids(self) -> list[str]:
        """Every unique run of the study, sorted."""
        return list(self._snapshots)

    def has_run(self, run_id: str) -> bool:
        return run_id in self._snapshots

    def snapshot_at(self, run_id: str) -> tuple[int, ...]:
        """The extra snapshot epochs of one run (shared ones + its experiments' ones)."""
        try:
            return self._snapshots[run_id]
        except KeyError:
            raise ConfigError(f"run {run_id!r} is in no experiment of the config") from None

    def axis_values(self) -> dict[str, list[str]]:
        """Canonical strings each path parameter takes somewhere in the study (wildcard values)."""
        values: dict[str, set[str]] = {a: set() for a in AXES}
        for exp in self.experiments.values():
            values["encoding"].update(exp.encoding)
            values["lam"].update(map(format_number, exp.lam))
            values["alpha"].update(map(format_number, exp.alpha))
            values["batch_size"].update(map(str, exp.batch_size))
            values["seed"].update(map(str, exp.seeds))
        return {a: sorted(v) for a, v in values.items()}

    def run_regex(self) -> str:
        """A regex matching exactly the run ids whose every parameter is a config value (the
        workflow's `run` wildcard: a typo such as `lam~1e-05` or `seed~99` cannot match)."""
        alternatives = {
            a: "|".join(re.escape(v) for v in sorted(vals, key=lambda s: (-len(s), s)))
            for a, vals in self.axis_values().items()
        }
        return RUN_PATTERN.format(**{a: f"(?:{alt})" for a, alt in alternatives.items()})

    def wildcard_constraints(self) -> dict[str, str]:
        """The workflow's wildcards, each matching exactly the values in the config."""
        return {
            "run": self.run_regex(),
            "experiment": "|".join(re.escape(n) for n in self.experiments),
        }

    def train_args(self, run_id: str) -> list[str]:
        """Every engine option of one run but `--out`: its path parameters, the shared settings
        and its extra snapshots (raises ConfigError for a run in no experiment)."""
        run = Run.from_id(run_id)
        snapshots = ",".join(map(str, self.snapshot_at(run_id)))
        w = run.wildcards()
        return [
            "--encoding", w["encoding"],
            "--lam", w["lam"],
            "--alpha", w["alpha"],
            "--batch-size", w["batch_size"],
            "--seed", w["seed"],
            *self.settings.train_args(),
            f"--snapshot-at={snapshots}",
        ]  # fmt: skip


def run_dir(root: str | Path, run: Run | str) -> str:
    """A run's directory under `root` (e.g. `results/runs`)."""
    run_id = run.run_id if isinstance(run, Run) else run
    return f"{str(root).rstrip('/')}/{run_id}"


# ---------------------------------------------------------------------------------------------
# Config → Study, with the checks jsonschema cannot express


def _path(keys: Iterable[Any]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out


def _numbers(values: Sequence[Any], key: str, kind: type) -> tuple:
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ConfigError(_type_message(f"{key}[{i}]", v))
        if kind is int:
            if float(v) != int(v):
                raise ConfigError(f"{key}[{i}]: {v!r} is not a whole number")
            v = int(v)
        out.append(kind(v))
    return tuple(out)


def _type_message(key: str, value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
        return (
            f"{key}: {value!r} is a string, not a number (YAML reads 1e-4 as text; "
            "write 1.0e-4 or 0.0001)"
        )
    return f"{key}: {value!r} is not a number"


def _duplicates(values: Sequence[Any], key: str, fmt=str) -> None:
    seen: set[str] = set()
    for v in values:
        s = fmt(v)
        if s in seen:
            raise ConfigError(f"{key}: value {s} appears twice")
        seen.add(s)


def load_study(config: Mapping[str, Any]) -> Study:
    """Build the Study from a schema-validated config (defaults filled), checking what the schema
    cannot: batch sizes dividing the classes, snapshot epochs inside the run, unique values after
    canonical formatting. Raises ConfigError with one line naming the key."""
    logging = dict(config.get("logging") or {})
    settings = Settings(
        classes=int(config.get("classes", 8)),
        hidden=int(config.get("hidden", 3)),
        epochs=int(config.get("epochs", 400_000)),
        init_std=float(config.get("init_std", 0.1)),
        log_every=None if logging.get("every") is None else int(logging["every"]),
        log_dense_until=int(logging.get("dense_until", 1000)),
        log_per_decade=int(logging.get("per_decade", 1000)),
        snapshots=int(config.get("snapshots", 40)),
        snapshot_at=_numbers(config.get("snapshot_at", ()), "snapshot_at", int),
        engine=str(config.get("engine", "fast")),
    )
    shared_seeds = _numbers(config.get("seeds", range(10)), "seeds", int)
    _check_seeds(shared_seeds, "seeds")
    _check_snapshots(settings.snapshot_at, "snapshot_at", settings.epochs)

    experiments_cfg = config.get("experiments")
    if not isinstance(experiments_cfg, Mapping) or not experiments_cfg:
        raise ConfigError("experiments: give at least one named experiment")
    experiments = {}
    for name, exp in experiments_cfg.items():
        key = f"experiments.{name}"
        if not isinstance(exp, Mapping):
            raise ConfigError(f"{key}: must be a mapping of axes (lam, alpha, batch_size, ...)")
        for axis in ("encoding", "lam", "alpha", "batch_size"):
            if not exp.get(axis):
                raise ConfigError(f"{key}.{axis}: give at least one value")
        encoding = tuple(str(e) for e in exp["encoding"])
        for i, e in enumerate(encoding):
            if e not in ENCODINGS:
                raise ConfigError(
                    f"{key}.encoding[{i}]: {e!r} is not an encoding; "
                    f"allowed: {', '.join(ENCODINGS)}"
                )
        lam = _numbers(exp["lam"], f"{key}.lam", float)
        alpha = _numbers(exp["alpha"], f"{key}.alpha", float)
        batch = _numbers(exp["batch_size"], f"{key}.batch_size", int)
        seeds = _numbers(exp["seeds"], f"{key}.seeds", int) if "seeds" in exp else shared_seeds
        snaps = _numbers(exp.get("snapshot_at", ()), f"{key}.snapshot_at", int)
        for i, v in enumerate(lam):
            if v < 0:
                raise ConfigError(f"{key}.lam[{i}]: {format_number(v)} is negative; lam >= 0")
        for i, v in enumerate(alpha):
            if v <= 0:
                raise ConfigError(f"{key}.alpha[{i}]: {format_number(v)} must be > 0")
        for i, b in enumerate(batch):
            if b < 1 or settings.classes % b:
                allowed = ", ".join(map(str, divisors(settings.classes)))
                raise ConfigError(
                    f"{key}.batch_size[{i}]: {b} does not divide classes={settings.classes}; "
                    f"allowed: {allowed}"
                )
        _duplicates(encoding, f"{key}.encoding")
        _duplicates(lam, f"{key}.lam", format_number)
        _duplicates(alpha, f"{key}.alpha", format_number)
        _duplicates(batch, f"{key}.batch_size")
        _check_seeds(seeds, f"{key}.seeds")
        _check_snapshots(snaps, f"{key}.snapshot_at", settings.epochs)
        experiments[str(name)] = Experiment(
            name=str(name),
            encoding=encoding,
            lam=lam,
            alpha=alpha,
            batch_size=batch,
            seeds=seeds,
            snapshot_at=snaps,
            description=str(exp.get("description", "")),
        )
    return Study(settings=settings, experiments=experiments)


def _check_seeds(seeds: Sequence[int], key: str) -> None:
    if not seeds:
        raise ConfigError(f"{key}: give at least one seed")
    for i, s in enumerate(seeds):
        if s < 0:
            raise ConfigError(f"{key}[{i}]: {s} is negative; seeds are integers >= 0")
    _duplicates(seeds, key)


def _check_snapshots(epochs_list: Sequence[int], key: str, epochs: int) -> None:
    for i, e in enumerate(epochs_list):
        if not 0 <= e <= epochs:
            raise ConfigError(f"{key}[{i}]: {e} is outside the run; allowed: 0..{epochs}")


# ---------------------------------------------------------------------------------------------
# Schema validation: jsonschema (through Snakemake, which also fills defaults) → one line


def schema_error_message(error: Any) -> str:
    """One line naming the key for a jsonschema ValidationError (not a dump of the schema)."""
    path = _path(error.absolute_path)
    key = path or "config"  # the top level
    validator = error.validator
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if validator == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        allowed = f"; allowed: {', '.join(known)}" if known else ""
        return f"{key}: unknown key {unknown[0]!r}{allowed}"
    if validator == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        if {"number", "integer"} & set(expected):
            return _type_message(key, error.instance)
        return f"{key}: {error.instance!r} is not of type {' or '.join(expected)}"
    if validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{key}: {error.instance!r} is not allowed; allowed: {allowed}"
    if validator in ("minItems", "minProperties") and error.validator_value == 1:
        return f"{key}: is empty; give at least one value"
    if validator == "uniqueItems":
        return f"{key}: has duplicate values {error.instance!r}"
    if validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return f"{key}: missing key {missing[0]!r}" if missing else f"{key}: {error.message}"
    if validator == "propertyNames":
        return f"{key}: bad name {error.instance!r} (letters, digits and _ only)"
    return f"{key}: {error.message}"


def check_config(config: dict[str, Any], schema_path: str | Path) -> Study:
    """Validate `config` against the schema (filling its defaults in place), then `load_study`.

    Snakemake's own `validate` does the schema part; its error (a wall of text) is turned into one
    ConfigError line naming the key.
    """
    import jsonschema
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    try:
        validate(config, str(schema_path), set_default=True)
    except WorkflowError as exc:
        cause = exc.__context__
        if isinstance(cause, jsonschema.ValidationError):
            raise ConfigError(schema_error_message(cause)) from None
        raise ConfigError(f"config: {str(exc).splitlines()[0]}") from None
    return load_study(config)
