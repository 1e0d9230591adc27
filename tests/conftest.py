"""Test tiers: plain `pytest` runs the fast tier; `.ci/run` runs it, then the slow tier
(`-m "workflow or compile or slurm"`; pyproject.toml sets the default). A test file wholly in
the slow tier says so with `pytestmark` at its top; single slow tests in otherwise fast files are
named here, with their tier.

Both tiers run on pytest-xdist's workers, one test file per worker at a time (pyproject.toml), in
collection order: the files that take longest start first, so the rest fill in around them."""

from __future__ import annotations

import pytest

SLOW_TESTS = {
    # compiles both kernels from a cold cache for two other vector widths (minutes on 2 cores)
    "test_same_bits_whatever_the_vector_width": "compile",
}


LONGEST_FIRST = ("workflow/test_slurm.py", "workflow/test_workflow.py")
"""The slow tier's longest files: the SLURM study and its failure scenario (mostly waiting on
the cluster), and the tests of the shared local quick study (tests/workflow/conftest.py)."""


def _rank(item: pytest.Item) -> int:
    path = item.path.as_posix()
    ranks = [i for i, end in enumerate(LONGEST_FIRST) if path.endswith(end)]
    return ranks[0] if ranks else len(LONGEST_FIRST)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the rest keep their order
    for item in items:
        tier = SLOW_TESTS.get(getattr(item, "originalname", item.name))
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))
