import numpy as np
import pytest

from backprop_study.engine.encodings import count_correct, decode, is_solved, patterns
from backprop_study.engine.errors import ConfigError
from backprop_study.engine.runconfig import RunConfig


def test_k_is_one_hot() -> None:
    np.testing.assert_array_equal(patterns("k", 8), np.eye(8))


def test_k_minus_1_matches_the_seed_equations() -> None:
    X = patterns("k-1", 8)
    assert X.shape == (8, 7)
    np.testing.assert_array_equal(X[0], np.zeros(7))  # <1,0,...,0> -> all zeros
    np.testing.assert_array_equal(X[7], np.eye(7)[6])  # <0,...,0,1> -> <0,...,0,1>


@pytest.mark.parametrize(("encoding", "params"), [("k", 59), ("k-1", 52)])
def test_parameter_counts_match_the_seed(encoding: str, params: int) -> None:
    assert RunConfig(encoding=encoding).n_parameters == params


def test_decoding_k_minus_1() -> None:
    out = np.array([[0.1, 0.2, 0.3], [0.9, 0.2, 0.1], [0.1, 0.2, 0.6], [0.45, 0.49, 0.3]])
    np.testing.assert_array_equal(decode(out, "k-1"), [0, 1, 3, 0])
    assert count_correct(out[:2], "k-1") == 2


def test_decoding_k_and_the_40_20_40_rule() -> None:
    out = np.eye(4) * 0.7 + 0.1
    assert count_correct(out, "k") == 4
    assert is_solved(0.39) and not is_solved(0.4)


def test_unknown_encoding_names_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match="allowed: k, k-1"):
        patterns("one-hot", 8)
