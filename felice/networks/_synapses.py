"""Synaptic connections: a weight matrix and a fixed mask of allowed synapses."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, PRNGKeyArray, Real


class Connection(eqx.Module):
    """All-to-all weights from `n_pre` sources to `n_post` targets, times a 0/1 mask.

    A spike of source i adds `weight[i, j]·mask[i, j]` (model current units) to
    the synaptic current of target j, with zero delay.

    Attributes:
        weight: trainable weights, shape `(n_pre, n_post)`, model current units.
        mask: which synapses exist, shape `(n_pre, n_post)`, 0.0 or 1.0 (not trained:
            training filters it out, see `felice.training.trainable_filter`).
    """

    weight: Float[Array, "pre post"]
    mask: Float[Array, "pre post"]

    def __init__(
        self,
        weight: Float[ArrayLike, "pre post"],
        mask: Bool[ArrayLike, "pre post"] | None = None,
    ):
        """Wrap `weight` (2-D) and an optional boolean mask of the same shape (default: all)."""
        weight = jnp.asarray(weight)
        if weight.ndim != 2:
            raise ValueError(f"weight must have shape (n_pre, n_post), got weight.shape={weight.shape}")
        if mask is None:
            mask = jnp.ones(weight.shape, weight.dtype)
        mask = jnp.asarray(mask)
        if mask.shape != weight.shape:
            raise ValueError(
                f"mask must have the shape of weight {weight.shape}, got mask.shape={mask.shape}"
            )
        self.weight = weight
        self.mask = mask.astype(weight.dtype)

    @property
    def effective(self) -> Float[Array, "pre post"]:
        """`weight·mask`, shape `(n_pre, n_post)`."""
        return self.weight * self.mask

    def __call__(
        self, spikes: Real[ArrayLike, " pre"] | Bool[ArrayLike, " pre"]
    ) -> Float[Array, " post"]:
        """Summed weight arriving at each target from `spikes` (0/1 or counts), shape `(n_post,)`."""
        return jnp.asarray(spikes, self.weight.dtype) @ self.effective


def dense(
    key: PRNGKeyArray,
    n_pre: int,
    n_post: int,
    *,
    mean: float = 0.0,
    std: float = 1.0,
    mask: Bool[ArrayLike, "pre post"] | None = None,
    dtype=jnp.float32,
) -> Connection:
    """A connection with Gaussian weights N(mean, std²), shape `(n_pre, n_post)`."""
    w = mean + std * jax.random.normal(key, (n_pre, n_post), dtype)
    return Connection(w, mask)


def layered_mask(sizes: tuple[int, ...], *, recurrent: bool = False) -> np.ndarray:
    """Mask of a network whose neurons are layers `sizes` (neuron layers only).

    Layer l projects to layer l + 1 (feed-forward); with `recurrent`, each layer
    also projects to itself (no self-synapses). Shape `(n, n)`, n = sum(sizes).
    """
    n = int(sum(sizes))
    mask = np.zeros((n, n), bool)
    start = np.cumsum((0, *sizes))
    for layer in range(len(sizes)):
        a, b = start[layer], start[layer + 1]
        if layer + 1 < len(sizes):
            mask[a:b, b : start[layer + 2]] = True
        if recurrent:
            mask[a:b, a:b] = ~np.eye(b - a, dtype=bool)
    return mask
