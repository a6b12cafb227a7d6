"""Simulation of neuron populations with spike detection (`felice.simulate`)."""

from felice.simulation._engine import simulate, split_inputs
from felice.simulation._result import STATUS_MESSAGES, SimulationResult, Status
from felice.simulation._solvers import RK4, resolve_solver
from felice.simulation._spikes import detect_spikes

__all__ = [
    "RK4",
    "STATUS_MESSAGES",
    "SimulationResult",
    "Status",
    "detect_spikes",
    "resolve_solver",
    "simulate",
    "split_inputs",
]
