"""A tiny real study for the aggregation, figure and report tests: a few short runs trained by
the engine and written with runfiles, exactly as the workflow's train jobs do."""

from __future__ import annotations

from pathlib import Path

from backprop_study.study.config import load_study
from backprop_study.study.grid import Study, run_dir

EPOCHS = 300

TINY_CONFIG = {
    "classes": 8,
    "hidden": 3,
    "epochs": EPOCHS,
    "seeds": [0, 1, 2],
    "init_std": 0.1,
    "logging": {"every": None, "dense_until": 50, "per_decade": 30},
    "snapshots": 5,
    "snapshot_at": [],
    "experiments": {
        "weight_decay": {"lam": [0, 0.1], "alpha": [0.5], "batch_size": [8], "encoding": ["k"]},
        "encoding": {"lam": [0], "alpha": [0.5], "batch_size": [8], "encoding": ["k", "k-1"]},
        "learning_rate": {"lam": [0], "alpha": [0.5, 2], "batch_size": [8], "encoding": ["k"]},
        "batch_size": {"lam": [0], "alpha": [0.5], "batch_size": [4, 8], "encoding": ["k"]},
        "weights": {
            "lam": [0, 0.1],
            "alpha": [0.5],
            "batch_size": [8],
            "encoding": ["k"],
            "snapshot_at": [250],
        },
        "remedies": {
            "lam": [0],
            "alpha": [0.5],
            "batch_size": [8],
            "encoding": ["k"],
            "optimizer": ["gd", "momentum", "rprop"],
            "loss": ["mse", "cross_entropy"],
        },
        "remedy_controls": {"lam": [0], "alpha": [0.5, 2], "prime_offset": [0, 0.1]},
        "remedy_saturation": {
            "lam": [0], "alpha": [0.5], "batch_size": [8], "encoding": ["k"],
            "optimizer": ["rprop"], "rprop_delta_max": [50, 0.1], "prime_offset": [0, 0.1],
        },
        "benchmark_rprop": {
            "classes": 10,
            "hidden": 5,
            "alpha": [19],
            "batch_size": [10],
            "optimizer": ["gd", "rprop"],
        },
        "benchmark_rb_paper": {
            "classes": 10, "hidden": 5, "alpha": [19], "batch_size": [10],
            "optimizer": ["gd", "rprop"], "init_distribution": ["uniform"], "init_range": [1.0],
        },
        "benchmark_mitchell": {"alpha": [0.3], "batch_size": [1]},
        "init_scale": {
            "lam": [0], "alpha": [0.5], "batch_size": [8], "encoding": ["k"],
            "init_std": [0.1, 1],
        },
        "critical_lambda": {
            "lam": [0, 0.01, 0.1], "alpha": [0.5], "batch_size": [8], "encoding": ["k"],
        },
    },
}  # fmt: skip


def tiny_study() -> Study:
    return load_study(TINY_CONFIG)


def train_runs(study: Study, root: Path) -> None:
    """Train every run of the study into `root` (the engine's own writer, as `train` does)."""
    from importlib.metadata import version

    from backprop_study.engine import runfiles
    from backprop_study.engine.training import train
    from backprop_study.study.run_fingerprint import run_fingerprint

    for run_id in study.run_ids():
        config = study.run_config(run_id)
        runfiles.write_run(
            train(config), run_dir(root, run_id), version("backprop-study"), run_fingerprint()
        )
