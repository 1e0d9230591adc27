"""The engine fingerprint: a hash of the source files that decide a run's numbers.

The workflow passes it to every training job, so editing the engine retrains every run while
editing aggregation, plotting or the report does not. Kept import-free so the DAG builds fast.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

ENGINE_MODULES = (
    "config.py",
    "encodings.py",
    "fastpath.py",
    "network.py",
    "runfiles.py",
    "schedules.py",
    "train_cli.py",
    "training.py",
)


def engine_fingerprint() -> str:
    """sha256 (hex, first 16 digits) over the engine modules' names and bytes."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ENGINE_MODULES:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: prints the fingerprint."""


def run(args: argparse.Namespace) -> int:
    print(engine_fingerprint())
    return 0
