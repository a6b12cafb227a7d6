"""The registry of circuits by name: `MODELS`, `register`, `get_model`."""

import re
from typing import Any

from felice.neuron_models._base import AbstractCircuit

MODELS: dict[str, type[AbstractCircuit]] = {}
"""Circuit classes by registry name (`cls.name`), in the order they were registered."""


def register(cls: type[AbstractCircuit]) -> type[AbstractCircuit]:
    """Add a circuit class to `MODELS` under its `name`; returns the class (a decorator).

    Registering makes the circuit available by name everywhere felice takes one: the
    CLI, `get_model`, `SpikingNetwork.feedforward`, `TrainConfig`, the demo.

    Raises:
        TypeError: if `cls` is not a concrete `AbstractCircuit` subclass.
        ValueError: if its name is not a lower-case identifier, or is taken by another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, AbstractCircuit)):
        raise TypeError(f"register takes an AbstractCircuit subclass, got {cls!r}")
    missing = {*getattr(cls, "__abstractmethods__", ()), *getattr(cls, "__abstractclassvars__", ()),
               *getattr(cls, "__abstractvars__", ())}
    if missing:
        raise TypeError(
            f"{cls.__name__} is abstract (it lacks {', '.join(sorted(missing))}) and cannot be registered"
        )
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"{cls.__name__}.name must be a lower-case identifier, got {name!r}")
    if MODELS.get(name, cls) is not cls:
        raise ValueError(f"the model name {name!r} is taken by {MODELS[name].__qualname__}")
    MODELS[name] = cls
    return cls


def get_model(name: str, **params: Any) -> AbstractCircuit:
    """Build a registered model by name (case-insensitive), passing `params` to its constructor.

    Raises:
        ValueError: for an unknown name; the message lists the known models.
    """
    return model_class(name)(**params)


def model_class(name: str) -> type[AbstractCircuit]:
    """The registered class of `name` (case-insensitive).

    Raises:
        ValueError: for an unknown name; the message lists the known models.
    """
    try:
        return MODELS[str(name).lower()]
    except KeyError:
        raise ValueError(
            f"unknown model name {name!r}; available models: {', '.join(MODELS)}"
        ) from None
