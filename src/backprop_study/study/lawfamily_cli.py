"""The `law-family` sub-command: the per-setting law tables of the `theory` jobs gathered into
the family's ratio table (Parquet and Markdown) and its claims, one per prediction and setting
(`analysis.lawfamily`: the verdict rule is fixed there)."""

from __future__ import annotations

import argparse

import pandas as pd

from backprop_study.analysis import lawfamily
from backprop_study.study.atomic import write_parquet, write_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--laws", nargs="+", required=True, help="the theory jobs' law tables")
    parser.add_argument("--table-out", required=True)
    parser.add_argument("--markdown-out", required=True)
    parser.add_argument("--claims-out", required=True)


def run(args: argparse.Namespace) -> int:
    laws = [pd.read_parquet(p) for p in args.laws]
    table = lawfamily.family_table(laws)
    write_parquet(table, args.table_out)
    write_parquet(lawfamily.claims_rows(table), args.claims_out)
    write_text(lawfamily.table_markdown(table), args.markdown_out)
    return 0
