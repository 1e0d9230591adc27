"""atomic.py: a file is written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_study.study.atomic import write_atomic, write_text


def test_write_atomic_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "t.parquet"
    target.write_text("old")

    def failing(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomic(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_write_text_replaces_the_file_and_makes_its_folder(tmp_path):
    target = tmp_path / "new" / "note.md"
    write_text("first\n", target)
    write_text("second\n", target)
    assert target.read_text(encoding="utf-8") == "second\n"
    assert [p.name for p in target.parent.iterdir()] == ["note.md"]
