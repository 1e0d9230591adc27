"""Full-batch gradient descent on the N-M-N encoder that records what the plateau law needs.

The study's runs keep a loss curve and ~40 snapshots; the escape measures need, at every logged
step, the data loss, the centred weight norm (the part of the weights that differs between
patterns or outputs), the unstable-mode amplitude (`growth.unstable_amplitude`) and the size of
the common output weights (how far the slide to w = v = 0 has gone) and, if asked, the closed
form's μ at the nearest critical point (`growth.visited_mu`, only where the data loss is within
`growth.BANDS`' widest band of J*; NaN elsewhere), and they need runs that stop when they have
escaped and can be continued (`t0`) while undecided. The initial network is the study's
(`training.random_streams`, `network.init_params`), so seed s here is seed s there. Between two
logged points the engine steps it (`descent`: the fast engine by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_study.analysis import descent, growth, theory
from backprop_study.engine.losses import LOSS_NAMES, LOSSES
from backprop_study.engine.network import Params, evaluate, init_params
from backprop_study.engine.training import random_streams

COLUMNS = ("t", "data_loss", "centred_norm", "amplitude", "common_out", "visited_mu")


@dataclass(frozen=True)
class Setting:
    """One encoder and update rule: N-M-N, loss, σ' offset, weight decay, step α."""

    classes: int
    hidden: int
    loss: str = "mse"
    offset: float = 0.0
    lam: float = 0.0
    alpha: float = 0.1

    @property
    def plateau(self) -> float:
        return theory.plateau_loss(self.classes, self.loss)

    @property
    def name(self) -> str:
        n, m = self.classes, self.hidden
        return f"{n}-{m}-{n} {self.loss} c={self.offset:g}"


@dataclass
class Trace:
    """A run's record: `rows` (n, len(COLUMNS)), the network at the end, whether it stopped
    because the data loss fell below `stop_below`."""

    rows: np.ndarray
    final: Params
    escaped: bool

    def column(self, name: str) -> np.ndarray:
        return self.rows[:, COLUMNS.index(name)]


def initial_network(setting: Setting, init_std: float, seed: int) -> Params:
    """The study's initial network for this seed and scale."""
    rng, _ = random_streams(seed)
    return init_params(setting.classes, setting.hidden, init_std, rng)


def measures(p: Params, setting: Setting, t: float, visited: bool = False) -> tuple[float, ...]:
    """One row of COLUMNS for network `p` at flow time `t`."""
    x = np.eye(setting.classes)
    code = LOSSES[LOSS_NAMES.index(setting.loss)]
    loss = evaluate(p, x, x, setting.lam, False, code).data_loss
    a = p.W1 - p.W1.mean(axis=1, keepdims=True)
    b = p.W2 - p.W2.mean(axis=0, keepdims=True)
    centred = float(np.sqrt(np.sum(a * a) + np.sum(b * b)))
    amp = growth.unstable_amplitude(p, setting.offset)
    near = abs(loss / setting.plateau - 1.0) < max(growth.BANDS)
    mu = growth.visited_mu(p, setting.loss, setting.offset) if visited and near else np.nan
    return t, loss, centred, amp, float(np.linalg.norm(p.W2.mean(axis=0))), mu


def run(
    setting: Setting,
    start: Params,
    t_max: float,
    log_every: int = 10,
    stop_below: float = 0.0,
    t0: float = 0.0,
    visited: bool = False,
    engine: str = "fast",
) -> Trace:
    """Descend from `start` (at flow time `t0`) for `t_max` more flow time, logging every
    `log_every` steps; stop early once the data loss is below `stop_below`. `visited`: fill
    the visited_mu column near the plateau."""
    steps = int(round(t_max / setting.alpha))
    stepper = descent.Descent(
        start, setting.loss, setting.offset, setting.lam, setting.alpha, engine, log_every
    )
    rows: list[tuple[float, ...]] = []
    escaped = False
    k = 0
    while True:
        rows.append(measures(stepper.params, setting, t0 + k * setting.alpha, visited))
        if rows[-1][1] < stop_below:
            escaped = True
            break
        if k == steps:
            break
        chunk = min(log_every, steps - k)
        stepper.advance(chunk)
        k += chunk
    return Trace(np.array(rows), stepper.network(), escaped)
