"""Probe: readouts in SI units from an emission, its sources and their field.

Every probe is a pure JAX function (jittable, differentiable). `PROBES` lists them:

    name                 shape           unit   meaning
    time                 (T,)            s      save times
    spike_times          (N, max_spikes) s      spike times, +inf padded (the raster)
    spike_counts         (N,)                   spikes per neuron
    raster               (T-1, N)               spikes per neuron in each save interval
    rate                 (N,)            Hz     spike count / duration
    first_spike_latency  (N,)            s      first spike after t0 (+inf: none, UNDEFINED)
    voltage              (T, N, n_obs)   V      node voltages (`model.observe`)
    peak_voltage         (N, n_obs)      V      largest node voltage over the run
    currents             (T, N, K)       A      branch currents (`Sources.names`)
    supply_current       (T, N)          A      current drawn from the supply rail
    power                (T, N)          W      V_dd · supply current
    energy               (N,)            J      ∫ power dt (trapezoid on the save grid)
    energy_per_spike     (N,)            J      energy / spike count (+inf: no spike)
    field                (T, X)          field  the field signal at the sites (V or A)
    csd                  (T, X-2)        A/m^3  current-source density (line of contacts)

Probes declare what they need (`ProbeSpec.needs`): the branch currents, the supply
current (both need an `AbstractCircuit`) or a field. The pipeline computes only what
its probes need, so spike and voltage probes work for any `AbstractNeuron`.
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array

from felice.pipeline._emitter import Emission
from felice.pipeline._field import Field, PointSourceField
from felice.pipeline._readout import Readout, Readouts, make_readout
from felice.pipeline._source import Sources
from felice.simulation import Status


class ProbeContext(NamedTuple):
    """What probes read: the emission, its sources, the field and its signal (or None)."""

    emission: Emission
    sources: Sources
    field: Field | None
    signal: Array | None


def _energy(c: ProbeContext) -> Array:
    P, ts = c.sources.power, c.sources.ts
    return jnp.sum(0.5 * (P[1:] + P[:-1]) * jnp.diff(ts)[:, None], axis=0)


def _energy_per_spike(c: ProbeContext) -> Array:
    counts = c.emission.result.spike_counts
    E = _energy(c)
    return jnp.where(counts > 0, E / jnp.maximum(counts, 1).astype(E.dtype), jnp.inf)


def _raster(c: ProbeContext) -> Array:
    ts = c.emission.result.ts
    st = c.emission.result.spike_times  # (N, S)
    lo, hi = ts[:-1, None, None], ts[1:, None, None]
    last = jnp.arange(ts.shape[0] - 1)[:, None, None] == ts.shape[0] - 2
    inside = (st[None] >= lo) & ((st[None] < hi) | (last & (st[None] == hi)))
    return jnp.sum(inside, axis=-1)


def _voltage(c: ProbeContext) -> Array:
    m, ys = c.emission.model, c.emission.result.ys
    return jax.vmap(m.observe)(ys) * m.voltage_unit


def _csd(c: ProbeContext) -> Array:
    return c.field.csd(c.signal)


def _latency(c: ProbeContext) -> Array:
    m = c.emission.model
    return (c.emission.result.spike_times[:, 0] - c.emission.t0) * m.time_unit


CURRENTS, SUPPLY, FIELD = "currents", "supply", "field"
"""What a probe can need: the branch currents, the supply current, the pipeline's field."""


class ProbeSpec(NamedTuple):
    """A probe: its function of a `ProbeContext`, its unit ("field": the field's), what it
    needs (any of `CURRENTS`, `SUPPLY`, `FIELD`), and whether +inf is part of its value."""

    fn: Callable[[ProbeContext], Array]
    unit: str
    needs: frozenset[str] = frozenset()
    allow_inf: bool = False


PROBES: dict[str, ProbeSpec] = {
    "time": ProbeSpec(lambda c: c.emission.ts, "s"),
    "spike_times": ProbeSpec(lambda c: c.emission.result.spike_times * c.emission.model.time_unit,
                             "s", allow_inf=True),
    "spike_counts": ProbeSpec(lambda c: c.emission.result.spike_counts, ""),
    "raster": ProbeSpec(_raster, ""),
    "rate": ProbeSpec(lambda c: c.emission.result.spike_counts / c.emission.duration, "Hz"),
    "first_spike_latency": ProbeSpec(_latency, "s"),
    "voltage": ProbeSpec(_voltage, "V"),
    "peak_voltage": ProbeSpec(lambda c: jnp.max(_voltage(c), axis=0), "V"),
    "currents": ProbeSpec(lambda c: c.sources.currents, "A", frozenset({CURRENTS})),
    "supply_current": ProbeSpec(lambda c: c.sources.supply, "A", frozenset({SUPPLY})),
    "power": ProbeSpec(lambda c: c.sources.power, "W", frozenset({SUPPLY})),
    "energy": ProbeSpec(_energy, "J", frozenset({SUPPLY})),
    "energy_per_spike": ProbeSpec(_energy_per_spike, "J", frozenset({SUPPLY})),
    "field": ProbeSpec(lambda c: c.signal, "field", frozenset({FIELD})),
    "csd": ProbeSpec(_csd, "A/m^3", frozenset({FIELD})),
}
"""The probes by name: how each is computed from a `ProbeContext` and its SI unit
("field": the unit of the pipeline's field). Shapes and meanings: the module docstring."""


def check_probe_names(names: Sequence[str], field: Field | None) -> tuple[str, ...]:
    """The names as a tuple, after checking each is known and has what it needs.

    Raises:
        ValueError: for an unknown name (listing the known ones), a duplicate, a
            field probe without a field, or "csd" without a `PointSourceField` whose
            contacts are equally spaced along a line.
    """
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    if not names:
        raise ValueError("probes must name at least one probe; known: " + ", ".join(PROBES))
    for name in names:
        if name not in PROBES:
            raise ValueError(f"unknown probe {name!r}; known probes: {', '.join(PROBES)}")
        if FIELD in PROBES[name].needs and field is None:
            raise ValueError(f"probe {name!r} needs a field; pass field=... to the pipeline")
    if len(set(names)) != len(names):
        raise ValueError(f"probes must not repeat, got {names}")
    if "csd" in names and not (isinstance(field, PointSourceField) and field.spacing is not None):
        raise ValueError(
            "probe 'csd' needs a PointSourceField with ≥ 3 electrodes equally spaced along a line"
        )
    return names


class Probe(eqx.Module):
    """The set of readouts to compute; every requested name is computed.

    Attributes:
        names: probe names (see `PROBES` and the module docstring).
    """

    names: tuple[str, ...] = eqx.field(static=True)

    def __init__(self, names: Sequence[str], field: Field | None = None):
        """Raises ValueError for unknown probe names (see `check_probe_names`)."""
        self.names = check_probe_names(names, field)

    def sources_needed(self, field_input: str | None) -> dict[str, tuple[str, ...]]:
        """The currents these probes need (`CURRENTS`, `SUPPLY`), each with the probes that
        need it. `field_input` is the current a field projects ("total", "supply" or a
        branch name), or None without a field."""
        out: dict[str, tuple[str, ...]] = {}
        for name in self.names:
            needs = set(PROBES[name].needs)
            if FIELD in needs and field_input is not None:
                needs.add(SUPPLY if field_input == "supply" else CURRENTS)
            for need in sorted(needs - {FIELD}):
                out[need] = (*out.get(need, ()), name)
        return out

    def __call__(self, context: ProbeContext) -> Readouts:
        """Evaluate every probe; each `Readout` carries its unit and status."""
        sim_ok = context.emission.result.status == Status.OK
        out: dict[str, Readout] = {}
        for name in self.names:
            spec = PROBES[name]
            unit = context.field.unit if spec.unit == "field" else spec.unit
            labels = context.sources.names if name == "currents" else ()
            out[name] = make_readout(name, spec.fn(context), unit, sim_ok, spec.allow_inf, labels)
        return Readouts(tuple(out.values()))
