"""felice: differentiable JAX models of analog neuromorphic neuron circuits."""

from importlib.metadata import PackageNotFoundError, version

from felice import analysis, datasets, hardware, inputs, networks, pipeline, surrogate, sweep
from felice.neuron_models import (
    FHNRS,
    LIF,
    MODELS,
    AbstractCircuit,
    AbstractNeuron,
    AbstractResettingNeuron,
    AbstractVoltageClamp,
    Boomerang,
    DPINeuron,
    WereRabbit,
    get_model,
    register,
)
from felice.simulation import SimulationResult, Status, simulate

try:
    __version__ = version("felice")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "FHNRS",
    "LIF",
    "MODELS",
    "Boomerang",
    "DPINeuron",
    "AbstractCircuit",
    "AbstractNeuron",
    "AbstractResettingNeuron",
    "AbstractVoltageClamp",
    "SimulationResult",
    "Status",
    "WereRabbit",
    "analysis",
    "datasets",
    "get_model",
    "hardware",
    "inputs",
    "networks",
    "pipeline",
    "register",
    "simulate",
    "surrogate",
    "sweep",
]
