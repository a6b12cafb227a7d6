"""The forward pass (encode → `simulate_fixed` → readout scores) and the losses."""

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, ArrayLike, Float, Int

from felice.networks import (
    SpikingNetwork,
    first_spike_time,
    membrane_max,
    membrane_mean,
    simulate_fixed,
    spike_count,
)
from felice.training._config import TrainConfig

_MEMBRANE_READOUTS = {"max": membrane_max, "mean": membrane_mean}


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
                              solver=config.solver, checkpoint=config.grad_checkpoint,
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
