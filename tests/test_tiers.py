"""The fast tier (plain `pytest`) reaches every module of the package: each is imported, directly
or through the modules it imports, by a test file outside the slow tier (files marked workflow,
compile or slurm as a whole)."""

import ast
import re
from pathlib import Path

from backprop_study.engine.fingerprint import PACKAGE

TESTS = Path(__file__).resolve().parent
SLOW_FILE = re.compile(r"^pytestmark = pytest\.mark\.(workflow|compile|slurm)\b", re.M)


def imported(path: Path) -> set[Path]:
    """The package's module files that `path` imports at any depth of its code, including those
    named as strings (the CLI imports its sub-commands' modules by name)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    files = set()
    for name in names:
        if re.fullmatch(r"backprop_study(\.\w+)*", name):
            # a dotted name is a module, or an attribute of one (the figure catalog names its
            # drawing functions as `module.function`)
            for dotted in (name, name.rpartition(".")[0]):
                base = PACKAGE.parent / dotted.replace(".", "/")
                files.update(
                    p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()
                )
    return files


def reached_from(starts: list[Path]) -> set[Path]:
    seen: set[Path] = set()
    todo = [f for start in starts for f in imported(start)]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(imported(module))
    return seen


def test_the_fast_tier_imports_every_module() -> None:
    fast = [p for p in TESTS.rglob("*.py") if not SLOW_FILE.search(p.read_text())]
    modules = set(PACKAGE.rglob("*.py"))
    missing = sorted(str(p.relative_to(PACKAGE)) for p in modules - reached_from(fast))
    assert missing == []


def test_a_module_reached_only_from_the_slow_tier_is_missed(tmp_path) -> None:
    slow = tmp_path / "test_slow.py"
    slow.write_text("import pytest\npytestmark = pytest.mark.workflow\n")
    assert SLOW_FILE.search(slow.read_text())
    fast = tmp_path / "test_fast.py"
    fast.write_text(
        'COMMAND = "backprop_study.study.kernels"\nDRAW = "backprop_study.reporting.hinton.draw"\n'
    )
    assert PACKAGE / "study" / "kernels.py" in reached_from([fast])
    assert PACKAGE / "reporting" / "hinton.py" in reached_from([fast])
    assert reached_from([slow]) == set()
