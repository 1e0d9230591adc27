from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from backprop_study.engine.errors import UserError
from backprop_study.study.job_resources import MARGIN, RuleUse, format_table, rule_use, run

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_benchmark(path: Path, *rows: tuple[float, str]) -> None:
    """A benchmark file as Snakemake writes it: one row per repetition (seconds, max_rss)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{s}\t0:00:01\t{rss}\t900\t100\t120\t0\t1\t50\t0.5\n" for s, rss in rows)
    path.write_text(HEADER + body)


def test_each_rule_gets_its_largest_time_and_memory(tmp_path):
    write_benchmark(tmp_path / "train" / "enc~k" / "lam~0" / "seeds-0.tsv", (30.0, "180.5"))
    write_benchmark(tmp_path / "train" / "enc~k" / "lam~0.1" / "seeds-0.tsv", (90.0, "150.0"))
    write_benchmark(tmp_path / "runs_table" / "runs_table.tsv", (4.0, "NA"), (2.0, "NA"))
    uses = {u.rule: u for u in rule_use(tmp_path)}
    assert uses["train"] == RuleUse("train", 2, 90.0, 180.5)
    assert uses["runs_table"] == RuleUse("runs_table", 1, 4.0, None)


def test_suggestions_cover_the_largest_use_with_the_margin():
    use = RuleUse("train", 2, max_seconds=90.0, max_rss_mb=180.5)
    assert use.mem_mb == 300 and use.mem_mb >= 180.5 * MARGIN  # 270.75, in 100 MB steps
    assert use.runtime == 3  # 135 s
    assert RuleUse("x", 1, 1.0, 10.0).mem_mb == 100  # at least one step
    assert RuleUse("x", 1, 1.0, 10.0).runtime == 1
    assert RuleUse("x", 1, 1.0, None).mem_mb is None


def test_table_has_one_line_per_rule(tmp_path):
    write_benchmark(tmp_path / "train" / "a.tsv", (90.0, "180.5"))
    write_benchmark(tmp_path / "figure" / "b.tsv", (5.0, "NA"))
    lines = format_table(rule_use(tmp_path)).splitlines()
    assert lines[0].split()[:2] == ["rule", "jobs"]
    assert [line.split() for line in lines[1:]] == [
        ["figure", "1", "5.0", "NA", "NA", "1"],
        ["train", "1", "90.0", "180", "300", "3"],
    ]


def test_a_folder_without_benchmarks_or_with_another_file_is_refused(tmp_path):
    with pytest.raises(UserError, match="no benchmark files"):
        rule_use(tmp_path)
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "x.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(UserError, match="not a Snakemake benchmark file"):
        rule_use(tmp_path)
    with pytest.raises(UserError, match="not a folder"):
        run(argparse.Namespace(benchmarks=tmp_path / "missing"))
