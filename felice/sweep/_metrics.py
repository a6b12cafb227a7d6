"""Metrics of a sweep chunk, computed from its population model and simulation result.

A metric is any callable `metric(model, result) -> array (n_points,)` or a dict of such
arrays (columns `"<name>.<key>"`): `model` is the chunk's population model (one neuron
per sweep point), `result` its `SimulationResult` (None for a sweep without simulation,
e.g. fixpoint locations). Times are model time units.
"""

import enum

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from felice._validation import check_positive
from felice.analysis import classify
from felice.neuron_models import AbstractNeuron
from felice.simulation import SimulationResult


class Regime(enum.IntEnum):
    """Regime labels of `regime` (a column of integers in the table)."""

    REST = 0
    """The neuron rests (from spikes: fewer than `min_spikes` spikes after `t_start`)."""
    SPIKING = 1
    """Tonic spiking."""
    BURSTING = 2
    """Bursts of spikes separated by long intervals."""
    BISTABLE = 3
    """Two or more stable equilibria; needs an equilibrium analysis (`RegimeFromIV`), never
    produced from spikes."""
    EXCITABLE = 4
    """Rests, but its fast I–V curve has a negative-conductance region (`RegimeFromIV`)."""


def check_window(name: str, metric: object, t1: float | None) -> None:
    """Raise `ValueError` unless a metric's counting window `[t_start, t1)` is non-empty.

    Any metric with a `t_start` attribute counts from there, so it needs a simulation
    (`t1` not None) that runs past `t_start`; an empty window would report rate 0 and
    REST for a spiking neuron.
    """
    t_start = getattr(metric, "t_start", None)
    if t_start is None:
        return
    if t1 is None:
        raise ValueError(f"metric {name!r} counts spikes from t_start={t_start}: it needs a "
                         "simulation, got t1=None")
    if not t_start < t1:
        raise ValueError(f"metric {name!r}: t_start must be < t1, got t_start={t_start}, t1={t1}")


class _Windowed(eqx.Module):
    """A metric of the spikes at times ≥ `t_start` (model time units, ≥ 0)."""

    t_start: float = 0.0

    def __check_init__(self):
        check_positive("t_start", self.t_start, allow_zero=True)

    def _spikes(self, result: SimulationResult) -> Array:
        """Spike times in the window, others +inf, shape `(n, max_spikes)` (sorted)."""
        t1 = result.t1
        if not isinstance(t1, jax.core.Tracer):
            check_window(type(self).__name__, self, float(t1))
        return _window_spikes(result, self.t_start)


def _window_spikes(result: SimulationResult, t_start: float) -> Array:
    """Spike times after `t_start`, others +inf, shape `(n, max_spikes)` (sorted)."""
    return jnp.sort(jnp.where(result.spike_times >= t_start, result.spike_times, jnp.inf), axis=1)


class SpikeCount(_Windowed):
    """Number of spikes at times ≥ `t_start` per point (int)."""

    def __call__(self, model: AbstractNeuron | None, result: SimulationResult) -> Int[Array, " n"]:
        """Spike counts of the chunk's points, shape `(n,)`.

        Raises:
            ValueError: when `t_start ≥ result.t1` (an empty window).
        """
        return jnp.sum(jnp.isfinite(self._spikes(result)), axis=1)


class SpikeRate(_Windowed):
    """Mean firing rate in spikes per model time unit over [t_start, t1].

    Counting spikes in a window that starts after the transient makes the rate of a
    tonic spiker independent of where its first spike falls, up to ±1 spike per window.
    """

    def __call__(self, model: AbstractNeuron | None, result: SimulationResult) -> Float[Array, " n"]:
        """Rates of the chunk's points in spikes per model time unit, shape `(n,)`.

        Raises:
            ValueError: when `t_start ≥ result.t1` (an empty window).
        """
        count = SpikeCount(self.t_start)(model, result)
        return count / (result.t1 - self.t_start)


class RegimeFromSpikes(_Windowed):
    """Rest / tonic spiking / bursting from the inter-spike intervals after `t_start`.

    Fewer than `min_spikes` spikes after the transient: REST. Otherwise the intervals
    are split at their geometric mid-range √(min·max): when the longest interval is
    more than `burst_ratio` times the shortest and at least two spikes fall in the
    short class per long interval (several spikes per burst), the neuron BURSTS;
    otherwise it SPIKES tonically (its intervals are nearly equal). Needs `max_spikes`
    large enough to hold every spike of the window, else the status reports overflow.
    """

    min_spikes: int = 3
    burst_ratio: float = 3.0

    def __check_init__(self):
        check_positive("burst_ratio", self.burst_ratio - 1.0)
        if self.min_spikes < 3:
            raise ValueError(f"min_spikes must be ≥ 3 (two intervals), got {self.min_spikes}")

    def __call__(self, model: AbstractNeuron | None, result: SimulationResult) -> Int[Array, " n"]:
        """`Regime` codes of the chunk's points, shape `(n,)`.

        Raises:
            ValueError: when `t_start ≥ result.t1` (an empty window).
        """
        s = self._spikes(result)
        count = jnp.sum(jnp.isfinite(s), axis=1)
        isi = s[:, 1:] - s[:, :-1]
        valid = jnp.isfinite(isi)
        lo = jnp.min(jnp.where(valid, isi, jnp.inf), axis=1)
        hi = jnp.max(jnp.where(valid, isi, -jnp.inf), axis=1)
        split = jnp.sqrt(jnp.maximum(lo, 0.0) * jnp.maximum(hi, 0.0))
        n_long = jnp.sum(valid & (isi > split[:, None]), axis=1)
        n_short = jnp.sum(valid & (isi <= split[:, None]), axis=1)
        bursting = (hi > self.burst_ratio * lo) & (n_long >= 1) & (n_short >= 2 * n_long)
        label = jnp.where(bursting, Regime.BURSTING, Regime.SPIKING)
        return jnp.where(count >= self.min_spikes, label, Regime.REST).astype(jnp.int32)


class RegimeFromIV(eqx.Module):
    """Regime of each point from its I–V curves and equilibria (`felice.analysis.classify`).

    No simulation is needed (`result` is ignored, so a sweep with `t1=None` works), and
    unlike `RegimeFromSpikes` it tells BISTABLE and EXCITABLE points apart from resting
    ones. The rules are those of `classify` (Ribar & Sepulchre's reading of the curves
    with the stability of the equilibria). Labels are `Regime` integers, shape `(n,)`.

    Attributes:
        n_v: clamp-voltage grid size for the fast curve's negative-conductance search.
    """

    n_v: int = 201

    def __check_init__(self):
        if isinstance(self.n_v, bool) or not isinstance(self.n_v, int) or self.n_v < 2:
            raise ValueError(f"n_v must be an integer ≥ 2, got n_v={self.n_v!r}")

    def __call__(self, model: AbstractNeuron, result: SimulationResult | None) -> Int[Array, " n"]:
        """`Regime` codes of the chunk's points, shape `(n,)` (`result` is not used)."""
        # `chunk_model` gives the swept parameters one value per point: a population.
        labels = classify(model, n_v=self.n_v)
        if isinstance(labels, str):
            raise ValueError("RegimeFromIV needs a population model (one value per point)")
        # classify's labels are the lower-case names of the `Regime` members.
        return jnp.asarray([Regime[label.upper()] for label in labels], jnp.int32)
