"""Input encoders: turn feature vectors into input spike trains.

Two views of the same spikes: event lists `(times, channels)` for the event-based
engine, and a raster `(n_steps, n_channels)` of spike counts on a fixed time grid
t_k = k·dt for `felice.networks.simulate_fixed` (a spike at time t lands in step
round(t/dt)).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from felice._validation import check_positive


class LatencyEncoder(eqx.Module):
    """One spike per feature: value 1 fires at `t_early`, value 0 at `t_late`.

    A feature x ∈ [0, 1] (clipped) fires at t = t_late + x·(t_early − t_late), so
    larger features fire earlier; with `bias_time` set, an extra channel (last)
    fires at that time for every sample. Times in model time units.
    """

    t_early: float = eqx.field(static=True, default=0.0)
    t_late: float = eqx.field(static=True, default=10.0)
    bias_time: float | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        check_positive("t_early", self.t_early, allow_zero=True)
        check_positive("t_late", self.t_late, allow_zero=True)
        if self.bias_time is not None:
            check_positive("bias_time", self.bias_time, allow_zero=True)

    def n_channels(self, n_features: int) -> int:
        """Input channels for `n_features` features (one more with a bias spike)."""
        return n_features + (self.bias_time is not None)

    def times(self, x: Float[ArrayLike, "*batch features"]) -> Float[Array, "*batch channels"]:
        """Spike time of each channel, shape `(*batch, n_channels)`, model time units."""
        x = jnp.clip(jnp.asarray(x), 0.0, 1.0)
        t = self.t_late + x * (self.t_early - self.t_late)
        if self.bias_time is not None:
            t = jnp.concatenate([t, jnp.full((*t.shape[:-1], 1), self.bias_time, t.dtype)], -1)
        return t

    def raster(
        self, x: Float[ArrayLike, "*batch features"], dt: float, n_steps: int
    ) -> Float[Array, "*batch steps channels"]:
        """Spike counts on the grid t_k = k·dt, shape `(*batch, n_steps, n_channels)`.

        Raises:
            ValueError: if a spike time falls outside [0, n_steps·dt).
        """
        check_positive("dt", dt)
        t = self.times(x)
        latest = max(self.t_early, self.t_late, self.bias_time or 0.0)
        if round(latest / dt) >= n_steps:
            raise ValueError(
                f"spikes up to t={latest} need n_steps > {round(latest / dt)} at dt={dt}, "
                f"got n_steps={n_steps}"
            )
        idx = jnp.round(t / dt).astype(jnp.int32)
        return jnp.moveaxis(jax.nn.one_hot(idx, n_steps, dtype=t.dtype), -1, -2)


class RateEncoder(eqx.Module):
    """Poisson spike trains: feature x ∈ [0, 1] fires at rate x·`max_rate` per time unit."""

    max_rate: float = eqx.field(static=True, default=0.5)

    def __check_init__(self):
        check_positive("max_rate", self.max_rate)

    def raster(
        self, key: PRNGKeyArray, x: Float[ArrayLike, "*batch features"], dt: float, n_steps: int
    ) -> Float[Array, "*batch steps features"]:
        """Bernoulli spikes with probability min(1, x·max_rate·dt) per step.

        Returns:
            0/1 array of shape `(*batch, n_steps, n_features)`.
        """
        check_positive("dt", dt)
        x = jnp.clip(jnp.asarray(x), 0.0, 1.0)
        p = jnp.minimum(1.0, x * self.max_rate * dt)
        shape = (*x.shape[:-1], n_steps, x.shape[-1])
        return jax.random.bernoulli(key, p[..., None, :], shape).astype(x.dtype)


def raster_to_events(
    raster: Float[ArrayLike, "steps channels"], dt: float
) -> tuple[Float[Array, " n_spikes"], Int[Array, " n_spikes"]]:
    """Event list of one sample's raster: spike times (k·dt, repeated per count) and channels.

    `raster` has shape `(steps, channels)` (spike counts per step); both returned
    arrays have shape `(n_spikes,)`, times in model time units. Not jit-compatible (the
    number of spikes is data dependent).
    """
    import numpy as np

    r = np.asarray(raster)
    steps, channels = np.nonzero(r)
    counts = r[steps, channels].astype(int)
    return jnp.asarray(np.repeat(steps * dt, counts)), jnp.asarray(np.repeat(channels, counts))
