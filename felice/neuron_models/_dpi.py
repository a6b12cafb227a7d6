"""DPINeuron: the adaptive exponential integrate-and-fire circuit in current mode ("Snowball").

Model equations (the only place they are written). The membrane is a differential-pair
integrator (DPI) whose output current I_mem = I_0·e^{V_mem} (V_mem in units of U_t/κ, the
voltage of the membrane capacitor C) obeys, with τ = C/I_τ (C·U_t/(κ·I_τ) in SI),

    τ·(1 + I_th/I_mem)·dI_mem/dt = (I_th/I_τ)(I_in + I_a − I_ahp) − I_th
                                   − (1 + (I_ahp − I_a)/I_τ)·I_mem + I_0·(1 + I_th/I_mem)
    I_a   = I_a_gain / (1 + e^{−(I_mem − I_a_th)/I_a_norm})       positive feedback
    dI_ahp/dt = −(I_ahp − I_0)/τ_ahp                                adaptation (a DPI too)
    I_in  = I_dc + I_ext                                            the DPI's input
    spike when I_mem crosses I_spk upwards; then I_mem ← I_reset, I_ahp += I_ahp_jump,
    and I_mem is held at I_reset for t_refr while I_ahp keeps decaying.

That is Chicca et al.'s equation plus the leakage floor I_0 (the last term), which holds
I_mem (and I_ahp) at I_0 when nothing drives them, so that the divisions by the currents
stay finite. Divided by (1 + I_th/I_mem) it is one node equation of C·dV_mem/dt:

    C·dV_mem/dt = I_th·I_in/(I_mem + I_th) − I_τ − I_ahp + I_a + I_τ·I_0/I_mem
                  (input)                  (leak) (adapt.) (feedb.) (floor)

and dI_mem/dt = I_mem·dV_mem/dt. (The adaptation DPI's threshold current cancels from its
own equation between spikes, so it is not a parameter.) Spikes are read in log units,
ln(I_mem/I_spk), which is as well conditioned at 1 pA as at 10 nA.

Units: current `I_unit` (the nominal I_τ, 10 pA by default), capacitance `C_unit` (1 pF),
voltage U_t/κ (35.7 mV), time C_unit·U_t/(κ·I_unit) (3.57 ms): the DPI's time constant.

References: E. Chicca, F. Stefanini, C. Bartolozzi and G. Indiveri, "Neuromorphic electronic
circuits for building autonomous cognitive systems", Proc. IEEE 102(9):1367–1388, 2014;
A. Rubino, M. Payvand and G. Indiveri, "Ultra-low power silicon neuron circuit for
extreme-edge neuromorphic intelligence", ICECS 2019.
"""

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.typing import DTypeLike
from jaxtyping import Array, ArrayLike, Bool, Float, PRNGKeyArray

from felice._validation import check_finite, check_interval, check_positive
from felice.neuron_models._base import (
    AbstractResettingNeuron,
    AbstractSpiceCircuit,
    AbstractVoltageClamp,
    SpiceElement,
    SpiceTopLevel,
    check_float_dtype,
    check_unit_fields,
    external_current,
    refractory,
)
from felice.neuron_models._lif import check_below

_N = Float[ArrayLike, "*#neurons"] | Sequence[float]  # lists accepted
# Constructor parameters in model units (currents, times and C) with their defaults.
_DEFAULTS = dict(
    C=1.0, I_tau=1.0, I_th=10.0, I_dc=0.0, I_a_gain=100.0, I_a_th=20.0, I_a_norm=2.0,
    tau_ahp=5.6, I_ahp_jump=0.5, I_spk=1000.0, I_reset=0.1, t_refr=0.28, I_refr=10.0, I_0=0.1,
)
_POSITIVE = ("C", "I_tau", "I_th", "I_a_norm", "tau_ahp", "I_spk", "I_reset", "I_0")
_NONNEGATIVE = ("I_a_gain", "I_ahp_jump", "t_refr", "I_refr")
# Clamp voltages searched below the floor, units of U_t/κ (I_mem down to e^{-10}·I_0).
_V_LOW = -10.0


class DPINeuron(AbstractSpiceCircuit, AbstractResettingNeuron, AbstractVoltageClamp):
    """DPI (adaptive exponential) integrate-and-fire neuron in current mode.

    State columns (shape `(n_neurons, 2)`): `I_mem` (membrane current) and `I_ahp`
    (adaptation current), model current units. Equations in the module docstring.

    Attributes (model units; scalar or one value per neuron):
        C: membrane capacitance (> 0), units of C_unit.
        I_tau: leak bias I_τ of the DPI (> 0); τ = C/I_tau.
        I_th: threshold current of the DPI (> 0): its gain is I_th/I_tau.
        I_dc: constant input current.
        I_a_gain, I_a_th, I_a_norm: the positive feedback's saturation (≥ 0), threshold and
            width (> 0).
        tau_ahp: adaptation time constant (> 0), model time units.
        I_ahp_jump: adaptation current added per spike (≥ 0).
        I_spk: spike threshold of I_mem (> 0). I_reset: reset current (> 0, < I_spk).
        t_refr: refractory period (≥ 0), model time units.
        I_refr: refractory-timer bias (≥ 0; drawn from the supply only).
        I_0: leakage floor of I_mem and I_ahp (> 0).
        kappa: subthreshold slope factor in (0, 1] (scalar). U_t: thermal voltage in V
            (scalar). I_unit: amperes per model current unit (scalar). C_unit: farads per
            model capacitance unit (scalar).

    `args["I_ext"]`, if given, adds to the DPI's input current, `(n_neurons,)`.
    """

    C: Float[Array, "*#neurons"]
    I_tau: Float[Array, "*#neurons"]
    I_th: Float[Array, "*#neurons"]
    I_dc: Float[Array, "*#neurons"]
    I_a_gain: Float[Array, "*#neurons"]
    I_a_th: Float[Array, "*#neurons"]
    I_a_norm: Float[Array, "*#neurons"]
    tau_ahp: Float[Array, "*#neurons"]
    I_ahp_jump: Float[Array, "*#neurons"]
    I_spk: Float[Array, "*#neurons"]
    I_reset: Float[Array, "*#neurons"]
    t_refr: Float[Array, "*#neurons"]
    I_refr: Float[Array, "*#neurons"]
    I_0: Float[Array, "*#neurons"]
    kappa: Float[Array, ""]
    U_t: Float[Array, ""]
    I_unit: Float[Array, ""]
    C_unit: Float[Array, ""]

    name: ClassVar[str] = "dpi"
    spike_kind: ClassVar[Literal["threshold", "fixpoint"]] = "threshold"
    network_synapse: ClassVar[dict[str, Any] | None] = dict(kind="dpi")  # the DPI synapse of DYNAP-type chips
    phase_window: ClassVar[tuple[tuple[float, float], tuple[float, float]] | None] = None  # (I_mem, I_ahp) in current units: the I–V plot only
    core_ndim: ClassVar[dict[str, int]] = {}
    unit_fields: ClassVar[tuple[str, ...]] = ("kappa", "U_t", "I_unit", "C_unit")
    circuit_units: ClassVar[dict[str, str]] = dict(
        C_mem="F", I_tau="A", I_th="A", I_dc="A", I_a_gain="A", I_a_th="A", I_a_norm="A",
        tau_ahp="s", I_ahp_jump="A", I_spk="A", I_reset="A", t_refr="s", I_refr="A", I_0="A",
        kappa="", U_t="V", time_unit="s", voltage_unit="V", current_unit="A",
    )
    # "tonic": I_dc = 30 pA, above the rheobase (about 1.6·I_tau = 16 pA): adapting
    # regular spiking.
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "default": {},
        "demo": dict(I_dc=3.0),
        "tonic": dict(I_dc=3.0),
    }
    # Network neurons rest (I_dc = 0) and need their synaptic input to fire.
    network_defaults: ClassVar[dict[str, Any]] = dict(I_dc=0.0)
    # The DC input 0-10 pA: below the rheobase, so no neuron fires without input.
    trainable_bias: ClassVar[dict[str, tuple[float, float]]] = {"I_dc": (0.0, 1.0)}
    # Not yet tuned for Yin-Yang: trials of 5 time constants (18 ms) with a 2-unit code
    # window and fast DPI synapses (tau_syn = 0.2), so that the input times matter (with
    # tau_syn = 1 over a window of 1 every sample drove the neurons alike), initial
    # weights that make hidden neurons spike, the time-to-first-spike loss (2000 samples,
    # 40 hidden, 8 epochs: 45 % validation accuracy, still rising).
    training_preset: ClassVar[dict[str, Any]] = dict(
        dt=0.01, t_max=5.0, t_late=2.0, readout="ttfs", tau0=0.5, tau1=5.0,
        condition_scale=1.0, weight_std=(12.0, 10.0), weight_mean=(8.0, 10.0), w_max=30.0,
        tau_syn=0.2, detach_rearm=True,
    )

    def __init__(
        self,
        *,
        C: _N = _DEFAULTS["C"],
        I_tau: _N = _DEFAULTS["I_tau"],
        I_th: _N = _DEFAULTS["I_th"],
        I_dc: _N = _DEFAULTS["I_dc"],
        I_a_gain: _N = _DEFAULTS["I_a_gain"],
        I_a_th: _N = _DEFAULTS["I_a_th"],
        I_a_norm: _N = _DEFAULTS["I_a_norm"],
        tau_ahp: _N = _DEFAULTS["tau_ahp"],
        I_ahp_jump: _N = _DEFAULTS["I_ahp_jump"],
        I_spk: _N = _DEFAULTS["I_spk"],
        I_reset: _N = _DEFAULTS["I_reset"],
        t_refr: _N = _DEFAULTS["t_refr"],
        I_refr: _N = _DEFAULTS["I_refr"],
        I_0: _N = _DEFAULTS["I_0"],
        kappa: Float[ArrayLike, ""] = 0.7,
        U_t: Float[ArrayLike, ""] = 0.025,
        I_unit: Float[ArrayLike, ""] = 10e-12,
        C_unit: Float[ArrayLike, ""] = 1e-12,
        dtype: DTypeLike = jnp.float32,
    ):
        """Build the model in model units (module docstring).

        Defaults (SI at the default units): C = 1 pF, I_τ = 10 pA (τ = 3.57 ms), I_th =
        100 pA, I_dc = 0, I_a_gain = 1 nA, I_a_th = 200 pA, I_a_norm = 20 pA, τ_ahp = 20 ms,
        I_ahp jump 5 pA, I_spk = 10 nA, I_reset = I_0 = 1 pA, t_refr = 1 ms, I_refr =
        100 pA, κ = 0.7, U_t = 25 mV.

        Raises:
            ValueError: for non-finite values, C, I_tau, I_th, I_a_norm, tau_ahp, I_spk,
                I_reset or I_0 ≤ 0, I_a_gain, I_ahp_jump, t_refr or I_refr < 0,
                I_reset ≥ I_spk, κ outside (0, 1], U_t, I_unit or C_unit ≤ 0, or a
                dtype that is not floating.
        """
        check_float_dtype(dtype)
        values = dict(C=C, I_tau=I_tau, I_th=I_th, I_dc=I_dc, I_a_gain=I_a_gain, I_a_th=I_a_th,
                      I_a_norm=I_a_norm, tau_ahp=tau_ahp, I_ahp_jump=I_ahp_jump, I_spk=I_spk,
                      I_reset=I_reset, t_refr=t_refr, I_refr=I_refr, I_0=I_0)
        for name, value in values.items():
            check_finite(name, value)
        for name in _POSITIVE:
            check_positive(name, values[name])
        for name in _NONNEGATIVE:
            check_positive(name, values[name], allow_zero=True)
        check_below("I_reset", I_reset, "I_spk", I_spk)
        check_unit_fields(kappa, U_t, I_unit, C_unit)
        for name, value in values.items():
            setattr(self, name, jnp.asarray(value, dtype))
        self.kappa = jnp.asarray(kappa, dtype)
        self.U_t = jnp.asarray(U_t, dtype)
        self.I_unit = jnp.asarray(I_unit, dtype)
        self.C_unit = jnp.asarray(C_unit, dtype)
        self.population_size()  # validates per-neuron shapes

    @classmethod
    def from_circuit(
        cls,
        *,
        C_mem: _N = 1e-12,
        I_tau: _N = 10e-12,
        I_th: _N = 100e-12,
        I_dc: _N = 0.0,
        I_a_gain: _N = 1e-9,
        I_a_th: _N = 200e-12,
        I_a_norm: _N = 20e-12,
        tau_ahp: _N = 20e-3,
        I_ahp_jump: _N = 5e-12,
        I_spk: _N = 10e-9,
        I_reset: _N = 1e-12,
        t_refr: _N = 1e-3,
        I_refr: _N = 100e-12,
        I_0: _N = 1e-12,
        kappa: Float[ArrayLike, ""] = 0.7,
        U_t: Float[ArrayLike, ""] = 0.025,
        dtype: DTypeLike = jnp.float32,
    ) -> "DPINeuron":
        """Build the model from circuit values in SI units.

        Args:
            C_mem: membrane capacitance in F.
            I_tau, I_th: the DPI's leak and threshold currents in A (τ = C·U_t/(κ·I_τ)).
            I_dc: constant input current in A.
            I_a_gain, I_a_th, I_a_norm: positive-feedback saturation, threshold and width in A.
            tau_ahp: adaptation time constant in s. I_ahp_jump: adaptation jump per spike in A.
            I_spk: spike threshold current in A. I_reset: reset current in A.
            t_refr: refractory period in s. I_refr: refractory-timer bias in A.
            I_0: leakage floor in A.
            kappa: subthreshold slope factor in (0, 1]. U_t: thermal voltage in V.
            dtype: floating dtype of the parameters.

        The units are the means of C_mem and I_tau, and U_t/κ.

        Raises:
            ValueError: as the constructor.
        """
        check_float_dtype(dtype)
        check_positive("C_mem", C_mem)
        check_positive("I_tau", I_tau)
        check_positive("U_t", U_t)
        check_interval("kappa", kappa, 0.0, 1.0)
        C_mem, I_tau = jnp.asarray(C_mem, dtype), jnp.asarray(I_tau, dtype)
        C_unit, I_unit = jnp.mean(C_mem), jnp.mean(I_tau)
        t_unit = C_unit * jnp.asarray(U_t, dtype) / (jnp.asarray(kappa, dtype) * I_unit)
        currents = dict(I_th=I_th, I_dc=I_dc, I_a_gain=I_a_gain, I_a_th=I_a_th, I_a_norm=I_a_norm,
                        I_ahp_jump=I_ahp_jump, I_spk=I_spk, I_reset=I_reset, I_refr=I_refr, I_0=I_0)
        return cls(
            C=C_mem / C_unit, I_tau=I_tau / I_unit,
            **{k: jnp.asarray(v, dtype) / I_unit for k, v in currents.items()},
            tau_ahp=jnp.asarray(tau_ahp, dtype) / t_unit, t_refr=jnp.asarray(t_refr, dtype) / t_unit,
            kappa=kappa, U_t=U_t, I_unit=I_unit, C_unit=C_unit, dtype=dtype,
        )

    def to_circuit(self) -> dict[str, Array]:
        """Circuit values in SI units (the arguments of `from_circuit`) and the units."""
        t_unit, I_unit = self.time_unit, self.current_unit
        currents = ("I_tau", "I_th", "I_dc", "I_a_gain", "I_a_th", "I_a_norm", "I_ahp_jump",
                    "I_spk", "I_reset", "I_refr", "I_0")
        return dict(
            C_mem=self.C * self.C_unit,
            **{k: getattr(self, k) * I_unit for k in currents},
            tau_ahp=self.tau_ahp * t_unit, t_refr=self.t_refr * t_unit,
            kappa=self.kappa, U_t=self.U_t,
            time_unit=t_unit, voltage_unit=self.voltage_unit, current_unit=I_unit,
        )

    # -- behavioural netlist (circuits/dpi/behavioural.cir) --------------------------

    def behavioural_elements(self) -> SpiceTopLevel:
        """One instance `Xneuron` of the subcircuit `dpi`, with I_mem and I_ahp carried as the
        voltages of nodes imem and iahp in units of `current_unit`, and the circuit values of
        one neuron in SI units. The netlist is the circuit without its reset, refractory hold
        and adaptation jump (see the template).

        Raises:
            ValueError: if the model has several neurons.
        """
        c = self.circuit_values()
        keys = ("C_mem", "I_tau", "I_th", "I_dc", "I_a_gain", "I_a_th", "I_a_norm", "tau_ahp",
                "I_0", "kappa", "U_t")
        I_unit = float(self.current_unit)
        params = {**{k: float(c[k]) for k in keys}, "I_unit": I_unit}
        return SpiceTopLevel((SpiceElement("Xneuron", ("imem", "iahp"), "dpi", params),),
                             ("imem", "iahp"), (I_unit, I_unit))

    def behavioural_scenario(self) -> tuple[Float[Array, "1 2"], float]:
        """Just after a spike from rest, I_mem = I_reset and I_ahp = I_0 + I_ahp_jump, for 30
        time units; the comparison ends just after the next spike (the netlist has no reset)."""
        I_ahp = self.I_0 + self.I_ahp_jump
        y0 = jnp.stack([jnp.broadcast_to(self.I_reset, ()), jnp.broadcast_to(I_ahp, ())])
        return y0[None].astype(self.dtype), 30.0

    # -- structure and units ------------------------------------------------------

    @property
    def state_names(self) -> tuple[str, ...]:
        """`("I_mem", "I_ahp")`."""
        return ("I_mem", "I_ahp")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """`()`: one external current per neuron, into the DPI's input."""
        return ()

    @property
    def voltage_unit(self) -> Float[Array, ""]:
        """Volts per model voltage unit: U_t/κ."""
        return self.U_t / self.kappa

    @property
    def current_unit(self) -> Float[Array, ""]:
        """Amperes per model current unit: `I_unit`."""
        return self.I_unit

    @property
    def time_unit(self) -> Float[Array, ""]:
        """Seconds per model time unit: C_unit·U_t/(κ·I_unit)."""
        return self.C_unit * self.voltage_unit / self.I_unit

    @property
    def state_scale(self) -> Float[Array, " n_state"]:
        """`(I_unit, I_unit)`: both columns are currents."""
        return jnp.stack([self.I_unit, self.I_unit])

    # -- dynamics -----------------------------------------------------------------

    def feedback(self, I_mem: Float[ArrayLike, "*neurons"]) -> Float[Array, "*neurons"]:
        """The positive-feedback current I_a(I_mem), model current units, shape of `I_mem`."""
        return self.I_a_gain * jax.nn.sigmoid((I_mem - self.I_a_th) / self.I_a_norm)

    def _branches(self, I_mem: ArrayLike, I_ahp: ArrayLike, I_in: ArrayLike) -> dict[str, Array]:
        """The node currents of C·dV_mem/dt (module docstring), model units."""
        return {
            "input": self.I_th * I_in / (I_mem + self.I_th),
            "leak": -self.I_tau + 0 * I_mem,
            "ahp": -I_ahp,
            "feedback": self.feedback(I_mem),
            "floor": self.I_tau * self.I_0 / I_mem,
        }

    def currents(
        self, y: Float[Array, "neurons 2"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """Branch currents into the membrane capacitor, model units, each `(n_neurons,)`.

        Keys `"input"`, `"leak"`, `"ahp"`, `"feedback"`, `"floor"` (module docstring) and
        `"reset"` (the reset switch sinks the rest while the neuron is refractory); they
        sum to C·dV_mem/dt, V_mem = ln(I_mem/I_0) in units of U_t/κ.
        """
        n = self.check_state(y)
        I_in = self.I_dc + external_current(args, (n,), y.dtype)
        out = {k: jnp.broadcast_to(v, (n,)) for k, v in self._branches(y[:, 0], y[:, 1], I_in).items()}
        out["reset"] = jnp.where(refractory(args, (n,)), -sum(out.values()), 0.0)
        return out

    def capacitive_currents(
        self, y: Float[Array, "neurons 2"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """`{"V_mem": C·dV_mem/dt}` with dV_mem/dt = (dI_mem/dt)/I_mem, `(n_neurons,)`:
        every branch flows into the membrane capacitor."""
        return {"V_mem": self.C * self.dynamics(0.0, y, args)[:, 0] / y[:, 0]}

    def branch_node(self, branch: str) -> str:
        """`"V_mem"`, the membrane capacitor, for every branch."""
        return "V_mem"

    def dynamics(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 2"], args: Any = None
    ) -> Float[Array, "neurons 2"]:
        """(dI_mem/dt, dI_ahp/dt) = (I_mem·Σ currents/C, −(I_ahp − I_0)/τ_ahp), `(n_neurons, 2)`.

        While refractory, I_mem is held and I_ahp keeps decaying.
        """
        dI_mem = y[:, 0] * sum(self.currents(y, args).values()) / self.C
        dI_ahp = jnp.broadcast_to(-(y[:, 1] - self.I_0) / self.tau_ahp, dI_mem.shape)
        return jnp.stack([dI_mem, dI_ahp], axis=1)

    def spike_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 2"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """ln(I_mem/I_spk): a spike is an upward crossing of I_spk. Shape `(n_neurons,)`."""
        self.check_state(y)
        return jnp.broadcast_to(jnp.log(y[:, 0] / self.I_spk), y.shape[:1])

    def rearm_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 2"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """The spike condition ln(I_mem/I_spk), shape `(n_neurons,)` (the reset puts I_mem
        below I_spk at once)."""
        return self.spike_condition(t, y, args)

    def reset_spiked(
        self,
        y: Float[Array, "neurons 2"],
        spiked: Bool[ArrayLike, " neurons"] | Float[ArrayLike, " neurons"],
    ) -> Float[Array, "neurons 2"]:
        """I_mem ← I_reset and I_ahp += I_ahp_jump where `spiked` (0/1 floats interpolate);
        shape `(n_neurons, 2)`."""
        n = self.check_state(y)
        s = jnp.broadcast_to(jnp.asarray(spiked, y.dtype), (n,))
        I_mem = s * self.I_reset + (1 - s) * y[:, 0]  # exactly I_reset where s = 1
        I_ahp = y[:, 1] + s * self.I_ahp_jump
        return jnp.stack([I_mem, I_ahp], axis=1)

    @property
    def refractory_period(self) -> Float[Array, "*neurons"]:
        """`t_refr`, model time units."""
        return self.t_refr

    def input_spike(
        self,
        y: Float[Array, "neurons 2"],
        weights: Float[ArrayLike, " neurons"] | Float[ArrayLike, ""],
    ) -> Float[Array, "neurons 2"]:
        """A charge kick w (model charge units C_unit·U_t/κ) on the membrane capacitor:
        V_mem += w/C, so I_mem ← I_mem·e^{w/C}."""
        n = self.check_state(y)
        w = jnp.broadcast_to(jnp.asarray(weights, y.dtype), (n,))
        return y.at[:, 0].multiply(jnp.exp(w / self.C))

    def input_current(self, I: Float[ArrayLike, " neurons"]) -> Float[Array, " neurons"]:
        """`I` itself: a synaptic current enters the DPI's input like I_dc."""
        return jnp.asarray(I, self.dtype)

    def observe(self, y: Float[Array, "neurons 2"]) -> Float[Array, "neurons 2"]:
        """(V_mem, V_ahp) = ln(I/I_0) of both currents, units of U_t/κ, `(n_neurons, 2)`."""
        self.check_state(y)
        return jnp.log(y / jnp.asarray(self.I_0)[..., None])

    def membrane(self, y: Float[Array, "neurons 2"]) -> Float[Array, " neurons"]:
        """V_mem = ln(I_mem/I_0), units of U_t/κ, shape `(n_neurons,)`."""
        return self.observe(y)[:, 0]

    # -- hardware -------------------------------------------------------------------

    def supply_currents(self, y: Float[Array, "neurons 2"]) -> dict[str, Float[Array, " neurons"]]:
        """Currents drawn from the supply in A, each `(n_neurons,)`: the bias generators
        `"tau"` (I_τ), `"threshold"` (I_th), `"refractory"` (I_refr), `"input"` (the DC
        source, max(I_dc, 0)), and the state-dependent branches `"feedback"` (I_a(I_mem))
        and `"ahp"` (I_ahp). The spike-generating inverters are not modelled."""
        n = self.check_state(y)
        I = {"tau": self.I_tau, "threshold": self.I_th, "refractory": self.I_refr,
             "input": jnp.maximum(self.I_dc, 0.0), "feedback": self.feedback(y[:, 0]),
             "ahp": y[:, 1]}
        return {k: jnp.broadcast_to(v * self.I_unit, (n,)) for k, v in I.items()}

    def mismatch(
        self, key: PRNGKeyArray, n_neurons: int, *, sigma_bias: float = 0.1,
        sigma_kappa: float = 0.02,
    ) -> "DPINeuron":
        """`n_neurons` mismatched copies: every bias-generated current (I_tau, I_th, I_dc,
        I_a_gain, I_a_th, I_a_norm, I_ahp_jump, I_spk, I_refr and the adaptation DPI's leak)
        scales with its own log-normal factor exp(σ_bias·ξ); t_refr and τ_ahp scale with
        1/(the factor of their bias). κ_i = r·κ (r = 1 + σ_κ·ξ') shortens the DPIs' time
        constants C·U_t/(κ·I_τ): C → C/r, τ_ahp → τ_ahp/r. I_0 (leakage) and I_reset are
        unchanged, and so are the unit fields (V_mem is read with the nominal κ)."""
        check_positive("sigma_bias", sigma_bias, allow_zero=True)
        check_positive("sigma_kappa", sigma_kappa, allow_zero=True)
        m = self.per_neuron(n_neurons)
        k_bias, k_kappa = jax.random.split(key)
        scaled = ("I_tau", "I_th", "I_dc", "I_a_gain", "I_a_th", "I_a_norm", "I_ahp_jump",
                  "I_spk", "I_refr")
        f = jnp.exp(sigma_bias * jax.random.normal(k_bias, (n_neurons, len(scaled) + 1), m.dtype))
        r = 1.0 + sigma_kappa * jax.random.normal(k_kappa, (n_neurons,), m.dtype)
        new = {k: getattr(m, k) * f[:, i] for i, k in enumerate(scaled)}
        new.update(t_refr=m.t_refr / f[:, scaled.index("I_refr")], C=m.C / r,
                   tau_ahp=m.tau_ahp / (f[:, -1] * r))
        return eqx.tree_at(lambda x: [getattr(x, k) for k in new], m, list(new.values()))

    # -- voltage clamp (felice.analysis) ------------------------------------------------
    #
    # Clamp V_mem = ln(I_mem/I_0); the clamp variable is I_ahp (class "slow"). The clamp
    # current is the DPI input current that holds the node at V_mem, so that an
    # equilibrium at input I_in is a zero of (steady-state curve − I_in).

    def _clamp_input(self, V: ArrayLike, I_ahp: ArrayLike) -> Array:
        """The input current I_in that holds V_mem at V with adaptation I_ahp (model units)."""
        I_mem = self.I_0 * jnp.exp(V)
        b = self._branches(I_mem, I_ahp, 0.0)
        others = b["leak"] + b["ahp"] + b["feedback"] + b["floor"]
        return -others * (I_mem + self.I_th) / self.I_th

    @property
    def input_states(self) -> tuple[str, ...]:
        """`()`: inputs arrive through `I_ext`."""
        return ()

    @property
    def clamp_timescales(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """`(("slow",), (0,))`: I_ahp is slow."""
        return ("slow",), (0,)

    def clamp_range(
        self, I_app: Float[ArrayLike, "*neurons"] | None = None
    ) -> tuple[Float[Array, "*neurons"], Float[Array, "*neurons"]]:
        """(−5, ln(I_spk/I_0)) in units of U_t/κ: from I_mem = e^{−5}·I_0 up to the spike
        threshold; scalars, or one value per neuron `(*neurons,)` like `I_app`."""
        I = self.I_dc if I_app is None else jnp.asarray(I_app, self.dtype)
        return -5.0 + 0 * I, jnp.log(self.I_spk / self.I_0) + 0 * I

    def clamp_split(self, y: Float[Array, " n_state"]) -> tuple[Float[Array, ""], Float[Array, " 1"]]:
        """(V_mem = ln(I_mem/I_0) in units of U_t/κ, (I_ahp,) of shape `(1,)`)."""
        return jnp.log(y[0] / self.I_0), y[1:]

    def clamp_join(self, V: Float[ArrayLike, ""], x: Float[Array, " 1"]) -> Float[Array, " n_state"]:
        """(V_mem, (I_ahp,)) → `(I_0·e^{V_mem}, I_ahp)`."""
        return jnp.concatenate([(self.I_0 * jnp.exp(jnp.asarray(V, x.dtype)))[None], x])

    def clamp_current(
        self, V: Float[ArrayLike, ""], x: Float[Array, " 1"]
    ) -> tuple[Float[Array, ""], Float[Array, " 1"]]:
        """(the input current that holds V_mem at V, residual I_ahp − I_0)."""
        return self._clamp_input(V, x[0]), x - self.I_0

    def clamp_starts(self, V: Float[ArrayLike, ""]) -> Float[Array, "1 1"]:
        """I_ahp at the floor, shape `(1, 1)`: its residual is linear, one root."""
        return jnp.full((1, 1), self.I_0, self.dtype)

    def clamp_args(self, I_app: Float[ArrayLike, "*neurons"]) -> dict[str, Array]:
        """`{"I_ext": I_app − I_dc}`, so that the DPI's total input is I_app."""
        return {"I_ext": jnp.asarray(I_app, self.dtype) - self.I_dc}

    def resting_state(self, n_neurons: int | None = None) -> Float[Array, "neurons 2"]:
        """The lowest equilibrium at I_dc (I_ahp = I_0), or I_mem = I_reset where the neuron
        fires tonically (no equilibrium below the threshold); shape `(n_neurons, 2)`.

        The clamp input minus I_dc is sampled on 256 points in [−10, ln(I_spk/I_0)]; its
        first upward zero crossing is refined by bisection.
        """
        n = self.check_n_neurons(n_neurons or self.population_size() or 1)
        m = self.broadcast_to_neurons(n)
        V = _rest_voltages(m)
        rests = jnp.isfinite(V)
        I_mem = jnp.where(rests, m.I_0 * jnp.exp(jnp.where(rests, V, 0.0)), m.I_reset)
        return jnp.stack([I_mem, m.I_0], axis=1)

    def init_state(self, n_neurons: int) -> Float[Array, "neurons 2"]:
        """The resting state (see `resting_state`), shape `(n_neurons, 2)`."""
        return self.resting_state(n_neurons)


@eqx.filter_jit
def _rest_voltages(m: DPINeuron) -> Float[Array, " neurons"]:
    """V_mem of the lowest equilibrium of each neuron (parameters one per neuron), NaN if none."""

    def one(mi: DPINeuron) -> Array:
        def g(V: Array) -> Array:
            return mi._clamp_input(V, mi.I_0) - mi.I_dc

        grid = jnp.linspace(_V_LOW, jnp.log(mi.I_spk / mi.I_0), 256)
        values = jax.vmap(g)(grid)
        up = (values[:-1] < 0) & (values[1:] >= 0)
        k = jnp.argmax(up)

        def bisect(_, bounds):
            lo, hi = bounds
            mid = 0.5 * (lo + hi)
            below = g(mid) < 0
            return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

        lo, hi = jax.lax.fori_loop(0, 80, bisect, (grid[k], grid[k + 1]))
        V = jax.lax.stop_gradient(0.5 * (lo + hi))
        # One implicit-function step carries the derivatives of the root w.r.t. the parameters.
        V = V - g(V) / jax.lax.stop_gradient(jax.grad(g)(V))
        return jnp.where(jnp.any(up), V, jnp.nan)

    return eqx.filter_vmap(one)(m)
