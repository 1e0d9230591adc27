import errno
import os
import re
import tempfile
from pathlib import Path

import pytest

from backprop_study.cli import build_parser, main
from backprop_study.engine import runfiles, training
from backprop_study.engine.runconfig import RunConfig
from backprop_study.engine.runfiles import read_run
from backprop_study.study.train_cli import config_from_args, option_name


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: input errors must cost no training time."""

    def train(*args, **kwargs):
        pytest.fail("training started before the bad input was refused")

    monkeypatch.setattr(training, "train", train)


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    return err


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
        (["--lam", "-1"], "--lam: -1.0 is out of range; allowed: 0 or a number in [1e-12, 1000]"),
        (["--lam", "inf"], "--lam: inf is not finite; allowed: 0 or a number in [1e-12, 1000]"),
        (["--lam", "nan"], "--lam: nan is not finite; allowed: 0 or a number in [1e-12, 1000]"),
        (["--alpha", "0"], "--alpha: 0.0 is out of range; allowed: a number in [1e-12, 1000]"),
        (["--alpha", "inf"], "--alpha: inf is not finite"),
        (["--alpha", "fast"], "--alpha: 'fast' is not a number; allowed: a number in [1e-12, "),
        (["--init-std=-inf"], "--init-std: -inf is not finite"),
        (["--batch-size", "3"], "--batch-size: 3 does not divide classes=8; allowed: 1, 2, 4, 8"),
        (["--encoding", "k+1"], "--encoding: 'k+1' is not allowed; allowed: k, k-1"),
        (["--epochs", "0"], "--epochs: 0 is out of range; allowed: an integer in [1, 1000000000]"),
        (["--hidden", "0"], "--hidden: 0 is out of range"),
        (["--seed", "-2"], "--seed: -2 is out of range"),
        (["--seed", "1.5"], "--seed: 1.5 is not an integer; allowed: an integer in [0, 42"),
        (["--seed", "x"], "--seed: 'x' is not an integer; allowed: an integer in [0, 4294967295]"),
        (["--log-every", "0"], "--log-every: 0 is out of range"),
        (["--snapshot-at", "11"], "--snapshot-at: 11 is outside the run; allowed: 0..10"),
        (["--optimizer", "sgd"], "--optimizer: 'sgd' is not allowed; allowed: gd, momentum, rpr"),
        (["--loss", "ce"], "--loss: 'ce' is not allowed; allowed: mse, cross_entropy"),
        (
            ["--optimizer", "rprop", "--batch-size", "4"],
            "--batch-size: 4 is not allowed with optimizer rprop (full batch only); allowed: 8",
        ),
        (["--momentum=-0.9"], "--momentum: -0.9 is out of range; allowed: a number in [0, 1)"),
        (["--momentum", "1"], "--momentum: 1.0 is out of range; allowed: a number in [0, 1)"),
        (["--prime-offset=-0.1"], "--prime-offset: -0.1 is out of range; allowed: 0 or a numb"),
        (["--adam-beta1", "1"], "--adam-beta1: 1.0 is out of range; allowed: a number in [0, 1)"),
        (["--adam-beta2", "1.5"], "--adam-beta2: 1.5 is out of range; allowed: a number in [0,"),
        (["--rprop-delta0", "60"], "--rprop-delta0: 60.0 is outside [rprop_delta_min, rprop_"),
    ],
)
def test_bad_setting_is_one_line_naming_the_option(
    tmp_path, capsys, no_training, args, message
) -> None:
    assert main(["train", "--epochs", "10", *args, "--out", str(tmp_path / "r")]) == 2
    assert f"backprop-study train: error: {message}" in one_line(capsys)
    assert not (tmp_path / "r").exists()


def test_rprop_run_says_alpha_is_not_used(tmp_path, capsys) -> None:
    out = tmp_path / "r"
    assert main(["train", "--optimizer", "rprop", "--epochs", "20", "--out", str(out)]) == 0
    assert "--alpha is not used by --optimizer rprop" in one_line(capsys)
    meta = read_run(out).meta
    assert "alpha" in meta["unused_settings"] and meta["config"]["optimizer"] == "rprop"
    assert (
        main(["train", "--optimizer", "adam", "--epochs", "20", "--out", str(out), "--force"]) == 0
    )
    assert capsys.readouterr().err == ""  # adam uses alpha: nothing to say
    assert "alpha" not in read_run(out).meta["unused_settings"]


def test_every_setting_has_the_option_its_errors_name() -> None:
    help_text = build_parser(["train"]).commands["train"].format_help()
    for setting in RunConfig.__dataclass_fields__:
        assert re.search(rf"{option_name(setting)}\b", help_text), setting


def test_the_options_default_to_the_dataclass_defaults() -> None:
    parser = build_parser(["train"])
    assert config_from_args(parser.parse_args(["train", "--out", "x"])) == RunConfig()
    args = parser.parse_args(["train", "--out", "x", "--log-every", "5", "--snapshot-at", "3,4"])
    assert config_from_args(args) == RunConfig(log_every=5, snapshot_at=(3, 4))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--engine", "turbo"],
            "--engine: invalid choice: 'turbo' (choose from 'fast', 'reference')",
        ),
        (["--snapshot-at", "1.5"], "--snapshot-at: '1.5' is not a comma-separated list of epochs"),
        (["--bogus", "1"], "unrecognized arguments: --bogus 1"),
        (["--progress=yes"], "--progress/--no-progress: ignored explicit argument 'yes'"),
    ],
)
def test_parse_error_is_one_line_pointing_to_help(tmp_path, capsys, args, message) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", *args, "--out", str(tmp_path / "r")])
    assert exc.value.code == 2
    assert one_line(capsys) == f"backprop-study train: error: {message} (see --help)\n"


def test_missing_out_is_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "--epochs", "10"])
    assert exc.value.code == 2
    assert "the following arguments are required: --out (see --help)" in one_line(capsys)


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "--out: empty; allowed: a directory path"),
        ("f", "--out: {tmp}/f is not a directory; allowed: a directory path"),
        ("f/sub", "--out: {tmp}/f is not a directory (on the way to {tmp}/f/sub)"),
        ("f/sub/deeper", "--out: {tmp}/f is not a directory (on the way to {tmp}/f/sub/deeper)"),
    ],
)
def test_unusable_destination_is_refused_before_training(
    tmp_path, capsys, no_training, out, message
) -> None:
    (tmp_path / "f").write_text("not a directory")
    target = str(tmp_path / out) if out else ""
    assert main(["train", "--epochs", "10", "--out", target]) == 2
    assert message.format(tmp=tmp_path) in one_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


@pytest.mark.parametrize("sub", ["", "sub"])
def test_unwritable_destination_is_refused_before_training(
    tmp_path, capsys, monkeypatch, no_training, sub
) -> None:
    """A read-only directory, or one that cannot be made in it. chmod alone does not stop root,
    so the probe also meets a refusing file system here (as on a read-only mount)."""
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o555)
    target = read_only / sub
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == target:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    try:
        assert main(["train", "--epochs", "10", "--out", str(target)]) == 2
        message = f"--out: cannot write to {target} (Permission denied); allowed: a writable"
        assert message in one_line(capsys)
        assert list(read_only.iterdir()) == []  # a directory made for the run is gone again
    finally:
        read_only.chmod(0o755)


def test_a_directory_made_meanwhile_by_another_job_is_used_and_not_removed(
    tmp_path, monkeypatch
) -> None:
    """Two training jobs of one setting (its seed parts) may create its folder at the same
    moment: the one that loses the race uses it, and does not count it as its own to remove."""
    from backprop_study.study.train_cli import prepare_out

    target = tmp_path / "setting" / "seed~0"
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self == target.parent:
            real_mkdir(self)  # the other job, between the check and this call
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert prepare_out(str(target), force=False) == [target]
    assert target.is_dir()


def test_disk_full_while_writing_is_one_line_and_leaves_no_run_files(
    tmp_path, capsys, monkeypatch
) -> None:
    """The second file fails half-written: the first, complete one must go too (a partial set
    would pass for a run)."""
    out = tmp_path / "run"
    out.mkdir()
    real_write = runfiles.pq.write_table
    calls = []

    def write_table(table, where, **kwargs):
        calls.append(where)
        if len(calls) == 2:
            Path(where).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(table, where, **kwargs)

    monkeypatch.setattr(runfiles.pq, "write_table", write_table)
    assert main(["train", "--epochs", "10", "--out", str(out)]) == 2
    err = one_line(capsys)
    assert f"--out: writing the results to {out} failed (No space left on device)" in err
    assert len(calls) == 2 and list(out.iterdir()) == []


@pytest.mark.parametrize("exists", [True, False])
def test_ctrl_c_is_one_line_exit_130_and_writes_nothing(
    tmp_path, capsys, monkeypatch, exists
) -> None:
    out = tmp_path / "run"
    if exists:
        out.mkdir()

    def train(*args, **kwargs):
        assert out.is_dir()  # the destination was checked (and made) first
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train", train)
    assert main(["train", "--epochs", "10", "--out", str(out)]) == 130
    assert one_line(capsys) == f"backprop-study train: interrupted; nothing written to {out}\n"
    assert out.exists() == exists and (not exists or list(out.iterdir()) == [])


def test_ctrl_c_while_writing_leaves_no_run_files(tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "run"
    real_write = runfiles.pq.write_table

    def write_table(table, where, **kwargs):
        if "weights" in str(where):
            raise KeyboardInterrupt
        real_write(table, where, **kwargs)

    monkeypatch.setattr(runfiles.pq, "write_table", write_table)
    assert main(["train", "--epochs", "10", "--out", str(out)]) == 130
    assert "interrupted while writing; no run files left" in one_line(capsys)
    assert not out.exists()


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


def test_divergence_is_reported_and_kept(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert (
        main(["train", "--epochs", "3000", "--alpha", "500", "--lam", "0.01", "--out", str(out)])
        == 0
    )
    run = read_run(out)
    assert run.meta["diverged"] is True and run.meta["diverged_epoch"] > 0
    assert "diverged at epoch" in capsys.readouterr().err
