"""The layer rule: a module imports only from its own layer or those below (engine < analysis <
study < reporting); the root package (`__init__`, `cli`) may import any layer."""

import ast
from pathlib import Path

import pytest

from backprop_study.engine.fingerprint import LAYERS, PACKAGE

MODULES = sorted(p for layer in LAYERS for p in (PACKAGE / layer).rglob("*.py"))


def imported_layers(path: Path) -> set[str]:
    """The package layers a module imports from, at any depth of its code (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "backprop_study":  # `from backprop_study import analysis`
                names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "backprop_study":
                found.add(parts[1] if len(parts) > 1 and parts[1] in LAYERS else "<root>")
    return found


def test_every_module_is_in_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "cli.py"]
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_layer_or_below(path: Path):
    own = LAYERS.index(path.relative_to(PACKAGE).parts[0])
    allowed = set(LAYERS[: own + 1])
    assert imported_layers(path) <= allowed, f"{path.name} imports above its layer"


def test_the_rule_catches_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from backprop_study.reporting import figures\n")
    assert imported_layers(module) == {"reporting"}
    module.write_text("from backprop_study import RunConfig\n")
    assert imported_layers(module) == {"<root>"}
