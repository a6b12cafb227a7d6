"""Readouts: turn a simulated trace of the output neurons into class scores.

All take arrays with time on the first axis (`(n_steps, n_out)`, as returned in
`Trace`) and are differentiable through surrogate spikes.
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


def spike_count(spikes: Float[ArrayLike, "steps n"]) -> Float[Array, " n"]:
    """Number of spikes of each neuron, shape `(n,)`."""
    return jnp.sum(jnp.asarray(spikes), axis=0)


def membrane_max(membrane: Float[ArrayLike, "steps n"]) -> Float[Array, " n"]:
    """Maximum over time of each neuron's membrane readout, shape `(n,)` (model voltage units)."""
    return jnp.max(jnp.asarray(membrane), axis=0)


def membrane_mean(membrane: Float[ArrayLike, "steps n"]) -> Float[Array, " n"]:
    """Time average of each neuron's membrane readout, shape `(n,)` (model voltage units).

    For a bistable (latching) neuron, whose readout u − v sits near +d or −d at its two
    fixpoints, this measures the fraction of the trial spent in each state; unlike the
    maximum it does not depend on the peaks of the ringing around a fixpoint.
    """
    return jnp.mean(jnp.asarray(membrane), axis=0)


def first_spike_time(
    spikes: Float[ArrayLike, "steps n"], dt: float, t_max: float | None = None
) -> Float[Array, " n"]:
    """Time of each neuron's first spike, `t_max` (default: the end of the trace) if none.

    Spike k is detected at the end of step k, t = (k + 1)·dt. The expression
    Σ_k t_k·s_k·Π_{j<k}(1 − s_j) + t_max·Π_k(1 − s_k) equals the first spike time
    for 0/1 spikes and carries the surrogate gradient. Shape `(n,)`, model time units.
    """
    s = jnp.asarray(spikes)
    n_steps = s.shape[0]
    t = (jnp.arange(n_steps, dtype=s.dtype) + 1) * dt
    none_before = jnp.cumprod(1 - s, axis=0)
    first = s * jnp.concatenate([jnp.ones_like(s[:1]), none_before[:-1]], axis=0)
    t_max = n_steps * dt if t_max is None else t_max
    return jnp.sum(t[:, None] * first, axis=0) + t_max * none_before[-1]
