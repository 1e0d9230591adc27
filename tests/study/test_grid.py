"""study.py: canonical numbers, the run grid, run paths, and config validation (schema + rules)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from backprop_study.analysis.axes import format_number
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import RunConfig
from backprop_study.study.config import check_config, load_study
from backprop_study.study.grid import Experiment, Run

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def default_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


# --- canonical numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-05, "0.00001"),
        (0.0001, "0.0001"),
        (1.0e-4, "0.0001"),
        (0.1, "0.1"),
        (0.10, "0.1"),
        (5.0, "5"),
        (5, "5"),
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (2.5, "2.5"),
        (400000, "400000"),
        (1e-20, "0.00000000000000000001"),
        (0.3, "0.3"),
        (1 / 3, "0.3333333333333333"),
    ],
)
def test_format_number_is_shortest_decimal_without_exponent(value, text):
    assert format_number(value) == text
    assert float(format_number(value)) == value


@pytest.mark.parametrize("bad", [True, "0.1", float("nan"), float("inf"), None])
def test_format_number_rejects_non_numbers(bad):
    with pytest.raises(ConfigError):
        format_number(bad)


# --- runs and experiments ---------------------------------------------------------------------


def test_run_id_names_every_parameter_canonically():
    run = Run("k-1", 1e-05, 0.5, 4, 3)
    assert run.run_id == "enc~k-1/lam~0.00001/alpha~0.5/batch~4/seed~3"
    assert Run.from_id(run.run_id) == run


@pytest.mark.parametrize(
    "bad",
    [
        "enc~k/lam~1e-05/alpha~0.5/batch~4/seed~3",  # exponent
        "enc~k/lam~0.10/alpha~0.5/batch~4/seed~3",  # trailing zero
        "enc~k/lam~0.1/alpha~0.5/batch~4",  # no seed
        "enc~k/lam~x/alpha~0.5/batch~4/seed~3",  # not a number
    ],
)
def test_run_from_id_rejects_non_canonical_ids(bad):
    with pytest.raises(ConfigError):
        Run.from_id(bad)


def test_experiment_grid_is_the_product_of_its_axes():
    exp = Experiment.build(
        "e", seeds=(0, 1, 2), encoding=("k", "k-1"), lam=(0.0, 0.1), batch_size=(4, 8)
    )
    runs = exp.runs()
    assert len(runs) == 2 * 2 * 1 * 2 * 3 == len(set(runs)) == exp.n_runs()
    assert exp.varying_axes() == ["encoding", "lam", "batch_size"]
    assert Experiment.from_grid(exp.grid_json()) == exp


def test_default_study_matches_the_issue():
    study = check_config(default_config(), SCHEMA)
    sizes = {name: len(exp.runs()) for name, exp in study.experiments.items()}
    assert sizes == {
        "weight_decay": 50,
        "encoding": 20,
        "learning_rate": 60,
        "batch_size": 40,
        "weights": 20,
        "remedies": 120,
        "remedy_controls": 40,
        "remedy_saturation": 60,
        "benchmark_rprop": 80,
        "benchmark_rb_paper": 80,
        "benchmark_fahlman_8": 40,
        "benchmark_fahlman_8_paper": 40,
        "benchmark_fahlman_10": 40,
        "benchmark_fahlman_10_paper": 40,
        "benchmark_mitchell": 20,
        "benchmark_mitchell_paper": 20,
        "init_scale": 50,
        "critical_lambda": 100,
    }
    # Shared runs train once: k, lam 0, alpha 0.01, batch 8 is in six experiments; the
    # weights runs are the weight-decay runs with lam 0 and 0.1; the remedies' gd/mse runs and
    # the controls' runs without the offset are runs of the learning-rate experiment; the
    # critical-λ sweep's λ = 0 runs are the init-scale runs with init std 0.1; the saturation
    # experiment's RPROP runs at Δmax 50 without the offset are the remedies'; the benchmarks
    # share no run with anything.
    benchmarks = 80 + 80 + 4 * 40 + 20 + 20
    assert len(study.run_ids()) == 50 + 10 + 50 + 30 + 110 + 20 + 50 + 50 + 90 + benchmarks == 820
    assert study.settings.epochs == 800_000


def test_a_shared_run_gets_every_experiments_snapshots():
    study = check_config(default_config(), SCHEMA)
    shared = "enc~k/lam~0.1/alpha~0.01/batch~8/seed~3"
    assert study.snapshot_at(shared) == (350000,)
    assert study.snapshot_at("enc~k/lam~0/alpha~0.01/batch~8/seed~3") == (350000,)
    assert study.snapshot_at("enc~k/lam~0/alpha~0.5/batch~8/seed~3") == ()
    with pytest.raises(ConfigError, match="in no experiment"):
        study.snapshot_at("enc~k-1/lam~0.1/alpha~0.01/batch~8/seed~3")


def test_a_setting_is_a_run_path_without_its_seed_and_trains_the_union_of_seeds():
    study = check_config(default_config(), SCHEMA)
    assert len(study.setting_ids()) == 64  # saturation adds 5 settings, the papers 15
    assert {r.rsplit("/", 1)[0] for r in study.run_ids()} == set(study.setting_ids())
    assert Run.from_id("enc~k/lam~0/alpha~0.5/batch~8/seed~3").setting == (
        "enc~k/lam~0/alpha~0.5/batch~8"
    )
    assert study.seeds_of("enc~k/lam~0/alpha~0.5/batch~8") == tuple(range(10))
    assert study.seeds_of("enc~k/lam~0/alpha~0.3/batch~1/epochs~5000") == tuple(range(20))
    # An experiment that names more seeds for a shared setting adds them to its one job.
    cfg = default_config()
    cfg["experiments"]["weights"]["seeds"] = [0, 20, 21]
    study = check_config(cfg, SCHEMA)
    assert study.seeds_of("enc~k/lam~0.1/alpha~0.01/batch~8") == (*range(10), 20, 21)
    # ...and every seed of the setting gets the snapshots of every experiment that has it.
    assert study.snapshot_at("enc~k/lam~0.1/alpha~0.01/batch~8/seed~5") == (350000,)
    with pytest.raises(ConfigError, match="in no experiment"):
        study.seeds_of("enc~k-1/lam~0.1/alpha~0.01/batch~8")


@pytest.mark.parametrize(
    ("n_seeds", "sizes"),
    [(10, [10]), (32, [32]), (39, [39]), (40, [32, 8]), (100, [32, 32, 36]), (128, [32] * 4)],
)
def test_a_setting_seeds_are_cut_into_jobs_of_32_without_a_short_tail(n_seeds, sizes):
    cfg = default_config()
    cfg["seeds"] = [3 * s for s in range(n_seeds)]  # not 0..n-1: parts follow the sorted list
    study = check_config(cfg, SCHEMA)
    setting = "enc~k/lam~0/alpha~0.5/batch~8"
    parts = study.seed_parts(setting)
    assert [len(p) for p in parts] == sizes
    assert [s for p in parts for s in p] == list(study.seeds_of(setting))
    assert study.seed_part(setting, len(parts) - 1) == parts[-1]
    with pytest.raises(ConfigError, match=f"has seed parts 0 to {len(parts) - 1}: not"):
        study.seed_part(setting, len(parts))
    last = f"{setting}/seed~{3 * (n_seeds - 1)}"
    assert study.part_of(last) == (setting, len(parts) - 1)
    jobs = study.training_jobs()
    assert len(jobs) == len(set(jobs)) == sum(len(study.seed_parts(s)) for s in study.setting_ids())
    assert (setting, len(parts) - 1) in jobs


def test_job_settings_are_the_run_configs_of_its_seeds_without_the_seed():
    study = check_config(default_config(), SCHEMA)
    setting = "enc~k/lam~0.1/alpha~0.01/batch~8"
    settings = json.loads(study.job_settings(setting, 0))
    assert sorted(settings) == ["config", "engine", "seeds"] and settings["engine"] == "fast"
    assert settings["seeds"] == list(study.seed_part(setting, 0))
    # Only what differs from RunConfig's defaults: a plain gradient descent job names no Adam
    # setting, and the job's RunConfig is the run's.
    assert settings["config"] == {"epochs": 800000, "lam": 0.1, "snapshot_at": [350000]}
    config = RunConfig(**settings["config"], seed=3)
    assert config == study.run_config(f"{setting}/seed~3")
    text = study.job_settings(setting, 0)  # canonical: sorted keys, no spaces
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    with pytest.raises(ConfigError, match="in no experiment"):
        study.job_settings("enc~k-1/lam~0.1/alpha~0.01/batch~8", 0)
    with pytest.raises(ConfigError, match="has seed parts 0 to 0: not 1"):
        study.job_settings(setting, 1)


def test_run_wildcard_matches_exactly_the_config_values():
    study = check_config(default_config(), SCHEMA)
    constraints = study.wildcard_constraints()
    run = re.compile(study.run_regex())
    setting = re.compile(constraints["setting"])
    for run_id in study.run_ids():
        assert run.fullmatch(run_id)
        assert setting.fullmatch(run_id.rsplit("/", 1)[0]) and not setting.fullmatch(run_id)
    for typo in (
        "enc~k/lam~1e-04/alpha~0.01/batch~8/seed~0",
        "enc~k/lam~0.10/alpha~0.01/batch~8/seed~0",
        "enc~k/lam~0.2/alpha~0.01/batch~8/seed~0",
        "enc~k-2/lam~0/alpha~0.01/batch~8/seed~0",
        "enc~k/lam~0/alpha~0.01/batch~8/seed~20",
        "enc~k/lam~0/alpha~0.01/batch~8/opt~sgd/seed~0",
        "enc~k/lam~0/alpha~0.01/batch~3/seed~0",
        "enc~k/lam~0/alpha~0.01/batch~8/seed~0/x",
    ):
        assert not run.fullmatch(typo), typo
        assert not setting.fullmatch(typo.rsplit("/", 1)[0]) or typo.endswith(("~20", "/x"))
    assert re.fullmatch(constraints["experiment"], "weights")
    assert not re.fullmatch(constraints["experiment"], "weight")


def test_default_config_run_paths_are_those_of_the_original_study():
    """The list was written by the study code before any setting could be an axis (or the
    optimizer experiments existed): the seed's five experiments name exactly those runs."""
    expected = (Path(__file__).parent / "default_run_ids.txt").read_text().split()
    study = check_config(default_config(), SCHEMA)
    original = ("weight_decay", "encoding", "learning_rate", "batch_size", "weights")
    ids = {r.run_id for name in original for r in study.experiments[name].runs()}
    assert sorted(ids) == sorted(expected)
    assert set(expected) <= set(study.run_ids())  # experiments added later add runs only


def test_run_configs_are_those_of_the_base_study():
    """The settings of a run of the default study, as the runs of the study recorded them
    before the training job took one settings JSON (their metadata's config), plus the
    settings added since at their defaults (init distribution and range, Quickprop, SuperSAB)."""
    study = check_config(default_config(), SCHEMA)
    config = study.run_config("enc~k/lam~0.1/alpha~0.01/batch~8/seed~3").to_dict()
    assert config == {
        "encoding": "k", "classes": 8, "hidden": 3, "lam": 0.1, "alpha": 0.01, "batch_size": 8,
        "epochs": 800000, "seed": 3, "init_std": 0.1, "init_distribution": "normal",
        "init_range": 0.5, "optimizer": "gd", "loss": "mse",
        "prime_offset": 0.0, "momentum": 0.9, "rprop_delta0": 0.1, "rprop_eta_plus": 1.2,
        "rprop_eta_minus": 0.5, "rprop_delta_max": 50.0, "rprop_delta_min": 1e-06,
        "adam_beta1": 0.9, "adam_beta2": 0.999, "adam_eps": 1e-08, "quickprop_mu": 1.75,
        "quickprop_decay": 0.0001, "supersab_eta_plus": 1.05, "supersab_eta_minus": 0.5,
        "supersab_momentum": 0.9, "log_every": None,
        "log_dense_until": 1000, "log_per_decade": 1000, "snapshots": 40,
        "snapshot_at": [350000],
    }  # fmt: skip
    assert [type(v) for v in config.values()] == [type(v) for v in RunConfig().to_dict().values()]
    assert study.run_config("enc~k/lam~0/alpha~5/batch~8/seed~0").snapshot_at == ()
    with pytest.raises(ConfigError, match="in no experiment"):  # valid values, no experiment
        study.run_config("enc~k-1/lam~0.1/alpha~0.01/batch~8/seed~3")


def test_settings_become_engine_settings():
    run_id = "enc~k/lam~0/alpha~0.01/batch~8/seed~0"
    config = check_config(default_config(), SCHEMA).run_config(run_id)
    assert config.epochs == 800000 and config.init_std == 0.1
    assert config.log_every is None and config.log_per_decade == 1000
    cfg = default_config() | {"logging": {"every": 100}}
    assert check_config(cfg, SCHEMA).run_config(run_id).log_every == 100


def test_schema_fills_defaults():
    cfg = {"results": "r", "experiments": {"x": {"lam": [0], "alpha": [1]}}}
    study = check_config(cfg, SCHEMA)
    assert cfg["epochs"] == 400_000 and cfg["logging"]["per_decade"] == 1000
    assert study.experiments["x"].seeds == tuple(range(10))


def test_quick_config_is_small_and_valid():
    cfg = default_config()
    quick = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text())
    assert set(quick["experiments"]) == set(cfg["experiments"])
    study = check_config(quick, SCHEMA)
    # Each config writes to its own folder: the quick study never touches the full one's runs.
    assert (cfg["results"], study.results) == ("results", "results/quick")
    assert study.settings.epochs <= 5000
    assert all(len(e.seeds) == 2 for e in study.experiments.values())


# --- bad configs: one line naming the key ------------------------------------------------------

BASE_YAML = """
results: results/test
epochs: 100
seeds: [0, 1]
experiments:
  e:
    lam: [0]
    alpha: [0.01]
    batch_size: [8]
    encoding: [k]
"""


def _with(path: str, value_yaml: str) -> dict:
    """The base config with one key set from a YAML snippet (so YAML's own typing applies)."""
    cfg = yaml.safe_load(BASE_YAML)
    *parents, last = path.split(".")
    node = cfg
    for key in parents:
        node = node[key]
    node[last] = yaml.safe_load(value_yaml)
    return cfg


BAD_CONFIGS = [
    ("experiments.e.lam", "[0, -0.1]", r"experiments\.e\.lam\[1\]"),
    ("experiments.e.alpha", "[0]", r"experiments\.e\.alpha\[0\]"),
    ("experiments.e.alpha", "[-1]", r"experiments\.e\.alpha\[0\]"),
    ("experiments.e.batch_size", "[3]", r"experiments\.e\.batch_size\[0\]: 3 does not divide"),
    ("experiments.e.batch_size", "[0]", r"experiments\.e\.batch_size\[0\]"),
    ("experiments.e.encoding", "[k-2]", r"experiments\.e\.encoding\[0\]: 'k-2'.*allowed: k, k-1"),
    ("epochs", "0", r"^epochs: 0 is out of range; allowed: an integer in \[1, 1000000000\]"),
    ("epochs", "1000000000000", r"^epochs: 1000000000000 is out of range"),
    ("seeds", "[0, 0]", r"^seeds: value 0 appears twice"),
    ("seeds", "[-1]", r"^seeds\[0\]: -1"),
    ("seeds", "[1.5]", r"^seeds\[0\]: 1.5 is not an integer"),
    ("experiments.e.lam", "[1.0e+308]", r"experiments\.e\.lam\[0\]: 1e\+308 is out of range"),
    ("experiments.e.alpha", "[.inf]", r"experiments\.e\.alpha\[0\]: inf is not finite"),
    ("experiments.e.lam", "[.nan]", r"experiments\.e\.lam\[0\]: nan is not finite"),
    ("experiments.e.seeds", "[1, 1]", r"experiments\.e\.seeds"),
    ("experiments.e.lam", "[]", r"experiments\.e\.lam: is empty"),
    ("experiments.e.lam", "[1e-4]", r"experiments\.e\.lam\[0\]: '1e-4' is a string.*0\.0001"),
    ("experiments.e.alpha", "[fast]", r"experiments\.e\.alpha\[0\]: 'fast' is not a number"),
    ("epochs", "'100'", r"^epochs: '100' is a string"),
    ("epoch", "100", r"^config: unknown key 'epoch'; allowed: adam_beta1, adam_beta2, adam_eps,"),
    ("experiments.e.lambda", "[0.1]", r"experiments\.e: unknown key 'lambda'"),
    (
        "experiments.e.snapshot_at",
        "[350000]",
        r"experiments\.e\.snapshot_at\[0\]: 350000 is outside",
    ),
    ("experiments", "{}", r"^experiments: is empty"),
    ("init_std", "-1", r"^init_std: -1 is out of range"),
    ("experiments.e.init_std", "[0.1, -1]", r"experiments\.e\.init_std\[1\]: -1"),
    ("experiments.e.hidden", "[0]", r"experiments\.e\.hidden\[0\]: 0 is out of range"),
    ("experiments.e.classes", "[1]", r"experiments\.e\.classes\[0\]: 1 is out of range"),
    ("experiments.e.classes", "[6]", r"experiments\.e\.batch_size\[0\]: 8 does not divide"),
    ("experiments.e.hidden_units", "[2]", r"experiments\.e: unknown key 'hidden_units'"),
    # optimizers and losses: every bad value one line naming the key, before any job
    ("optimizer", "sgd", r"^optimizer: 'sgd' is not allowed; allowed: gd, momentum, .*, supersab$"),
    ("experiments.e.optimizer", "[gd, lbfgs]", r"^experiments\.e\.optimizer\[1\]: 'lbfgs'"),
    ("loss", "hinge", r"^loss: 'hinge' is not allowed; allowed: mse, cross_entropy$"),
    ("experiments.e.loss", "[ce]", r"^experiments\.e\.loss\[0\]: 'ce' is not allowed"),
    ("momentum", "-0.5", r"^momentum: -0\.5 is out of range; allowed: a number in \[0, 1\)$"),
    ("experiments.e.momentum", "[1]", r"^experiments\.e\.momentum\[0\]: 1 is out of range"),
    ("prime_offset", "-0.1", r"^prime_offset: -0\.1 is out of range"),
    ("experiments.e.prime_offset", "[0.1, -1]", r"^experiments\.e\.prime_offset\[1\]: -1"),
    ("adam_beta1", "1", r"^adam_beta1: 1 is out of range; allowed: a number in \[0, 1\)$"),
    ("experiments.e.adam_beta2", "[1.5]", r"^experiments\.e\.adam_beta2\[0\]: 1\.5 is out"),
    ("experiments.e.rprop_delta0", "[60]", r"^experiments\.e\.rprop_delta0: 60 is outside"),
]


@pytest.mark.parametrize(
    ("key", "value", "message"), BAD_CONFIGS, ids=[b[0] + "=" + b[1] for b in BAD_CONFIGS]
)
def test_bad_config_is_rejected_with_one_line_naming_the_key(key, value, message):
    cfg = _with(key, value)
    with pytest.raises(ConfigError) as info:
        check_config(cfg, SCHEMA)
    text = str(info.value)
    assert "\n" not in text
    assert re.search(message, text), text


@pytest.mark.parametrize(
    ("optimizer", "batch_size", "where"),
    [("[gd, rprop]", "[8, 4]", r"batch_size\[1\]"), ("rprop", "2", "batch_size")],
)
def test_rprop_with_a_mini_batch_is_rejected_before_any_job(optimizer, batch_size, where):
    cfg = _with("experiments.e.optimizer", optimizer)
    cfg["experiments"]["e"]["batch_size"] = yaml.safe_load(batch_size)
    with pytest.raises(ConfigError) as info:
        check_config(cfg, SCHEMA)
    assert re.fullmatch(
        rf"experiments\.e\.{where}: \d is not allowed with optimizer rprop \(full batch only\); "
        r"allowed: 8 \(= classes\)",
        str(info.value),
    ), str(info.value)


def test_an_axis_an_experiment_does_not_name_takes_the_study_wide_value():
    cfg = yaml.safe_load(BASE_YAML)
    del cfg["experiments"]["e"]["alpha"]
    cfg["alpha"] = 0.5
    study = check_config(cfg, SCHEMA)
    assert study.run_ids() == [
        "enc~k/lam~0/alpha~0.5/batch~8/seed~0",
        "enc~k/lam~0/alpha~0.5/batch~8/seed~1",
    ]


def test_values_equal_after_formatting_are_duplicates():
    cfg = yaml.safe_load(BASE_YAML)
    cfg["experiments"]["e"]["lam"] = [0.1, 0.1000000000000000055]  # the same float
    with pytest.raises(ConfigError, match="lam"):
        check_config(cfg, SCHEMA)


def test_load_study_checks_without_the_schema_too():
    cfg = yaml.safe_load(BASE_YAML)
    bad = copy.deepcopy(cfg)
    bad["experiments"]["e"]["batch_size"] = [5]
    with pytest.raises(ConfigError, match="allowed: 1, 2, 4, 8"):
        load_study(bad)
    bad = copy.deepcopy(cfg)
    bad["experiments"]["e"]["lam"] = ["1e-4"]
    with pytest.raises(ConfigError, match="is a string"):
        load_study(bad)


# --- any run setting as an axis ----------------------------------------------------------------

AXES_YAML = """
results: results/test
epochs: 100
seeds: [0, 1]
experiments:
  base:
    lam: [0]
  init_scale:
    init_std: [0.1, 1]
  width:
    hidden: [3, 4]
    alpha: 0.5
"""


def test_runs_name_only_the_settings_that_differ_from_the_study_wide_values():
    study = check_config(yaml.safe_load(AXES_YAML), SCHEMA)
    base = "enc~k/lam~0/alpha~0.01/batch~8"
    assert study.run_ids() == [
        f"{base}/init~1/seed~0",
        f"{base}/init~1/seed~1",
        f"{base}/seed~0",  # init_std 0.1 is the study-wide value: base and init_scale share it
        f"{base}/seed~1",
        "enc~k/lam~0/alpha~0.5/batch~8/hidden~4/seed~0",
        "enc~k/lam~0/alpha~0.5/batch~8/hidden~4/seed~1",
        "enc~k/lam~0/alpha~0.5/batch~8/seed~0",
        "enc~k/lam~0/alpha~0.5/batch~8/seed~1",
    ]
    config = study.run_config(f"{base}/init~1/seed~1")
    assert config.init_std == 1.0 and config.seed == 1
    assert study.experiments["init_scale"].varying_axes() == ["init_std"]
    assert study.experiments["width"].shown_axes() == [
        "encoding", "lam", "alpha", "batch_size", "hidden",
    ]  # fmt: skip
    run = re.compile(study.run_regex())
    assert all(run.fullmatch(r) for r in study.run_ids())
    assert not run.fullmatch(f"{base}/init~2/seed~0")
    # The wildcard admits each value, not each combination; a combination no experiment has
    # cannot become a run either: its train job has no settings.
    assert run.fullmatch(f"{base}/hidden~4/init~1/seed~0")
    with pytest.raises(ConfigError, match="in no experiment"):
        study.job_settings(f"{base}/hidden~4/init~1", 0)


def test_a_run_path_reads_back_with_its_settings():
    run = Run.from_id("enc~k/lam~0/alpha~0.5/batch~8/hidden~4/init~1/seed~2")
    assert run.extra == (("hidden", 4), ("init_std", 1.0)) and run.seed == 2
    for bad in (
        "enc~k/lam~0/alpha~0.5/batch~8/init~1/hidden~4/seed~2",  # not in path order
        "enc~k/lam~0/alpha~0.5/batch~8/width~4/seed~2",  # no such setting
        "enc~k/lam~0/alpha~0.5/batch~8/init~1.0/seed~2",  # not canonical
    ):
        with pytest.raises(ConfigError):
            Run.from_id(bad)


def test_a_study_wide_setting_is_the_default_of_every_experiment():
    cfg = yaml.safe_load(AXES_YAML) | {"init_std": 1.0}
    study = check_config(cfg, SCHEMA)
    # Now init_std 1 is the default: the 0.1 runs name it.
    assert "enc~k/lam~0/alpha~0.01/batch~8/init~0.1/seed~0" in study.run_ids()
    assert "enc~k/lam~0/alpha~0.01/batch~8/seed~0" in study.run_ids()


def test_an_experiment_epoch_budget_bounds_its_snapshots():
    cfg = yaml.safe_load(AXES_YAML)
    cfg["experiments"]["width"].update(epochs=50, snapshot_at=[80])
    with pytest.raises(ConfigError, match=r"experiments\.width\.snapshot_at\[0\]: 80 is outside"):
        check_config(cfg, SCHEMA)


def test_a_grid_larger_than_max_runs_stops_with_the_count():
    cfg = yaml.safe_load(AXES_YAML) | {"seeds": list(range(3000))}
    cfg["experiments"]["width"]["lam"] = [0, 0.1, 0.2, 0.3]
    with pytest.raises(ConfigError) as info:
        check_config(cfg, SCHEMA)
    assert str(info.value) == (
        "experiments: the grid has at least 24,000 runs, more than max_runs = 20,000; "
        "allowed: fewer seeds or values, or raise max_runs in the config"
    )
    # Shared runs count once: 15,000 listed runs (3,000 + 6,000 + 6,000) are 12,000 runs.
    cfg["experiments"]["width"]["lam"] = [0]
    assert len(check_config(cfg | {"max_runs": 12_000}, SCHEMA).run_ids()) == 12_000
    with pytest.raises(ConfigError, match="the grid has 12,000 runs, more than max_runs = 11,999"):
        check_config(cfg | {"max_runs": 11_999}, SCHEMA)


# --- results folders ---------------------------------------------------------------------------


def test_a_results_folder_refuses_a_study_with_other_study_wide_values(tmp_path):
    from backprop_study.study.config import check_results_folder

    stamp = tmp_path / "study-settings.json"
    study = check_config(yaml.safe_load(AXES_YAML), SCHEMA)
    check_results_folder(stamp, study)  # no stamp yet: a new folder
    stamp.write_text(study.settings_json())
    check_results_folder(stamp, study)  # the same study
    other = check_config(yaml.safe_load(AXES_YAML) | {"epochs": 200}, SCHEMA)
    with pytest.raises(ConfigError) as info:
        check_results_folder(stamp, other)
    assert str(info.value).startswith(
        "results: results/test/ holds runs of a study with epochs=100, not 200; allowed: give "
        "this config its own results folder"
    )
    stamp.write_text("{")
    with pytest.raises(ConfigError, match="is unreadable"):
        check_results_folder(stamp, study)


@pytest.mark.parametrize("bad", ["", "/abs/path", "../outside", 3])
def test_results_must_be_a_relative_folder(bad):
    cfg = yaml.safe_load(BASE_YAML) | {"results": bad}
    with pytest.raises(ConfigError, match=r"^results: "):
        check_config(cfg, SCHEMA)
