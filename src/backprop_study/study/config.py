"""The study config → a checked `Study`, before any job: one line naming the key on any error.

Every value is checked by the engine's own range check (`runconfig.check_setting`), so the study
and `backprop-study train` refuse a value with the same message; what no single value shows
(batch sizes dividing the classes, full-batch optimizers only with the full batch, rprop's
initial step between its bounds, snapshot epochs inside the run, duplicates after canonical
formatting, a grid larger than `max_runs`) is checked here too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backprop_study.analysis.axes import AXIS_NAMES, DEFAULTS, axis, format_number
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import (
    check_full_batch,
    check_logging,
    check_setting,
    divisors,
)
from backprop_study.study.grid import Experiment, Settings, Study

MAX_RUNS = 20_000
"""Default limit on a study's runs: a typo such as `seeds: 100000` stops before Snakemake spends
minutes building a DAG."""
LOGGING = {"log_every": "every", "log_dense_until": "dense_until", "log_per_decade": "per_decade"}
"""Axes that the config's top level sets under `logging:` (an experiment names them directly)."""
EXPERIMENT_KEYS = (*AXIS_NAMES, "seeds", "snapshot_at", "description")
SETTINGS_FILE = "study-settings.json"
"""In a results folder: the study-wide values its run paths are named against."""


def _path(keys: Iterable[Any]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out


NUMBER_TEXT = re.compile(r"([-+]?)(\d+\.?\d*|\.\d+)(?:[eE]([-+]?)(\d+))?")


def _type_message(key: str, value: Any, kind: type = float) -> str:
    """Why `value` is not a number; for a number YAML read as text, how to write it."""
    match = NUMBER_TEXT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return f"{key}: {value!r} is not a number"
    sign, mantissa, exp_sign, exponent = match.groups()
    plain = format_number(float(value))
    if exponent is None:
        why, spellings = "quoted", [plain]
    else:
        why = "an exponent without both a dot and a sign is text to YAML"
        mantissa = mantissa if "." in mantissa else f"{mantissa}.0"
        spellings = [] if kind is int else [f"{sign}{mantissa}e{exp_sign or '+'}{exponent}"]
        spellings += [plain] if len(plain) <= 16 else []
    return (
        f"{key}: {value!r} is a string, not a number ({why}); "
        f"write {' or '.join(spellings or [plain])}"
    )


STUDY_RANGES = {"classes": (2, 64), "hidden": (1, 64)}
"""Narrower than the engine's ranges: every run is analysed in aggregation (its Hessian at three
points, `analysis.hessian`), whose memory grows as parameters × classes² and time as
parameters³; see MAX_PARAMETERS."""
MAX_PARAMETERS = 600
"""The largest network (weights and biases) a study takes. One run's aggregation, measured on a
shared 2-core machine: 8-3-8 (59 parameters) 0.1 s; 64-4-64 (580) 7 s and 8-34-8 (586) 6 s, both
under 0.3 GB; 64-8-64 (1,096) 18 s; 64-16-64 (2,128) 91 s, 0.7 GB; two 2-1000-2 runs 102 s and
1.9 GB; 1000-3-1000 needs 104 GiB. At the bound, 200 runs fit the aggregate rule's 30 minutes."""


def _checked(name: str, value: Any, key: str) -> Any:
    """`value` for axis `name` after the engine's check and the study's ranges (floats as
    float)."""
    kind = axis(name).kind
    if isinstance(value, str) and kind is not str:
        raise ConfigError(_type_message(key, value, kind))
    check_setting(name, value, key)
    if name in STUDY_RANGES and not STUDY_RANGES[name][0] <= value <= STUDY_RANGES[name][1]:
        lo, hi = STUDY_RANGES[name]
        raise ConfigError(
            f"{key}: {value} is out of range; allowed: an integer in [{lo}, {hi}] (every run's "
            "Hessian is computed in aggregation)"
        )
    return float(value) if kind is float and value is not None else value


def _values(name: str, given: Any, key: str) -> tuple:
    """An experiment's values of one axis: a list sweeps it, a scalar sets it."""
    if not isinstance(given, list | tuple):
        return (_checked(name, given, key),)
    if not given:
        raise ConfigError(f"{key}: is empty; give at least one value")
    values = tuple(_checked(name, v, f"{key}[{i}]") for i, v in enumerate(given))
    _no_duplicates([axis(name).text(v) for v in values], key)
    return values


def _no_duplicates(texts: list[str], key: str) -> None:
    seen: set[str] = set()
    for s in texts:
        if s in seen:
            raise ConfigError(f"{key}: value {s} appears twice")
        seen.add(s)


def _seeds(given: Any, key: str) -> tuple[int, ...]:
    if not isinstance(given, list | tuple) or not given:
        raise ConfigError(f"{key}: give a list of at least one seed")
    seeds = tuple(_checked("seed", s, f"{key}[{i}]") for i, s in enumerate(given))
    _no_duplicates([str(s) for s in seeds], key)
    return seeds


def _epoch_list(given: Any, key: str) -> tuple[int, ...]:
    if not isinstance(given, list | tuple):
        raise ConfigError(f"{key}: give a list of epochs")
    check_setting("snapshot_at", list(given), key)
    return tuple(int(e) for e in given)


def _defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The study-wide value of every axis: the engine's default unless the config sets it."""
    logging = config.get("logging") or {}
    defaults = {}
    for name in AXIS_NAMES:
        value = DEFAULTS[name]
        if name in LOGGING:
            if LOGGING[name] in logging:
                value = _checked(name, logging[LOGGING[name]], f"logging.{LOGGING[name]}")
        elif name in config:
            value = _checked(name, config[name], name)
        defaults[name] = value
    return defaults


def _where(name: str, exp: Mapping[str, Any], key: str, value: Any, values: dict) -> str:
    """The config key that gave axis `name` its `value` in this experiment: the experiment's
    own entry, or the study-wide key when the experiment does not name the axis."""
    if name not in exp:
        return f"logging.{LOGGING[name]}" if name in LOGGING else name
    if isinstance(exp[name], list | tuple):
        return f"{key}.{name}[{values[name].index(value)}]"
    return f"{key}.{name}"


def _check_sizes(exp: Mapping[str, Any], key: str, values: dict) -> None:
    """Batch sizes divide the classes; networks have at most MAX_PARAMETERS parameters."""
    for classes, b in itertools.product(values["classes"], values["batch_size"]):
        if classes % b == 0:
            continue
        if "batch_size" not in exp and "classes" in exp:
            raise ConfigError(
                f"{_where('classes', exp, key, classes, values)}: {classes} is not a multiple of "
                f"batch_size={b}; allowed: a multiple of {b}, or a batch_size in the experiment"
            )
        allowed = ", ".join(map(str, divisors(classes)))
        raise ConfigError(
            f"{_where('batch_size', exp, key, b, values)}: {b} does not divide classes={classes}; "
            f"allowed: {allowed}"
        )
    for enc, k, h in itertools.product(values["encoding"], values["classes"], values["hidden"]):
        outputs = k if enc == "k" else k - 1
        n = 2 * outputs * h + outputs + h
        if n <= MAX_PARAMETERS:
            continue
        if "hidden" in exp or "classes" not in exp:
            largest = (MAX_PARAMETERS - outputs) // (2 * outputs + 1)
            raise ConfigError(
                f"{_where('hidden', exp, key, h, values)}: {h} hidden units with classes={k} make "
                f"{n:,} parameters; allowed: at most {MAX_PARAMETERS} parameters (hidden <= "
                f"{largest} at classes={k}): every run's Hessian is computed in aggregation"
            )
        largest = max(c for c in range(2, 65) if 2 * c * h + c + h <= MAX_PARAMETERS)
        raise ConfigError(
            f"{_where('classes', exp, key, k, values)}: {k} classes with hidden={h} make {n:,} "
            f"parameters; allowed: at most {MAX_PARAMETERS} parameters (classes <= {largest} at "
            f"hidden={h}): every run's Hessian is computed in aggregation"
        )


def _experiment(
    name: str, exp: Any, defaults: dict, seeds: tuple, shared_snapshots: tuple
) -> Experiment:
    key = f"experiments.{name}"
    if not isinstance(exp, Mapping):
        raise ConfigError(f"{key}: must be a mapping of axes (lam, alpha, batch_size, ...)")
    unknown = sorted(set(exp) - set(EXPERIMENT_KEYS))
    if unknown:
        raise ConfigError(
            f"{key}: unknown key {unknown[0]!r}; allowed: {', '.join(EXPERIMENT_KEYS)}"
        )
    values = {
        n: _values(n, exp[n], f"{key}.{n}") if n in exp else (defaults[n],) for n in AXIS_NAMES
    }
    _check_sizes(exp, key, values)
    for optimizer, classes in itertools.product(values["optimizer"], values["classes"]):
        for b in values["batch_size"]:
            where = _where("batch_size", exp, key, b, values)
            check_full_batch(optimizer, b, classes, key=where)
    rprop = ("rprop_delta0", "rprop_delta_min", "rprop_delta_max")
    for d0, dmin, dmax in itertools.product(*(values[n] for n in rprop)):
        if not dmin <= d0 <= dmax:
            d0, dmin, dmax = (axis("rprop_delta0").text(v) for v in (d0, dmin, dmax))
            where = f"{key}.rprop_delta0" if "rprop_delta0" in exp else "rprop_delta0"
            raise ConfigError(
                f"{where}: {d0} is outside [rprop_delta_min, rprop_delta_max] = "
                f"[{dmin}, {dmax}]; allowed: rprop_delta_min <= rprop_delta0 <= rprop_delta_max"
            )
    logging = ("epochs", "log_every", "log_dense_until", "log_per_decade")
    for combo in itertools.product(*(values[n] for n in logging)):
        try:
            check_logging(*combo)
        except ConfigError as exc:
            name, rest = str(exc).split(":", 1)
            value = dict(zip(logging, combo, strict=True))[name]
            raise ConfigError(f"{_where(name, exp, key, value, values)}:{rest}") from None
    snapshot_at = _epoch_list(exp.get("snapshot_at", []), f"{key}.snapshot_at")
    for snaps, snaps_key in ((snapshot_at, f"{key}.snapshot_at"), shared_snapshots):
        for i, e in enumerate(snaps):
            if e > min(values["epochs"]):
                raise ConfigError(
                    f"{snaps_key}[{i}]: {e} is outside the run; "
                    f"allowed: 0..{min(values['epochs'])} (epochs of {key})"
                )
    return Experiment(
        name=str(name),
        values=values,
        seeds=_seeds(exp["seeds"], f"{key}.seeds") if "seeds" in exp else seeds,
        defaults=defaults,
        snapshot_at=snapshot_at,
        description=str(exp.get("description", "")),
    )


def _count_runs(experiments: Mapping[str, Experiment], max_runs: int) -> None:
    """Stop before any run is listed when the grid has more than `max_runs` runs."""
    sizes = [e.n_runs() for e in experiments.values()]
    if sum(sizes) <= max_runs:
        return
    at_least = max(sizes) > max_runs
    n = max(sizes) if at_least else len({r.run_id for e in experiments.values() for r in e.runs()})
    if n > max_runs:
        raise ConfigError(
            f"experiments: the grid has {'at least ' if at_least else ''}{n:,} runs, more than "
            f"max_runs = {max_runs:,}; allowed: fewer seeds or values, or raise max_runs in the "
            "config"
        )


FIGURE_FORMATS = ("png", "svg", "pdf")


def figure_formats(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The config's figure formats, PNG first and always (the HTML reports inline it)."""
    given = config.get("figure_formats", ["png"])
    allowed = f"allowed: a list of {', '.join(FIGURE_FORMATS)}"
    ok = isinstance(given, list) and given
    bad = [v for v in given if v not in FIGURE_FORMATS] if ok else [given]
    if bad:
        raise ConfigError(f"figure_formats: {bad[0]!r} is not allowed; {allowed}")
    return tuple(dict.fromkeys(["png", *given]))


def load_study(config: Mapping[str, Any]) -> Study:
    """Build the Study from a config (schema defaults filled or not), checking every value with
    the engine's checks. Raises ConfigError with one line naming the key."""
    defaults = _defaults(config)
    seeds = _seeds(config.get("seeds", list(range(10))), "seeds")
    snapshot_at = _epoch_list(config.get("snapshot_at", []), "snapshot_at")
    engine = config.get("engine", "fast")
    if engine not in ("fast", "reference"):
        raise ConfigError(f"engine: {engine!r} is not allowed; allowed: fast, reference")
    figure_formats(config)
    max_runs = config.get("max_runs", MAX_RUNS)
    if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1:
        raise ConfigError(f"max_runs: {max_runs!r} is not allowed; allowed: an integer >= 1")

    experiments_cfg = config.get("experiments")
    if not isinstance(experiments_cfg, Mapping) or not experiments_cfg:
        raise ConfigError("experiments: give at least one named experiment")
    shared = (snapshot_at, "snapshot_at")
    experiments = {
        str(name): _experiment(name, exp, defaults, seeds, shared)
        for name, exp in experiments_cfg.items()
    }
    _count_runs(experiments, max_runs)
    results = _results_folder(config.get("results", "results"))
    return Study(Settings(defaults, snapshot_at, str(engine)), experiments, results)


SOURCE_FOLDERS = ("src", "workflow", "config", "tests", "docs", "report", "profiles", "examples")
"""The repository's own folders, where a study must not write its runs, tables and figures."""
SOURCE_MARKS = ("Snakefile", "pyproject.toml", "src", "workflow")
"""What marks a folder on disk as (a copy of) the repository."""


def _results_folder(value: Any) -> str:
    """A relative folder inside the repository (no `..`), without a trailing slash, that is not
    the repository itself nor one of its source folders."""
    path = Path(str(value)) if isinstance(value, str) else None
    allowed = "allowed: a folder of its own such as results or results/quick"
    if path is None or not value.strip() or path.is_absolute() or ".." in path.parts:
        raise ConfigError(f"results: {value!r} is not allowed; {allowed}")
    if not path.parts or path.parts[0] in SOURCE_FOLDERS or path.parts[0].startswith("."):
        raise ConfigError(f"results: {value!r} holds the workflow's source; {allowed}")
    marks = [m for m in SOURCE_MARKS if (path / m).exists()]
    if marks:
        raise ConfigError(f"results: {value!r} holds the workflow's source ({marks[0]}); {allowed}")
    return path.as_posix()


def check_results_folder(stamp: str | Path, study: Study) -> None:
    """Refuse a results folder whose runs were named against other study-wide values (their
    paths would mean other runs): one line saying which value differs and what to do."""
    import json

    stamp = Path(stamp)
    if not stamp.exists():
        return
    try:
        found = json.loads(stamp.read_text())
        theirs = found["defaults"] | {"engine": found["engine"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(
            f"results: {stamp} is unreadable; delete it if {study.results}/ holds this study's runs"
        ) from None
    mine = json.loads(study.settings_json())
    mine = mine["defaults"] | {"engine": mine["engine"]}
    differ = [k for k in sorted(mine) if theirs.get(k) != mine[k]]
    if differ:
        k = differ[0]
        raise ConfigError(
            f"results: {study.results}/ holds runs of a study with {k}={theirs.get(k)!r}, not "
            f"{mine[k]!r}; allowed: give this config its own results folder (results: "
            f"{study.results}/other), or delete {stamp} to retrain those runs under this config"
        )


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
