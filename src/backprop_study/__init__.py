"""Backpropagation on the N-M-N sigmoid encoder, as studied in the 2020 ACML report.

`train` and `RunConfig` are the engine's public face. Heavy modules (numba, pyarrow) load only
when a run is trained or written, so that importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backprop_study.engine.runconfig import RunConfig

__all__ = ["RunConfig", "TrainResult", "__version__", "train"]

if TYPE_CHECKING:
    from backprop_study.engine.training import TrainResult, train


def __getattr__(name: str) -> Any:
    if name == "__version__":  # looked up when asked: importlib.metadata costs every command
        from importlib.metadata import version

        return version("backprop-study")
    if name in ("train", "TrainResult"):
        from backprop_study.engine import training

        return getattr(training, name)
    raise AttributeError(f"module 'backprop_study' has no attribute {name!r}")
