"""`backprop-study train-seeds`: which runs are kept and which retrained, the manifest, and runs
byte-identical to `backprop-study train`."""

import dataclasses
import json
import os

import pytest

from backprop_study.cli import main
from backprop_study.engine import runfiles, training
from backprop_study.engine.runconfig import RunConfig
from backprop_study.study.run_fingerprint import run_fingerprint as engine_fingerprint
from backprop_study.study.seeds_cli import read_manifest, seed_dir, stale

MANIFEST = "seeds-0.json"

EPOCHS = ["--epochs", "200", "--lam", "0.1"]
CONFIG = RunConfig(epochs=200, lam=0.1, seed=1)


def settings(*seeds, engine="fast", **changes) -> str:
    """A job's --settings: CONFIG (with `changes`) for `seeds`, as the workflow writes it."""
    config = CONFIG.to_dict() | changes
    del config["seed"]
    return json.dumps({"config": config, "seeds": list(seeds), "engine": engine})


def train_seeds(root, *seeds, extra=()) -> int:
    args = ["train-seeds", "--settings", settings(*seeds), *extra]
    return main([*args, "--root", str(root), "--manifest", str(root / MANIFEST)])


def stamps(run):
    """(inode, mtime, bytes) of every file of a run: unchanged means not rewritten."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in run.iterdir()}


@pytest.fixture
def trained(tmp_path):
    """A setting's directory with seeds 0 and 1 trained by train-seeds."""
    root = tmp_path / "enc~k" / "lam~0.1"
    assert train_seeds(root, 0, 1) == 0
    return root


# --- the keep / retrain decision ----------------------------------------------------------


def test_a_valid_run_is_kept(trained):
    assert stale(seed_dir(trained, 1), CONFIG, "fast", engine_fingerprint()) is None


def test_a_missing_or_incomplete_run_is_trained(trained):
    fp = engine_fingerprint()
    assert stale(seed_dir(trained, 7), CONFIG, "fast", fp) == "not trained yet"
    (seed_dir(trained, 1) / runfiles.CHECKSUMS).unlink()  # killed before its checksums
    assert stale(seed_dir(trained, 1), CONFIG, "fast", fp) == (
        f"incomplete ({runfiles.CHECKSUMS} is missing)"
    )


def test_a_run_with_a_missing_file_is_trained(trained):
    (seed_dir(trained, 1) / "hidden.parquet").unlink()
    why = stale(seed_dir(trained, 1), CONFIG, "fast", engine_fingerprint())
    assert why == "incomplete (hidden.parquet is missing)"


def test_a_damaged_run_is_trained(trained):
    weights = seed_dir(trained, 1) / "weights.parquet"
    weights.write_bytes(weights.read_bytes()[:-10])
    why = stale(seed_dir(trained, 1), CONFIG, "fast", engine_fingerprint())
    assert why == "damaged (weights.parquet differs from its checksum)"


def test_a_run_of_another_config_is_trained(trained):
    other = dataclasses.replace(CONFIG, lam=0.2)
    why = stale(seed_dir(trained, 1), other, "fast", engine_fingerprint())
    assert why == "trained with other settings (lam)"
    snapshots = dataclasses.replace(CONFIG, snapshot_at=(150,))
    why = stale(seed_dir(trained, 1), snapshots, "fast", engine_fingerprint())
    assert why == "trained with other settings (snapshot_at)"
    # The seed is part of the config: seed 0's files are not seed 1's run.
    assert "seed" in stale(seed_dir(trained, 0), CONFIG, "fast", engine_fingerprint())


def test_a_run_of_another_engine_fingerprint_is_trained(trained):
    why = stale(seed_dir(trained, 1), CONFIG, "fast", "0123456789abcdef")
    assert why == f"trained by engine {engine_fingerprint()}, not 0123456789abcdef"


def test_a_run_of_the_other_engine_is_trained(trained):
    why = stale(seed_dir(trained, 1), CONFIG, "reference", engine_fingerprint())
    assert why == "trained by the fast engine, not reference"


# --- the command ------------------------------------------------------------------------------


def test_runs_are_those_of_train_byte_for_byte(trained, tmp_path):
    alone = tmp_path / "alone"
    assert main(["train", *EPOCHS, "--seed", "1", "--out", str(alone)]) == 0
    for name in runfiles.FILES:
        assert (seed_dir(trained, 1) / name).read_bytes() == (alone / name).read_bytes(), name


def test_seeds_trained_together_are_those_of_train_byte_for_byte(tmp_path):
    """Enough seeds for a lane block (`training.train_many`): each run's files are still those of
    `backprop-study train` alone."""
    seeds = range(training.MIN_LANE_RUNS + 1)
    root = tmp_path / "many"
    assert train_seeds(root, *seeds) == 0
    for seed in (0, seeds[-1]):
        alone = tmp_path / f"alone{seed}"
        assert main(["train", *EPOCHS, "--seed", str(seed), "--out", str(alone)]) == 0
        for name in runfiles.FILES:
            assert (seed_dir(root, seed) / name).read_bytes() == (alone / name).read_bytes()


def test_adding_seeds_trains_only_them_and_the_manifest_lists_all(trained, capsys):
    before = {s: stamps(seed_dir(trained, s)) for s in (0, 1)}
    capsys.readouterr()
    assert train_seeds(trained, 0, 1, 2) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("seed~0: kept") and out[1].startswith("seed~1: kept")
    assert out[2].startswith("seed~2: trained in ") and out[2].endswith(" s (not trained yet)")
    assert {s: stamps(seed_dir(trained, s)) for s in (0, 1)} == before
    listed = read_manifest(trained / MANIFEST).runs
    assert sorted(listed) == [0, 1, 2]
    assert listed[2] == runfiles.checksums_digest(seed_dir(trained, 2))


def test_a_damaged_run_is_set_aside_and_retrained_to_the_same_bytes(trained, capsys):
    run = seed_dir(trained, 1)
    checksums = (run / runfiles.CHECKSUMS).read_bytes()
    curve = run / "curve.parquet"
    curve.write_bytes(curve.read_bytes()[:1000])
    kept = stamps(seed_dir(trained, 0))
    capsys.readouterr()
    assert train_seeds(trained, 0, 1, extra=["--integrity", "0123abcd"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("seed~0: kept")
    assert out[1].startswith("seed~1: trained in ") and out[1].endswith(
        " s (damaged (curve.parquet differs from its checksum); set aside as *.damaged)"
    )
    assert (run / runfiles.CHECKSUMS).read_bytes() == checksums
    assert len((run / "curve.parquet.damaged").read_bytes()) == 1000
    assert {p.name for p in run.glob("*.damaged")} == {f"{n}.damaged" for n in runfiles.WRITTEN}
    assert stamps(seed_dir(trained, 0)) == kept
    assert read_manifest(trained / MANIFEST).integrity == "0123abcd"


def test_the_manifest_is_the_same_whether_runs_were_kept_or_trained(trained, tmp_path):
    first = (trained / MANIFEST).read_bytes()
    assert train_seeds(trained, 1, 0) == 0  # all kept, seeds in another order
    assert (trained / MANIFEST).read_bytes() == first
    fresh = tmp_path / "fresh"
    assert train_seeds(fresh, 0, 1) == 0
    assert (fresh / MANIFEST).read_bytes() == first
    assert json.loads(first)["runs"][0]["seed"] == 0
    assert (
        "integrity" not in json.loads(first) and read_manifest(trained / MANIFEST).integrity == ""
    )


def test_a_stale_run_is_replaced_and_its_neighbour_kept(trained, capsys):
    run = seed_dir(trained, 1)
    runfiles.write_run(training.train(dataclasses.replace(CONFIG, lam=0.2)), run, "0", "old")
    kept = stamps(seed_dir(trained, 0))
    capsys.readouterr()
    assert train_seeds(trained, 0, 1) == 0
    assert "seed~1: trained in" in capsys.readouterr().out
    assert stale(run, CONFIG, "fast", engine_fingerprint()) is None
    assert stamps(seed_dir(trained, 0)) == kept


def test_an_interrupted_job_keeps_the_runs_it_finished(tmp_path, monkeypatch, capsys):
    real = training.train

    def train(config, **kwargs):
        if config.seed == 2:
            raise KeyboardInterrupt
        return real(config, **kwargs)

    monkeypatch.setattr(training, "train", train)
    root = tmp_path / "s"
    assert train_seeds(root, 0, 1, 2) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (root / MANIFEST).exists()
    assert not seed_dir(root, 2).exists()
    fp = engine_fingerprint()
    for seed in (0, 1):
        config = dataclasses.replace(CONFIG, seed=seed)
        assert stale(seed_dir(root, seed), config, "fast", fp) is None


def test_a_failed_write_leaves_no_run_files(tmp_path, monkeypatch, capsys):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runfiles, "write_atomic", full_disk)
    root = tmp_path / "s"
    assert train_seeds(root, 0) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err, err
    assert [p.name for p in seed_dir(root, 0).iterdir()] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "--settings: not JSON (Expecting property name enclosed in double quotes"),
        ('{"seeds": [0]}', "--settings: give an object with exactly the keys config, engine, "),
        (settings(0, 0), "--settings: seed 0 appears twice; allowed: distinct seeds"),
        (settings(-1), "--settings: seed: -1 is out of range; allowed: an integer in [0, 42"),
        (settings(1.5), "--settings: seed: 1.5 is not an integer"),
        (settings(), "--settings: seeds must be a list of at least one seed"),
        (settings(1, lam=-1.0), "--settings: lam: -1.0 is out of range"),
        (settings(1, engine="turbo"), "--settings: engine 'turbo' is not allowed; allowed: fast, "),
        (settings(1, lr=0.1), "--settings: lr: unknown setting; allowed: adam_beta1, adam_b"),
        (
            settings(1).replace('"adam_eps"', '"seed": 2, "adam_eps"'),
            "--settings: config must be an object of settings other than the seed",
        ),
    ],
)
def test_bad_input_is_one_line_before_any_training(tmp_path, monkeypatch, capsys, text, message):
    def train(*a, **k):
        pytest.fail("training started before the bad input was refused")

    monkeypatch.setattr(training, "train", train)
    code = main(["train-seeds", "--settings", text, "--root", str(tmp_path / "r"),
                 "--manifest", str(tmp_path / "r" / MANIFEST)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"backprop-study train-seeds: error: {message}" in err
    assert not (tmp_path / "r").exists()


def test_a_root_with_a_file_on_the_way_is_refused(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    assert main(["train-seeds", "--settings", settings(0), "--root", str(tmp_path / "f" / "s"),
                 "--manifest", str(tmp_path / "m.json")]) == 2  # fmt: skip
    assert "--root: " in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["f"]


def test_a_training_job_does_not_load_scipy_and_leaves_it_importable(tmp_path) -> None:
    """numba's BLAS probe would import scipy.linalg (about 0.3 s per job): the training commands
    hide it, and scipy still imports afterwards in the same process."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from backprop_study.cli import main\n"
        f"assert main(['train-seeds', '--settings', {settings(0, 1, epochs=20)!r}, '--root', "
        f"{str(tmp_path / 'r')!r}, '--manifest', {str(tmp_path / 'r' / MANIFEST)!r}]) == 0\n"
        "print('scipy.linalg' in sys.modules)\n"
        "import scipy.linalg\n"
        "print(scipy.linalg.norm([3.0, 4.0]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2:] == ["False", "5.0"]


def test_recorded_training_time_leaves_out_preparing_the_kernels(tmp_path, monkeypatch) -> None:
    """A cold cache compiles in `kernels.prepare`, before the timed training: the run's recorded
    wall time is its training only."""
    import time

    from backprop_study.study import seeds_cli

    prepared, real = [], seeds_cli.kernels.prepare

    def slow_prepare(engine: str, configs) -> None:
        prepared.append(engine)
        real(engine, configs)
        time.sleep(1.0)

    monkeypatch.setattr(seeds_cli.kernels, "prepare", slow_prepare)
    root = tmp_path / "r"
    assert train_seeds(root, 0) == 0
    record = json.loads((seed_dir(root, 0) / "provenance.json").read_text())
    assert prepared == ["fast"]
    assert 0 < record["wall_time_s"] < 0.5
