"""descent.py: steps of either engine, in place, bounded by `most`."""

import numpy as np
import pytest

from backprop_study.analysis import descent
from backprop_study.engine.encodings import patterns
from backprop_study.engine.losses import LOSSES
from backprop_study.engine.network import gradients, init_params


@pytest.mark.parametrize("engine", descent.ENGINES)
def test_advance_takes_plain_gradient_steps(engine):
    start = init_params(4, 2, 0.5, np.random.default_rng(0))
    run = descent.Descent(start, "cross_entropy", 0.1, 0.01, 0.3, engine, most=3)
    run.advance(3)
    x = patterns("k", 4)
    p = start
    for _ in range(3):
        g = gradients(p, x, x, 0.01, LOSSES[1], 0.1)
        p = type(p)(*(a - 0.3 * b for a, b in zip(p, g, strict=True)))
    for a, b in zip(run.network(), p, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="steps"):
        run.advance(4)
