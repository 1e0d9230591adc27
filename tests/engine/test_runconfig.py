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
        (dict(optimizer="sgd"), "optimizer"),
        (dict(loss="hinge"), "loss"),
        (dict(optimizer="rprop", batch_size=4), "batch_size"),
        (dict(momentum=-0.1), "momentum"),
        (dict(momentum=1.0), "momentum"),
        (dict(prime_offset=-0.1), "prime_offset"),
        (dict(adam_beta1=1.0), "adam_beta1"),
        (dict(adam_beta2=1.0), "adam_beta2"),
        (dict(adam_eps=0.0), "adam_eps"),
        (dict(rprop_eta_minus=1.5), "rprop_eta_minus"),
        (dict(rprop_delta0=100.0), "rprop_delta0"),
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


def test_each_optimizer_names_the_settings_it_does_not_read() -> None:
    assert "alpha" in RunConfig(optimizer="rprop").unused_settings()
    assert "momentum" in RunConfig().unused_settings()
    assert RunConfig(optimizer="momentum").unused_settings() == tuple(
        n for n in RunConfig().unused_settings() if n != "momentum"
    )
    assert not {"alpha", "adam_beta1"} & set(RunConfig(optimizer="adam").unused_settings())
