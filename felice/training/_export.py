"""Hardware export: a trained network in SI units as strict JSON."""

import json
from pathlib import Path
from typing import Any

import numpy as np

from felice._io import atomic_write
from felice.networks import SpikingNetwork


def hardware_parameters(network: SpikingNetwork) -> dict[str, Any]:
    """The trained network in SI units (A, F, s, V) as plain Python lists and floats.

    Built from `network.to_circuit()` (neuron and synapse circuit values, synaptic
    weights as the current of one spike in A) plus the layer sizes; `circuit_units`
    gives the unit of each circuit value, `synapse` the synapse's name (None: the
    neuron integrates its synaptic current itself).
    """
    circuit = {k: np.asarray(v).tolist() for k, v in network.to_circuit().items()}
    units = network.circuit_units
    return {
        "model": type(network.neuron).__name__,
        "synapse": None if network.synapse is None else network.synapse.name,
        "layer_sizes": list(network.layer_sizes),
        "n_inputs": network.n_inputs,
        "units": {"current": "A", "capacitance": "F", "time": "s", "voltage": "V"},
        "circuit": circuit,
        "circuit_units": {k: units[k] for k in circuit},
    }


def export_hardware(network: SpikingNetwork, path: str | Path) -> dict[str, Any]:
    """Write `hardware_parameters(network)` as strict JSON (NaN/inf rejected) atomically;
    return it.

    Raises:
        ValueError: if a parameter is not finite.
    """
    params = hardware_parameters(network)
    atomic_write(path, json.dumps(params, allow_nan=False, indent=1))
    return params
