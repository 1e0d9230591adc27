"""The router: every early end of any sub-command is one line on stderr."""

import pytest

from backprop_study.cli import COMMANDS, main
from backprop_study.engine.errors import UserError
from backprop_study.study import run_fingerprint as fingerprint


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["nosuch"],
            "backprop-study: error: COMMAND: invalid choice: 'nosuch' (choose from "
            + ", ".join(repr(name) for name in COMMANDS)
            + ") (see --help)",
        ),
        ([], "backprop-study: error: the following arguments are required: COMMAND (see --help)"),
        (["--bogus"], "backprop-study: error: the following arguments are required: COMMAND"),
        (
            ["fingerprint", "extra"],
            "backprop-study fingerprint: error: unrecognized arguments: extra (see --help)",
        ),
    ],
)
def test_parse_error_is_one_line_without_usage(capsys, argv, line) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(line) and "usage:" not in err


def test_help_still_shows_usage(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("usage: backprop-study")


def test_version_names_the_installed_package(capsys) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"backprop-study {version('backprop-study')}\n"


@pytest.mark.parametrize(
    ("raised", "code", "line"),
    [
        (KeyboardInterrupt, 130, "backprop-study fingerprint: interrupted\n"),
        (UserError("x: broken; allowed: y"), 2, "backprop-study fingerprint: error: x: broken; "),
    ],
)
def test_a_command_ending_early_is_one_line(capsys, monkeypatch, raised, code, line) -> None:
    def run(args):
        raise raised

    monkeypatch.setattr(fingerprint, "run", run)
    assert main(["fingerprint"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(line)
