"""Networks of circuit neurons: connections, encoders, readouts and a fixed-step simulator."""

from felice.networks.encoders import LatencyEncoder, RateEncoder, raster_to_events
from felice.networks.network import NETWORK_NEURON_DEFAULTS, SpikingNetwork
from felice.networks.readouts import first_spike_time, membrane_max, membrane_mean, spike_count
from felice.networks.simulate import Trace, simulate_fixed
from felice.networks.synapses import Connection, dense, layered_mask

__all__ = [
    "NETWORK_NEURON_DEFAULTS",
    "Connection",
    "LatencyEncoder",
    "RateEncoder",
    "SpikingNetwork",
    "Trace",
    "dense",
    "first_spike_time",
    "layered_mask",
    "membrane_max",
    "membrane_mean",
    "raster_to_events",
    "simulate_fixed",
    "spike_count",
]
