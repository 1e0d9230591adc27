"""One training run's settings, checked once so every engine can trust them."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from backprop_study.engine.errors import ConfigError
from backprop_study.engine.losses import LOSS_NAMES
from backprop_study.engine.optimizers import FULL_BATCH_ONLY, HYPER, OPTIMIZERS, USES

ENCODINGS = ("k", "k-1")
INIT_DISTRIBUTIONS = ("normal", "uniform")


def divisors(n: int) -> list[int]:
    """Allowed batch sizes for n patterns."""
    return [d for d in range(1, n + 1) if n % d == 0]


@dataclass(frozen=True)
class RunConfig:
    """Settings of one run.

    The seed alone fixes the initial network and the mini-batch order, so runs that differ only in
    `lam`, `alpha` or `batch_size` start from the same weights (paired comparisons).
    """

    encoding: str = "k"
    classes: int = 8
    hidden: int = 3
    lam: float = 0.0
    alpha: float = 0.01
    batch_size: int = 8
    epochs: int = 400_000
    seed: int = 0
    init_std: float = 0.1
    # Initial weights and biases ~ N(0, init_std²) or U(−init_range, init_range).
    init_distribution: str = "normal"
    init_range: float = 0.5
    # How a gradient becomes an update (`optimizers`) and what is minimised (`losses`); the
    # defaults are the seed's plain gradient descent on the squared error.
    optimizer: str = "gd"
    loss: str = "mse"
    prime_offset: float = 0.0  # Fahlman's flat-spot fix: sigma' + offset in the backward pass
    momentum: float = 0.9
    rprop_delta0: float = 0.1
    rprop_eta_plus: float = 1.2
    rprop_eta_minus: float = 0.5
    rprop_delta_max: float = 50.0
    rprop_delta_min: float = 1e-6
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_eps: float = 1e-8
    quickprop_mu: float = 1.75  # Fahlman's maximum growth factor (ε is alpha)
    quickprop_decay: float = 1e-4  # Fahlman's weight decay, added to the slope (biases too)
    supersab_eta_plus: float = 1.05
    supersab_eta_minus: float = 0.5
    supersab_momentum: float = 0.9
    # Logging: every `log_every` epochs if set, else every epoch up to `log_dense_until`
    # and then about `log_per_decade` log-spaced epochs per decade.
    log_every: int | None = None
    log_dense_until: int = 1000
    log_per_decade: int = 1000
    # Snapshots: `snapshots` log-spaced epochs (plus 0 and the last) and any `snapshot_at`.
    snapshots: int = 40
    snapshot_at: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "snapshot_at", tuple(int(e) for e in self.snapshot_at))
        self.validate()

    @property
    def n_inputs(self) -> int:
        """Width of the input and output layers (k-1 drops one unit)."""
        return self.classes if self.encoding == "k" else self.classes - 1

    @property
    def n_patterns(self) -> int:
        return self.classes

    @property
    def n_parameters(self) -> int:
        n, h = self.n_inputs, self.hidden
        return h * n + h + n * h + n

    def unused_settings(self) -> tuple[str, ...]:
        """Settings that do not change this run: `alpha` under rprop, the settings of the
        optimizers it does not use (`optimizers.USES`) and of the other init distribution."""
        used = set(USES[self.optimizer])
        unused_init = "init_range" if self.init_distribution == "normal" else "init_std"
        return (*(n for n in ("alpha", *HYPER) if n not in used), unused_init)

    def validate(self) -> None:
        for name in SETTINGS:
            check_setting(name, getattr(self, name))
        if self.classes % self.batch_size:
            allowed = ", ".join(map(str, divisors(self.classes)))
            raise ConfigError(
                f"batch_size: {self.batch_size} does not divide classes={self.classes}; "
                f"allowed: {allowed}"
            )
        check_full_batch(self.optimizer, self.batch_size, self.classes)
        if not self.rprop_delta_min <= self.rprop_delta0 <= self.rprop_delta_max:
            raise ConfigError(
                f"rprop_delta0: {self.rprop_delta0!r} is outside [rprop_delta_min, "
                f"rprop_delta_max] = [{self.rprop_delta_min!r}, {self.rprop_delta_max!r}]; "
                "allowed: rprop_delta_min <= rprop_delta0 <= rprop_delta_max"
            )
        for e in self.snapshot_at:
            if not 0 <= e <= self.epochs:
                raise ConfigError(
                    f"snapshot_at: {e} is outside the run; allowed: 0..{self.epochs} (epochs)"
                )
        check_logging(self.epochs, self.log_every, self.log_dense_until, self.log_per_decade)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["snapshot_at"] = list(self.snapshot_at)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown setting; allowed: {', '.join(sorted(known))}")
        return cls(**d)


def _integer(minimum: int, maximum: int) -> Callable[[str, Any], None]:
    allowed = f"an integer in [{minimum}, {maximum}]"

    def check(key: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{key}: {value!r} is not an integer; allowed: {allowed}")
        if not minimum <= value <= maximum:
            raise ConfigError(f"{key}: {value} is out of range; allowed: {allowed}")

    return check


def _real(minimum: float, maximum: float, zero: bool) -> Callable[[str, Any], None]:
    """A finite number in [minimum, maximum] (or exactly 0 if `zero`): bounded both ways, so
    that its canonical decimal (in run paths) stays short."""
    allowed = f"{'0 or ' if zero else ''}a number in [{minimum:g}, {maximum:g}]"

    def check(key: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{key}: {value!r} is not a number; allowed: {allowed}")
        if not math.isfinite(value):
            raise ConfigError(f"{key}: {value!r} is not finite; allowed: {allowed}")
        if not (minimum <= value <= maximum or (zero and value == 0)):
            raise ConfigError(f"{key}: {value!r} is out of range; allowed: {allowed}")

    return check


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if value not in choices:
            raise ConfigError(f"{key}: {value!r} is not allowed; allowed: {', '.join(choices)}")

    return check


_encoding = _choice(ENCODINGS)


def _fraction(key: str, value: Any) -> None:
    """A decay rate in [0, 1): 1 would never forget (and divides by zero in Adam's bias
    correction)."""
    allowed = "a number in [0, 1)"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{key}: {value!r} is not a number; allowed: {allowed}")
    if not math.isfinite(value):
        raise ConfigError(f"{key}: {value!r} is not finite; allowed: {allowed}")
    if not 0 <= value < 1:
        raise ConfigError(f"{key}: {value!r} is out of range; allowed: {allowed}")


def check_full_batch(
    optimizer: str, batch_size: int, classes: int, key: str = "batch_size"
) -> None:
    """Refuse a mini-batch for an optimizer that needs the full batch (`FULL_BATCH_ONLY`)."""
    if optimizer in FULL_BATCH_ONLY and batch_size != classes:
        raise ConfigError(
            f"{key}: {batch_size} is not allowed with optimizer {optimizer} (full batch only); "
            f"allowed: {classes} (= classes)"
        )


def _optional(check: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
    return lambda key, value: None if value is None else check(key, value)


def _epoch_list(key: str, value: Any) -> None:
    for i, e in enumerate(value):
        _integer(0, MAX_EPOCHS)(f"{key}[{i}]", e)


MAX_EPOCHS = 1_000_000_000
MAX_LOGGED_ROWS = 10_000_000
"""A run's memory is its logged rows (48 bytes each) and snapshots, whatever its epochs."""


def check_logging(
    epochs: int, every: int | None, dense_until: int, per_decade: int, key: str = ""
) -> None:
    """Refuse a logging schedule of more than MAX_LOGGED_ROWS rows for this many epochs."""
    from backprop_study.engine.schedules import logged_rows

    rows = logged_rows(epochs, every, dense_until, per_decade)
    if rows > MAX_LOGGED_ROWS:
        name = "log_every" if every is not None else "log_per_decade"
        raise ConfigError(
            f"{key}{name}: logs {rows:,} rows over {epochs:,} epochs; allowed: at most "
            f"{MAX_LOGGED_ROWS:,} logged rows (log less often)"
        )


SETTINGS: dict[str, Callable[[str, Any], None]] = {
    "encoding": _encoding,
    "classes": _integer(2, 1000),
    "hidden": _integer(1, 1000),
    "lam": _real(1e-12, 1e3, zero=True),
    "alpha": _real(1e-12, 1e3, zero=False),
    "batch_size": _integer(1, 1000),
    "epochs": _integer(1, MAX_EPOCHS),
    "seed": _integer(0, 2**32 - 1),
    "init_std": _real(1e-12, 1e3, zero=True),
    "init_distribution": _choice(INIT_DISTRIBUTIONS),
    "init_range": _real(1e-12, 1e3, zero=True),
    "optimizer": _choice(OPTIMIZERS),
    "loss": _choice(LOSS_NAMES),
    "prime_offset": _real(1e-12, 1e3, zero=True),
    "momentum": _fraction,
    "rprop_delta0": _real(1e-12, 1e3, zero=False),
    "rprop_eta_plus": _real(1.0, 1e3, zero=False),
    "rprop_eta_minus": _real(1e-12, 1.0, zero=False),
    "rprop_delta_max": _real(1e-12, 1e3, zero=False),
    "rprop_delta_min": _real(1e-12, 1e3, zero=False),
    "adam_beta1": _fraction,
    "adam_beta2": _fraction,
    "adam_eps": _real(1e-12, 1.0, zero=False),
    "quickprop_mu": _real(1.0, 1e3, zero=False),
    "quickprop_decay": _real(1e-12, 1e3, zero=True),
    "supersab_eta_plus": _real(1.0, 1e3, zero=False),
    "supersab_eta_minus": _real(1e-12, 1.0, zero=False),
    "supersab_momentum": _fraction,
    "log_every": _optional(_integer(1, MAX_EPOCHS)),
    "log_dense_until": _integer(0, MAX_EPOCHS),
    "log_per_decade": _integer(1, 100_000),
    "snapshots": _integer(0, 10_000),
    "snapshot_at": _epoch_list,
}
"""Each setting's range check, alone (the checks across settings are in `RunConfig.validate`).
The study checks every config value with these before any job, so its messages are the same."""


def check_setting(name: str, value: Any, key: str | None = None) -> None:
    """Raise ConfigError (one line, `key` or `name` first, allowed values) unless `value` is
    allowed for setting `name`."""
    if name not in SETTINGS:
        raise ConfigError(f"{key or name}: unknown setting; allowed: {', '.join(SETTINGS)}")
    SETTINGS[name](key or name, value)
