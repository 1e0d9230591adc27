"""Hidden codes: what each class looks like in the hidden layer at a run's last snapshot.

A class's code is its hidden activation vector binarised at 0.5 (bit j = 1 if unit j > 0.5),
written as a string of bits in unit order, e.g. "010"; a run's codebook lists the codes of
classes 0..k-1 joined by commas ("010,110,..."). If all k codes are distinct the hidden layer
separates the classes (for 8 classes and 3 units, a 3-bit code).

Binarity (`gap`) is the mean over classes and units of min(a, 1 - a): the distance from each
activation to the nearer of 0 and 1; 0 means perfectly binary, 0.5 means every unit sits at 0.5.

Hidden units can be relabelled, and a sigmoid unit can be flipped (negate its incoming weights
and bias, giving 1 - a, and compensate in the output biases) without changing the network's
function. The *canonical* codebook is the lexicographically smallest codebook over all unit
permutations and flips, so two runs that found the same code up to those symmetries share it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_CANONICAL_UNITS = 6  # 6! * 2^6 = 46,080 transforms; beyond that no canonical form


@dataclass(frozen=True)
class HiddenCodes:
    """Codes of one run at one snapshot epoch."""

    epoch: int
    distinct: int
    all_distinct: bool
    gap: float
    codebook: str
    canonical: str


def activation_matrix(hidden: pd.DataFrame, epoch: int | None = None) -> tuple[int, np.ndarray]:
    """(epoch, classes x units activations) at `epoch`, by default the last snapshot."""
    if hidden.empty:
        raise ValueError("hidden: no snapshots")
    if epoch is None:
        epoch = int(hidden["epoch"].max())
    at = hidden[hidden["epoch"] == epoch]
    table = at.pivot(index="class", columns="unit", values="activation").sort_index(axis=0)
    return epoch, table.sort_index(axis=1).to_numpy(dtype=np.float64)


def codebook_string(bits: np.ndarray) -> str:
    """'010,110,...' from a classes x units 0/1 array."""
    return ",".join("".join(str(int(b)) for b in row) for row in bits)


def canonical_codebook(bits: np.ndarray) -> str:
    """Smallest codebook string over hidden-unit permutations and flips ('' if too many units).

    Every transform's string has its commas in the same places, so the smallest string is the
    transform whose bits, read row by row, are lexicographically smallest: all transforms are
    built at once (a 10-5-10 run has 3,840) and compared as arrays, not as strings."""
    bits = np.asarray(bits, dtype=np.int8)
    classes, units = bits.shape
    if units > MAX_CANONICAL_UNITS:
        return ""
    perms = np.array(list(itertools.permutations(range(units))), dtype=np.intp)
    flips = np.array(list(itertools.product((0, 1), repeat=units)), dtype=np.int8)
    permuted = bits[:, perms].transpose(1, 0, 2)  # (permutations, classes, units)
    flat = (permuted[:, None] ^ flips[None, :, None, :]).reshape(-1, classes * units)
    smallest = np.lexsort(flat.T[::-1])[0]  # lexsort's primary key is its last
    return codebook_string(flat[smallest].reshape(classes, units))


def codes_of(activations: np.ndarray, epoch: int = -1) -> HiddenCodes:
    """Codes from a classes x units activation matrix."""
    a = np.asarray(activations, dtype=np.float64)
    bits = (a > 0.5).astype(np.int8)
    distinct = len({tuple(row) for row in bits.tolist()})
    return HiddenCodes(
        epoch=epoch,
        distinct=distinct,
        all_distinct=distinct == a.shape[0],
        gap=float(np.mean(np.minimum(a, 1 - a))),
        codebook=codebook_string(bits),
        canonical=canonical_codebook(bits),
    )


def last_codes(hidden: pd.DataFrame) -> HiddenCodes:
    """Codes at a run's last snapshot (hidden.parquet table)."""
    epoch, a = activation_matrix(hidden)
    return codes_of(a, epoch)


def codes_table(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per configuration: seeds, fraction with all codes distinct, mean distinct codes and gap.

    Reads the runs-table columns `code_all_distinct`, `code_distinct`, `code_gap`.
    """
    g = runs.groupby(by, sort=True, dropna=False)
    out = pd.DataFrame(
        {
            "n_runs": g.size(),
            "frac_all_distinct": g["code_all_distinct"].mean(),
            "mean_distinct": g["code_distinct"].mean(),
            "mean_gap": g["code_gap"].mean(),
        }
    )
    return out.reset_index()


def n_codebooks(canonical: pd.Series) -> int:
    """Number of different canonical codebooks (empty strings ignored)."""
    values = [c for c in canonical.dropna() if c]
    return len(set(values)) if values else 0


__all__ = [
    "HiddenCodes",
    "activation_matrix",
    "canonical_codebook",
    "codebook_string",
    "codes_of",
    "codes_table",
    "last_codes",
    "n_codebooks",
]
