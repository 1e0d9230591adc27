"""The run settings as experiment axes: their path keys, symbols, titles and canonical spelling.

Every `RunConfig` setting but the seed and the extra snapshot epochs can be an axis. This module
is the one place that says how a setting is named in a run's path (`lam~0.1`), in a legend
(`λ = 0.1`) and on a figure axis (`weight decay λ`); analysis, study and reporting read it from
here, so a new engine option becomes an axis by appearing in `RunConfig` (and, for a nicer label,
one line in `_WORDS`). It lives in the analysis layer, the lowest that talks to people, so that
editing a label never changes the engine fingerprint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import RunConfig


@dataclass(frozen=True)
class Axis:
    """One run setting as it appears in paths, tables and figures."""

    name: str  # the RunConfig field (and the config key and table column)
    key: str  # its path key: `{key}~{value}`
    symbol: str  # short, for legends and table headers
    title: str  # long, for a figure axis
    kind: type  # str, int or float: how a path value reads back

    def text(self, value: Any) -> str:
        """The value as people and paths read it (canonical numbers, `none` for unset)."""
        if value is None:
            return "none"
        if self.kind is float:
            return format_number(float(value))
        if self.kind is int:
            return str(int(value))
        return str(value)

    def parse(self, text: str) -> Any:
        """Inverse of `text` (raises ValueError)."""
        if text == "none":
            return None
        return self.kind(text)


# name: (path key, symbol, title). Order = path order; the first four are always in a run's path
# (today's runs), the others only where a run differs from the study-wide value.
_WORDS: dict[str, tuple[str, str, str]] = {
    "encoding": ("enc", "encoding", "class encoding"),
    "lam": ("lam", "λ", "weight decay λ"),
    "alpha": ("alpha", "α", "learning rate α"),
    "batch_size": ("batch", "batch size", "batch size (patterns per update)"),
    "classes": ("classes", "classes", "classes k (input and output units)"),
    "hidden": ("hidden", "hidden units", "hidden units"),
    "init_std": ("init", "init std", "init std (initial weights ~ N(0, std²))"),
    "init_distribution": ("initdist", "init", "initial weight distribution"),
    "init_range": ("initrange", "init r", "init range r (initial weights ~ U(−r, r))"),
    "epochs": ("epochs", "epochs", "epochs (training budget)"),
    "log_every": ("logevery", "log every", "logging interval (epochs)"),
    "log_dense_until": ("logdense", "dense logging until", "dense logging until (epoch)"),
    "log_per_decade": ("logdecade", "logged per decade", "logged epochs per decade"),
    "snapshots": ("snaps", "snapshots", "log-spaced snapshots per run"),
    "optimizer": ("opt", "optimizer", "optimizer"),
    "loss": ("loss", "loss", "loss"),
    "prime_offset": ("prime", "σ′ offset", "sigmoid-prime offset (Fahlman)"),
    "momentum": ("mu", "μ", "momentum μ"),
    "rprop_delta0": ("rpd0", "Δ0", "rprop initial step Δ0"),
    "rprop_eta_plus": ("rpetap", "η⁺", "rprop step growth η⁺"),
    "rprop_eta_minus": ("rpetam", "η⁻", "rprop step shrink η⁻"),
    "rprop_delta_max": ("rpdmax", "Δmax", "rprop largest step Δmax"),
    "rprop_delta_min": ("rpdmin", "Δmin", "rprop smallest step Δmin"),
    "adam_beta1": ("beta1", "β1", "Adam first-moment decay β1"),
    "adam_beta2": ("beta2", "β2", "Adam second-moment decay β2"),
    "adam_eps": ("adameps", "ε", "Adam ε"),
    "quickprop_mu": ("qpmu", "μ", "Quickprop maximum growth factor μ"),
    "quickprop_decay": ("qpdecay", "decay", "Quickprop weight decay"),
    "supersab_eta_plus": ("ssetap", "η⁺", "SuperSAB rate growth η⁺"),
    "supersab_eta_minus": ("ssetam", "η⁻", "SuperSAB rate shrink η⁻"),
    "supersab_momentum": ("ssmu", "μ", "SuperSAB momentum"),
}
PATH_ALWAYS = ("encoding", "lam", "alpha", "batch_size")
"""Axes every run path names, whatever the defaults (the paths of the original study)."""
NOT_AXES = ("seed", "snapshot_at")
"""RunConfig settings that are not axes: the seeds are their own list; extra snapshot epochs
add to a run without making it another run."""


def _kind(field: dataclasses.Field) -> type:
    text = str(field.type)
    if "str" in text:
        return str
    if "float" in text:
        return float
    return int


def _axes() -> tuple[Axis, ...]:
    fields = [f for f in dataclasses.fields(RunConfig) if f.name not in NOT_AXES]
    known = [f for name in _WORDS for f in fields if f.name == name]
    new = [f for f in fields if f.name not in _WORDS]  # an engine option without words yet
    out = []
    for f in known + new:
        key, symbol, title = _WORDS.get(f.name, (f.name, f.name.replace("_", " ")) * 2)[:3]
        out.append(Axis(f.name, key, symbol, title, _kind(f)))
    return tuple(out)


AXES: tuple[Axis, ...] = _axes()
"""Every axis, in path order."""
AXIS_NAMES: tuple[str, ...] = tuple(a.name for a in AXES)
CONFIG_COLUMNS: list[str] = list(AXIS_NAMES)
"""A configuration: a run without its seed (the runs table has one column per axis)."""
SEED = Axis("seed", "seed", "seed", "seed", int)
DEFAULTS: dict[str, Any] = {
    name: RunConfig.__dataclass_fields__[name].default for name in AXIS_NAMES
}
"""The engine's default of every axis (a study's config may set others)."""


def config_columns(columns: Any) -> list[str]:
    """The configuration columns a table has (tables written before every setting was an axis
    have only the first four)."""
    present = set(columns)
    return [c for c in CONFIG_COLUMNS if c in present]


def axis(name: str) -> Axis:
    """The axis called `name`; a ConfigError lists the allowed ones."""
    for a in (*AXES, SEED):
        if a.name == name:
            return a
    raise ConfigError(f"{name}: not a run setting; allowed: {', '.join(AXIS_NAMES)}")


def symbol(name: str) -> str:
    return axis(name).symbol


def value_text(name: str, value: Any) -> str:
    return axis(name).text(value)


def label(settings: dict[str, Any], names: list[str] | tuple[str, ...]) -> str:
    """`λ = 0.1, α = 0.5` for the named settings."""
    return ", ".join(f"{symbol(n)} = {value_text(n, settings[n])}" for n in names)


def format_number(x: float | int) -> str:
    """Shortest decimal that reads back as `x`, never an exponent: 1e-05 → `0.00001`, 5.0 → `5`.

    One canonical spelling, so two spellings of one value can never name two runs.
    """
    import math

    import numpy as np

    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ConfigError(f"{x!r} is not a number")
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise ConfigError(f"{x!r} is not a finite number")
    if x == 0:
        return "0"  # also for -0.0
    return np.format_float_positional(x, unique=True, trim="-")
