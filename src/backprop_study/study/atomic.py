"""Tables and text written whole or not at all, through the one atomic writer
(`runfiles.replace_atomic`): a killed job never leaves a file that looks complete."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from backprop_study.engine.runfiles import replace_atomic

if TYPE_CHECKING:
    import pandas as pd


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))


def write_text(text: str, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
