import pytest

from backprop_study import RunConfig, train
from backprop_study.engine.runfiles import WRITTEN, write_run
from backprop_study.study.integrity import executes_jobs, set_aside_damaged


@pytest.fixture()
def runs_root(tmp_path):
    for seed in (0, 1):
        write_run(train(RunConfig(epochs=30, seed=seed)), tmp_path / f"seed~{seed}", "0", "f")
    return tmp_path


def test_a_damaged_run_is_set_aside_and_an_intact_one_left_alone(runs_root, capsys):
    damaged = runs_root / "seed~1" / "weights.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])
    intact = {p.name: p.read_bytes() for p in (runs_root / "seed~0").iterdir()}
    ids = ["seed~0", "seed~1", "seed~2"]  # seed~2 not trained yet: nothing to check
    assert set_aside_damaged(runs_root, ids, dry_run=False) == ["seed~1"]
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{runs_root}/seed~1: damaged (weights.parquet differs from its checksum); set aside as "
        "*.damaged, retraining"
    ]
    assert sorted(p.name for p in (runs_root / "seed~1").iterdir()) == sorted(
        f"{name}.damaged" for name in WRITTEN
    )
    assert {p.name: p.read_bytes() for p in (runs_root / "seed~0").iterdir()} == intact
    assert set_aside_damaged(runs_root, ids, dry_run=False) == []  # nothing left to find


def test_a_dry_run_only_names_a_damaged_run(runs_root, capsys):
    damaged = runs_root / "seed~0" / "curve.parquet"
    damaged.write_bytes(b"not parquet")
    assert set_aside_damaged(runs_root, ["seed~0"], dry_run=True) == ["seed~0"]
    assert "a real run retrains it" in capsys.readouterr().err
    assert damaged.read_bytes() == b"not parquet"


@pytest.mark.parametrize(
    ("argv", "runs"),
    [
        ([], True),
        (["--cores", "2"], True),
        (["-c", "2", "--rerun-incomplete"], True),
        (["-n"], False),
        (["-np"], False),
        (["--dry-run", "--cores", "2"], False),
        (["--lint"], False),
        (["--report", "results/report.html"], False),
        (["--unlock"], False),
        (["--forcerun", "results/runs/x/curve.parquet"], True),
    ],
)
def test_which_command_lines_run_jobs(argv, runs):
    assert executes_jobs(argv) is runs
