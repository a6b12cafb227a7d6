"""Ready-made sweeps: f–I curve and regime map."""

from typing import Any

import numpy as np
from jaxtyping import ArrayLike, Float

from felice.neuron_models.base import NeuronModel
from felice.sweep.metrics import RegimeFromSpikes, SpikeCount, SpikeRate
from felice.sweep.run import sweep
from felice.sweep.space import grid
from felice.sweep.table import SweepTable


def fi_curve(
    model: NeuronModel,
    currents: Float[ArrayLike, " n"],
    *,
    t1: float,
    t_start: float,
    parameter: str = "I_app",
    **kwargs: Any,
) -> SweepTable:
    """Firing rate against applied current (model units).

    Args:
        model: the neuron model (FHNRS: the current is `I_app`).
        currents: applied currents, model current units, shape `(n,)`.
        t1: simulation length; t_start: start of the counting window (after the
            transient), both in model time units.
        parameter: the swept current parameter.
        **kwargs: passed to `felice.sweep.sweep` (chunk_size, folder, max_spikes, ...).

    Returns:
        Table with columns `parameter`, `rate` (spikes per model time unit),
        `count` (spikes in the window) and `regime` (`felice.sweep.Regime`).
    """
    if not 0 <= t_start < t1:
        raise ValueError(f"t_start must be in [0, t1), got t_start={t_start}, t1={t1}")
    metrics = dict(rate=SpikeRate(t_start), count=SpikeCount(t_start),
                   regime=RegimeFromSpikes(t_start))
    return sweep(model, {parameter: np.asarray(currents, float)}, metrics, t1=t1, **kwargs)


def regime_map(
    model: NeuronModel,
    x: tuple[str, Float[ArrayLike, " nx"]],
    y: tuple[str, Float[ArrayLike, " ny"]],
    *,
    t1: float,
    t_start: float,
    classifier: Any = None,
    **kwargs: Any,
) -> SweepTable:
    """Regime (rest / spiking / bursting) on the grid of two parameters.

    Args:
        model: the neuron model.
        x, y: (parameter name, values), e.g. `("a[1]", gains)` and `("I_app", currents)`.
        t1, t_start: simulation length and start of the analysis window.
        classifier: the regime metric (default `RegimeFromSpikes(t_start)`); any metric
            returning `felice.sweep.Regime` labels can be plugged in.
        **kwargs: passed to `felice.sweep.sweep`.

    Returns:
        Table with the two parameter columns, `regime` and `rate`.
    """
    if not 0 <= t_start < t1:
        raise ValueError(f"t_start must be in [0, t1), got t_start={t_start}, t1={t1}")
    points = grid(**{x[0]: x[1], y[0]: y[1]})
    metrics = dict(regime=classifier or RegimeFromSpikes(t_start), rate=SpikeRate(t_start))
    return sweep(model, points, metrics, t1=t1, **kwargs)
