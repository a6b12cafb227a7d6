"""Readout pipeline in physical units: Emitter → Source → Field → Probe.

    emitter = Emitter(FHNRS(I_app=0.5), t1=300.0, n_save=400)
    pipeline = Pipeline(["rate", "energy_per_spike", "field"],
                        field=PointSourceField(neuron_xyz, electrode_xyz, sigma=0.3))
    readouts = pipeline(emitter)          # Readouts: value, unit, name, status per probe
    save_results("run.json", readouts, manifest(pipeline, emitter, seed=0))

See docs/pipeline.md.
"""

from felice.pipeline.emitter import Emission, Emitter
from felice.pipeline.field import (
    Field,
    IdentityField,
    MatrixField,
    PointSourceField,
    SumField,
    current_source_density,
)
from felice.pipeline.manifest import config_hash, load_results, manifest, save_results
from felice.pipeline.pipeline import Pipeline
from felice.pipeline.probe import PROBES, Probe, ProbeContext
from felice.pipeline.readout import Readout, Readouts, ReadoutStatus
from felice.pipeline.source import V_DD_DEFAULT, Source, Sources, supply_current

__all__ = [
    "PROBES",
    "V_DD_DEFAULT",
    "Emission",
    "Emitter",
    "Field",
    "IdentityField",
    "MatrixField",
    "Pipeline",
    "PointSourceField",
    "Probe",
    "ProbeContext",
    "Readout",
    "ReadoutStatus",
    "Readouts",
    "Source",
    "Sources",
    "SumField",
    "config_hash",
    "current_source_density",
    "load_results",
    "manifest",
    "save_results",
    "supply_current",
]
