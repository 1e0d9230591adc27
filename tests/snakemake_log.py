"""Reading Snakemake's console output in tests."""

from __future__ import annotations

import re


def jobs_in(output: str) -> dict[str, set[str]]:
    """rule -> first output of each job Snakemake lists (dry run or real; group members too)."""
    jobs: dict[str, set[str]] = {}
    rule = None
    for line in output.splitlines():
        if m := re.match(r"^\s*(?:local)?rule (\w+):$", line):
            rule = m.group(1)
            jobs.setdefault(rule, set())
        elif rule and (m := re.match(r"^\s+output: (.*)$", line)):
            jobs[rule].add(m.group(1).split(", ")[0])
            rule = None
    return jobs
