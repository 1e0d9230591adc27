"""Test tiers: plain `pytest` runs the fast tier; `.ci/run` runs it, then the slow tier
(`-m "workflow or compile or slurm"`; pyproject.toml sets the default). A test file wholly in
the slow tier says so with `pytestmark` at its top; single slow tests in otherwise fast files are
named here, with their tier."""

from __future__ import annotations

import pytest

SLOW_TESTS = {
    # compiles both kernels from a cold cache for two other vector widths (minutes on 2 cores)
    "test_same_bits_whatever_the_vector_width": "compile",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = SLOW_TESTS.get(getattr(item, "originalname", item.name))
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))
