"""The circuit neuron models, the contract they implement and the registry of them by name.

The contract (see `AbstractNeuron` and its capabilities): `AbstractNeuron` is what
`felice.simulate` needs; `AbstractResettingNeuron`, `AbstractVoltageClamp` and
`AbstractCircuit` add a reset, a voltage clamp (I–V curves, equilibria) and the
hardware view; `AbstractSpiceCircuit` a behavioural ngspice netlist. A circuit
written against them and passed to `register` works in every layer of felice.
"""

from felice.neuron_models._base import (
    AbstractCircuit,
    AbstractNeuron,
    AbstractResettingNeuron,
    AbstractSpiceCircuit,
    AbstractVoltageClamp,
    SpiceElement,
    SpiceTopLevel,
    external_current,
    refractory,
    require,
)
from felice.neuron_models._bistable import AbstractBistableCircuit
from felice.neuron_models._boomerang import Boomerang
from felice.neuron_models._dpi import DPINeuron
from felice.neuron_models._fhnrs import FHNRS, START_DISTANCE
from felice.neuron_models._lif import LIF
from felice.neuron_models._registry import MODELS, get_model, model_class, register
from felice.neuron_models._wererabbit import WereRabbit

register(FHNRS)
register(WereRabbit)
register(Boomerang)
register(LIF)
register(DPINeuron)

__all__ = [
    "FHNRS",
    "LIF",
    "MODELS",
    "START_DISTANCE",
    "SpiceElement",
    "SpiceTopLevel",
    "AbstractBistableCircuit",
    "AbstractCircuit",
    "AbstractNeuron",
    "AbstractResettingNeuron",
    "AbstractSpiceCircuit",
    "AbstractVoltageClamp",
    "Boomerang",
    "DPINeuron",
    "WereRabbit",
    "external_current",
    "get_model",
    "model_class",
    "refractory",
    "register",
    "require",
]
