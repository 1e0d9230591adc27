"""Code fingerprints by layer: a hash of every source file in the named subpackages.

The engine fingerprint (the `engine/` folder) goes to every training job, so any edit under
`engine/` retrains every run; the workflow hashes `analysis/` + `study/` for the aggregation and
adds `reporting/` for figures and report, so what reruns follows the folders, with no module list
to keep up to date. Kept import-free so the DAG builds fast.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
LAYERS = ("engine", "analysis", "study", "reporting")
"""The subpackages, lowest first: a module imports only from its own layer or those below."""


def layers_fingerprint(*layers: str) -> str:
    """sha256 (hex) over the relative paths and bytes of every `.py` file under the layers."""
    digest = hashlib.sha256()
    for layer in layers:
        if layer not in LAYERS:
            raise ValueError(f"{layer!r} is not a layer; allowed: {', '.join(LAYERS)}")
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def engine_fingerprint() -> str:
    """The first 16 hex digits of the `engine/` fingerprint (recorded in every run file)."""
    return layers_fingerprint("engine")[:16]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: prints the fingerprint."""


def run(args: argparse.Namespace) -> int:
    print(engine_fingerprint())
    return 0
