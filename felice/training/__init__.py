"""Training circuit networks with surrogate spikes (optax, `eqx.filter_jit`).

The pieces: `TrainConfig` (every hyperparameter) and `preset` (a circuit's own
`training_preset`), `build_network`, `forward` (encode → `simulate_fixed` → readout
scores), the losses, `constrain` (bias currents kept in their ranges), `fit`
(batches, progress bar, metrics log, checkpoints that resume bit-exactly), the
evaluation in the fixed-step and the event engine and under device mismatch, and
`export_hardware` (strict JSON in SI units). Any registered circuit (`felice.MODELS`)
trains: what training needs to know about it comes from its class (`network_defaults`,
`network_synapse`, `trainable_bias`, `training_preset`).

Bias-current ranges (each model's `trainable_bias`, model units; the trained per-neuron bias):
- FHNRS `I_app` ∈ [−2, −0.5]·I_unit: the neuron's leak current source sinks
  0.5–2 nA (at I_unit = 1 nA). Above −0.88 the resting point enters the fast
  negative-conductance region and the neuron fires tonically; the range keeps it
  excitable (or at most weakly tonic) and the sink's bias current positive.
- WereRabbit `sigma` ∈ [0.3, 0.9], Boomerang `sigma` ∈ [0.4, 0.9]: I_a = σ·I_bias
  = 30 (40)–90 pA at I_bias = 100 pA, where both circuits stay bistable. (In a
  network, γ = 2, Boomerang's stable fixpoints close in on the saddle as σ falls:
  u − v = 0.02 at σ = 0.3, where the Newton search for the rest state from the
  network's starting guess fails.)
Weights are clipped to |w| ≤ `TrainConfig.w_max` (model current units).
"""

from felice.training._config import READOUTS, TrainConfig, preset
from felice.training._evaluate import evaluate, evaluate_events, evaluate_mismatch, event_scores
from felice.training._export import export_hardware, hardware_parameters
from felice.training._fit import (
    CHECKPOINT_FILE,
    TrainState,
    batches,
    fit,
    init_state,
    load_checkpoint,
    optimizer,
    save_checkpoint,
    train_step,
)
from felice.training._loss import cross_entropy, forward, loss_fn, predictions, ttfs_loss
from felice.training._network import build_network, constrain, trainable_filter

__all__ = [
    "CHECKPOINT_FILE",
    "READOUTS",
    "TrainConfig",
    "TrainState",
    "batches",
    "build_network",
    "constrain",
    "cross_entropy",
    "evaluate",
    "evaluate_events",
    "evaluate_mismatch",
    "event_scores",
    "export_hardware",
    "fit",
    "forward",
    "hardware_parameters",
    "init_state",
    "load_checkpoint",
    "loss_fn",
    "optimizer",
    "predictions",
    "preset",
    "save_checkpoint",
    "train_step",
    "trainable_filter",
    "ttfs_loss",
]
