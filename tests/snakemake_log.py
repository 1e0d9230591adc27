"""Reading Snakemake's console output in tests."""

from __future__ import annotations

import re


def jobs_in(output: str) -> dict[str, set[str]]:
    """rule -> first output of each job Snakemake lists (dry run or real; group members too),
    without the flag Snakemake may print after it (`(update)`)."""
    jobs: dict[str, set[str]] = {}
    rule = None
    for line in output.splitlines():
        if m := re.match(r"^\s*(?:local)?rule (\w+):$", line):
            rule = m.group(1)
            jobs.setdefault(rule, set())
        elif rule and (m := re.match(r"^\s+output: (.*)$", line)):
            first = m.group(1).split(", ")[0]
            jobs[rule].add(re.sub(r" \(\w+\)$", "", first))  # without a flag such as (update)
            rule = None
    return jobs
