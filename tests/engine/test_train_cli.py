import pytest

from backprop_study.cli import main
from backprop_study.engine.runfiles import read_run


def test_train_writes_a_run(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["train", "--epochs", "200", "--seed", "3", "--snapshot-at", "150", "--out", str(out)]
    assert main(argv) == 0
    run = read_run(out)
    assert run.meta["config"]["seed"] == 3 and run.curve.epoch.iloc[-1] == 200
    assert 150 in set(run.weights.epoch)
    assert capsys.readouterr().err == ""  # no progress bar when not on a terminal


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lam", "-1"], "lam: -1.0 is out of range; allowed: 0 or a number in [1e-12, 1000]"),
        (["--alpha", "0"], "alpha: 0.0 is out of range; allowed: a number in [1e-12, 1000]"),
        (["--alpha", "inf"], "alpha: inf is not finite"),
        (["--batch-size", "3"], "batch_size: 3 does not divide classes=8; allowed: 1, 2, 4, 8"),
        (["--encoding", "k+1"], "encoding: 'k+1' is not allowed; allowed: k, k-1"),
        (["--epochs", "0"], "epochs: 0 is out of range; allowed: an integer in [1, 1000000000]"),
        (["--hidden", "0"], "hidden: 0 is out of range"),
        (["--seed", "-2"], "seed: -2 is out of range"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message) -> None:
    assert main(["train", "--epochs", "10", *args, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def test_existing_results_are_kept_unless_forced(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--epochs", "50", "--out", str(out)]) == 0
    before = (out / "curve.parquet").read_bytes()
    assert main(["train", "--epochs", "60", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "already holds results" in err and "--force" in err
    assert (out / "curve.parquet").read_bytes() == before
    assert main(["train", "--epochs", "60", "--out", str(out), "--force"]) == 0
    assert read_run(out).curve.epoch.iloc[-1] == 60


def test_unparseable_number_is_a_usage_error(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "--alpha", "fast", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "--alpha: 'fast' is not a number" in capsys.readouterr().err


def test_divergence_is_reported_and_kept(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert (
        main(["train", "--epochs", "3000", "--alpha", "500", "--lam", "0.01", "--out", str(out)])
        == 0
    )
    run = read_run(out)
    assert run.meta["diverged"] is True and run.meta["diverged_epoch"] > 0
    assert "diverged at epoch" in capsys.readouterr().err


def test_fingerprint_command(capsys) -> None:
    from backprop_study.engine.fingerprint import engine_fingerprint

    assert main(["fingerprint"]) == 0
    assert capsys.readouterr().out.strip() == engine_fingerprint()
