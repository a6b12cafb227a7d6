"""Emitter: a neuron model plus simulation settings; produces the trajectory and spikes."""

from collections.abc import Sequence
from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_positive
from felice.neuron_models import AbstractNeuron
from felice.simulation import SimulationResult, simulate, split_inputs


class Emission(eqx.Module):
    """What an `Emitter` produced: the model, its simulation and the inputs at the save times.

    Attributes:
        model: the simulated model.
        result: the `felice.SimulationResult` (model units; `ts` and `ys` are set).
        I_ext: external current at each save time in model current units, shape
            `(n_save, n_neurons, *model.input_shape)`, or None without current inputs.
        t0, t1: start and end of the run in model time units.
    """

    model: AbstractNeuron
    result: SimulationResult
    I_ext: Float[Array, "n_save neurons ..."] | None
    t0: float = eqx.field(static=True)
    t1: float = eqx.field(static=True)

    @property
    def ts(self) -> Float[Array, " n_save"]:
        """Save times in seconds, shape `(n_save,)`."""
        return self.result.ts * self.model.time_unit

    @property
    def duration(self) -> Float[Array, ""]:
        """Length of the run in seconds."""
        return (self.t1 - self.t0) * self.model.time_unit

    def args(self, k: int | Array) -> dict | None:
        """The model's `args` at save index `k` (the `I_ext` entry, model current units), or None.

        `I_ext[k]` has shape `(n_neurons, *model.input_shape)`.
        """
        return None if self.I_ext is None else {"I_ext": self.I_ext[k]}


class Emitter(eqx.Module):
    """A model with its initial state, inputs and simulation settings (a pytree).

    The model, `y0` and the inputs' amplitudes and weights are array leaves, so a
    readout can be differentiated with respect to them; the settings are static.
    Times (`t0`, `t1`, input times) are in the model's time units (seconds =
    model units × `model.time_unit`): they fix the integration grid and must be
    concrete, whereas the time unit itself may depend on a differentiated
    hardware parameter. `Emitter.for_seconds` converts a duration in seconds.

    Attributes:
        model: the neuron model (a population when its parameters are per neuron).
        y0: initial state `(n_neurons, n_state)`, or None for `model.init_state`.
        inputs: currents and spike trains (`felice.inputs`), as for `felice.simulate`.
        t0, t1: start and end time (model units).
        n_save: number of equally spaced save points in [t0, t1] (≥ 2): the grid on
            which currents, power and energy are evaluated.
        n_neurons: population size when `y0` is None (default: the parameters' size, else 1).
        solver, dt, rtol, atol, dtmax, max_spikes, max_steps, autodiff, throw: passed
            to `felice.simulate` (see there).
    """

    model: AbstractNeuron
    y0: Float[Array, "neurons n_state"] | None
    inputs: tuple
    t1: float = eqx.field(static=True)
    t0: float = eqx.field(static=True)
    n_save: int = eqx.field(static=True)
    n_neurons: int | None = eqx.field(static=True)
    solver: Any = eqx.field(static=True)
    dt: float | None = eqx.field(static=True)
    rtol: float = eqx.field(static=True)
    atol: float = eqx.field(static=True)
    dtmax: float | str | None = eqx.field(static=True)
    max_spikes: int = eqx.field(static=True)
    max_steps: int = eqx.field(static=True)
    autodiff: str = eqx.field(static=True)
    throw: bool = eqx.field(static=True)

    def __init__(
        self,
        model: AbstractNeuron,
        *,
        t1: float,
        t0: float = 0.0,
        y0: Float[ArrayLike, "neurons n_state"] | None = None,
        inputs: Any = None,
        n_save: int = 200,
        n_neurons: int | None = None,
        solver: Any = "tsit5",
        dt: float | None = None,
        rtol: float = 1e-6,
        atol: float = 1e-8,
        dtmax: float | Literal["auto"] | None = "auto",
        max_spikes: int = 64,
        max_steps: int = 1_000_000,
        autodiff: Literal["reverse", "forward"] = "reverse",
        throw: bool = True,
    ):
        """Check and store the settings (the simulation runs on `__call__`).

        Raises:
            ValueError: if `model` is not a `AbstractNeuron`, t1 ≤ t0, n_save < 2, or
                `y0` does not have shape `(n_neurons, n_state)`.
        """
        if not isinstance(model, AbstractNeuron):
            raise ValueError(f"model must be a felice AbstractNeuron, got model={model!r}")
        t0_f, t1_f = float(t0), float(t1)
        if not (np.isfinite(t0_f) and np.isfinite(t1_f) and t1_f > t0_f):
            raise ValueError(f"t1 must be finite and after t0, got t0={t0!r}, t1={t1!r}")
        if isinstance(n_save, bool) or not isinstance(n_save, (int, np.integer)) or n_save < 2:
            raise ValueError(f"n_save must be an integer ≥ 2, got n_save={n_save!r}")
        check_positive("rtol", rtol)
        check_positive("atol", atol)
        if y0 is not None:
            y0 = jnp.asarray(y0, model.dtype)
            n = model.check_state(y0)
            if n_neurons is not None and n_neurons != n:
                raise ValueError(f"n_neurons={n_neurons} does not match y0 with {n} neurons")
        if inputs is None:
            inputs = ()
        elif not isinstance(inputs, Sequence):
            inputs = (inputs,)
        split_inputs(list(inputs))  # validates the kinds of input
        self.model = model
        self.y0 = y0
        self.inputs = tuple(inputs)
        self.t1, self.t0 = t1_f, t0_f
        self.n_save = int(n_save)
        self.n_neurons = n_neurons
        self.solver, self.dt, self.dtmax = solver, dt, dtmax
        self.rtol, self.atol = float(rtol), float(atol)
        self.max_spikes, self.max_steps = int(max_spikes), int(max_steps)
        self.autodiff, self.throw = autodiff, bool(throw)

    @classmethod
    def for_seconds(cls, model: AbstractNeuron, duration: float, **kwargs: Any) -> "Emitter":
        """An emitter running for `duration` seconds of real time (from t0 = 0).

        Needs a concrete `model.time_unit` (not inside `jax.grad` w.r.t. a parameter
        that sets it); there, build the emitter outside or pass `t1` in model units.
        """
        check_positive("duration", duration)
        unit = model.time_unit
        if isinstance(unit, jax.core.Tracer):
            raise ValueError("for_seconds needs a concrete model.time_unit; pass t1 in model units")
        return cls(model, t1=float(duration) / float(unit), **kwargs)

    def settings(self) -> dict[str, Any]:
        """The simulation settings as plain Python values (for the manifest)."""
        solver = self.solver if isinstance(self.solver, str) else type(self.solver).__name__
        dtmax = self.dtmax
        if dtmax is not None and not isinstance(dtmax, str):
            dtmax = float(dtmax)
        return dict(
            t0=self.t0, t1=self.t1, time_unit="model", n_save=self.n_save, n_neurons=self.n_neurons,
            solver=solver, dt=self.dt, rtol=self.rtol, atol=self.atol,
            dtmax=dtmax,
            max_spikes=self.max_spikes, max_steps=self.max_steps, autodiff=self.autodiff,
            throw=self.throw,
        )

    def __call__(self) -> Emission:
        """Run the simulation; returns an `Emission` (jittable and differentiable)."""
        result = simulate(
            self.model, t0=self.t0, t1=self.t1, y0=self.y0, n_neurons=self.n_neurons,
            inputs=list(self.inputs) or None, saveat=self.n_save, solver=self.solver, dt=self.dt,
            rtol=self.rtol, atol=self.atol, dtmax=self.dtmax, max_spikes=self.max_spikes,
            max_steps=self.max_steps, autodiff=self.autodiff, throw=self.throw,
        )
        currents, _ = split_inputs(list(self.inputs))
        I_ext = None
        if currents:
            n = result.y1.shape[0]
            shape = (n, *self.model.input_shape)

            def at(t: Array) -> Array:
                t_full = jnp.broadcast_to(t, shape)
                return sum(jnp.broadcast_to(c(t_full), shape) for c in currents)

            I_ext = jax.vmap(at)(result.ts).astype(result.y1.dtype)
        return Emission(model=self.model, result=result, I_ext=I_ext, t0=self.t0, t1=self.t1)
