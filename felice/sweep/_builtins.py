"""Ready-made sweeps: f–I curve, regime map, fixpoints against bias, mismatch robustness."""

from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float

from felice.networks import mismatch_neurons
from felice.neuron_models import AbstractBistableCircuit, AbstractNeuron
from felice.sweep._metrics import RegimeFromSpikes, SpikeCount, SpikeRate
from felice.sweep._run import sweep
from felice.sweep._space import grid
from felice.sweep._table import SweepTable


def fi_curve(
    model: AbstractNeuron,
    currents: Float[ArrayLike, " n"] | Sequence[float],
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
    metrics = dict(rate=SpikeRate(t_start), count=SpikeCount(t_start),
                   regime=RegimeFromSpikes(t_start))
    return sweep(model, {parameter: np.asarray(currents, float)}, metrics, t1=t1, **kwargs)


def regime_map(
    model: AbstractNeuron,
    x: tuple[str, Float[ArrayLike, " nx"] | Sequence[float]],
    y: tuple[str, Float[ArrayLike, " ny"] | Sequence[float]],
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
    points = grid(**{x[0]: x[1], y[0]: y[1]})
    metrics = dict(regime=classifier or RegimeFromSpikes(t_start), rate=SpikeRate(t_start))
    return sweep(model, points, metrics, t1=t1, **kwargs)


@eqx.filter_jit
def _stable_fixpoints(model: AbstractBistableCircuit) -> jax.Array:
    return model.stable_fixpoints()


def _fixpoints(model: AbstractBistableCircuit, result: Any) -> dict[str, jax.Array]:
    """Both stable fixpoints (u, v) in V per point; NaN where none was found."""
    fp = _stable_fixpoints(model)
    return {"u_high": fp[:, 0, 0], "v_high": fp[:, 0, 1], "u_low": fp[:, 1, 0],
            "v_low": fp[:, 1, 1]}


def fixpoint_curve(
    model: AbstractBistableCircuit, I_bias: Float[ArrayLike, " n"], **kwargs: Any
) -> SweepTable:
    """Stable fixpoint locations of a WereRabbit/Boomerang circuit against its bias current.

    I_bias is the model's current unit (one per population), so the sweep runs over
    α = I_n0/I_bias with I_n0 = α·I_bias of `model` held fixed; σ is the ratio
    I_a/I_bias, so it stays as it is (as `from_circuit` builds it). Fixpoint voltages do
    not depend on the time unit C/I_bias, so this is the fixpoint-vs-bias curve.

    Args:
        model: the nominal bistable model.
        I_bias: bias currents in A, shape `(n,)`.
        **kwargs: passed to `felice.sweep.sweep` (no simulation is run).

    Returns:
        Table with parameter columns `I_bias` (A) and `alpha`, and metric columns
        `fixpoint.u_high`, `fixpoint.v_high` (the fixpoint with u > v), `fixpoint.u_low`,
        `fixpoint.v_low`, in V.
    """
    if not isinstance(model, AbstractBistableCircuit):
        raise ValueError(f"model must be WereRabbit or Boomerang, got {type(model).__name__}")
    I_bias = np.asarray(I_bias, float)
    if I_bias.ndim != 1 or not np.all(I_bias > 0):
        raise ValueError(f"I_bias must be a 1-D array of positive currents, got {I_bias}")
    I_n0 = float(model.alpha) * float(model.I_bias)
    table = sweep(model, {"alpha": I_n0 / I_bias}, {"fixpoint": _fixpoints}, t1=None, **kwargs)
    return SweepTable({"I_bias": I_bias, **table.columns}, ("I_bias", "alpha"))


def mismatch_robustness(
    model: AbstractNeuron,
    n: int,
    metrics: dict,
    *,
    seed: int,
    sigma_bias: float = 0.1,
    sigma_kappa: float = 0.02,
    t1: float | None,
    **kwargs: Any,
) -> SweepTable:
    """`metrics` over `n` random mismatched copies of `model` (seeded, reproducible).

    Each point carries its own log-normal bias-current factors and κ factor, applied as
    `felice.networks._mismatch.mismatch_neurons` does (FHNRS: element gains, g, I_app, and κ through
    C, τ, δ, E_rev, V_th; bistable: α, σ, β). The table's parameter columns are every
    parameter that the mismatch changed, so each point can be rebuilt from its row.

    Args:
        model: the nominal model (scalar parameters).
        n: number of mismatched samples (≥ 1).
        metrics: as for `felice.sweep.sweep`.
        seed: seed of the random factors.
        sigma_bias, sigma_kappa: relative spreads (≥ 0) of bias currents and of κ.
        t1: simulation end time, or None for analysis-only metrics.
        **kwargs: passed to `felice.sweep.sweep`.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer ≥ 1, got n={n!r}")
    mm = mismatch_neurons(model, n, jax.random.PRNGKey(seed), sigma_bias=sigma_bias,
                          sigma_kappa=sigma_kappa)
    nominal = model.param_values()
    points = {}
    for name, value in mm.param_values().items():
        if name in model.unit_fields:
            continue
        v = np.asarray(value).reshape(n, -1)
        changed = ~np.all(v == np.asarray(jnp.broadcast_to(nominal[name], value.shape))
                          .reshape(n, -1), axis=0)
        for k in np.flatnonzero(changed):
            points[f"{name}[{k}]" if model.core_ndim.get(name, 0) else name] = v[:, k]
    if not points:
        raise ValueError("sigma_bias and sigma_kappa are both 0: the mismatch varies nothing")
    return sweep(model, points, metrics, t1=t1, **kwargs)
