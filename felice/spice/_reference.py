"""felice's side of a co-simulation: tight diffrax solves and spike read-outs in SI units."""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from felice.neuron_models import AbstractNeuron


@eqx.filter_jit
def _solve(model: AbstractNeuron, y0: Array, ts: Array, rtol: float, atol: float) -> Array:
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(model.dynamics),
        diffrax.Tsit5(),
        ts[0],
        ts[-1],
        None,
        y0,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        max_steps=1_000_000,
    )
    return sol.ys


def solve_si(
    model: AbstractNeuron,
    y0: Float[ArrayLike, "neurons n_state"],
    t: Float[ArrayLike, " n_t"],
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> Float[np.ndarray, "n_t neurons n_state"]:
    """The model's trajectory at times `t` (s), in SI units (V, A), by an adaptive Tsit5 solve.

    Args:
        model: any felice model.
        y0: initial state in model units, shape `(n_neurons, n_state)`, at `t[0]`.
        t: increasing times in seconds, shape `(n_t,)`.
        rtol, atol: diffrax tolerances (in model units).

    Returns:
        States times `state_scale`, shape `(n_t, n_neurons, n_state)`.

    Raises:
        RuntimeError: if the solver fails (diffrax's error, not a silent NaN).
    """
    dtype = model.dtype
    ts = jnp.asarray(np.asarray(t, dtype=np.float64) / float(model.time_unit), dtype)
    ys = _solve(model, jnp.asarray(y0, dtype), ts, rtol, atol)
    return np.asarray(ys, dtype=np.float64) * np.asarray(model.state_scale, dtype=np.float64)


def upward_crossings(
    t: Float[ArrayLike, " n_t"], x: Float[ArrayLike, " n_t"], level: float = 0.0
) -> Float[np.ndarray, " n_events"]:
    """Times at which `x` crosses `level` upwards, linearly interpolated between samples.

    `t` and `x` have shape `(n_t,)`; returns the crossing times, shape `(n_events,)`,
    in the units of `t`.
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64) - level
    idx = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    frac = -x[idx] / (x[idx + 1] - x[idx])
    return t[idx] + frac * (t[idx + 1] - t[idx])


def spike_condition_si(
    model: AbstractNeuron, y_si: Float[ArrayLike, "n_t neurons n_state"]
) -> Float[np.ndarray, "n_t neurons"]:
    """`model.spike_condition` along a trajectory in SI units (upward zero crossings: spikes)."""
    y = jnp.asarray(np.asarray(y_si) / np.asarray(model.state_scale), model.dtype)
    values = jax.vmap(lambda yi: model.spike_condition(0.0, yi, None))(y)
    return np.asarray(values, dtype=np.float64)


def spike_rate(spike_times: Float[ArrayLike, " n_spikes"], *, min_spikes: int = 3) -> float:
    """Mean firing rate in Hz from consecutive spike intervals, 0 with fewer than `min_spikes`."""
    s = np.asarray(spike_times, dtype=np.float64)
    if s.size < min_spikes:
        return 0.0
    return float((s.size - 1) / (s[-1] - s[0]))
