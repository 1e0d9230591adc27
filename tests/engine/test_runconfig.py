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
        (dict(init_distribution="gaussian"), "init_distribution"),
        (dict(init_range=-0.5), "init_range"),
        (dict(quickprop_mu=0.5), "quickprop_mu"),
        (dict(quickprop_decay=-1e-4), "quickprop_decay"),
        (dict(supersab_eta_plus=0.9), "supersab_eta_plus"),
        (dict(supersab_eta_minus=1.5), "supersab_eta_minus"),
        (dict(supersab_eta_minus=0.0), "supersab_eta_minus"),
        (dict(supersab_momentum=1.0), "supersab_momentum"),
        (dict(optimizer="quickprop", batch_size=1), "batch_size"),
        (dict(optimizer="supersab", batch_size=2), "batch_size"),
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


def test_the_new_optimizers_and_the_init_distributions_name_what_they_do_not_read() -> None:
    quickprop = set(RunConfig(optimizer="quickprop").unused_settings())
    assert {"quickprop_mu", "quickprop_decay", "alpha"}.isdisjoint(quickprop)
    assert {"supersab_eta_plus", "rprop_delta0", "momentum", "init_range"} <= quickprop
    supersab = set(RunConfig(optimizer="supersab").unused_settings())
    assert {"supersab_eta_plus", "supersab_eta_minus", "supersab_momentum", "alpha"}.isdisjoint(
        supersab
    )
    assert "quickprop_mu" in supersab and "quickprop_mu" in RunConfig().unused_settings()
    uniform = set(RunConfig(init_distribution="uniform").unused_settings())
    assert "init_std" in uniform and "init_range" not in uniform
