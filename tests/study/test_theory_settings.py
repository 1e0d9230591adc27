"""theory_cli.py: settings from a config, their command lines, and one small job end to end."""

from pathlib import Path

import pandas as pd
import yaml

from backprop_study import cli
from backprop_study.study import theory_settings

ROOT = Path(__file__).resolve().parents[2]


def test_settings_of_the_theory_config():
    config = yaml.safe_load((ROOT / "config" / "theory.yaml").read_text())
    settings = theory_settings.settings_of(config)
    assert len(settings) == 5 * 2 * 2  # shapes × losses × offsets
    s = settings["8_3_mse_c0.1"]
    assert (s["classes"], s["hidden"], s["loss"], s["offset"]) == (8, 3, "mse", 0.1)
    assert s["seeds"] == list(range(10))
    assert s["t_max"] == config["experiments"]["law_8_3_mse"]["epochs"] * s["alpha"]
    assert s["bisect"] and "--bisect-max-budget" not in theory_settings.command_args(s)
    assert all(setting["bisect"] for setting in settings.values())  # law_* experiments only
    no_bisection = {**settings["32_5_mse_c0"], "bisect": False}  # as an escape_* experiment's
    assert "--bisect-max-budget 0" in theory_settings.command_args(no_bisection)
    assert "approach_8_3_mse" not in {k.split("_c")[0] for k in settings}


def test_a_small_job_writes_its_four_tables(tmp_path):
    setting = {"classes": 4, "hidden": 2, "loss": "cross_entropy", "offset": 0.0,
               "alpha": 0.5, "seeds": [0], "t_max": 1000.0}  # fmt: skip
    out = {k: tmp_path / f"{k}.parquet" for k in ("law", "escapes", "critical", "probes")}
    argv = ["theory", *theory_settings.command_args(setting).split(), "--bisect-max-budget", "0"]
    argv += [f"--{k}-out={p}" for k, p in out.items()]
    assert cli.main(argv) == 0
    law = pd.read_parquet(out["law"]).set_index("quantity")
    assert {"slope f=0.9", "mu_visited", "mu_growth_0.001"} <= set(law.index)
    assert law.loc["mu_visited", "ratio"] > 0.9
    assert pd.read_parquet(out["escapes"])["t_escape"].notna().all()
    assert pd.read_parquet(out["critical"]).empty
