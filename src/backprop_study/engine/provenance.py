"""Where and with what a run was trained: software versions, machine, executor, wall time.

Kept in a JSON sidecar beside a run's Parquet files (`provenance.json`), never inside them, so
the Parquet files depend only on the config and seed and stay byte-identical on any machine or
executor. Import-light: no pandas, no numba import (versions come from package metadata).
"""

from __future__ import annotations

import json
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from backprop_study.engine.errors import RunFileError

SIDECAR = "provenance.json"
PACKAGES = ("numpy", "numba", "pyarrow")
"""Libraries whose versions can change a run's numbers or its files."""
FIELDS = ("python", *PACKAGES, "backprop_study", "fingerprint", "cpu", "os", "executor")
"""What identifies the software and machine of a run (its provenance record); the sidecar adds
`slurm_job_id` and `wall_time_s`, which differ from run to run."""


def package_version(name: str) -> str:
    """The installed version of a distribution, or "" when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def collect(
    fingerprint: str, package: str, wall_time_s: float, environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """This process's provenance record for one run (`environ` defaults to os.environ)."""
    env = os.environ if environ is None else environ
    job = env.get("SLURM_JOB_ID") or None
    return {
        "python": platform.python_version(),
        **{name: package_version(name) for name in PACKAGES},
        "backprop_study": package,
        "fingerprint": fingerprint,
        "cpu": cpu_model(),
        "os": platform.platform(),
        "executor": "slurm" if job else "local",
        "slurm_job_id": job,
        "wall_time_s": round(wall_time_s, 6),
    }


def to_json(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def read_sidecar(run_dir: str | Path) -> dict[str, Any] | None:
    """A run's provenance record, or None for a run without one (trained before sidecars)."""
    path = Path(run_dir) / SIDECAR
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RunFileError(f"{path}: not a readable provenance file ({exc})") from None
