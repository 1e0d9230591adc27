"""The seed's two ways of writing k classes, and how an output is read back as a class.

`k`: class i is the one-hot vector e_i of length k. `k-1`: class 0 is the all-zeros vector and
class i >= 1 is e_i of length k-1 (the seed's equations (1)-(2)), saving one input and one output.
"""

from __future__ import annotations

import numpy as np

from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import ENCODINGS

SOLVED_TOLERANCE = 0.4  # 40-20-40 rule: every output within 0.4 of its target


def patterns(encoding: str, classes: int) -> np.ndarray:
    """The training patterns, one row per class (inputs = targets)."""
    if encoding == "k":
        return np.eye(classes)
    if encoding == "k-1":
        return np.vstack([np.zeros((1, classes - 1)), np.eye(classes - 1)])
    raise ConfigError(f"encoding: {encoding!r} is not allowed; allowed: {', '.join(ENCODINGS)}")


def decode(outputs: np.ndarray, encoding: str) -> np.ndarray:
    """Class index of each output row."""
    if encoding == "k":
        return np.argmax(outputs, axis=1)
    if encoding == "k-1":
        return np.where(np.all(outputs < 0.5, axis=1), 0, np.argmax(outputs, axis=1) + 1)
    raise ConfigError(f"encoding: {encoding!r} is not allowed; allowed: {', '.join(ENCODINGS)}")


def count_correct(outputs: np.ndarray, encoding: str) -> int:
    """Patterns decoded to their own class (row i is class i)."""
    return int(np.sum(decode(outputs, encoding) == np.arange(outputs.shape[0])))


def is_solved(max_error: float) -> bool:
    """The 40-20-40 rule from the largest output error."""
    return bool(max_error < SOLVED_TOLERANCE)
