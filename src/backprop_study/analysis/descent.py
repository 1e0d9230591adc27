"""Full-batch gradient descent on one N-M-N encoder, a given number of steps at a time, by the
engine: `fastpath.run_epochs` (compiled, equal to the reference to rounding: tests/engine) or
`network.run_epochs` (the reference). The plateau measures step a network between the points
where they read it; with full batch an engine's epoch is one step."""

from __future__ import annotations

import numpy as np

from backprop_study.engine import network, optimizers
from backprop_study.engine.network import Params, Record
from backprop_study.engine.runconfig import RunConfig
from backprop_study.engine.training import update_of

ENGINES = ("fast", "reference")


class Descent:
    """A network (`params`, views of one flat buffer) and the update that steps it in place."""

    def __init__(
        self,
        start: Params,
        loss: str = "mse",
        offset: float = 0.0,
        lam: float = 0.0,
        alpha: float = 0.1,
        engine: str = "fast",
        most: int = 1,
    ) -> None:
        """`most`: the largest number of steps one `advance` takes."""
        if engine not in ENGINES:
            raise ValueError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
        m, n = start.W1.shape
        config = RunConfig(
            classes=n, hidden=m, lam=lam, alpha=alpha, batch_size=n, loss=loss,
            prime_offset=offset,
        )  # fmt: skip
        self.update = update_of(config)
        self.theta, self.params = network.pack(Params(*(np.array(a) for a in start)))
        self.state = optimizers.State.new("gd", self.theta.size, self.update.hyper, alpha)
        self.x = np.eye(n)
        self.orders = np.zeros((0, n), dtype=np.int64)
        self.record = Record(
            np.full(most + 1, -1, dtype=np.int64), np.empty((0, 6)),
            np.full(most + 1, -1, dtype=np.int64), np.empty((0, m, n)), np.empty((0, m)),
            np.empty((0, n, m)), np.empty((0, n)), np.empty((0, n, m)),
        )  # fmt: skip
        self.most = most
        if engine == "fast":
            from backprop_study.engine import fastpath  # compiled on first use

            self.engine = fastpath.run_epochs
        else:
            self.engine = network.run_epochs

    def advance(self, steps: int) -> None:
        """`steps` (≤ `most`) descent steps in place."""
        if not 0 <= steps <= self.most:
            raise ValueError(f"steps: {steps} is not in 0..{self.most}")
        self.engine(
            self.theta, self.params, self.x, self.x, self.update, self.x.shape[0], 0, steps,
            self.orders, False, self.record, self.state,
        )  # fmt: skip

    def network(self) -> Params:
        """A copy of the current network."""
        return Params(*(np.array(a) for a in self.params))
