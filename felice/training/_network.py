"""The network of a configuration, its trainable parameters and their constraints."""

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from felice.networks import SpikingNetwork
from felice.training._config import TrainConfig


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
    names = tuple(network.neuron.trainable_bias) if train_bias else ()
    return eqx.tree_at(
        lambda n: [n.w_in.weight, n.w_rec.weight, *(getattr(n.neuron, k) for k in names)],
        spec, [True] * (2 + len(names)),
    )


def constrain(network: SpikingNetwork, w_max: float) -> SpikingNetwork:
    """Clip each bias parameter to its `trainable_bias` range (model units) and the weights
    to [−w_max, w_max] (model current units)."""
    ranges = network.neuron.trainable_bias
    leaves = [jnp.clip(network.w_in.weight, -w_max, w_max),
              jnp.clip(network.w_rec.weight, -w_max, w_max),
              *(jnp.clip(getattr(network.neuron, k), lo, hi) for k, (lo, hi) in ranges.items())]
    return eqx.tree_at(
        lambda n: [n.w_in.weight, n.w_rec.weight, *(getattr(n.neuron, k) for k in ranges)],
        network, leaves,
    )
