"""Backpropagation on the N-M-N sigmoid encoder, as studied in the 2020 ACML report.

`train` and `RunConfig` are the engine's public face; `load` reads a finished study's tables.
Heavy modules (numba, pyarrow, pandas) load only when a run is trained or written or a study
loaded, so that importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backprop_study.engine.runconfig import RunConfig

__all__ = ["RunConfig", "TrainResult", "__version__", "load", "train"]

if TYPE_CHECKING:
    from backprop_study.engine.training import TrainResult, train
    from backprop_study.study.load import load


def __getattr__(name: str) -> Any:
    if name == "__version__":  # looked up when asked: importlib.metadata costs every command
        from importlib.metadata import version

        return version("backprop-study")
    if name in ("train", "TrainResult"):
        from backprop_study.engine import training

        return getattr(training, name)
    if name == "load":  # pandas loads with it, not with the package
        from backprop_study.study.load import load

        return load
    raise AttributeError(f"module 'backprop_study' has no attribute {name!r}")
