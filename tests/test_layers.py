"""The layer rule: a module imports only from its own layer or those below (engine < analysis <
study < reporting); the root package (`__init__`, `cli`) may import any layer. Inside a layer no
two modules import each other, directly or round a circle; reporting draws and renders only."""

import ast
from pathlib import Path

import pytest

from backprop_study.engine.fingerprint import LAYERS, PACKAGE

MODULES = sorted(p for layer in LAYERS for p in (PACKAGE / layer).rglob("*.py"))
# What computes a test or a verdict: reporting renders their results, never calls them.
TESTS = {"scipy", "backprop_study.analysis.testers"} | {
    f"backprop_study.analysis.stats.{name}"
    for name in (
        "paired_ratio",
        "unpaired_ratio",
        "one_sample_ratio",
        "share",
        "verdict",
        "share_verdict",
    )  # fmt: skip
}


def imported_names(tree: ast.AST) -> set[str]:
    """Every dotted name a module imports, at any depth of its code (lazy imports too):
    `from a.b import c` gives a.b and a.b.c."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def imported_layers(path: Path) -> set[str]:
    """The package layers a module imports from."""
    found = set()
    for name in imported_names(ast.parse(path.read_text())):
        parts = name.split(".")
        if parts[0] == "backprop_study" and len(parts) > 1:
            found.add(parts[1] if parts[1] in LAYERS else "<root>")
    return found


def module_name(path: Path) -> str:
    return "backprop_study." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """Module → the modules of `sources` it imports."""
    return {
        name: {m for m in imported_names(ast.parse(text)) if m in sources and m != name}
        for name, text in sources.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of `graph`, each once (depth-first search)."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
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


@pytest.mark.parametrize("layer", LAYERS)
def test_no_import_cycle_inside_a_layer(layer: str):
    sources = {module_name(p): p.read_text() for p in MODULES if p.parts[-2] == layer}
    assert cycles(import_graph(sources)) == []


def test_the_cycle_check_catches_a_circle():
    sources = {
        "p.a": "from p import b\n",
        "p.b": "def f():\n    from p.c import g\n",
        "p.c": "import p.a\n",
        "p.d": "from p.a import x\n",
    }
    assert cycles(import_graph(sources)) == [["p.a", "p.b", "p.c", "p.a"]]


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if p.parts[-2] == "reporting"],
    ids=lambda p: p.name,
)
def test_reporting_computes_no_test(path: Path):
    names = imported_names(ast.parse(path.read_text()))
    assert not {n for n in names if n.split(".")[0] == "scipy"}, f"{path.name} imports scipy"
    assert not names & TESTS, f"{path.name} computes a test: {names & TESTS}"
