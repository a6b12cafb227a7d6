"""Parameter sweeps: population-batched, sharded over devices, resumable (see docs/sweeps.md)."""

from felice.sweep.builtins import fi_curve, fixpoint_curve, mismatch_robustness, regime_map
from felice.sweep.metrics import Regime, RegimeFromIV, RegimeFromSpikes, SpikeCount, SpikeRate
from felice.sweep.plot import plot_fi_curve, plot_heatmap, plot_regime_map
from felice.sweep.run import auto_chunk_size, chunk_model, sweep
from felice.sweep.space import grid, latin_hypercube, random
from felice.sweep.table import SweepTable

__all__ = [
    "Regime",
    "RegimeFromIV",
    "RegimeFromSpikes",
    "SpikeCount",
    "SpikeRate",
    "SweepTable",
    "auto_chunk_size",
    "chunk_model",
    "fi_curve",
    "fixpoint_curve",
    "grid",
    "latin_hypercube",
    "mismatch_robustness",
    "plot_fi_curve",
    "plot_heatmap",
    "plot_regime_map",
    "random",
    "regime_map",
    "sweep",
]

