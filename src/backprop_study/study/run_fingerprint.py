"""The engine fingerprint that runs record (and that decides whether a run is kept).

It is the hash of the `engine/` folder (`engine.fingerprint`), except where an earlier `engine/`
folder with the same numerics is named in SAME_NUMERICS: `engine/` at commit 2d339fd also held
the two training commands (now `study/train_cli.py` and `study/seeds_cli.py`), which decide no
byte of a run file, so its runs are today's runs and keep their fingerprint. Any edit under
`engine/` changes the hash, ends the match and retrains every run, as before.
"""

from __future__ import annotations

import argparse

from backprop_study.engine.fingerprint import engine_fingerprint

SAME_NUMERICS = {"3a885b54ea4eb29c": "375b5ac982b7e0b6"}
"""`engine/` fingerprint -> the fingerprint its runs record: that of 2d339fd's `engine/`, whose
files are today's plus the two training commands (tests/study/test_run_fingerprint.py checks it)."""


def run_fingerprint() -> str:
    """The fingerprint a run trained now records (16 hex digits)."""
    current = engine_fingerprint()
    return SAME_NUMERICS.get(current, current)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: prints the fingerprint."""


def run(args: argparse.Namespace) -> int:
    print(run_fingerprint())
    return 0
