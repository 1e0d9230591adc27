from pathlib import Path

import pytest

from backprop_study.engine import fingerprint
from backprop_study.engine.fingerprint import engine_fingerprint, layers_fingerprint


def _edited(monkeypatch, name: str) -> None:
    """Make every read of package file `name` (e.g. `analysis/plateau.py`) see one more line."""
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        data = real(path)
        is_target = path.resolve() == (fingerprint.PACKAGE / name).resolve()
        return data + b"\n# an edit\n" if is_target else data

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


def test_an_edit_changes_the_fingerprint_of_its_own_layer_only(monkeypatch):
    before = {layer: layers_fingerprint(layer) for layer in fingerprint.LAYERS}
    _edited(monkeypatch, "analysis/plateau.py")
    after = {layer: layers_fingerprint(layer) for layer in fingerprint.LAYERS}
    assert [layer for layer in fingerprint.LAYERS if before[layer] != after[layer]] == ["analysis"]


def test_every_engine_file_is_in_the_engine_fingerprint(monkeypatch):
    engine_files = sorted(p.name for p in (fingerprint.PACKAGE / "engine").glob("*.py"))
    assert {"training.py", "fastpath.py", "runfiles.py", "runconfig.py"} <= set(engine_files)
    before = engine_fingerprint()
    for name in engine_files:
        with monkeypatch.context() as m:
            _edited(m, f"engine/{name}")
            assert engine_fingerprint() != before, name
    assert engine_fingerprint() == before


def test_layers_combine_in_order_and_unknown_layers_are_refused():
    assert layers_fingerprint("analysis", "study") != layers_fingerprint("analysis")
    assert len(engine_fingerprint()) == 16
    with pytest.raises(ValueError, match="allowed: engine, analysis, study, reporting"):
        layers_fingerprint("figures")
