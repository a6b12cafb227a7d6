"""Readout pipeline in physical units: Emitter → Source → Field → Probe.

    emitter = Emitter(FHNRS(I_app=0.5), t1=300.0, n_save=400)
    pipeline = Pipeline(["rate", "energy_per_spike", "field"],
                        field=PointSourceField(neuron_xyz, electrode_xyz, sigma=0.3))
    readouts = pipeline(emitter)          # Readouts: value, unit, name, status per probe
    save_results("run.json", readouts, manifest(pipeline, emitter, seed=0))

See docs/pipeline.md.
"""

from felice.pipeline._emitter import Emission, Emitter
from felice.pipeline._field import (
    Field,
    IdentityField,
    MatrixField,
    PointSourceField,
    SumField,
    current_source_density,
)
from felice.pipeline._manifest import (
    config_hash,
    dumps,
    load_results,
    manifest,
    save_results,
    to_json,
)
from felice.pipeline._pipeline import Pipeline
from felice.pipeline._probe import PROBES, Probe, ProbeContext, ProbeSpec, check_probe_names
from felice.pipeline._readout import Readout, Readouts, ReadoutStatus, make_readout
from felice.pipeline._source import V_DD_DEFAULT, Source, Sources, supply_current

__all__ = [
    "Emission",
    "Emitter",
    "Field",
    "IdentityField",
    "MatrixField",
    "PROBES",
    "Pipeline",
    "PointSourceField",
    "Probe",
    "ProbeContext",
    "ProbeSpec",
    "Readout",
    "ReadoutStatus",
    "Readouts",
    "Source",
    "Sources",
    "SumField",
    "V_DD_DEFAULT",
    "check_probe_names",
    "config_hash",
    "current_source_density",
    "dumps",
    "load_results",
    "make_readout",
    "manifest",
    "save_results",
    "supply_current",
    "to_json",
]
