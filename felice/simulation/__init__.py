"""Simulation of neuron populations with spike detection (`felice.simulate`)."""

from felice.simulation.engine import simulate
from felice.simulation.result import SimulationResult, Status
from felice.simulation.solvers import RK4

__all__ = ["RK4", "SimulationResult", "Status", "simulate"]
