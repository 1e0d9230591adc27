"""requirements.lock is up to date with pyproject.toml, checked offline: every requirement of the
project and of the extras the lock covers is pinned at a version its specifier allows, and the
lock pins nothing those requirements do not need, directly or through another pin (the lock's
own `# via` lines give the dependency graph, so no index is asked and a new release on PyPI
changes nothing). Regenerate the lock with the command in its header (also in the README)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
LOCKED_EXTRAS = ("slurm", "test")
"""The lock covers the study, the SLURM plugin and the test tools: the README's first command
and .ci/run install the same environment, so CI tests what the study runs on."""
TARGET = {
    "python_version": "3.11", "python_full_version": "3.11.7", "implementation_name": "cpython",
    "platform_python_implementation": "CPython", "os_name": "posix", "sys_platform": "linux",
    "platform_system": "Linux", "platform_machine": "x86_64", "extra": "",
}  # fmt: skip
"""The environment the lock is for (markers of pyproject's requirements are evaluated in it)."""


def parse_lock(text: str) -> tuple[dict[str, Version], dict[str, set[str]]]:
    """The lock's pins (name -> version) and, per pin, the names its `# via` lines give."""
    pins: dict[str, Version] = {}
    via: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            req = Requirement(stripped)
            (spec,) = req.specifier  # exactly one: name==version
            assert spec.operator == "==", f"not an exact pin: {stripped}"
            current = canonicalize_name(req.name)
            assert current not in pins, f"pinned twice: {current}"
            pins[current], via[current] = Version(spec.version), set()
        elif current is not None and line.startswith((" ", "\t")):
            words = stripped.lstrip("#").split()
            if words[:1] == ["via"]:
                words = words[1:]
            if words:
                via[current].add(canonicalize_name(words[0]))
    return pins, via


def requirements(pyproject: dict) -> list[Requirement]:
    """The project's dependencies and those of the locked extras, for the target environment."""
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})
    texts = list(project.get("dependencies", []))
    for extra in LOCKED_EXTRAS:
        texts += extras.get(extra, [])
    reqs = [Requirement(t) for t in texts]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(TARGET)]


def lock_problems(pyproject: dict, lock_text: str) -> list[str]:
    """Why the lock does not match pyproject.toml, one sentence each; [] when it does."""
    project = pyproject["project"]
    problems = [
        f"pyproject.toml has an extra {extra!r} that the lock does not cover"
        for extra in project.get("optional-dependencies", {})
        if extra not in LOCKED_EXTRAS
    ]
    pins, via = parse_lock(lock_text)
    own = canonicalize_name(project["name"])
    roots = set()
    for req in requirements(pyproject):
        name = canonicalize_name(req.name)
        roots.add(name)
        if name not in pins:
            problems.append(f"{req} is not pinned in the lock")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"the lock pins {name}=={pins[name]}, which {req} does not allow")
    # Needed: the requirements, then every pin that a needed pin requires. The project's own
    # `via` entries are ignored: they say what pyproject.toml required when the lock was made.
    needed = roots & set(pins)
    grew = True
    while grew:
        more = {p for p in pins if p not in needed and (via[p] - {own}) & needed}
        needed |= more
        grew = bool(more)
    problems += [
        f"the lock pins {name}=={pins[name]}, which pyproject.toml does not need"
        for name in sorted(set(pins) - needed)
    ]
    return problems


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def lock_text() -> str:
    return LOCK.read_text()


def edited(pyproject: dict, dependencies: list[str]) -> dict:
    copy_ = copy.deepcopy(pyproject)
    copy_["project"]["dependencies"] = dependencies
    return copy_


def test_the_lock_matches_pyproject(pyproject, lock_text):
    assert lock_problems(pyproject, lock_text) == []
    pins, _ = parse_lock(lock_text)
    assert {"numpy", "numba", "pyarrow", "snakemake", "pytest", "llvmlite"} <= set(pins)


def test_a_new_or_raised_requirement_the_lock_lacks_fails(pyproject, lock_text):
    deps = pyproject["project"]["dependencies"]
    added = edited(pyproject, [*deps, "requests-toolbelt>=1"])
    assert lock_problems(added, lock_text) == ["requests-toolbelt>=1 is not pinned in the lock"]
    raised = edited(pyproject, [d if not d.startswith("numpy") else "numpy>=99" for d in deps])
    (problem,) = lock_problems(raised, lock_text)
    assert problem.startswith("the lock pins numpy==") and "numpy>=99 does not allow" in problem
    extra = copy.deepcopy(pyproject)
    extra["project"]["optional-dependencies"]["docs"] = ["sphinx"]
    assert lock_problems(extra, lock_text) == [
        "pyproject.toml has an extra 'docs' that the lock does not cover"
    ]


def test_a_requirement_dropped_from_pyproject_leaves_pins_it_alone_needed(pyproject, lock_text):
    deps = pyproject["project"]["dependencies"]
    problems = lock_problems(
        edited(pyproject, [d for d in deps if not d.startswith("matplotlib")]), lock_text
    )
    unneeded = {p.split()[3].split("==")[0] for p in problems}
    assert {"matplotlib", "kiwisolver", "cycler", "contourpy"} <= unneeded
    # Still needed through other pins: numpy (pandas, numba), python-dateutil (pandas).
    assert not {"numpy", "python-dateutil", "packaging"} & unneeded


def test_markers_select_the_target_platform(pyproject, lock_text):
    deps = pyproject["project"]["dependencies"]
    windows_only = edited(pyproject, [*deps, "pywin32>=300; sys_platform == 'win32'"])
    assert lock_problems(windows_only, lock_text) == []


def test_the_readme_and_ci_install_from_the_lock(lock_text):
    command = next(
        line.strip("# ").strip() for line in lock_text.splitlines() if "pip compile" in line
    )
    assert command in (ROOT / "README.md").read_text()  # how to regenerate it
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install" in ci and "-r requirements.lock" in ci and "--no-deps -e ." in ci
