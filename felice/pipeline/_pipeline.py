"""Pipeline: emitter → source → field → probe, as one differentiable function."""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp

from felice.neuron_models import AbstractCircuit, require
from felice.pipeline._emitter import Emitter
from felice.pipeline._field import Field
from felice.pipeline._probe import CURRENTS, SUPPLY, Probe, ProbeContext
from felice.pipeline._readout import Readouts
from felice.pipeline._source import Source


def _branch_names(model: AbstractCircuit) -> tuple[str, ...]:
    """Names of the model's branch currents (found by tracing, nothing is computed)."""
    n = model.population_size() or 1
    y = jnp.zeros((n, model.n_state), model.dtype)
    return tuple(jax.eval_shape(lambda m: m.currents(y), model))


class Pipeline(eqx.Module):
    """Source, field and probes applied to any `Emitter` (any neuron model, unchanged).

    Spike and voltage probes work for any `AbstractNeuron`; probes of currents, power
    and energy (and fields) need an `AbstractCircuit`, and only they make the source
    compute branch or supply currents.

    Attributes:
        source: the `Source` (supply voltage V_dd).
        field: a `Field` or None (then field probes cannot be requested).
        field_input: which per-neuron current the field projects: "total" (sum of
            the branch currents: the capacitive current), "supply", or a branch name
            of the model (checked when the pipeline runs).
        probe: the `Probe` (the readouts to compute).
    """

    source: Source
    field: Field | None
    field_input: str = eqx.field(static=True)
    probe: Probe

    def __init__(
        self,
        probes: Sequence[str],
        *,
        source: Source | None = None,
        field: Field | None = None,
        field_input: str = "total",
    ):
        """Raises ValueError for unknown probes or probes that need a missing field."""
        if field is not None and not isinstance(field, Field):
            raise ValueError(f"field must be a felice.pipeline Field or None, got field={field!r}")
        self.source = Source() if source is None else source
        if not isinstance(self.source, Source):
            raise ValueError(f"source must be a felice.pipeline.Source, got source={source!r}")
        self.field = field
        self.field_input = str(field_input)
        self.probe = Probe(probes, field)

    def __call__(self, emitter: Emitter) -> Readouts:
        """Simulate the emitter and compute every probe (jittable and differentiable).

        Raises:
            TypeError: if a probe needs currents and the model is not an `AbstractCircuit`
                (the message names the probe).
            ValueError: if `field_input` is not a source of this model, or the
                field does not fit the population (e.g. wrong number of positions).
        """
        if not isinstance(emitter, Emitter):
            raise ValueError(f"expected an Emitter, got {emitter!r}")
        needed = self.probe.sources_needed(self.field_input if self.field is not None else None)
        if needed:
            probes = ", ".join(repr(p) for p in dict.fromkeys(sum(needed.values(), ())))
            require(emitter.model, AbstractCircuit, f"felice.pipeline (probe {probes})")
        if self.field is not None and self.field_input not in ("total", "supply"):
            names = _branch_names(emitter.model)
            if self.field_input not in names:
                raise ValueError(f"unknown source {self.field_input!r}; known: total, supply, "
                                 f"{', '.join(names)}")
        emission = emitter()
        sources = self.source(emission, currents=CURRENTS in needed, supply=SUPPLY in needed)
        signal = None
        if self.field is not None:
            signal = self.field(sources.select(self.field_input))
        return self.probe(ProbeContext(emission, sources, self.field, signal))
