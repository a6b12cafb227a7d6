"""Behavioural co-simulation: a model's netlist in ngspice against felice's own solve."""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from jaxtyping import Array, ArrayLike, Float

from felice.neuron_models import (
    AbstractNeuron,
    AbstractResettingNeuron,
    AbstractSpiceCircuit,
    require,
)
from felice.simulation import simulate
from felice.spice._behavioural import simulate_behavioural
from felice.spice._reference import solve_si, spike_condition_si, upward_crossings


class BehaviouralComparison(NamedTuple):
    """ngspice and felice trajectories of one neuron on ngspice's time points.

    Attributes:
        state_names: the model's state columns.
        t: time points in s, shape `(n_t,)`.
        spice: ngspice's state in SI units (V; A for a current), shape `(n_t, n_state)`.
        felice: felice's state in SI units at the same times, shape `(n_t, n_state)`.
        rel_error: per state column, max |spice − felice| divided by max |felice|
            (the column's peak magnitude), shape `(n_state,)`; for a column that is
            0 throughout in felice, the absolute max |spice| instead.
        events: times in s of felice's spikes (upward zero crossings of
            `spike_condition`: threshold crossings for FHNRS, fixpoint arrivals
            for WereRabbit/Boomerang; a trajectory spiralling into a fixpoint can
            cross several times while it settles), shape `(n_events,)`.
        spice_events: the same crossings of ngspice's trajectory, in s, shape
            `(n_spice_events,)`.
    """

    state_names: tuple[str, ...]
    t: np.ndarray
    spice: np.ndarray
    felice: np.ndarray
    rel_error: np.ndarray
    events: np.ndarray
    spice_events: np.ndarray


def default_scenario(model: AbstractNeuron) -> tuple[Array, float]:
    """A transient with at least one event: `(y0 in model units, duration in s)`.

    The model's own `behavioural_scenario` with its duration in seconds: FHNRS starts
    from rest and spikes within 100 time units; WereRabbit and Boomerang are kicked
    off their u > v fixpoint and arrive at a fixpoint within 60.

    Raises:
        TypeError: for a model without the `AbstractSpiceCircuit` capability.
    """
    require(model, AbstractSpiceCircuit, "felice.spice.default_scenario")
    y0, duration = model.behavioural_scenario()
    return y0, duration * float(model.time_unit)


def compare_behavioural(
    model: AbstractNeuron,
    y0: Float[ArrayLike, "1 n_state"] | Sequence[Sequence[float]] | None = None,
    t_stop: float | None = None,
    *,
    rtol: float = 1e-10,
    timeout: float = 120.0,
) -> BehaviouralComparison:
    """Simulate `model`'s behavioural netlist in ngspice and compare with felice.

    felice's trajectory is an adaptive Tsit5 solve (rtol 1e-10, atol 1e-12 in
    model units) evaluated at ngspice's own time points, so no interpolation
    enters the comparison. The netlists of resetting neurons (LIF, DPI) are their
    circuits without the reset: for an `AbstractResettingNeuron` the transient ends
    just after felice's first spike (0.2 % of its time later), so the comparison covers
    the trajectory up to and including the first threshold crossing. Use float64
    models (`dtype=jnp.float64` with `jax_enable_x64`) for errors well below 1e-3.

    Args:
        model: a single-neuron `AbstractSpiceCircuit` (FHNRS, WereRabbit, Boomerang, …).
        y0: initial state in model units, shape `(1, n_state)`; default from `default_scenario`.
        t_stop: duration in s; default from `default_scenario`.
        rtol: ngspice's relative tolerance.
        timeout: ngspice time limit in s.

    Raises:
        ValueError: for a resetting neuron that does not spike within `t_stop`.
        RuntimeError: if felice's simulation fails before that spike.
    """
    d_y0, d_t = default_scenario(model)
    y0 = d_y0 if y0 is None else y0
    t_stop = d_t if t_stop is None else t_stop
    if isinstance(model, AbstractResettingNeuron):
        t_stop = _past_first_spike(model, y0, t_stop)
    t, spice = simulate_behavioural(model, y0, t_stop, rtol=rtol, timeout=timeout)
    y0 = np.asarray(y0, dtype=np.float64).reshape(1, -1)
    felice = solve_si(model, y0, t)[:, 0]
    peak = np.max(np.abs(felice), axis=0)
    diff = np.max(np.abs(spice - felice), axis=0)
    rel_error = np.where(peak > 0, diff / np.where(peak > 0, peak, 1.0), diff)
    events = [
        upward_crossings(t, spike_condition_si(model, y[:, None])[:, 0]) for y in (felice, spice)
    ]
    return BehaviouralComparison(model.state_names, t, spice, felice, rel_error, *events)


def _past_first_spike(model: AbstractResettingNeuron, y0: ArrayLike, t_stop: float) -> float:
    """0.2 % past felice's first spike (s), for a netlist without the reset."""
    y0 = np.asarray(y0, dtype=np.float64).reshape(1, -1)
    # Spikes after the first overflow max_spikes = 1; only the first one counts here.
    result = simulate(model, t1=t_stop / float(model.time_unit), y0=y0, rtol=1e-10, atol=1e-12,
                      max_spikes=1, throw=False)
    first = float(result.first_spike_times()[0]) * float(model.time_unit)
    if not np.isfinite(first):
        if not bool(result.ok()):
            raise RuntimeError(f"felice.simulate failed: {result.message}")
        raise ValueError(
            f"{type(model).__name__} does not spike within t_stop={t_stop!r} s from "
            f"y0={y0.tolist()}; its netlist has no reset, so the comparison needs a first spike"
        )
    return 1.002 * first
