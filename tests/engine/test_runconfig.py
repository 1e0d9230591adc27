import numpy as np
import pytest

from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import RunConfig


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        (dict(lam=-0.1), "lam"),
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=float("inf")), "alpha"),
        (dict(alpha="fast"), "alpha"),
        (dict(batch_size=3), "batch_size"),
        (dict(encoding="binary"), "encoding"),
        (dict(epochs=0), "epochs"),
        (dict(hidden=0), "hidden"),
        (dict(seed=-1), "seed"),
        (dict(classes=1), "classes"),
        (dict(init_std=-1.0), "init_std"),
        (dict(epochs=10, snapshot_at=(11,)), "snapshot_at"),
        (dict(log_every=0), "log_every"),
        (dict(epochs=2.5), "epochs"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(bad: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{key}: .*allowed: "):
        RunConfig(**bad)


def test_numpy_numbers_are_accepted() -> None:
    cfg = RunConfig(lam=np.float64(0.1), batch_size=np.int64(4))
    assert cfg.batch_size == 4


def test_round_trip_and_unknown_keys() -> None:
    cfg = RunConfig(lam=0.1, snapshot_at=(350,), epochs=400)
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="^lambda: unknown setting"):
        RunConfig.from_dict({"lambda": 0.1})
