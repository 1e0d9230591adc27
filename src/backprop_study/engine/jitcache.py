"""numba's on-disk cache of the kernels, kept to the engine's current sources.

numba checks a cached kernel against the source file of the function it compiled and nothing
else (its caching notes: changes to symbols defined in another file are not recognised), while
`fastpath._run` and `lanes._run` inline the exponential, the losses and the optimizer step from
other engine files. An edit to `exponential.py` alone would then keep the old compiled kernel in
use, under a new engine fingerprint that every run records. So each cache folder of the engine
records the fingerprint its kernels were compiled under, and a different one empties it first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from backprop_study.engine.fingerprint import engine_fingerprint

STAMP = "engine-fingerprint.txt"


def cache_folder(dispatcher: Any) -> Path | None:
    """Where numba keeps `dispatcher`'s compiled code (None: not cached, e.g. no writable
    folder)."""
    cache = getattr(dispatcher, "_cache", None)
    path = getattr(cache, "cache_path", None)
    return Path(path) if path else None


def keep_current(*dispatchers: Any) -> None:
    """Remove the compiled code in the dispatchers' cache folders unless it was compiled from
    the engine sources of today (their fingerprint), then record today's. Called where the
    kernels are defined, before their first call; a folder that cannot be written is left."""
    current = engine_fingerprint()
    for folder in {f for f in map(cache_folder, dispatchers) if f is not None}:
        stamp = folder / STAMP
        try:
            if stamp.read_text(encoding="utf-8") == current:
                continue
        except OSError:
            pass
        try:
            for stale in [*folder.glob("*.nbi"), *folder.glob("*.nbc")]:
                stale.unlink(missing_ok=True)
            tmp = folder / f".{STAMP}.{os.getpid()}.tmp"
            tmp.write_text(current, encoding="utf-8")
            tmp.replace(stamp)
        except OSError:
            continue
