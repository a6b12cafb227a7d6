"""felice: differentiable JAX models of analog neuromorphic neuron circuits."""

from importlib.metadata import PackageNotFoundError, version

from felice import analysis, hardware
from felice.neuron_models import FHNRS, MODELS, Boomerang, NeuronModel, WereRabbit, get_model

try:
    __version__ = version("felice")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["FHNRS", "MODELS", "Boomerang", "NeuronModel", "WereRabbit", "analysis", "get_model", "hardware"]
