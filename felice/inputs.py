"""Inputs to a simulation: applied currents and input spike trains.

Currents are in model current units and have the shape of the model's external
input per neuron, `model.input_shape` (`()` for FHNRS: one current into the
membrane; `(2,)` for WereRabbit and Boomerang: currents into u and v); an amplitude
broadcasts against `(n_neurons, *input_shape)`. Times are in model time units.

Each current is evaluated elementwise in time: `current(t)` takes `t` of the full
shape `(n_neurons, *input_shape)` (every entry may have its own time, which spike
time refinement uses) and returns the current at those times.
"""

import abc
from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, Real

from felice._validation import check_finite


class CurrentInput(eqx.Module):
    """Base of the time-dependent applied currents."""

    @abc.abstractmethod
    def __call__(self, t: Float[Array, "*shape"]) -> Float[Array, "*shape"]:
        """Current (model units) at the times `t`, elementwise, same shape as `t`."""

    def breakpoints(self) -> np.ndarray:
        """Times (model units) where the current jumps; the solver steps exactly onto them."""
        return np.zeros(0)


def _time(name: str, value: ArrayLike | Sequence[float]) -> np.ndarray:
    check_finite(name, value)
    return np.asarray(value, dtype=float)


class StepCurrent(CurrentInput):
    """`amplitude` from `t_on` on: I(t) = amplitude·[t ≥ t_on].

    Attributes:
        t_on: switch-on time in model time units (fixed data, not differentiated).
        amplitude: current in model units, broadcastable to `(n_neurons, *input_shape)`.
    """

    t_on: float = eqx.field(static=True)
    amplitude: Float[Array, "..."]

    def __init__(self, t_on: float, amplitude: Float[ArrayLike, "..."]):
        self.t_on = float(_time("t_on", t_on))
        check_finite("amplitude", amplitude)
        self.amplitude = jnp.asarray(amplitude)

    def __call__(self, t: Float[Array, "*shape"]) -> Float[Array, "*shape"]:
        """`amplitude` where t ≥ t_on, else 0 (model units); same shape as `t`."""
        return jnp.where(t >= self.t_on, self.amplitude, 0.0).astype(t.dtype)

    def breakpoints(self) -> np.ndarray:
        """`[t_on]` (model time units), shape `(1,)`."""
        return np.asarray([self.t_on])


class PulseCurrent(CurrentInput):
    """`amplitude` between `t_on` and `t_off`: I(t) = amplitude·[t_on ≤ t < t_off].

    Attributes:
        t_on, t_off: pulse start and end in model time units, t_on < t_off.
        amplitude: current in model units, broadcastable to `(n_neurons, *input_shape)`.
    """

    t_on: float = eqx.field(static=True)
    t_off: float = eqx.field(static=True)
    amplitude: Float[Array, "..."]

    def __init__(self, t_on: float, t_off: float, amplitude: Float[ArrayLike, "..."]):
        self.t_on = float(_time("t_on", t_on))
        self.t_off = float(_time("t_off", t_off))
        if not self.t_off > self.t_on:
            raise ValueError(f"t_off must be after t_on, got t_on={self.t_on}, t_off={self.t_off}")
        check_finite("amplitude", amplitude)
        self.amplitude = jnp.asarray(amplitude)

    def __call__(self, t: Float[Array, "*shape"]) -> Float[Array, "*shape"]:
        """`amplitude` where t_on ≤ t < t_off, else 0 (model units); same shape as `t`."""
        on = (t >= self.t_on) & (t < self.t_off)
        return jnp.where(on, self.amplitude, 0.0).astype(t.dtype)

    def breakpoints(self) -> np.ndarray:
        """`[t_on, t_off]` (model time units), shape `(2,)`."""
        return np.asarray([self.t_on, self.t_off])


class CurrentTrace(CurrentInput):
    """A sampled current, linearly interpolated, held constant outside the samples.

    Attributes:
        ts: sample times in model time units, increasing, shape `(n_samples,)`.
        values: currents in model units, shape `(n_samples,)` (all neurons) or
            `(n_samples, n_neurons, *input_shape)` (one trace per neuron and input).
    """

    ts: Float[Array, " samples"]
    values: Float[Array, "samples ..."]

    def __init__(
        self,
        ts: Float[ArrayLike, " samples"] | Sequence[float],
        values: Float[ArrayLike, "samples ..."] | Sequence[float],
    ):
        ts_np = _time("ts", ts)
        if ts_np.ndim != 1 or ts_np.size < 2 or np.any(np.diff(ts_np) <= 0):
            raise ValueError(f"ts must be a strictly increasing 1-D array of ≥ 2 times, got ts={ts_np}")
        check_finite("values", values)
        values = jnp.asarray(values)
        if values.ndim < 1 or values.shape[0] != ts_np.size:
            raise ValueError(
                f"values must have one row per sample time ({ts_np.size}), got shape {values.shape}"
            )
        self.ts = jnp.asarray(ts)
        self.values = values

    def __call__(self, t: Float[Array, "*shape"]) -> Float[Array, "*shape"]:
        """The interpolated current (model units) at `t`; same shape as `t`.

        With per-neuron traces, `t` holds one time per neuron and input, shape
        `(n_neurons, *input_shape)` as the simulator passes it.
        """
        if self.values.ndim == 1:
            return jnp.interp(t, self.ts, self.values).astype(t.dtype)
        columns = self.values.reshape(self.values.shape[0], -1)
        if columns.shape[1] != t.size:
            raise ValueError(
                f"CurrentTrace values have {self.values.shape[1:]} entries per sample but the "
                f"model input has shape {t.shape}"
            )
        out = jax.vmap(jnp.interp, in_axes=(0, None, 1))(t.ravel(), self.ts, columns)
        return out.reshape(t.shape).astype(t.dtype)


class FunctionCurrent(CurrentInput):
    """A current given by a Python function `fn(t) -> current` of a scalar time.

    `fn` must be a JAX-traceable function returning an array broadcastable to
    `(n_neurons, *input_shape)`. Evaluating it at a different time per entry costs
    one call per entry (used only while refining spike times).

    Attributes:
        fn: the function (static).
        breaks: times where `fn` jumps, in model time units (the solver steps onto them).
    """

    fn: Callable[[Array], Array] = eqx.field(static=True)
    breaks: tuple[float, ...] = eqx.field(static=True)

    def __init__(self, fn: Callable[[Array], Array], breaks: tuple[float, ...] = ()):
        if not callable(fn):
            raise ValueError(f"fn must be callable, got fn={fn!r}")
        self.fn = fn
        self.breaks = tuple(float(b) for b in _time("breaks", np.asarray(breaks, float)).ravel())

    def __call__(self, t: Float[Array, "*shape"]) -> Float[Array, "*shape"]:
        """`fn` evaluated at each entry of `t` (model units); same shape as `t`."""
        flat = t.ravel()
        per_time = jax.vmap(lambda s: jnp.broadcast_to(self.fn(s), t.shape).ravel())(flat)
        return jnp.diagonal(per_time).reshape(t.shape).astype(t.dtype)

    def breakpoints(self) -> np.ndarray:
        """The `breaks` given at construction (model time units), shape `(n_breaks,)`."""
        return np.asarray(self.breaks)


class SpikeTrain(eqx.Module):
    """Input spikes: each kicks its target neuron through `model.input_spike` at its time.

    The simulation steps exactly onto every input time (integration is split there);
    spikes sharing a time and a target add their weights. Times and targets are
    array data, so one compiled simulation serves every spike train of the same
    length (e.g. `jax.vmap` over input patterns); pad a shorter train with times
    beyond `t1`.

    Attributes:
        times: spike times in model time units, shape `(n_spikes,)` (not
            differentiated: gradients flow to the weights).
        targets: index of the receiving neuron of each spike, shape `(n_spikes,)`.
        weights: weight of each spike (model units of `input_spike`), shape `(n_spikes,)`.
    """

    times: Float[Array, " spikes"]
    targets: Int[Array, " spikes"]
    weights: Float[Array, " spikes"]

    def __init__(
        self,
        times: Real[ArrayLike, " spikes"] | Sequence[float],
        targets: Int[ArrayLike, " spikes"] | Sequence[int] | int = 0,
        weights: Float[ArrayLike, " spikes"] | Float[ArrayLike, ""] | Sequence[float] = 1.0,
    ):
        check_finite("times", times)
        times = jnp.ravel(jnp.asarray(times))
        if not jnp.issubdtype(times.dtype, jnp.floating):
            times = times.astype(float)
        targets = jnp.broadcast_to(jnp.asarray(targets), times.shape)
        if not jnp.issubdtype(targets.dtype, jnp.integer):
            raise ValueError(f"targets must be integer neuron indices, got dtype {targets.dtype}")
        concrete = None if isinstance(targets, jax.core.Tracer) else np.asarray(targets)
        if concrete is not None and np.any(concrete < 0):
            raise ValueError(f"targets must be non-negative neuron indices, got targets={concrete}")
        check_finite("weights", weights)
        self.times = times
        self.targets = targets.astype(jnp.int32)
        self.weights = jnp.broadcast_to(jnp.asarray(weights), times.shape)
