"""The fingerprint runs record: the engine's, or an earlier engine folder's with the same
numerics (study.run_fingerprint.SAME_NUMERICS), and only while that holds."""

import hashlib
import subprocess

from backprop_study.cli import main
from backprop_study.engine import fingerprint as engine
from backprop_study.engine.fingerprint import engine_fingerprint
from backprop_study.study import run_fingerprint as fingerprint
from backprop_study.study.run_fingerprint import SAME_NUMERICS, run_fingerprint

ENGINE = "src/backprop_study/engine"
COMMIT = "2d339fd"
"""The commit whose engine folder SAME_NUMERICS names."""


def git(*args: str) -> bytes:
    root = engine.PACKAGE.parents[1]
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=True).stdout


def fingerprint_of(files: dict[str, bytes]) -> str:
    """`engine.fingerprint.layers_fingerprint("engine")[:16]` over these files (name -> bytes)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"engine/{name}".encode() + b"\0")
        digest.update(files[name] + b"\0")
    return digest.hexdigest()[:16]


def test_the_map_is_honest_while_it_applies():
    """While runs record the old fingerprint, every engine file is that commit's, byte for byte,
    and the commit's folder only had the two training commands more (deciding no run byte)."""
    if engine_fingerprint() not in SAME_NUMERICS:  # engine/ changed since: the map is dead
        assert run_fingerprint() == engine_fingerprint()
        return
    names = git("ls-tree", "--name-only", f"{COMMIT}:{ENGINE}").decode().split()
    then = {n: git("show", f"{COMMIT}:{ENGINE}/{n}") for n in names if n.endswith(".py")}
    now = {p.name: p.read_bytes() for p in (engine.PACKAGE / "engine").glob("*.py")}
    assert not list((engine.PACKAGE / "engine").glob("*/*.py"))  # no subfolders to compare
    assert sorted(set(then) - set(now)) == ["seeds_cli.py", "train_cli.py"]
    assert {n: then[n] for n in now} == now
    assert fingerprint_of(now) == engine_fingerprint()
    assert {engine_fingerprint(): fingerprint_of(then)} == SAME_NUMERICS


def test_runs_record_the_engine_fingerprint_once_the_engine_changes(monkeypatch):
    monkeypatch.setattr(fingerprint, "engine_fingerprint", lambda: "0123456789abcdef")
    assert run_fingerprint() == "0123456789abcdef"
    current = next(iter(SAME_NUMERICS))
    monkeypatch.setattr(fingerprint, "engine_fingerprint", lambda: current)
    assert run_fingerprint() == SAME_NUMERICS[current]


def test_fingerprint_command(capsys) -> None:
    assert main(["fingerprint"]) == 0
    assert capsys.readouterr().out.strip() == run_fingerprint()
