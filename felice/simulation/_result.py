"""What a simulation returns."""

import enum

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int


class Status(enum.IntEnum):
    """Outcome of a simulation (`SimulationResult.status`)."""

    OK = 0
    """The simulation reached t1."""
    MAX_STEPS = 1
    """t1 not reached within max_steps solver steps."""
    NONFINITE = 2
    """The state became NaN or inf (in y0, from an input, or an overflow); see `nonfinite`."""
    SPIKE_OVERFLOW = 3
    """A neuron spiked more than max_spikes times; later spikes were not stored."""
    STEP_FAILED = 4
    """The solver or step-size controller failed (e.g. step size underflow)."""


STATUS_MESSAGES = {
    Status.OK: "ok",
    Status.MAX_STEPS: "the maximum number of solver steps was reached before t1: increase max_steps",
    Status.NONFINITE: "the state became NaN or infinite",
    Status.SPIKE_OVERFLOW: "a neuron spiked more than max_spikes times: increase max_spikes",
    Status.STEP_FAILED: "the solver failed to take a step (step size underflow or solver error)",
}
"""What each `Status` means, as the error message says it."""


class SimulationResult(eqx.Module):
    """Trajectory, spikes and solver statistics of one simulation (a pytree).

    Times are in model time units (multiply by `model.time_unit` for seconds).

    Attributes:
        ts: save times, shape `(n_save,)`, or None when no trajectory was saved.
        ys: states at `ts`, shape `(n_save, n_neurons, n_state)`, or None.
        spike_times: spike times per neuron, shape `(n_neurons, max_spikes)`, sorted,
            padded with +inf.
        spike_counts: number of spikes per neuron, shape `(n_neurons,)` (counts spikes
            beyond `max_spikes` too, which then sets the SPIKE_OVERFLOW status).
        y1: final state, shape `(n_neurons, n_state)`.
        t1: final time reached.
        n_steps: solver steps taken (accepted and rejected).
        n_accepted: accepted steps.
        status: a `Status` code as an integer array.
        nonfinite: which neurons' states became NaN or infinite (status NONFINITE),
            boolean `(n_neurons,)`; None where not recorded.
    """

    ts: Float[Array, " n_save"] | None
    ys: Float[Array, "n_save neurons n_state"] | None
    spike_times: Float[Array, "neurons max_spikes"]
    spike_counts: Int[Array, " neurons"]
    y1: Float[Array, "neurons n_state"]
    t1: Float[Array, ""]
    n_steps: Int[Array, ""]
    n_accepted: Int[Array, ""]
    status: Int[Array, ""]
    nonfinite: Bool[Array, " neurons"] | None = None

    @property
    def ok(self) -> Array:
        """True when the simulation reached t1 without any failure (a scalar boolean array)."""
        return self.status == Status.OK

    @property
    def message(self) -> str:
        """The status in words (needs a concrete status)."""
        return STATUS_MESSAGES[Status(int(self.status))]

    def first_spike_times(self) -> Float[Array, " neurons"]:
        """Time of each neuron's first spike, +inf if it never spiked. Shape `(n_neurons,)`."""
        return self.spike_times[:, 0]

    def spike_mask(self) -> Array:
        """Boolean `(n_neurons, max_spikes)`: which entries of `spike_times` are spikes."""
        return jnp.isfinite(self.spike_times)
