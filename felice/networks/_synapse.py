"""Synapse circuits: what a spike does to a neuron's synaptic state and the current it delivers.

A synapse holds one or more state columns per neuron (model current units of the
neuron it feeds, one column per `state_names` entry), decays by its own dynamics
(model time units of the neuron), jumps when spikes arrive, and delivers one current
per neuron (model current units) that `SpikingNetwork` injects through the neuron's
`input_current`. Its parameters are scalars or one value per neuron.
"""

import abc
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from equinox import AbstractClassVar
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_positive


class AbstractSynapse(eqx.Module):
    """A synapse circuit of a network: state columns, dynamics, spike arrival and current.

    Class variables a synapse declares:
        name: its name in `felice.networks.SYNAPSES` (what a model's `network_synapse`
            names).
        state_names: names of its state columns (appended to the neuron's columns).
        circuit_units: the SI unit of each key of `to_circuit` (`""`: dimensionless).
    """

    name: AbstractClassVar[str]
    state_names: AbstractClassVar[tuple[str, ...]]
    circuit_units: AbstractClassVar[dict[str, str]]

    @abc.abstractmethod
    def dynamics(self, s: Float[Array, "neurons n_syn"]) -> Float[Array, "neurons n_syn"]:
        """ds/dt of the synaptic state (model units per model time unit), `(n_neurons, n_syn)`."""

    @abc.abstractmethod
    def receive(
        self, s: Float[Array, "neurons n_syn"], weights: Float[ArrayLike, " neurons"]
    ) -> Float[Array, "neurons n_syn"]:
        """State right after spikes of summed weight `weights` (model current units, one per
        neuron, `(n_neurons,)`) arrive; shape `(n_neurons, n_syn)`."""

    @abc.abstractmethod
    def current(self, s: Float[Array, "neurons n_syn"]) -> Float[Array, " neurons"]:
        """The current delivered into each neuron, model current units, shape `(n_neurons,)`."""

    @abc.abstractmethod
    def to_circuit(
        self, time_unit: Float[ArrayLike, ""], current_unit: Float[ArrayLike, ""]
    ) -> dict[str, Array]:
        """The synapse's circuit values in SI units (keys: `circuit_units`), given the
        neuron's seconds per time unit and amperes per current unit."""

    @property
    def n_state(self) -> int:
        """Number of state columns per neuron."""
        return len(self.state_names)

    def init_state(self, n_neurons: int) -> Float[Array, "neurons n_syn"]:
        """No synaptic activity: zeros of shape `(n_neurons, n_syn)`."""
        dtype = jnp.result_type(*jax.tree.leaves(self))
        return jnp.zeros((n_neurons, self.n_state), dtype)


class ExponentialSynapse(AbstractSynapse):
    """A current that jumps by the spike weight and decays exponentially:

        dI_syn/dt = −I_syn/τ_syn,   I_syn += w at a spike,
        delivered I_d = I_max·tanh(I_syn/I_max)   (I_d = I_syn without a saturation)

    in the neuron's model units. The saturation is the bias of the synapse's output
    stage; the bistable networks use I_max = 0.3·I_bias, since a larger drive pushes a
    node far above its fixpoint, where the exponential nFET current makes the circuit
    too stiff for a fixed-step simulation.

    Attributes:
        tau_syn: decay time (model time units, > 0), scalar or `(n_neurons,)`.
        I_syn_max: saturation I_max (model current units, > 0), or None for a linear output.
    """

    tau_syn: Float[Array, "*neurons"]
    I_syn_max: Float[Array, "*neurons"] | None

    name: ClassVar[str] = "exponential"
    state_names: ClassVar[tuple[str, ...]] = ("I_syn",)
    circuit_units: ClassVar[dict[str, str]] = {"tau_syn": "s", "I_syn_max": "A"}

    def __init__(
        self,
        tau_syn: Float[ArrayLike, "*neurons"] = 0.5,
        I_syn_max: Float[ArrayLike, "*neurons"] | None = None,
        dtype: Any = jnp.float32,
    ):
        """Raises `ValueError` for tau_syn ≤ 0 or I_syn_max ≤ 0."""
        check_positive("tau_syn", tau_syn)
        self.tau_syn = jnp.asarray(tau_syn, dtype)
        if I_syn_max is not None:
            check_positive("I_syn_max", I_syn_max)
            I_syn_max = jnp.asarray(I_syn_max, dtype)
        self.I_syn_max = I_syn_max

    def dynamics(self, s: Float[Array, "neurons 1"]) -> Float[Array, "neurons 1"]:
        """−I_syn/τ_syn, shape `(n_neurons, 1)`."""
        return -s / jnp.reshape(self.tau_syn, (-1, 1))

    def receive(
        self, s: Float[Array, "neurons 1"], weights: Float[ArrayLike, " neurons"]
    ) -> Float[Array, "neurons 1"]:
        """I_syn + w, shape `(n_neurons, 1)`."""
        return s + jnp.broadcast_to(jnp.asarray(weights, s.dtype), s.shape[:1])[:, None]

    def current(self, s: Float[Array, "neurons 1"]) -> Float[Array, " neurons"]:
        """I_max·tanh(I_syn/I_max), or I_syn without a saturation; shape `(n_neurons,)`."""
        I = s[:, 0]
        if self.I_syn_max is None:
            return I
        return self.I_syn_max * jnp.tanh(I / self.I_syn_max)

    def to_circuit(
        self, time_unit: Float[ArrayLike, ""], current_unit: Float[ArrayLike, ""]
    ) -> dict[str, Array]:
        """`tau_syn` in s and (with a saturation) `I_syn_max` in A."""
        out = {"tau_syn": self.tau_syn * time_unit}
        if self.I_syn_max is not None:
            out["I_syn_max"] = self.I_syn_max * current_unit
        return out


class DPISynapse(AbstractSynapse):
    """The differential-pair integrator synapse (Bartolozzi & Indiveri, Neural Comput.
    19:2581, 2007) in the limit of short input pulses:

        τ_syn·dI_syn/dt = −I_syn + (I_g/I_τ)·I_w·[input pulse on],   τ_syn = C_syn·U_t/(κ·I_τ)

    A pulse of width t_pulse ≪ τ_syn per input spike raises I_syn by
    (I_g/I_τ)·I_w·t_pulse/τ_syn (the exact rise over the pulse,
    (I_g/I_τ)·I_w·(1 − e^{−t_pulse/τ_syn}), to first order); a connection's weight is
    the synapse's weight current I_w (model current units). Between spikes I_syn
    decays with τ_syn and is delivered to the neuron as it is (linear output).

    Attributes:
        tau_syn: τ_syn (model time units, > 0), scalar or `(n_neurons,)`.
        gain: I_g/I_τ (dimensionless, > 0).
        t_pulse: input pulse width (model time units, > 0).
    """

    tau_syn: Float[Array, "*neurons"]
    gain: Float[Array, "*neurons"]
    t_pulse: Float[Array, "*neurons"]

    name: ClassVar[str] = "dpi"
    state_names: ClassVar[tuple[str, ...]] = ("I_syn",)
    circuit_units: ClassVar[dict[str, str]] = {"tau_syn": "s", "gain": "", "t_pulse": "s"}

    def __init__(
        self,
        tau_syn: Float[ArrayLike, "*neurons"] = 0.5,
        gain: Float[ArrayLike, "*neurons"] = 10.0,
        t_pulse: Float[ArrayLike, "*neurons"] = 0.05,
        dtype: Any = jnp.float32,
    ):
        """Raises `ValueError` unless tau_syn, gain and t_pulse are positive. The defaults
        make a spike of weight w raise I_syn by w."""
        for name, value in (("tau_syn", tau_syn), ("gain", gain), ("t_pulse", t_pulse)):
            check_positive(name, value)
        self.tau_syn = jnp.asarray(tau_syn, dtype)
        self.gain = jnp.asarray(gain, dtype)
        self.t_pulse = jnp.asarray(t_pulse, dtype)

    @classmethod
    def from_circuit(
        cls,
        *,
        C_syn: Float[ArrayLike, "*neurons"],
        I_tau: Float[ArrayLike, "*neurons"],
        I_g: Float[ArrayLike, "*neurons"],
        t_pulse: Float[ArrayLike, "*neurons"],
        time_unit: Float[ArrayLike, ""],
        kappa: Float[ArrayLike, "*neurons"] = 0.7,
        U_t: Float[ArrayLike, ""] = 0.025,
        dtype: Any = jnp.float32,
    ) -> "DPISynapse":
        """The synapse from its circuit values in SI units.

        Args:
            C_syn: integrating capacitor, F.
            I_tau: leak bias current I_τ, A.
            I_g: gain bias current I_g, A.
            t_pulse: input pulse width, s.
            time_unit: seconds per model time unit of the neuron it feeds.
            kappa: subthreshold slope factor (dimensionless); U_t: thermal voltage, V.
            dtype: floating dtype.

        Raises:
            ValueError: unless every value is positive.
        """
        for name, value in (("C_syn", C_syn), ("I_tau", I_tau), ("I_g", I_g),
                            ("t_pulse", t_pulse), ("time_unit", time_unit), ("kappa", kappa),
                            ("U_t", U_t)):
            check_positive(name, value)
        tau = jnp.asarray(C_syn) * U_t / (jnp.asarray(kappa) * jnp.asarray(I_tau))
        return cls(tau_syn=tau / time_unit, gain=jnp.asarray(I_g) / jnp.asarray(I_tau),
                   t_pulse=jnp.asarray(t_pulse) / time_unit, dtype=dtype)

    @property
    def jump(self) -> Float[Array, "*neurons"]:
        """Rise of I_syn per unit weight of an arriving spike: gain·t_pulse/τ_syn."""
        return self.gain * self.t_pulse / self.tau_syn

    def dynamics(self, s: Float[Array, "neurons 1"]) -> Float[Array, "neurons 1"]:
        """−I_syn/τ_syn, shape `(n_neurons, 1)`."""
        return -s / jnp.reshape(self.tau_syn, (-1, 1))

    def receive(
        self, s: Float[Array, "neurons 1"], weights: Float[ArrayLike, " neurons"]
    ) -> Float[Array, "neurons 1"]:
        """I_syn + gain·I_w·t_pulse/τ_syn, shape `(n_neurons, 1)`."""
        w = jnp.broadcast_to(jnp.asarray(weights, s.dtype), s.shape[:1])
        return s + (self.jump * w)[:, None]

    def current(self, s: Float[Array, "neurons 1"]) -> Float[Array, " neurons"]:
        """I_syn itself, shape `(n_neurons,)`."""
        return s[:, 0]

    def to_circuit(
        self, time_unit: Float[ArrayLike, ""], current_unit: Float[ArrayLike, ""]
    ) -> dict[str, Array]:
        """`tau_syn` and `t_pulse` in s, `gain` = I_g/I_τ."""
        return {"tau_syn": self.tau_syn * time_unit, "gain": self.gain,
                "t_pulse": self.t_pulse * time_unit}


SYNAPSES: dict[str, type[AbstractSynapse]] = {
    cls.name: cls for cls in (ExponentialSynapse, DPISynapse)
}
"""The synapse classes by name (what a model's `network_synapse["kind"]` names)."""
