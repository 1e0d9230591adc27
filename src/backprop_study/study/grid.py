"""The study's grid: named experiments → runs, their paths and engine settings.

The workflow (`workflow/rules/common.smk`) and the aggregation both import this module, so the run
grid and the run paths are defined once. A run's directory names its parameters with every number
written one canonical way (`axes.format_number`), so two spellings of one value (`1e-05`,
`0.00001`) can never name two runs. The encoding, λ, α and batch size are always in the path;
any other setting only where the run differs from the study-wide value, in the fixed order of
`axes.AXES` (`enc~k/lam~0/alpha~0.01/batch~8/init~1/seed~3`). So the paths of runs that use
only the original four axes never change, and two experiments that ask for the same full
configuration share one run.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop_study.analysis.axes import AXES, AXIS_NAMES, DEFAULTS, PATH_ALWAYS, SEED, axis
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import RunConfig

_KEYS = {a.key: a for a in AXES}

SEEDS_PER_JOB = 32
"""Seeds per training job: four blocks of the lane kernel's 8 (`engine.lanes.LANES`). A 10-seed
setting stays one job; a 100-seed one becomes three, so that the cores are not left with one
long job each at the end of a sweep."""
LANE_BLOCK = 8
"""`engine.lanes.LANES`, written out: importing the lane kernel would load numba in every
`snakemake` call."""
MANIFEST = "seeds-{part}.json"
"""A training job's output in its setting's folder: its seeds and their checksums digests
(`study.seeds_cli.manifest_text`), `part` being its index in `Study.seed_parts`."""


@dataclass(frozen=True)
class Run:
    """One training run: the four settings every path names, its seed, and the other settings
    in which it differs from the study-wide values (`extra`, in axis order)."""

    encoding: str
    lam: float
    alpha: float
    batch_size: int
    seed: int
    extra: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def make(cls, settings: Mapping[str, Any], seed: int, defaults: Mapping[str, Any]) -> Run:
        """The run of full `settings` (every axis) and `seed`, named against `defaults`."""
        extra = tuple(
            (a.name, settings[a.name])
            for a in AXES
            if a.name not in PATH_ALWAYS and a.text(settings[a.name]) != a.text(defaults[a.name])
        )
        always = [settings[name] for name in PATH_ALWAYS]
        return cls(*always, seed=seed, extra=extra)

    @property
    def setting(self) -> str:
        """The run's path without its seed: the directory that holds every seed of its setting
        (`enc~k/lam~0/alpha~0.01/batch~8`); one training job trains them all."""
        named = [(name, getattr(self, name)) for name in PATH_ALWAYS] + list(self.extra)
        return "/".join(f"{axis(n).key}~{axis(n).text(v)}" for n, v in named)

    @property
    def run_id(self) -> str:
        """The run's directory relative to the runs root (the `run_id` column of the runs table)."""
        return f"{self.setting}/seed~{self.seed}"

    @property
    def configuration(self) -> tuple:
        """The run without its seed: runs that differ only in seed are repeats of one setting."""
        return (*(getattr(self, n) for n in PATH_ALWAYS), *self.extra)

    def settings(self, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """Every axis's value for this run (the defaults, then what its path names)."""
        return {**defaults, **{n: getattr(self, n) for n in PATH_ALWAYS}, **dict(self.extra)}

    @classmethod
    def from_id(cls, run_id: str) -> Run:
        """Parse a run directory name; raises ConfigError unless it is in canonical form."""
        parts = run_id.split("/")
        try:
            pairs = [p.split("~", 1) for p in parts]
            if any(len(p) != 2 for p in pairs) or pairs[-1][0] != SEED.key:
                raise ValueError("every part is key~value and the last is seed~N")
            always = [axis(n).key for n in PATH_ALWAYS]
            if [k for k, _ in pairs[: len(always)]] != always:
                raise ValueError(f"it must start with {'/'.join(k + '~' for k in always)}")
            values = [axis(n).parse(v) for n, (_, v) in zip(PATH_ALWAYS, pairs, strict=False)]
            extra = []
            for key, text in pairs[len(always) : -1]:
                if key not in _KEYS or key in always:
                    raise ValueError(f"{key!r} is not a path key")
                extra.append((_KEYS[key].name, _KEYS[key].parse(text)))
            order = {n: i for i, n in enumerate(AXIS_NAMES)}
            if [order[n] for n, _ in extra] != sorted(order[n] for n, _ in extra):
                raise ValueError("its settings are not in path order")
            run = cls(*values, seed=int(pairs[-1][1]), extra=tuple(extra))
        except (ValueError, ConfigError) as exc:
            raise ConfigError(f"run id {run_id!r} is not a run path: {exc}") from None
        if run.run_id != run_id:
            raise ConfigError(f"run id {run_id!r} is not canonical; expected {run.run_id!r}")
        return run


@dataclass(frozen=True)
class Experiment:
    """A named sub-grid: every combination of its axes' values (× seeds) is one run.

    `values` has every axis (one value where the experiment does not sweep it); `defaults` are the
    study-wide values, which decide what a run's path names. `experiment.lam` etc. read `values`.
    """

    name: str
    values: Mapping[str, tuple]
    seeds: tuple[int, ...]
    defaults: Mapping[str, Any]
    snapshot_at: tuple[int, ...] = ()
    description: str = ""

    def __getattr__(self, name: str) -> Any:
        if name in AXIS_NAMES:
            return self.values[name]
        raise AttributeError(name)

    @classmethod
    def build(
        cls,
        name: str,
        seeds: tuple[int, ...],
        defaults: Mapping[str, Any] | None = None,
        snapshot_at: tuple[int, ...] = (),
        description: str = "",
        **values: tuple,
    ) -> Experiment:
        """An experiment sweeping the given axes (tuples of values); every other axis at its
        study-wide value (`defaults`, or the engine's)."""
        defaults = dict(DEFAULTS if defaults is None else defaults)
        full = {n: tuple(values.get(n, (defaults[n],))) for n in AXIS_NAMES}
        return cls(name, full, tuple(seeds), defaults, tuple(snapshot_at), description)

    def runs(self) -> list[Run]:
        """Every run of the grid, in axis order then seed."""
        combos = itertools.product(*(self.values[n] for n in AXIS_NAMES))
        runs = []
        for combo in combos:
            settings = dict(zip(AXIS_NAMES, combo, strict=True))
            named = Run.make(settings, self.seeds[0], self.defaults)  # seeds share the path's rest
            runs.extend(dataclasses.replace(named, seed=seed) for seed in self.seeds)
        return runs

    def n_runs(self) -> int:
        n = len(self.seeds)
        for name in AXIS_NAMES:
            n *= len(self.values[name])
        return n

    def varying_axes(self) -> list[str]:
        """The axes (other than seed) with more than one value: what the experiment compares."""
        return [n for n in AXIS_NAMES if len(self.values[n]) > 1]

    def shown_axes(self) -> list[str]:
        """The axes worth naming in a note: the four of every path plus any the experiment sets
        away from the study-wide value."""
        return [
            n
            for n in AXIS_NAMES
            if n in PATH_ALWAYS
            or [axis(n).text(v) for v in self.values[n]] != [axis(n).text(self.defaults[n])]
        ]

    def to_grid(self) -> dict[str, Any]:
        """A JSON-able description: each axis's values under its name, plus seeds and defaults
        (the aggregate, figure and report sub-commands rebuild the experiment from it)."""
        return {
            "name": self.name,
            **{n: list(self.values[n]) for n in AXIS_NAMES},
            "seeds": list(self.seeds),
            "defaults": dict(self.defaults),
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
            defaults = {n: _typed(n, grid["defaults"][n]) for n in AXIS_NAMES}
            return cls(
                name=str(grid["name"]),
                values={
                    n: tuple(_typed(n, v) for v in grid.get(n, [defaults[n]])) for n in AXIS_NAMES
                },
                seeds=tuple(int(v) for v in grid["seeds"]),
                defaults=defaults,
                snapshot_at=tuple(int(v) for v in grid.get("snapshot_at", ())),
                description=str(grid.get("description", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"experiment grid: bad or missing field {exc}") from None


def _typed(name: str, value: Any) -> Any:
    return None if value is None else axis(name).kind(value)


@dataclass(frozen=True)
class Settings:
    """What the study shares: the study-wide value of every axis, extra snapshot epochs for
    every run, and the engine. `settings.epochs` etc. read the study-wide values."""

    defaults: Mapping[str, Any]
    snapshot_at: tuple[int, ...] = ()
    engine: str = "fast"

    def __getattr__(self, name: str) -> Any:
        if name in AXIS_NAMES:
            return self.defaults[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class Study:
    """Shared settings plus named experiments; the union of their runs is what gets trained.

    Runs that differ only in their seed form a *setting* (`Run.setting`, the run path without
    `/seed~N`): the workflow trains a setting's seeds in one job, so they share every engine
    option but the seed, the extra snapshots included.
    """

    settings: Settings
    experiments: dict[str, Experiment]
    results: str = "results"
    _runs: dict[str, Run] = field(default_factory=dict, repr=False)
    _settings: dict[str, tuple[Run, tuple[int, ...], tuple[int, ...]]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        # A setting's seeds and extra snapshots: the union over the experiments that have it
        # (the shared snapshots plus each experiment's), so a run two experiments share trains
        # once, with everything either one needs, and all seeds of a setting alike.
        runs: dict[str, Run] = {}
        seeds: dict[str, set[int]] = {}
        extra: dict[str, set[int]] = {}
        for exp in self.experiments.values():
            for run in exp.runs():
                runs[run.run_id] = run
                seeds.setdefault(run.setting, set()).add(run.seed)
                extra.setdefault(run.setting, set(self.settings.snapshot_at)).update(
                    exp.snapshot_at
                )
        self._runs.update({rid: runs[rid] for rid in sorted(runs)})
        for run in self._runs.values():
            if run.setting not in self._settings:
                self._settings[run.setting] = (
                    run,
                    tuple(sorted(seeds[run.setting])),
                    tuple(sorted(extra[run.setting])),
                )

    @property
    def defaults(self) -> Mapping[str, Any]:
        return self.settings.defaults

    def settings_json(self) -> str:
        """The study-wide values that give the run paths their meaning, as stable JSON."""
        stamp = {"defaults": dict(self.defaults), "engine": self.settings.engine}
        return json.dumps(stamp, sort_keys=True, separators=(",", ":"))

    def run_ids(self) -> list[str]:
        """Every unique run of the study, sorted."""
        return list(self._runs)

    def has_run(self, run_id: str) -> bool:
        return run_id in self._runs

    def _run(self, run_id: str) -> Run:
        try:
            return self._runs[run_id]
        except KeyError:
            raise ConfigError(f"run {run_id!r} is in no experiment of the config") from None

    def setting_ids(self) -> list[str]:
        """Every setting of the study (a run path without its seed), sorted: one training job
        each."""
        return sorted(self._settings)

    def _setting(self, setting: str) -> tuple[Run, tuple[int, ...], tuple[int, ...]]:
        try:
            return self._settings[setting]
        except KeyError:
            raise ConfigError(f"setting {setting!r} is in no experiment of the config") from None

    def seeds_of(self, setting: str) -> tuple[int, ...]:
        """A setting's seeds: the union over the experiments that have it, sorted."""
        return self._setting(setting)[1]

    def seed_parts(self, setting: str) -> list[tuple[int, ...]]:
        """A setting's seeds in the order of `seeds_of`, cut into training jobs of
        `SEEDS_PER_JOB`; a remainder shorter than one lane block (8 seeds) joins the part
        before it, where it shares the kernel's blocks instead of training one run at a time."""
        seeds = self.seeds_of(setting)
        starts = list(range(0, len(seeds), SEEDS_PER_JOB))
        if len(starts) > 1 and len(seeds) - starts[-1] < LANE_BLOCK:
            starts.pop()
        return [seeds[a:b] for a, b in zip(starts, [*starts[1:], len(seeds)], strict=True)]

    def seed_part(self, setting: str, part: int) -> tuple[int, ...]:
        """The seeds of one training job (`seed_parts`); ConfigError for a part that is not."""
        parts = self.seed_parts(setting)
        if not 0 <= part < len(parts):
            raise ConfigError(
                f"setting {setting!r} has seed parts 0 to {len(parts) - 1}: not {part}"
            )
        return parts[part]

    def part_of(self, run_id: str) -> tuple[str, int]:
        """The training job (setting, part) that trains a run."""
        run = self._run(run_id)
        parts = self.seed_parts(run.setting)
        return run.setting, next(i for i, seeds in enumerate(parts) if run.seed in seeds)

    def training_jobs(self) -> list[tuple[str, int]]:
        """Every (setting, part) of the study, sorted: one training job each."""
        return [(s, i) for s in self.setting_ids() for i in range(len(self.seed_parts(s)))]

    def snapshot_at(self, run_id: str) -> tuple[int, ...]:
        """The extra snapshot epochs of one run (shared ones + those of every experiment having
        its setting)."""
        return self._setting(self._run(run_id).setting)[2]

    def run_settings(self, run_id: str) -> dict[str, Any]:
        """Every axis's value for one run of the study."""
        return self._run(run_id).settings(self.defaults)

    def setting_values(self, setting: str) -> dict[str, Any]:
        """Every axis's value for the runs of one setting."""
        return self._setting(setting)[0].settings(self.defaults)

    def path_values(self) -> dict[str, list[str]]:
        """The canonical strings each path key takes somewhere in the study (wildcard values)."""
        values: dict[str, set[str]] = {}
        for run in self._runs.values():
            named = [(n, getattr(run, n)) for n in PATH_ALWAYS] + [*run.extra, ("seed", run.seed)]
            for n, v in named:
                values.setdefault(n, set()).add(axis(n).text(v))
        return {n: sorted(v) for n, v in values.items()}

    def _alternatives(self, values: Mapping[str, list[str]], name: str) -> str:
        vals = sorted(values[name], key=lambda s: (-len(s), s))
        return f"{axis(name).key}~(?:{'|'.join(re.escape(v) for v in vals)})"

    def setting_regex(self) -> str:
        """A regex matching exactly the setting paths made of config values (the workflow's
        `setting` wildcard: a typo such as `lam~1e-05` cannot match)."""
        values = self.path_values()
        parts = [self._alternatives(values, n) for n in PATH_ALWAYS]
        optional = [
            f"(?:/{self._alternatives(values, n)})?"
            for n in AXIS_NAMES
            if n not in PATH_ALWAYS and n in values
        ]
        return "/".join(parts) + "".join(optional)

    def run_regex(self) -> str:
        """A regex matching exactly the run paths made of config values (a setting's path and
        one of the config's seeds)."""
        return f"{self.setting_regex()}/{self._alternatives(self.path_values(), 'seed')}"

    def wildcard_constraints(self) -> dict[str, str]:
        """The workflow's wildcards, each matching exactly the values in the config."""
        return {
            "setting": self.setting_regex(),
            "experiment": "|".join(re.escape(n) for n in self.experiments),
        }

    def _config(self, run: Run, snapshot_at: tuple[int, ...]) -> RunConfig:
        """A run's engine settings, each value as its canonical text reads back (what the run
        path names is what the engine gets)."""
        values = {n: axis(n).parse(axis(n).text(v)) for n, v in run.settings(self.defaults).items()}
        return RunConfig(**values, seed=run.seed, snapshot_at=snapshot_at)

    def run_config(self, run_id: str) -> RunConfig:
        """Every engine setting of one run (raises ConfigError for a run in no experiment)."""
        run = self._run(run_id)
        return self._config(run, self.snapshot_at(run_id))

    def job_settings(self, setting: str, part: int) -> str:
        """The settings of one training job as canonical JSON: the engine settings its seeds
        share where they differ from RunConfig's defaults (`RunConfig.to_dict`; a plain gradient
        descent job names no Adam setting), its seeds and the engine. The workflow passes it to
        `backprop-study train-seeds` and reruns the job when it changes; raises ConfigError for
        a setting in no experiment or a part it has not, so a combination of config values that
        no experiment has cannot become a phantom training job."""
        run, _, snapshots = self._setting(setting)
        defaults = RunConfig().to_dict()
        config = self._config(run, snapshots).to_dict()
        settings = {
            "config": {k: v for k, v in config.items() if k != "seed" and v != defaults[k]},
            "seeds": list(self.seed_part(setting, part)),
            "engine": self.settings.engine,
        }
        return json.dumps(settings, sort_keys=True, separators=(",", ":"))


def run_dir(root: str | Path, run: Run | str) -> str:
    """A run's directory under `root` (e.g. `results/runs`)."""
    run_id = run.run_id if isinstance(run, Run) else run
    return f"{str(root).rstrip('/')}/{run_id}"
