"""Weights tables (docs/data-model.md, one row per weight and snapshot) made from networks, for the
analyses that read a run's weight snapshots."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from backprop_study.engine.network import Params

COLUMNS = ["epoch", "layer", "to_unit", "from_unit", "is_bias", "value"]


def long_form(snapshots: Mapping[int, Params]) -> pd.DataFrame:
    """The weights table of the networks `snapshots` ({epoch: Params})."""
    rows = []
    for epoch, p in snapshots.items():
        for layer, W, b in (("hidden", p.W1, p.b1), ("output", p.W2, p.b2)):
            for i in range(W.shape[0]):
                rows.append((epoch, layer, i, -1, True, b[i]))
                for j in range(W.shape[1]):
                    rows.append((epoch, layer, i, j, False, W[i, j]))
    return pd.DataFrame(rows, columns=COLUMNS)
