"""Analysis of the circuit models: I–V curves, equilibria, classification, phase planes.

One mechanism for every model: each model declares a voltage clamp (which node is
clamped, the timescale class of its other variables; see `AbstractNeuron.clamp_timescales`).
"""

from felice.analysis._classify import LABELS, classify
from felice.analysis._equilibria import (
    KINDS,
    Equilibria,
    dynamic_columns,
    equilibria,
    jacobian_eigenvalues,
    neuron_batch,
    stability_kind,
)
from felice.analysis._iv import IVCurves, clamp_point, curve_names, iv_curves, settled_masks
from felice.analysis._phase import PhaseGrid, nullclines, trajectories, vector_field
from felice.analysis._reading import folds, negative_conductance, zero_crossings

__all__ = [
    "Equilibria",
    "IVCurves",
    "KINDS",
    "LABELS",
    "PhaseGrid",
    "clamp_point",
    "classify",
    "curve_names",
    "dynamic_columns",
    "equilibria",
    "folds",
    "iv_curves",
    "jacobian_eigenvalues",
    "negative_conductance",
    "neuron_batch",
    "nullclines",
    "settled_masks",
    "stability_kind",
    "trajectories",
    "vector_field",
    "zero_crossings",
]
