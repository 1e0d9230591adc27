"""columns.py: one type per column, whatever the values, so the study's tables join."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from backprop_study.study.columns import typed_columns


def test_unset_configuration_columns_still_get_their_axis_type():
    df = pd.DataFrame(
        {
            "run_id": ["a/seed~0"], "setting": ["a"], "experiment": ["e"], "encoding": [None],
            "lam": [None], "log_every": [None], "seed": [0.0], "other": [None],
        }
    )  # fmt: skip
    typed = typed_columns(df)
    dtypes = {c: str(t) for c, t in typed.dtypes.items()}
    assert dtypes == {
        "run_id": "string", "setting": "string", "experiment": "string", "encoding": "string",
        "lam": "float64", "log_every": "Int64", "seed": "int64", "other": "object",
    }  # fmt: skip
    arrow = pa.Schema.from_pandas(typed, preserve_index=False)
    assert str(arrow.field("log_every").type) == "int64"
    assert str(arrow.field("lam").type) == "double"
    assert arrow.field("encoding").type == arrow.field("run_id").type
