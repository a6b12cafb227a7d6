"""Analysis of the circuit models: I–V curves, equilibria, classification, phase planes.

One mechanism for every model: each model declares a voltage clamp (which node is
clamped, the timescale class of its other variables; see `NeuronModel.clamp_timescales`).
"""

from felice.analysis.classify import LABELS, classify
from felice.analysis.equilibria import KINDS, Equilibria, equilibria, jacobian_eigenvalues
from felice.analysis.iv import IVCurves, iv_curves
from felice.analysis.phase import PhaseGrid, nullclines, trajectories, vector_field
from felice.analysis.reading import folds, negative_conductance, zero_crossings

__all__ = [
    "KINDS", "LABELS", "Equilibria", "IVCurves", "PhaseGrid", "classify", "equilibria", "folds",
    "iv_curves", "jacobian_eigenvalues", "negative_conductance", "nullclines", "trajectories",
    "vector_field", "zero_crossings",
]
