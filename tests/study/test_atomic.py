"""atomic.py: a table or text file is written whole or not at all."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from backprop_study.study.atomic import write_parquet, write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "t.parquet"
    target.write_text("old")
    unwritable = pd.DataFrame({"a": [object()]})  # pyarrow cannot convert a bare object
    with pytest.raises(pa.ArrowException):
        write_parquet(unwritable, target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_write_parquet_round_trips_and_makes_its_folder(tmp_path):
    target = tmp_path / "new" / "t.parquet"
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    write_parquet(df, target)
    pd.testing.assert_frame_equal(pd.read_parquet(target), df)


def test_write_text_replaces_the_file_and_makes_its_folder(tmp_path):
    target = tmp_path / "new" / "note.md"
    write_text("first\n", target)
    write_text("second\n", target)
    assert target.read_text(encoding="utf-8") == "second\n"
    assert [p.name for p in target.parent.iterdir()] == ["note.md"]
