"""The engine fingerprint that runs record (and that decides whether a run is kept).

It is the hash of the `engine/` folder (`engine.fingerprint`): any edit under `engine/` changes
it and retrains every run. No earlier folder is mapped onto it: a run file records its engine's
settings and unused settings, so an engine with new settings writes other bytes even where its
numbers are the old ones.
"""

from __future__ import annotations

import argparse

from backprop_study.engine.fingerprint import engine_fingerprint


def run_fingerprint() -> str:
    """The fingerprint a run trained now records (16 hex digits)."""
    return engine_fingerprint()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: prints the fingerprint."""


def run(args: argparse.Namespace) -> int:
    print(run_fingerprint())
    return 0
