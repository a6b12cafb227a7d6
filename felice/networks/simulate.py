"""A differentiable fixed-step simulation of a `SpikingNetwork` (`jax.lax.scan`).

Time grid t_k = k·dt, k = 0 … n_steps. Step k:
1. input spikes of raster row k arrive at t_k (`input_spike` with `input_weights`);
2. the state advances from t_k to t_{k+1} (Euler, Heun or RK4);
3. the spike condition c = `spike_condition(t_{k+1}, y)` is evaluated; a neuron
   spikes if it is armed and c > 0, as s = armed·H(c) with H the (surrogate) step;
4. it re-arms where c < 0: armed ← armed·(1 − s) + (1 − armed·(1 − s))·H(−c);
5. the spikes are delivered (`reset_spiked(y, s)`).

This is the semantics of the event-based engine (upward crossings, zero-delay
delivery, re-arming only after the condition was negative) up to the time
discretisation: a spike is detected at the end of the step in which it happened.
A neuron that starts with c > 0 (a bistable neuron resting at its fixpoint) starts
disarmed.
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_positive
from felice.networks.network import SpikingNetwork

_METHODS = ("euler", "heun", "rk4")


class Trace(eqx.Module):
    """Result of `simulate_fixed` for one sample.

    Attributes:
        spikes: spikes detected at the end of each step, shape `(n_steps, n_neurons)`
            (0/1 with a surrogate, values in (0, 1) with `SmoothSigmoid`).
        membrane: readout voltage `network.membrane(y)` at the end of each step,
            shape `(n_steps, n_neurons)`, model voltage units.
        y_final: state at t = n_steps·dt, shape `(n_neurons, n_state)`.
    """

    spikes: Float[Array, "steps neurons"]
    membrane: Float[Array, "steps neurons"]
    y_final: Float[Array, "neurons n_state"]


def _advance(network: SpikingNetwork, t: Array, y: Array, dt: float, method: str) -> Array:
    f = network.dynamics
    if method == "euler":
        return y + dt * f(t, y)
    if method == "heun":
        k1 = f(t, y)
        k2 = f(t + dt, y + dt * k1)
        return y + dt / 2 * (k1 + k2)
    k1 = f(t, y)
    k2 = f(t + dt / 2, y + dt / 2 * k1)
    k3 = f(t + dt / 2, y + dt / 2 * k2)
    k4 = f(t + dt, y + dt * k3)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def simulate_fixed(
    network: SpikingNetwork,
    inputs: Float[ArrayLike, "steps n_inputs"],
    *,
    dt: float,
    spike_fn: Callable[[Array], Array],
    y0: Float[ArrayLike, "neurons n_state"] | None = None,
    method: str = "heun",
    checkpoint: bool = False,
) -> Trace:
    """Simulate one sample on a fixed time grid; differentiable through `spike_fn`.

    Args:
        network: the network.
        inputs: input spike counts per step and channel, shape `(n_steps, n_inputs)`
            (an encoder's `raster`).
        dt: step in model time units (> 0).
        spike_fn: the step function applied to the spike condition, e.g. a
            `felice.surrogate.FastSigmoid(scale=...)`, or `SmoothSigmoid` for
            gradient checks.
        y0: initial state (default `network.init_state()`; pass it to reuse one
            rest state across a batch under `jax.vmap`).
        method: "euler", "heun" (default) or "rk4".
        checkpoint: recompute each step in the backward pass (`jax.checkpoint`)
            instead of storing its intermediates: less memory, ≈ 30 % more time.

    Returns:
        A `Trace` with `n_steps` rows.

    Raises:
        ValueError: for dt ≤ 0, an unknown method, or inputs of the wrong shape.
        Non-finite states raise at run time (`eqx.error_if`).
    """
    check_positive("dt", dt)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got method={method!r}")
    inputs = jnp.asarray(inputs)
    if inputs.ndim != 2 or inputs.shape[1] != network.n_inputs:
        raise ValueError(
            f"inputs must have shape (n_steps, {network.n_inputs}), got {inputs.shape}"
        )
    y = network.init_state() if y0 is None else jnp.asarray(y0)
    network.check_state(y)
    armed = 1.0 - spike_fn(network.spike_condition(0.0, y))

    def step(carry, xs):
        y, armed = carry
        k, counts = xs
        t = k * dt
        y = network.input_spike(y, network.input_weights(counts))
        y = _advance(network, t, y, dt, method)
        c = network.spike_condition(t + dt, y)
        s = armed * spike_fn(c)
        keep = armed * (1 - s)
        armed = keep + (1 - keep) * spike_fn(-c)
        y = network.reset_spiked(y, s)
        return (y, armed), (s, network.membrane(y))

    if checkpoint:
        step = jax.checkpoint(step)
    ks = jnp.arange(inputs.shape[0], dtype=y.dtype)
    (y, _), (spikes, membrane) = jax.lax.scan(step, (y, armed.astype(y.dtype)), (ks, inputs))
    y = eqx.error_if(y, ~jnp.all(jnp.isfinite(y)), "simulate_fixed: the state became non-finite")
    return Trace(spikes=spikes, membrane=membrane, y_final=y)
