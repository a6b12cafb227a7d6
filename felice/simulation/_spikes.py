"""Spike detection inside one accepted solver step.

The step [t_a, t_a + h] is sampled at M + 1 equally spaced points of the solver's
dense output (θ = 0, 1/M, …, 1). A neuron spikes in a sub-interval when it is armed
and its spike condition g goes from < 0 to ≥ 0 there. Its spike time is then the root
of g along the degree-M Lagrange polynomial through the samples (which reproduces
the dense output exactly for M ≥ its degree: 4 for Tsit5 with the default M = 4),
found by safeguarded Newton iterations to machine precision in θ. The root is made
differentiable by one implicit-function step, t* ← t* − g(t*)/ġ(t*) with ġ held
constant, whose derivative is the implicit-function rule dt*/dθ = −(∂g/∂θ)/ġ.

Arming (the latch of fixpoint spikes): a neuron is disarmed when it spikes and
re-armed when `model.rearm_condition` goes below zero at a sample, or when an input
kick leaves its spike condition below zero.
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from felice.neuron_models import AbstractNeuron

_NEWTON_ITERATIONS = 5


def _lagrange_basis(theta: Array, nodes: np.ndarray) -> list[Array]:
    """The Lagrange basis polynomials through `nodes`, each evaluated at `theta` (any shape)."""
    m = nodes.shape[0]
    basis = []
    for j in range(m):
        w = jnp.ones_like(theta)
        for k in range(m):
            if k != j:
                w = w * ((theta - float(nodes[k])) * float(1.0 / (nodes[j] - nodes[k])))
        basis.append(w)
    return basis


def detect_spikes(
    model: AbstractNeuron,
    keep: Bool[Array, ""],
    t_a: Float[Array, ""],
    h: Float[Array, ""],
    samples: Float[Array, "m neurons n_state"],
    args_at: Callable[[Array], Any],
    armed: Bool[Array, " neurons"],
    spike_times: Float[Array, "neurons max_spikes"],
    spike_counts: Int[Array, " neurons"],
    cut: bool = False,
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Find the spikes of all neurons in one step and append them to the buffers.

    With `cut` (for models whose spikes change the state), only the earliest spikes
    of the step are recorded (every neuron spiking within a few ulps of the first):
    the caller ends the step there and applies `model.reset_spiked`.

    Args:
        model: the neuron model.
        keep: whether the step was accepted (nothing changes otherwise).
        t_a, h: step start and length (model time units).
        samples: the dense solution at θ = 0, 1/M, …, 1, shape `(M + 1, n_neurons, n_state)`.
        args_at: maps per-neuron times `(n_neurons,)` to the model's `args` at those times.
        armed: which neurons may spike, shape `(n_neurons,)`.
        spike_times, spike_counts: the spike buffers so far.

    Returns:
        `(armed, spike_times, spike_counts, overflow, t_first, spiked)`: overflow a
        boolean scalar (some neuron spiked with a full buffer); with `cut`, t_first the
        time of the earliest spike in the step (+inf if none) and spiked the neurons
        that spiked then, shape `(n_neurons,)` (otherwise +inf and all False).
    """
    n_sub = samples.shape[0] - 1
    n = samples.shape[1]
    max_spikes = spike_times.shape[1]
    dtype = samples.dtype
    nodes = np.linspace(0.0, 1.0, n_sub + 1)
    ones = jnp.ones(n, dtype)
    t_nodes = t_a + jnp.asarray(nodes, dtype) * h

    def at_samples(fn: Callable) -> Array:
        return jax.vmap(lambda y, t: fn(t, y, args_at(t * ones)))(samples, t_nodes)

    G = at_samples(model.spike_condition)
    R = at_samples(model.rearm_condition)  # the same as G for a threshold: XLA shares them

    # Which sub-intervals hold a spike of each neuron: sequential in k because of arming.
    armed_in = armed
    crossings = []
    for k in range(n_sub):
        crossing = keep & armed & (G[k] < 0) & (G[k + 1] >= 0)
        crossings.append(crossing)
        armed = (armed & ~crossing) | (R[k + 1] < 0)
    armed = jnp.where(keep, armed, armed_in)
    remaining = jnp.stack(crossings)  # (n_sub, n)

    def condition(theta: Array, ys: Array, mdl: AbstractNeuron) -> Array:
        """g of each neuron along the sample polynomial at its own θ, shape (n,)."""
        y = sum(w[:, None] * ys[j] for j, w in enumerate(_lagrange_basis(theta, nodes)))
        return mdl.spike_condition(t_a, y, args_at(t_a + theta * h))

    def refine(k: Array, mask: Array) -> Array:
        """Spike time of each neuron in its sub-interval k (meaningful where mask)."""
        lo = jnp.asarray(nodes, dtype)[k]
        hi = jnp.asarray(nodes, dtype)[k + 1]
        g_lo = jnp.take_along_axis(G, k[None], axis=0)[0]
        g_hi = jnp.take_along_axis(G, k[None] + 1, axis=0)[0]
        g_lo, g_hi = jax.lax.stop_gradient((g_lo, g_hi))
        theta = jnp.clip(lo - g_lo * (hi - lo) / jnp.where(mask, g_hi - g_lo, 1.0), lo, hi)
        frozen = jax.lax.stop_gradient(samples)

        def newton(_, carry):
            lo, hi, theta = carry
            g, dg = jax.jvp(lambda th: condition(th, frozen, model), (theta,), (ones,))
            lo = jnp.where(g < 0, theta, lo)
            hi = jnp.where(g >= 0, theta, hi)
            step = theta - g / dg
            inside = (step > lo) & (step < hi) & jnp.isfinite(step)
            return lo, hi, jnp.where(inside, step, 0.5 * (lo + hi))

        _, _, theta = jax.lax.fori_loop(0, _NEWTON_ITERATIONS, newton, (lo, hi, theta))
        theta = jax.lax.stop_gradient(theta)
        # One implicit-function step carries the derivatives of the root.
        g, dg = jax.jvp(lambda th: condition(th, samples, model), (theta,), (ones,))
        theta = theta - g / jax.lax.stop_gradient(jnp.where(mask, dg, 1.0))
        # Where g is flat to rounding (a trajectory grazing g = 0) that step can throw
        # θ far outside its sub-interval, even before the step start; a spike time
        # before t_a made the engine cut a zero-length step and find the same spike
        # again, forever. Keep the value in [lo, hi]; the derivative is unchanged.
        theta = theta + jax.lax.stop_gradient(jnp.clip(theta, lo, hi) - theta)
        return t_a + theta * h

    overflow = jnp.asarray(False)
    rows = jnp.arange(n)
    if cut:
        mask = jnp.any(remaining, axis=0)
        k = jnp.argmax(remaining, axis=0)
        t_spike = jax.lax.cond(
            jnp.any(mask), refine, lambda k, mask: jnp.full(n, t_a + h, dtype), k, mask
        )
        t_first = jnp.min(jnp.where(mask, t_spike, jnp.inf))
        tol = 64 * jnp.finfo(dtype).eps * jnp.maximum(jnp.abs(t_a) + h, 1.0)
        spiked = mask & (t_spike <= t_first + tol)
        column = jnp.where(spiked, spike_counts, max_spikes)
        spike_times = spike_times.at[rows, column].set(t_spike, mode="drop")
        overflow = jnp.any(spiked & (spike_counts >= max_spikes))
        spike_counts = spike_counts + spiked
        # Arming at t_first: re-armed by samples before it, disarmed if it spiked.
        armed_cut = armed_in
        for j in range(1, n_sub + 1):
            armed_cut = armed_cut | ((t_nodes[j] < t_first) & (R[j] < 0))
        armed = jnp.where(jnp.isfinite(t_first), armed_cut & ~spiked, armed)
        return armed, spike_times, spike_counts, overflow, t_first, spiked
    # Pass p handles each neuron's p-th spike in this step (a second one is rare).
    for _ in range(n_sub):
        mask = jnp.any(remaining, axis=0)
        k = jnp.argmax(remaining, axis=0)
        t_spike = jax.lax.cond(
            jnp.any(mask), refine, lambda k, mask: jnp.full(n, t_a + h, dtype), k, mask
        )
        column = jnp.where(mask, spike_counts, max_spikes)  # max_spikes: dropped
        spike_times = spike_times.at[rows, column].set(t_spike, mode="drop")
        overflow = overflow | jnp.any(mask & (spike_counts >= max_spikes))
        spike_counts = spike_counts + mask
        remaining = remaining & (jnp.arange(n_sub)[:, None] != k[None, :])
    return armed, spike_times, spike_counts, overflow, jnp.asarray(jnp.inf, dtype), jnp.zeros(n, bool)
