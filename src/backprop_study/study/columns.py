"""One type per column across the study's tables, so that any two of them join.

A configuration column has its axis's dtype whatever its values (a column that is unset in every
run is still typed, not `object`), and the naming columns are strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backprop_study.analysis.axes import axis, config_columns

if TYPE_CHECKING:
    import pandas as pd

IDS = ("run_id", "setting", "experiment")
"""Columns naming a row's run (its path), setting (the path without the seed) and experiment."""
_DTYPES = {str: "string", int: "Int64", float: "float64"}


def typed_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Every configuration column with its axis's one dtype (Arrow: string, int64, double),
    whatever the values (None: unset), and the naming columns as strings, so that any two of
    the study's tables join on them."""
    for col in config_columns(df.columns):
        df[col] = df[col].astype(_DTYPES[axis(col).kind])
    for col in IDS:
        if col in df:
            df[col] = df[col].astype("string")
    if "seed" in df:
        df["seed"] = df["seed"].astype("int64")
    return df
