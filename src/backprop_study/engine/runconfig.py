"""One training run's settings, checked once so every engine can trust them."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field
from typing import Any

from backprop_study.engine.errors import ConfigError

ENCODINGS = ("k", "k-1")


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

    def validate(self) -> None:
        _check_int("classes", self.classes, 2)
        _check_int("hidden", self.hidden, 1)
        if self.encoding not in ENCODINGS:
            raise ConfigError(
                f"encoding: {self.encoding!r} is not allowed; allowed: {', '.join(ENCODINGS)}"
            )
        _check_real("lam", self.lam, "a finite number >= 0")
        if self.lam < 0:
            raise ConfigError(f"lam: {self.lam!r} is negative; allowed: a finite number >= 0")
        _check_real("alpha", self.alpha, "a finite number > 0")
        if self.alpha <= 0:
            raise ConfigError(f"alpha: {self.alpha!r} is not > 0; allowed: a finite number > 0")
        _check_int("batch_size", self.batch_size, 1)
        if self.classes % self.batch_size:
            allowed = ", ".join(map(str, divisors(self.classes)))
            raise ConfigError(
                f"batch_size: {self.batch_size} does not divide classes={self.classes}; "
                f"allowed: {allowed}"
            )
        _check_int("epochs", self.epochs, 1)
        _check_int("seed", self.seed, 0)
        _check_real("init_std", self.init_std, "a finite number >= 0")
        if self.init_std < 0:
            raise ConfigError(f"init_std: {self.init_std!r} is negative; allowed: >= 0")
        if self.log_every is not None:
            _check_int("log_every", self.log_every, 1)
        _check_int("log_dense_until", self.log_dense_until, 0)
        _check_int("log_per_decade", self.log_per_decade, 1)
        _check_int("snapshots", self.snapshots, 0)
        for e in self.snapshot_at:
            if not 0 <= e <= self.epochs:
                raise ConfigError(
                    f"snapshot_at: {e} is outside the run; allowed: 0..{self.epochs} (epochs)"
                )

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


def _check_int(key: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{key}: {value!r} is not an integer; allowed: an integer >= {minimum}")
    if value < minimum:
        raise ConfigError(f"{key}: {value} is too small; allowed: an integer >= {minimum}")


def _check_real(key: str, value: Any, allowed: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{key}: {value!r} is not a number; allowed: {allowed}")
    if not math.isfinite(value):
        raise ConfigError(f"{key}: {value!r} is not finite; allowed: {allowed}")
