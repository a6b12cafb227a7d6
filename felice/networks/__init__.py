"""Networks of circuit neurons: synapses, connections, encoders, readouts and a fixed-step simulator."""

from felice.networks._encoders import LatencyEncoder, RateEncoder, raster_to_events
from felice.networks._mismatch import apply_mismatch, mismatch_neurons
from felice.networks._network import SpikingNetwork, model_synapse
from felice.networks._readouts import first_spike_time, membrane_max, membrane_mean, spike_count
from felice.networks._simulate import Trace, neuron_jacobian, simulate_fixed
from felice.networks._synapse import SYNAPSES, AbstractSynapse, DPISynapse, ExponentialSynapse
from felice.networks._synapses import Connection, dense, layered_mask

__all__ = [
    "SYNAPSES",
    "AbstractSynapse",
    "Connection",
    "DPISynapse",
    "ExponentialSynapse",
    "LatencyEncoder",
    "RateEncoder",
    "SpikingNetwork",
    "Trace",
    "apply_mismatch",
    "dense",
    "first_spike_time",
    "layered_mask",
    "membrane_max",
    "membrane_mean",
    "mismatch_neurons",
    "model_synapse",
    "neuron_jacobian",
    "raster_to_events",
    "simulate_fixed",
    "spike_count",
]
