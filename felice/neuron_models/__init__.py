"""The circuit neuron models and a registry to look them up by name."""

from typing import Any

from felice.neuron_models.base import NeuronModel
from felice.neuron_models.bistable import BistableCircuit
from felice.neuron_models.boomerang import Boomerang
from felice.neuron_models.fhnrs import FHNRS
from felice.neuron_models.wererabbit import WereRabbit

MODELS: dict[str, type[NeuronModel]] = {
    "fhnrs": FHNRS,
    "wererabbit": WereRabbit,
    "boomerang": Boomerang,
}
"""Model classes by lower-case name."""


def get_model(name: str, **params: Any) -> NeuronModel:
    """Build a model by name (case-insensitive), passing `params` to its constructor.

    Raises:
        ValueError: for an unknown name; the message lists the known models.
    """
    try:
        cls = MODELS[str(name).lower()]
    except KeyError:
        raise ValueError(
            f"unknown model name {name!r}; available models: {', '.join(MODELS)}"
        ) from None
    return cls(**params)


__all__ = ["MODELS", "BistableCircuit", "Boomerang", "FHNRS", "NeuronModel", "WereRabbit", "get_model"]
