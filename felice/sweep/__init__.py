"""Parameter sweeps: population-batched, sharded over devices, resumable (see docs/sweeps.md)."""

from felice.sweep._builtins import fi_curve, fixpoint_curve, mismatch_robustness, regime_map
from felice.sweep._command import (
    METRICS,
    parse_axis,
    parse_grid,
    parse_metrics,
    run_sweep_command,
)
from felice.sweep._metrics import (
    Regime,
    RegimeFromIV,
    RegimeFromSpikes,
    SpikeCount,
    SpikeRate,
    check_window,
)
from felice.sweep._plot import plot_fi_curve, plot_heatmap, plot_regime_map
from felice.sweep._run import auto_chunk_size, chunk_model, sweep
from felice.sweep._space import check_points, check_points_axes, grid, latin_hypercube, random
from felice.sweep._store import ChunkStore, config_hash
from felice.sweep._table import SweepTable

__all__ = [
    "METRICS",
    "ChunkStore",
    "Regime",
    "RegimeFromIV",
    "RegimeFromSpikes",
    "SpikeCount",
    "SpikeRate",
    "SweepTable",
    "auto_chunk_size",
    "check_points",
    "check_points_axes",
    "check_window",
    "chunk_model",
    "config_hash",
    "fi_curve",
    "fixpoint_curve",
    "grid",
    "latin_hypercube",
    "mismatch_robustness",
    "parse_axis",
    "parse_grid",
    "parse_metrics",
    "plot_fi_curve",
    "plot_heatmap",
    "plot_regime_map",
    "random",
    "regime_map",
    "run_sweep_command",
    "sweep",
]

