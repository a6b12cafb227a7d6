"""The hyperparameters of a training run (`TrainConfig`) and each circuit's preset."""

import dataclasses
from typing import Any

import numpy as np

from felice._validation import check_finite, check_positive
from felice.networks import LatencyEncoder
from felice.neuron_models import MODELS, model_class
from felice.surrogate import get_surrogate

READOUTS = ("max", "mean", "count", "ttfs")
"""The readouts of `TrainConfig.readout`."""

_MAX_SEED = 2**31 - 2  # seed + 1 seeds the mismatch key, which must fit an int32


def _number(name: str, value: Any) -> Any:
    """`value` if it is a real number (not a bool); else a `ValueError` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {name}={value!r}")
    return value


def _integer(name: str, value: Any, low: int, high: int | None = None) -> None:
    """Raise `ValueError` naming `name` unless `value` is an integer in [low, high]."""
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= low \
        and (high is None or value <= high)
    if not ok:
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {bound}, got {name}={value!r}")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of a training run (all times in model time units).

    Attributes:
        model: a registered circuit (`felice.MODELS`), e.g. "fhnrs".
        hidden: hidden layer sizes.
        n_out: output neurons (classes).
        dt, t_max: simulation step and trial length.
        t_late: latency code: a feature 0 fires at t_late, 1 at t = 0; a bias spike at 0.
        readout: "max" (cross-entropy on membrane maxima), "mean" (on time-averaged
            membranes: for the latching bistable neurons, the time spent in each
            state), "count" (on spike counts) or "ttfs" (time-to-first-spike loss).
        readout_gain: logits = gain·score (membrane in model voltage units).
        tau0, tau1, ttfs_alpha: TTFS loss −log softmax(−t/τ0)[label] + α(e^{t_label/τ1} − 1).
        surrogate, surrogate_slope, condition_scale: surrogate name, its slope, and the
            spike-condition scale (FHNRS: V − V_th in voltage units; bistable: g(y)).
        weight_std, weight_mean: initial weights per projection (× 1/√n_pre).
        w_max: weights are clipped to [−w_max, w_max].
        tau_syn: decay time of the circuit's network synapse (`network_synapse`, model
            time units; unused where the circuit integrates its synaptic current itself:
            FHNRS has its own `tau_syn`).
        lr, batch_size, epochs, seed: optimisation (Adam).
        lr_decay_steps: 0 for a constant learning rate, or the number of steps of a
            cosine decay from lr to lr/20 (`with_cosine_decay` sets it for a whole run).
        solver, grad_checkpoint: integrator of `simulate_fixed` ("euler", "heun",
            "rk4" or "ros2") and `jax.checkpoint` of each step.
        detach_rearm: no gradient through the neurons' armed state (see `simulate_fixed`).
        train_bias: also train the per-neuron bias current (the model's `trainable_bias`).
        mismatch_bias, mismatch_kappa: device mismatch applied afresh each step (0: off).
    """

    model: str = "fhnrs"
    hidden: tuple[int, ...] = (60,)
    n_out: int = 3
    dt: float = 0.25
    t_max: float = 30.0
    t_late: float = 10.0
    readout: str = "max"
    readout_gain: float = 2.0
    tau0: float = 2.0
    tau1: float = 20.0
    ttfs_alpha: float = 3e-3
    surrogate: str = "fast_sigmoid"
    surrogate_slope: float | None = None
    condition_scale: float = 1.0
    weight_std: tuple[float, ...] = (3.0, 3.0)
    weight_mean: tuple[float, ...] = (1.0, 0.5)
    w_max: float = 10.0
    tau_syn: float = 0.5
    lr: float = 3e-3
    lr_decay_steps: int = 0
    batch_size: int = 50
    epochs: int = 20
    seed: int = 0
    solver: str = "heun"
    grad_checkpoint: bool = False
    detach_rearm: bool = False
    train_bias: bool = True
    mismatch_bias: float = 0.0
    mismatch_kappa: float = 0.0

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {tuple(MODELS)}, got model={self.model!r}")
        if self.readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got readout={self.readout!r}")
        for name in ("dt", "t_max", "t_late", "readout_gain", "tau0", "tau1", "condition_scale",
                     "w_max", "tau_syn", "lr"):
            check_positive(name, _number(name, getattr(self, name)))
        for name in ("ttfs_alpha", "mismatch_bias", "mismatch_kappa"):
            check_positive(name, _number(name, getattr(self, name)), allow_zero=True)
        if self.surrogate_slope is not None:
            check_positive("surrogate_slope", _number("surrogate_slope", self.surrogate_slope))
        for name in ("weight_std", "weight_mean"):
            values = getattr(self, name)
            if not isinstance(values, tuple) or not values:
                raise ValueError(
                    f"{name} must be a non-empty tuple of numbers, got {name}={values!r}")
            for v in values:
                _number(name, v)
            check_finite(name, values)
        check_positive("weight_std", self.weight_std, allow_zero=True)
        for name in ("batch_size", "epochs", "n_out"):
            _integer(name, getattr(self, name), 1)
        _integer("lr_decay_steps", self.lr_decay_steps, 0)
        _integer("seed", self.seed, 0, _MAX_SEED)
        if not isinstance(self.hidden, tuple):
            raise ValueError(
                f"hidden must be a tuple of positive integers, got hidden={self.hidden!r}")
        for size in self.hidden:
            _integer("hidden", size, 1)
        if self.t_late >= self.t_max:
            raise ValueError(f"t_late={self.t_late} must be below t_max={self.t_max}")
        get_surrogate(self.surrogate)  # validates the name

    @property
    def n_steps(self) -> int:
        """Number of simulation steps, round(t_max/dt)."""
        return int(round(self.t_max / self.dt))

    def with_cosine_decay(self, n_train: int) -> "TrainConfig":
        """This configuration with a cosine learning-rate decay over the whole run:
        `lr_decay_steps` = epochs × (n_train // batch_size), the steps `fit` takes on
        `n_train` training samples."""
        return dataclasses.replace(self, lr_decay_steps=self.epochs * (n_train // self.batch_size))

    @property
    def encoder(self) -> LatencyEncoder:
        """The latency encoder with a bias spike at t = 0."""
        return LatencyEncoder(t_early=0.0, t_late=self.t_late, bias_time=0.0)

    def spike_fn(self):
        """The surrogate spike function of this configuration."""
        slope = {} if self.surrogate_slope is None else {
            "fast_sigmoid": "beta", "arctan": "alpha", "triangle": "gamma", "sigmoid": "k"
        }[self.surrogate]
        params = {} if self.surrogate_slope is None else {slope: self.surrogate_slope}
        return get_surrogate(self.surrogate, scale=self.condition_scale, **params)

    def to_json(self) -> dict[str, Any]:
        """The configuration as a JSON-serialisable dict."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "TrainConfig":
        """Inverse of `to_json`."""
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**d)



def preset(model: str, **overrides: Any) -> TrainConfig:
    """`TrainConfig` with the model's `training_preset` and `overrides`.

    Every registered circuit declares its preset (time grid, integrator, code window,
    readout and weights; see each model's `training_preset`).

    WereRabbit and Boomerang: Heun steps of dt = 0.02. Their network neurons ring at
    rest (eigenvalues −1.79 ± 11.75i for Boomerang, −0.67 ± 8.41i for WereRabbit), and
    a network only computes what the circuit computes if the fixed-step spike counts
    follow the event engine's: per neuron and trial they agree ≈ 75 % of the time at
    dt = 0.02 and 84 % at 0.01 (random preset networks, 100 Yin-Yang samples), but
    only 16–20 % with ROS2 at dt = 0.1, whose damping swallows the ringing (networks
    trained there lost half their accuracy in the event engine). ROS2 stays available
    for stiffer settings (`solver="ros2"`). Their readout is the time-averaged u − v
    ("mean": which latched state each output neuron spends the trial in), with gains
    for the small range of u − v (a few tenths of a model voltage unit); synapses
    decay with τ_syn = 2, slower than the ringing, so inputs move the neurons between
    their fixpoints rather than setting off ringing.

    All presets skip the armed state in the gradient (`detach_rearm`): for the
    bistable models that chain grows as dt shrinks, and FHNRS trains faster without it.

    Raises:
        ValueError: for an unknown model (listing the registered ones).
    """
    return TrainConfig(model=model, **{**model_class(model).training_preset, **overrides})
