"""Training circuit networks with surrogate spikes (optax, `eqx.filter_jit`).

The pieces: `TrainConfig` (every hyperparameter), `build_network`, `forward`
(encode → `simulate_fixed` → readout scores), the losses, `constrain` (bias
currents kept in documented ranges), `fit` (batches, progress bar, metrics log,
checkpoints that resume bit-exactly) and `export_hardware` (strict JSON in SI units).

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

import dataclasses
import functools
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float, Int

from felice._io import atomic_open, atomic_write, remove_orphans
from felice._validation import check_finite, check_positive
from felice.networks import (
    LatencyEncoder,
    SpikingNetwork,
    apply_mismatch,
    first_spike_time,
    membrane_max,
    membrane_mean,
    simulate_fixed,
    spike_count,
)
from felice.neuron_models import MODELS, model_class
from felice.surrogate import get_surrogate

READOUTS = ("max", "mean", "count", "ttfs")
_MEMBRANE_READOUTS = {"max": membrane_max, "mean": membrane_mean}


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
        model: "fhnrs", "wererabbit" or "boomerang".
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
        tau_syn: decay time of the synaptic current added to WereRabbit and
            Boomerang neurons (model time units; FHNRS has its own `tau_syn`).
        lr, batch_size, epochs, seed: optimisation (Adam).
        lr_decay_steps: 0 for a constant learning rate, or the number of steps of a
            cosine decay from lr to lr/20 (`with_cosine_decay` sets it for a whole run).
        method, grad_checkpoint: integrator of `simulate_fixed` ("euler", "heun",
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
    method: str = "heun"
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
    for stiffer settings (`method="ros2"`). Their readout is the time-averaged u − v
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


def build_network(config: TrainConfig, n_features: int = 4, dtype=jnp.float32) -> SpikingNetwork:
    """The untrained network of `config` for `n_features` inputs (plus the bias channel)."""
    sizes = (config.encoder.n_channels(n_features), *config.hidden, config.n_out)
    return SpikingNetwork.feedforward(
        config.model, sizes, key=jax.random.PRNGKey(config.seed),
        weight_std=config.weight_std, weight_mean=config.weight_mean,
        tau_syn=config.tau_syn, dtype=dtype,
    )


def trainable_filter(network: SpikingNetwork, train_bias: bool = True) -> Any:
    """Pytree of bools: True for the weights (and the model's `trainable_bias` if asked)."""
    spec = jax.tree_util.tree_map(lambda _: False, network)
    spec = eqx.tree_at(lambda n: (n.w_in.weight, n.w_rec.weight), spec, (True, True))
    if train_bias:
        (name,) = _bias_ranges(network)
        spec = eqx.tree_at(lambda n: getattr(n.neuron, name), spec, True)
    return spec


def _bias_ranges(network: SpikingNetwork) -> dict[str, tuple[float, float]]:
    return network.neuron.trainable_bias


def constrain(network: SpikingNetwork, w_max: float) -> SpikingNetwork:
    """Clip the bias parameter to the model's `trainable_bias` range and the weights to [−w_max, w_max]."""
    (name, (lo, hi)), = _bias_ranges(network).items()
    leaves = [network.w_in.weight, network.w_rec.weight, getattr(network.neuron, name)]
    clipped = [jnp.clip(leaves[0], -w_max, w_max), jnp.clip(leaves[1], -w_max, w_max),
               jnp.clip(leaves[2], lo, hi)]
    return eqx.tree_at(
        lambda n: [n.w_in.weight, n.w_rec.weight, getattr(n.neuron, name)], network, clipped
    )


# -- forward pass and losses ---------------------------------------------------------


def forward(
    network: SpikingNetwork, x: Float[ArrayLike, "batch features"], config: TrainConfig,
    spike_fn=None,
) -> tuple[Float[Array, "batch n_out"], Float[Array, ""]]:
    """Class scores of a batch and the mean number of hidden spikes per sample.

    Scores: logits gain·max_t membrane ("max"), gain·mean_t membrane ("mean"),
    gain·spike count ("count"), or the first-spike times ("ttfs", smaller is
    better). `spike_fn` defaults to the configured surrogate.
    """
    spike_fn = config.spike_fn() if spike_fn is None else spike_fn
    raster = config.encoder.raster(x, config.dt, config.n_steps)
    y0 = network.init_state()

    def one(inputs):
        return simulate_fixed(network, inputs, dt=config.dt, spike_fn=spike_fn, y0=y0,
                              method=config.method, checkpoint=config.grad_checkpoint,
                              detach_rearm=config.detach_rearm)

    trace = jax.vmap(one)(raster)
    out = network.output_slice
    spikes, membrane = trace.spikes[..., out], trace.membrane[..., out]
    if config.readout in _MEMBRANE_READOUTS:
        scores = config.readout_gain * jax.vmap(_MEMBRANE_READOUTS[config.readout])(membrane)
    elif config.readout == "count":
        scores = config.readout_gain * jax.vmap(spike_count)(spikes)
    else:
        scores = jax.vmap(lambda s: first_spike_time(s, config.dt))(spikes)
    hidden = jnp.sum(trace.spikes[..., : out.start]) / x.shape[0]
    return scores, hidden


def cross_entropy(logits: Float[Array, "batch c"], labels: Int[ArrayLike, " batch"]) -> Float[Array, ""]:
    """Mean softmax cross-entropy of `logits` (shape `(batch, classes)`) against integer
    `labels` (shape `(batch,)`); a scalar."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(labels)))


def ttfs_loss(
    times: Float[Array, "batch c"], labels: Int[ArrayLike, " batch"],
    tau0: float, tau1: float, alpha: float,
) -> Float[Array, ""]:
    """Time-to-first-spike loss: −log softmax(−t/τ0)[label] + α·(exp(t_label/τ1) − 1), mean.

    `times` are first-spike times in model time units, shape `(batch, classes)`; `labels`
    shape `(batch,)`; τ0, τ1 in model time units. Returns a scalar.
    """
    labels = jnp.asarray(labels)
    t_label = jnp.take_along_axis(times, labels[:, None], axis=1)[:, 0]
    return cross_entropy(-times / tau0, labels) + alpha * jnp.mean(jnp.expm1(t_label / tau1))


def predictions(scores: Array, config: TrainConfig) -> Int[Array, " batch"]:
    """Predicted classes, shape `(batch,)`, from `scores` of shape `(batch, classes)`: the
    argmax of logits, or the argmin of first-spike times (model time units) for the
    time-to-first-spike readout."""
    return jnp.argmin(scores, 1) if config.readout == "ttfs" else jnp.argmax(scores, 1)


def loss_fn(
    network: SpikingNetwork, x: Float[ArrayLike, "batch features"],
    labels: Int[ArrayLike, " batch"], config: TrainConfig, spike_fn=None,
) -> tuple[Float[Array, ""], dict[str, Array]]:
    """Loss of a batch and its metrics (`accuracy`, `hidden_spikes`)."""
    scores, hidden = forward(network, x, config, spike_fn)
    if config.readout == "ttfs":
        loss = ttfs_loss(scores, labels, config.tau0, config.tau1, config.ttfs_alpha)
    else:
        loss = cross_entropy(scores, labels)
    acc = jnp.mean(predictions(scores, config) == jnp.asarray(labels))
    return loss, {"accuracy": acc, "hidden_spikes": hidden}


# -- training state and step ----------------------------------------------------------


class TrainState(eqx.Module):
    """Everything a run needs to continue: network, optimiser state and step count."""

    network: SpikingNetwork
    opt_state: Any
    step: Int[Array, ""]


def optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Adam with global-norm gradient clipping at 1; the learning rate is constant, or
    follows a cosine decay from `lr` to `lr/20` over `lr_decay_steps` steps."""
    lr = config.lr
    if config.lr_decay_steps > 0:
        lr = optax.cosine_decay_schedule(config.lr, config.lr_decay_steps, alpha=0.05)
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adam(lr))


def init_state(config: TrainConfig, n_features: int = 4) -> TrainState:
    """Fresh `TrainState` for `config`."""
    network = build_network(config, n_features)
    params = eqx.filter(network, trainable_filter(network, config.train_bias))
    return TrainState(network, optimizer(config).init(params), jnp.zeros((), jnp.int32))


@eqx.filter_jit
def train_step(
    state: TrainState, x: Array, labels: Array, config: TrainConfig
) -> tuple[TrainState, Array, dict[str, Array]]:
    """One optimisation step on a batch: gradient, Adam update, constraints.

    With mismatch enabled, the network seen by this step carries fresh mismatch
    drawn from `fold_in(PRNGKey(seed), step)`.
    """
    spec = trainable_filter(state.network, config.train_bias)
    params, static = eqx.partition(state.network, spec)

    def loss(p):
        net = eqx.combine(p, static)
        if config.mismatch_bias > 0 or config.mismatch_kappa > 0:
            key = jax.random.fold_in(jax.random.PRNGKey(config.seed + 1), state.step)
            net = apply_mismatch(net, key, sigma_bias=config.mismatch_bias,
                                 sigma_kappa=config.mismatch_kappa)
        return loss_fn(net, x, labels, config)

    (value, metrics), grads = eqx.filter_value_and_grad(loss, has_aux=True)(params)
    updates, opt_state = optimizer(config).update(grads, state.opt_state, params)
    network = constrain(eqx.apply_updates(state.network, updates), config.w_max)
    return TrainState(network, opt_state, state.step + 1), value, metrics


@eqx.filter_jit
def _eval_batch(network: SpikingNetwork, x: Array, labels: Array, config: TrainConfig):
    return loss_fn(network, x, labels, config)


def _check_dataset(
    x: ArrayLike, labels: ArrayLike, n_out: int, split: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """`(x, labels)` as arrays, or a `ValueError`: x must be finite with shape (n, features),
    labels integers in [0, n_out) with shape (n,). `split` ("train ", "val ") prefixes the names."""
    x, labels = np.asarray(x), np.asarray(labels)
    xs, ls = f"{split}x", f"{split}labels"
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"{xs} must have shape (n, features) with n >= 1, got shape {x.shape}")
    check_finite(xs, x)
    if labels.shape != (len(x),):
        raise ValueError(f"{ls} must have shape ({len(x)},) to match {xs}, got shape "
                         f"{labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{ls} must be integers, got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= n_out:
        raise ValueError(f"{ls} must lie in [0, n_out) = [0, {n_out}), got {ls} from "
                         f"{labels.min()} to {labels.max()}")
    return x, labels


def evaluate(
    network: SpikingNetwork, x: Float[ArrayLike, "n features"], labels: Int[ArrayLike, " n"],
    config: TrainConfig, batch_size: int = 500,
) -> dict[str, float]:
    """Mean loss and accuracy over a data set (batches of `batch_size`; the last may be short)."""
    x, labels = _check_dataset(x, labels, config.n_out)
    tot = {"loss": 0.0, "accuracy": 0.0, "hidden_spikes": 0.0}
    for a in range(0, len(x), batch_size):
        xb, yb = x[a : a + batch_size], labels[a : a + batch_size]
        loss, m = _eval_batch(network, jnp.asarray(xb, jnp.float32), jnp.asarray(yb), config)
        w = len(xb) / len(x)
        tot["loss"] += float(loss) * w
        tot["accuracy"] += float(m["accuracy"]) * w
        tot["hidden_spikes"] += float(m["hidden_spikes"]) * w
    return tot


def event_scores(
    network: SpikingNetwork, x: Float[ArrayLike, "batch features"], config: TrainConfig,
    *, rtol: float = 1e-6, atol: float = 1e-8, max_spikes: int = 64,
) -> Float[Array, "batch n_out"]:
    """Class scores of a batch from the event-based engine (`felice.simulate`).

    The same network and encoding as `forward`, but spikes are exact threshold or
    fixpoint crossings of an adaptive solve and input and recurrent spikes arrive at
    their exact times. Scores as in `forward`: membrane maxima over a saved grid of
    step `config.dt` (t = dt … t_max, the grid of the fixed-step trace) for "max" and
    "mean", spike counts ("count") or first-spike times ("ttfs").

    Args:
        network, x, config: as for `forward`; x has shape `(batch, features)`.
        rtol, atol: tolerances of the adaptive solver.
        max_spikes: spike buffer per neuron and trial (an integer ≥ 1).

    Raises:
        ValueError: for max_spikes < 1.
        equinox.EquinoxRuntimeError: at run time, if a neuron spiked more than
            `max_spikes` times in a trial (the message names the argument) or the
            simulation failed otherwise.
    """
    from felice.inputs import SpikeTrain
    from felice.simulation import STATUS_MESSAGES, Status, simulate

    if isinstance(max_spikes, bool) or not isinstance(max_spikes, (int, np.integer)) \
            or max_spikes < 1:
        raise ValueError(f"max_spikes must be an integer ≥ 1, got max_spikes={max_spikes!r}")

    times = config.encoder.times(jnp.asarray(x, network.w_in.weight.dtype))  # (batch, channels)
    n = network.n_neurons
    w_in = network.w_in.effective  # (channels, neurons)
    channels = w_in.shape[0]
    targets = jnp.tile(jnp.arange(n), channels)
    weights = w_in.reshape(-1)
    y0 = network.init_state()
    out = network.output_slice
    # the fixed-step trace's grid: the state after each step, t_1 … t_n
    saveat = (np.arange(config.n_steps) + 1) * config.dt
    membrane_readout = _MEMBRANE_READOUTS.get(config.readout)

    def one(t_channels):
        train = SpikeTrain(jnp.repeat(t_channels, n), targets, weights)
        result = simulate(network, t1=config.t_max, y0=y0, inputs=train, rtol=rtol, atol=atol,
                          saveat=saveat if membrane_readout else None,
                          max_spikes=int(max_spikes), autodiff="forward", throw=False)
        if membrane_readout:
            membrane = jax.vmap(network.membrane)(result.ys)[:, out]
            score = config.readout_gain * membrane_readout(membrane)
        elif config.readout == "count":
            score = config.readout_gain * result.spike_counts[out].astype(result.y1.dtype)
        else:
            score = jnp.minimum(result.spike_times[out, 0], config.t_max)
        return score, result.status

    scores, status = jax.vmap(one)(times)
    overflow = f"a neuron spiked more than max_spikes={int(max_spikes)} times in a trial"
    messages = [
        f"event_scores: {overflow}; pass a larger max_spikes to event_scores/evaluate_events"
        if s == Status.SPIKE_OVERFLOW
        else f"event_scores: felice.simulate failed: {STATUS_MESSAGES[s]}"
        for s in Status
    ]
    worst = jnp.max(status)  # OK = 0; any failure is reported
    return eqx.branched_error_if(scores, worst != Status.OK, worst, messages)


def evaluate_events(
    network: SpikingNetwork, x: Float[ArrayLike, "n features"], labels: Int[ArrayLike, " n"],
    config: TrainConfig, batch_size: int = 100, max_spikes: int = 64,
) -> dict[str, float]:
    """Accuracy of the event-based engine on a data set, and its agreement with `forward`.

    `max_spikes` is the spike buffer per neuron and trial of `event_scores`.

    Returns:
        `{"accuracy": ..., "accuracy_fixed_step": ..., "agreement": ...}`: accuracies of
        the event engine and of the fixed-step simulation used in training, and the
        fraction of samples on which the two predict the same class.
    """
    x, labels = _check_dataset(x, labels, config.n_out)
    score_events = eqx.filter_jit(functools.partial(event_scores, max_spikes=max_spikes))
    score_fixed = eqx.filter_jit(lambda net, xb: forward(net, xb, config)[0])
    hits = hits_fixed = same = 0
    for a in range(0, len(x), batch_size):
        xb = jnp.asarray(x[a : a + batch_size], network.w_in.weight.dtype)
        pe = np.asarray(predictions(score_events(network, xb, config), config))
        pf = np.asarray(predictions(score_fixed(network, xb), config))
        yb = labels[a : a + batch_size]
        hits += int(np.sum(pe == yb))
        hits_fixed += int(np.sum(pf == yb))
        same += int(np.sum(pe == pf))
    return {"accuracy": hits / len(x), "accuracy_fixed_step": hits_fixed / len(x),
            "agreement": same / len(x)}


def evaluate_mismatch(
    network: SpikingNetwork, x: Array, labels: Array, config: TrainConfig, *,
    sigma_bias: float, sigma_kappa: float, n_draws: int = 5, seed: int = 123,
) -> list[float]:
    """Test accuracy of `n_draws` independently mismatched copies of `network`.

    `x` is the input batch, shape `(batch, n_features)`, `labels` shape `(batch,)`;
    `sigma_bias` and `sigma_kappa` are relative standard deviations (dimensionless) of the
    per-neuron bias currents and κ. Returns one accuracy in [0, 1] per draw.
    """
    accs = []
    for k in range(n_draws):
        net = apply_mismatch(network, jax.random.PRNGKey(seed + k),
                             sigma_bias=sigma_bias, sigma_kappa=sigma_kappa)
        accs.append(evaluate(net, x, labels, config)["accuracy"])
    return accs


# -- the training loop --------------------------------------------------------------


def batches(n: int, batch_size: int, seed: int, epoch: int) -> Iterator[np.ndarray]:
    """Index batches of one epoch: a permutation drawn from (seed, epoch); the last partial batch is dropped."""
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    for a in range(0, n - batch_size + 1, batch_size):
        yield perm[a : a + batch_size]


def _progress(epoch: int, epochs: int, k: int, n: int, loss: float, t0: float) -> None:
    done = int(30 * k / n)
    sys.stderr.write(
        f"\repoch {epoch + 1}/{epochs} [{'#' * done}{'.' * (30 - done)}] {k}/{n} "
        f"loss {loss:.4f} {time.time() - t0:.0f}s"
    )
    sys.stderr.flush()


CHECKPOINT_FILE = "state.eqx"
"""The checkpoint in its folder: a JSON line (`meta`), then the serialised `TrainState`."""


def save_checkpoint(path: str | Path, state: TrainState, meta: dict[str, Any]) -> None:
    """Write `meta` (JSON, e.g. step and history) and `state` to `path/state.eqx` atomically.

    One file, one line of strict JSON and then `eqx.tree_serialise_leaves(state)`, so
    that a reader never pairs the weights of one epoch with the history of another.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with atomic_open(path / CHECKPOINT_FILE, "wb") as f:
        f.write(json.dumps(meta, allow_nan=False).encode() + b"\n")
        eqx.tree_serialise_leaves(f, state)


def load_checkpoint(
    path: str | Path, config: TrainConfig, n_features: int = 4
) -> tuple[TrainState, dict[str, Any]]:
    """Read `(state, meta)` from a checkpoint written by `save_checkpoint` for `config`.

    Raises:
        ValueError: if `path/state.eqx` is not such a checkpoint (e.g. an older layout).
    """
    file = Path(path) / CHECKPOINT_FILE
    with open(file, "rb") as f:
        try:
            meta = json.loads(f.readline())
        except ValueError:  # also UnicodeDecodeError
            meta = None
        if not isinstance(meta, dict) or not {"step", "history"} <= set(meta):
            raise ValueError(f"{file} is not a checkpoint of this felice version; start over "
                             "in another folder (another --out)")
        state = eqx.tree_deserialise_leaves(f, init_state(config, n_features))
    if int(state.step) != meta["step"]:
        raise ValueError(f"{file}: its state is at step {int(state.step)}, its history at "
                         f"step {meta['step']}")
    return state, meta


def _write_metrics(out: Path, history: list[dict[str, Any]]) -> None:
    """`out/metrics.jsonl`, one JSON line per epoch, rewritten atomically from `history`."""
    atomic_write(out / "metrics.jsonl", "".join(json.dumps(r, allow_nan=False) + "\n"
                                                for r in history))


def _fingerprint(x: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Size and SHA-256 of a data set (features as float32, as trained on; labels as int64)."""
    digest = hashlib.sha256()
    for a in (np.ascontiguousarray(x, np.float32), np.ascontiguousarray(labels, np.int64)):
        digest.update(repr(a.shape).encode())
        digest.update(a.tobytes())
    return {"n": int(len(x)), "n_features": int(x.shape[1]), "sha256": digest.hexdigest()}


def _run_description(
    config: TrainConfig, train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None,
) -> dict[str, Any]:
    """What a run is: its configuration (the lr schedule included) and the data it sees."""
    return {"config": config.to_json(), "train": _fingerprint(*train),
            "val": None if val is None else _fingerprint(*val)}


def _data_change(split: str, old: dict | None, new: dict | None) -> str:
    if old is None or new is None:
        old_n, new_n = ("none" if d is None else f"{d['n']} samples" for d in (old, new))
        return f"{split} data: {old_n} → {new_n}"
    if old["n"] != new["n"]:
        return f"{split} data: {old['n']} → {new['n']} samples"
    if old["n_features"] != new["n_features"]:
        return f"{split} data: {old['n_features']} → {new['n_features']} features"
    return (f"{split} data: same size, other samples (sha256 {old['sha256'][:12]}… → "
            f"{new['sha256'][:12]}…)")


def _run_changes(old: dict[str, Any], new: dict[str, Any], steps_per_epoch: int) -> list[str]:
    """How run description `new` differs from `old`, as "name: old → new" lines.

    `epochs` may change; `lr_decay_steps` only where both runs decay over their whole
    length (epochs × steps_per_epoch, as `with_cosine_decay` sets it), so that a longer
    run stretches its schedule.
    """
    a, b = old["config"], new["config"]
    stretched = all(c.get("lr_decay_steps") == c.get("epochs") * steps_per_epoch for c in (a, b))
    changes = [f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in sorted(set(a) | set(b))
               if k != "epochs" and a.get(k) != b.get(k)
               and not (k == "lr_decay_steps" and stretched)]
    changes += [_data_change(split, old[split], new[split]) for split in ("train", "val")
                if old[split] != new[split]]
    return changes


def _check_resume(out: Path, run: dict[str, Any], steps_per_epoch: int) -> None:
    """Raise `ValueError` unless folder `out` is empty of runs or holds this run."""
    cfg_file, restart = out / "config.json", "or start over in another folder (another --out)"
    if not cfg_file.exists():
        if (out / "checkpoint").exists():
            raise ValueError(f"{out} holds a checkpoint but no config.json, so what it was "
                             f"trained with is unknown; delete {out / 'checkpoint'} {restart}")
        return
    saved = json.loads(cfg_file.read_text())
    if not isinstance(saved, dict) or set(saved) != set(run):
        raise ValueError(f"{cfg_file} does not describe a run of this felice version (keys "
                         f"{sorted(run)}); {restart}")
    changes = _run_changes(saved, run, steps_per_epoch)
    if changes:
        raise ValueError(
            f"{out} holds a run with a different configuration ({'; '.join(changes)}): resume "
            f"it with the settings it was started with (only epochs may change, and with them "
            f"a cosine decay over the whole run), {restart}"
        )


def fit(
    config: TrainConfig,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None = None,
    out_dir: str | Path | None = None,
    *,
    progress: bool = True,
    max_steps: int | None = None,
) -> tuple[TrainState, list[dict[str, Any]]]:
    """Train for `config.epochs` epochs (or `max_steps` steps), resuming from `out_dir`.

    Each step draws its batch from the permutation of (seed, epoch) and its
    mismatch from (seed, step), so a run that is stopped and resumed from a
    checkpoint produces bit for bit the parameters of an uninterrupted run.

    Args:
        config: the hyperparameters.
        train, val: `(features, labels)` arrays.
        out_dir: folder for `config.json` (the run: `config` and the size and SHA-256
            of the training and validation data), `metrics.jsonl` (one JSON line per
            epoch, `wall_s` its duration) and `checkpoint/state.eqx` (`save_checkpoint`,
            written at the end of every epoch and when stopping at `max_steps`). Every file
            is written atomically, so a run killed at any moment resumes with the history
            of every epoch it finished. If a checkpoint is there, training resumes from
            it. The run must be the same: only `epochs` may change (raised to train on),
            and with it `lr_decay_steps` where both runs decay over their whole length
            (`with_cosine_decay`), so that the schedule stretches.
        progress: print a progress bar to stderr.
        max_steps: stop after this many steps in total (for tests and short runs).

    Returns:
        The final `TrainState` and the list of per-epoch metrics.

    Raises:
        ValueError: for bad settings or data; if `out_dir` holds another run (the
            message lists what changed, old → new) or a checkpoint without `config.json`.
    """
    if max_steps is not None:
        _integer("max_steps", max_steps, 0)
    x, labels = _check_dataset(*train, config.n_out, "train ")
    if val is not None:
        val = _check_dataset(*val, config.n_out, "val ")
    x = x.astype(np.float32)
    n_features = x.shape[1]
    steps_per_epoch = len(x) // config.batch_size
    if steps_per_epoch < 1:
        raise ValueError(f"batch_size={config.batch_size} exceeds the {len(x)} training samples")
    out = Path(out_dir) if out_dir is not None else None
    history: list[dict[str, Any]] = []
    state = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        run = _run_description(config, (x, labels), val)
        _check_resume(out, run, steps_per_epoch)
        for folder, name in ((out, "config.json"), (out, "metrics.jsonl"),
                             (out / "checkpoint", CHECKPOINT_FILE)):
            remove_orphans(folder, name)  # left by a killed run; only one run uses `out`
        atomic_write(out / "config.json", json.dumps(run, allow_nan=False, indent=1))
        if (out / "checkpoint" / CHECKPOINT_FILE).exists():
            state, meta = load_checkpoint(out / "checkpoint", config, n_features)
            history = meta["history"]
            _write_metrics(out, history)  # lags by an epoch if killed after the checkpoint
    if state is None:
        state = init_state(config, n_features)
    total = config.epochs * steps_per_epoch if max_steps is None else max_steps
    step = int(state.step)
    t0 = time.time()
    while step < total:
        t_epoch = time.time()
        epoch, k0 = divmod(step, steps_per_epoch)
        losses, accs = [], []
        for k, idx in enumerate(batches(len(x), config.batch_size, config.seed, epoch)):
            if k < k0:
                continue
            state, loss, m = train_step(state, jnp.asarray(x[idx]), jnp.asarray(labels[idx]), config)
            if not np.isfinite(float(loss)):
                raise FloatingPointError(
                    f"the training loss became non-finite at step {step + 1}; the last "
                    "checkpoint holds the state at the end of the previous epoch"
                )
            losses.append(float(loss))
            accs.append(float(m["accuracy"]))
            step += 1
            if progress:
                _progress(epoch, config.epochs, k + 1, steps_per_epoch, float(np.mean(losses)), t0)
            if step >= total:
                break
        if progress:
            sys.stderr.write("\n")
        record: dict[str, Any] = {
            "epoch": epoch + 1, "step": step, "train_loss": float(np.mean(losses)),
            "train_accuracy": float(np.mean(accs)), "wall_s": time.time() - t_epoch,
        }
        if val is not None and step % steps_per_epoch == 0:
            v = evaluate(state.network, val[0], val[1], config)
            record.update(val_loss=v["loss"], val_accuracy=v["accuracy"],
                          val_hidden_spikes=v["hidden_spikes"])
        history.append(record)
        if out is not None:
            save_checkpoint(out / "checkpoint", state, {"step": step, "history": history})
            _write_metrics(out, history)
    return state, history


# -- export ---------------------------------------------------------------------------


def hardware_parameters(network: SpikingNetwork) -> dict[str, Any]:
    """The trained network in SI units (A, F, s, V) as plain Python lists and floats.

    Built from `network.to_circuit()` (neuron circuit values, synaptic weights as
    peak currents in A, τ_syn in s) plus the layer sizes.
    """
    circuit = {k: np.asarray(v).tolist() for k, v in network.to_circuit().items()}
    return {
        "model": type(network.neuron).__name__,
        "layer_sizes": list(network.layer_sizes),
        "n_inputs": network.n_inputs,
        "units": {"current": "A", "capacitance": "F", "time": "s", "voltage": "V"},
        "circuit": circuit,
    }


def export_hardware(network: SpikingNetwork, path: str | Path) -> dict[str, Any]:
    """Write `hardware_parameters(network)` as strict JSON (NaN/inf rejected) atomically;
    return it.

    Raises:
        ValueError: if a parameter is not finite.
    """
    params = hardware_parameters(network)
    atomic_write(path, json.dumps(params, allow_nan=False, indent=1))
    return params
