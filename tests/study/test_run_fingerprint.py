"""The fingerprint runs record is the engine folder's: any edit under engine/ retrains."""

from backprop_study.cli import main
from backprop_study.engine.fingerprint import engine_fingerprint
from backprop_study.study import run_fingerprint as fingerprint
from backprop_study.study.run_fingerprint import run_fingerprint


def test_runs_record_the_engine_fingerprint(monkeypatch):
    assert run_fingerprint() == engine_fingerprint()
    monkeypatch.setattr(fingerprint, "engine_fingerprint", lambda: "0123456789abcdef")
    assert run_fingerprint() == "0123456789abcdef"


def test_fingerprint_command(capsys) -> None:
    assert main(["fingerprint"]) == 0
    assert capsys.readouterr().out.strip() == run_fingerprint()
