"""Typed readouts: a value with its unit, name and status."""

import enum

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int


class ReadoutStatus(enum.IntEnum):
    """Whether a readout can be trusted (`Readout.status`)."""

    OK = 0
    """Every entry is defined and the simulation succeeded."""
    SIMULATION_FAILED = 1
    """The emitter's simulation did not reach t1 cleanly."""
    UNDEFINED = 2
    """Some entries are not defined (e.g. latency or energy per spike without spikes)."""


STATUS_TEXT = {
    ReadoutStatus.OK: "ok",
    ReadoutStatus.SIMULATION_FAILED: "simulation failed",
    ReadoutStatus.UNDEFINED: "undefined entries (inf/NaN)",
}


class Readout(eqx.Module):
    """One probe's result (a pytree: `value` and `status` are arrays).

    Attributes:
        value: the readout in SI units `unit`, any shape (documented per probe in
            `felice.pipeline._probe.PROBES`).
        unit: unit symbol ("s", "Hz", "V", "A", "W", "J", "A/m^3", "" for counts).
        name: the probe's name.
        status: a `ReadoutStatus` code as an integer array.
        labels: names along the value's last axis (the branch names of "currents"),
            or () when it has none.
    """

    value: Array
    unit: str = eqx.field(static=True)
    name: str = eqx.field(static=True)
    status: Int[Array, ""]
    labels: tuple[str, ...] = eqx.field(static=True, default=())

    @property
    def ok(self) -> Array:
        """True when the readout is fully defined and its simulation succeeded (bool scalar)."""
        return self.status == ReadoutStatus.OK

    @property
    def message(self) -> str:
        """The status in words (needs a concrete status)."""
        return STATUS_TEXT[ReadoutStatus(int(self.status))]


class Readouts(eqx.Module):
    """The readouts of one pipeline run, in the order requested (a pytree).

    Attributes:
        readouts: the `Readout`s, a tuple (a dict would be reordered by JAX).
    """

    readouts: tuple[Readout, ...]

    def __init__(self, readouts: tuple[Readout, ...] | list[Readout]):
        """Raises ValueError if two readouts share a name."""
        readouts = tuple(readouts)
        names = [r.name for r in readouts]
        if len(set(names)) != len(names):
            raise ValueError(f"readout names must be distinct, got {names}")
        self.readouts = readouts

    @property
    def items(self) -> dict[str, Readout]:
        """The readouts by probe name, in order."""
        return {r.name: r for r in self.readouts}

    def __getitem__(self, name: str) -> Readout:
        if name not in self.items:
            raise KeyError(f"no readout {name!r}; available: {', '.join(self.items)}")
        return self.items[name]

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.readouts)

    @property
    def names(self) -> tuple[str, ...]:
        """Probe names, in order."""
        return tuple(r.name for r in self.readouts)

    def table(self) -> str:
        """A plain-text table: name, unit, status and a summary (min/max) of each value."""
        from felice.units import format_si

        lines = [f"{'probe':<20} {'status':<28} value"]
        for r in self.readouts:
            name = r.name
            v = np.asarray(r.value)
            if v.size == 1:
                text = format_si(float(v.reshape(())), r.unit)
            elif v.size == 0:
                text = "(empty)"
            else:
                finite = v[np.isfinite(v)]
                if finite.size:
                    text = (f"{format_si(finite.min(), r.unit)} … {format_si(finite.max(), r.unit)}"
                            f"  shape {v.shape}")
                else:
                    text = f"no finite entries, shape {v.shape}"
            lines.append(f"{name:<20} {r.message:<28} {text}")
        return "\n".join(lines)


def make_readout(
    name: str,
    value: Array,
    unit: str,
    sim_ok: Array,
    allow_inf: bool = False,
    labels: tuple[str, ...] = (),
) -> Readout:
    """A `Readout` whose status combines the simulation status with the value's finiteness.

    Args:
        name, unit: the probe's name and unit.
        value: the readout value.
        sim_ok: scalar boolean, the simulation succeeded.
        allow_inf: +inf is part of the value's encoding (padding of spike times).
        labels: names along the value's last axis.
    """
    value = jnp.asarray(value)
    if jnp.issubdtype(value.dtype, jnp.floating):
        bad = jnp.isnan(value) if allow_inf else ~jnp.isfinite(value)
        undefined = jnp.any(bad)
    else:
        undefined = jnp.asarray(False)
    status = jnp.where(
        ~sim_ok, int(ReadoutStatus.SIMULATION_FAILED),
        jnp.where(undefined, int(ReadoutStatus.UNDEFINED), int(ReadoutStatus.OK)),
    ).astype(jnp.int32)
    return Readout(value=value, unit=unit, name=name, status=status, labels=tuple(labels))
