"""LIF: the analog leaky integrate-and-fire circuit (leak, comparator, reset, refractory period).

Model equations (the only place they are written). A membrane capacitor C is charged by
the applied and synaptic currents and discharged by a subthreshold leak transistor whose
drain is the membrane (source at the reset rail, saturating for V ≫ U_t):

    C·dV/dt = I_app + I_ext − I_leak·(1 − e^{−V})           (V in units of U_t)
    spike when V crosses V_th upwards; then V ← V_reset, held there for t_refr
    an input spike of weight w (a charge, model units C_unit·U_t) kicks V by w/C

Units: one model voltage unit is U_t (25 mV), one current unit is `I_unit` (the leak bias
I_l0, 100 pA by default), one capacitance unit `C_unit` (1 pF), so one time unit is
C_unit·U_t/I_unit (0.25 ms by default). The neuron fires tonically iff I_app > I_leak (the
leak saturates at I_leak); below, it rests at V* = −ln(1 − I_app/I_leak), and its
interspike interval is exactly

    T = t_refr + (C/a)·ln((a·e^{V_th} + I_leak)/(a·e^{V_reset} + I_leak)),   a = I_app − I_leak.

Hardware: the comparator (bias I_cmp) fires the reset; a refractory timer (a capacitor
charged by the bias I_refr, t_refr = C_refr·ΔV/I_refr) holds the reset switch closed for
t_refr. The leak's drain characteristic has slope 1/U_t, so κ enters no equation: it
sets only the gate voltages of the bias transistors. References: C. Mead, "Analog VLSI
and Neural Systems", 1989 (the Axon-Hillock); A. Sourikopoulos et al., "A 4-fJ/spike
artificial neuron in 65 nm CMOS technology", Front. Neurosci. 11:123, 2017.
"""

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import DTypeLike
from jaxtyping import Array, ArrayLike, Bool, Float, PRNGKeyArray

from felice._validation import check_finite, check_positive
from felice.neuron_models._base import (
    AbstractResettingNeuron,
    AbstractSpiceCircuit,
    AbstractVoltageClamp,
    SpiceElement,
    SpiceTopLevel,
    check_float_dtype,
    check_unit_fields,
    external_current,
    is_traced,
    refractory,
)

_N = Float[ArrayLike, "*#neurons"] | Sequence[float]  # lists accepted


def check_below(name: str, x: Any, other: str, y: Any) -> None:
    """Raise `ValueError` unless x < y everywhere (concrete values only)."""
    if not is_traced(x, y) and np.any(np.asarray(x) >= np.asarray(y)):
        raise ValueError(f"{name} must be below {other}, got {name}={np.asarray(x)}, {other}={np.asarray(y)}")


class LIF(AbstractSpiceCircuit, AbstractResettingNeuron, AbstractVoltageClamp):
    """Leaky integrate-and-fire circuit with a saturating subthreshold leak.

    State columns (shape `(n_neurons, 1)`): `V`, the membrane voltage in units of U_t.
    Equations and units in the module docstring.

    Attributes (model units; scalar or one value per neuron):
        C: membrane capacitance (> 0), units of C_unit.
        I_leak: leak bias current I_l0 (> 0), units of I_unit.
        I_app: constant applied current.
        V_th: comparator threshold, units of U_t.
        V_reset: reset voltage (< V_th), units of U_t.
        t_refr: refractory period (≥ 0), model time units.
        I_cmp: comparator bias current (≥ 0; drawn from the supply only).
        I_refr: refractory-timer bias current (≥ 0; drawn from the supply only).
        kappa: subthreshold slope factor in (0, 1] (scalar; enters no equation).
        U_t: thermal voltage in V (scalar): the voltage unit.
        I_unit: amperes per model current unit (scalar).
        C_unit: farads per model capacitance unit (scalar).

    `args["I_ext"]`, if given, is an extra current into the membrane, `(n_neurons,)`.
    """

    C: Float[Array, "*#neurons"]
    I_leak: Float[Array, "*#neurons"]
    I_app: Float[Array, "*#neurons"]
    V_th: Float[Array, "*#neurons"]
    V_reset: Float[Array, "*#neurons"]
    t_refr: Float[Array, "*#neurons"]
    I_cmp: Float[Array, "*#neurons"]
    I_refr: Float[Array, "*#neurons"]
    kappa: Float[Array, ""]
    U_t: Float[Array, ""]
    I_unit: Float[Array, ""]
    C_unit: Float[Array, ""]

    name: ClassVar[str] = "lif"
    spike_kind: ClassVar[Literal["threshold", "fixpoint"]] = "threshold"
    network_synapse: ClassVar[dict[str, Any] | None] = dict(kind="exponential")  # a current-mode synapse onto the membrane
    phase_window: ClassVar[tuple[tuple[float, float], tuple[float, float]] | None] = None  # one state variable: no phase plane
    core_ndim: ClassVar[dict[str, int]] = {}
    unit_fields: ClassVar[tuple[str, ...]] = ("kappa", "U_t", "I_unit", "C_unit")
    circuit_units: ClassVar[dict[str, str]] = dict(
        C_mem="F", I_leak="A", I_app="A", V_th="V", V_reset="V", t_refr="s", I_cmp="A",
        I_refr="A", kappa="", U_t="V", time_unit="s", voltage_unit="V", current_unit="A",
    )
    # "tonic": 1.5 × the rheobase, a regular spike train with refractory periods.
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "default": {},
        "demo": dict(I_app=1.5),
        "tonic": dict(I_app=1.5),
    }
    # Excitable network neurons: at rest (I_app = 0) with a threshold 4 U_t = 100 mV above
    # it, so a few input kicks make a spike; a short refractory period (0.25 ms).
    network_defaults: ClassVar[dict[str, Any]] = dict(V_th=4.0, t_refr=1.0)
    # The leak bias 25 pA-400 pA (at I_unit = 100 pA): always positive, and with I_app = 0
    # the neuron never fires without input.
    trainable_bias: ClassVar[dict[str, tuple[float, float]]] = {"I_leak": (0.25, 4.0)}
    # Trials of 30 time units (7.5 ms); exponential synapses with tau_syn = 2 and initial
    # weights that make a hidden neuron spike a few times per trial; the time-to-first-
    # spike loss (Yin-Yang, 2000 samples, 40 hidden, 10 epochs: 72 % validation accuracy,
    # against 55 % on spike counts and 36 % on membrane maxima, which saturate at V_th).
    training_preset: ClassVar[dict[str, Any]] = dict(
        dt=0.05, t_max=30.0, t_late=10.0, readout="ttfs", readout_gain=1.0,
        condition_scale=1.0, weight_std=(6.0, 6.0), weight_mean=(6.0, 3.0), w_max=10.0,
        tau_syn=2.0, detach_rearm=True,
    )

    def __init__(
        self,
        *,
        C: _N = 1.0,
        I_leak: _N = 1.0,
        I_app: _N = 0.0,
        V_th: _N = 12.0,
        V_reset: _N = 0.0,
        t_refr: _N = 4.0,
        I_cmp: _N = 10.0,
        I_refr: _N = 1.0,
        kappa: Float[ArrayLike, ""] = 0.7,
        U_t: Float[ArrayLike, ""] = 0.025,
        I_unit: Float[ArrayLike, ""] = 100e-12,
        C_unit: Float[ArrayLike, ""] = 1e-12,
        dtype: DTypeLike = jnp.float32,
    ):
        """Build the model in model units (module docstring).

        Defaults (SI at the default units): C = 1 pF, I_leak = 100 pA, V_th = 12 U_t =
        0.3 V, V_reset = 0, t_refr = 4 units = 1 ms, I_cmp = 1 nA, I_refr = 100 pA,
        κ = 0.7, U_t = 25 mV; one time unit is 0.25 ms.

        Raises:
            ValueError: for non-finite values, C ≤ 0, I_leak ≤ 0, t_refr, I_cmp or
                I_refr < 0, V_reset ≥ V_th, κ outside (0, 1], U_t, I_unit or C_unit ≤ 0,
                or a dtype that is not floating.
        """
        check_float_dtype(dtype)
        values = dict(C=C, I_leak=I_leak, I_app=I_app, V_th=V_th, V_reset=V_reset,
                      t_refr=t_refr, I_cmp=I_cmp, I_refr=I_refr)
        for name, value in values.items():
            check_finite(name, value)
        check_positive("C", C)
        check_positive("I_leak", I_leak)
        for name in ("t_refr", "I_cmp", "I_refr"):
            check_positive(name, values[name], allow_zero=True)
        check_below("V_reset", V_reset, "V_th", V_th)
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
        I_leak: _N = 100e-12,
        I_app: _N = 0.0,
        V_th: _N = 0.3,
        V_reset: _N = 0.0,
        t_refr: _N = 1e-3,
        I_cmp: _N = 1e-9,
        I_refr: _N = 100e-12,
        kappa: Float[ArrayLike, ""] = 0.7,
        U_t: Float[ArrayLike, ""] = 0.025,
        dtype: DTypeLike = jnp.float32,
    ) -> "LIF":
        """Build the model from circuit values in SI units.

        Args:
            C_mem: membrane capacitance in F.
            I_leak: leak bias current I_l0 in A (the leak saturates there).
            I_app: applied current in A.
            V_th: comparator threshold in V. V_reset: reset voltage in V.
            t_refr: refractory period in s.
            I_cmp: comparator bias current in A. I_refr: refractory-timer bias in A.
            kappa: subthreshold slope factor in (0, 1]. U_t: thermal voltage in V.
            dtype: floating dtype of the parameters.

        The units are the means of C_mem and I_leak (per-neuron values leave the model's
        C and I_leak around 1) and U_t.

        Raises:
            ValueError: as the constructor, and for C_mem or I_leak ≤ 0.
        """
        check_float_dtype(dtype)
        check_positive("C_mem", C_mem)
        check_positive("I_leak", I_leak)
        check_positive("U_t", U_t)
        C_mem, I_leak = jnp.asarray(C_mem, dtype), jnp.asarray(I_leak, dtype)
        C_unit, I_unit, V_unit = jnp.mean(C_mem), jnp.mean(I_leak), jnp.asarray(U_t, dtype)
        t_unit = C_unit * V_unit / I_unit
        return cls(
            C=C_mem / C_unit, I_leak=I_leak / I_unit, I_app=jnp.asarray(I_app, dtype) / I_unit,
            V_th=jnp.asarray(V_th, dtype) / V_unit, V_reset=jnp.asarray(V_reset, dtype) / V_unit,
            t_refr=jnp.asarray(t_refr, dtype) / t_unit, I_cmp=jnp.asarray(I_cmp, dtype) / I_unit,
            I_refr=jnp.asarray(I_refr, dtype) / I_unit, kappa=kappa, U_t=U_t, I_unit=I_unit,
            C_unit=C_unit, dtype=dtype,
        )

    def to_circuit(self) -> dict[str, Array]:
        """Circuit values in SI units (the arguments of `from_circuit`) and the units."""
        V_unit, t_unit, I_unit = self.voltage_unit, self.time_unit, self.current_unit
        return dict(
            C_mem=self.C * self.C_unit, I_leak=self.I_leak * I_unit, I_app=self.I_app * I_unit,
            V_th=self.V_th * V_unit, V_reset=self.V_reset * V_unit, t_refr=self.t_refr * t_unit,
            I_cmp=self.I_cmp * I_unit, I_refr=self.I_refr * I_unit, kappa=self.kappa,
            U_t=self.U_t, time_unit=t_unit, voltage_unit=V_unit, current_unit=I_unit,
        )

    # -- behavioural netlist (circuits/lif/behavioural.cir) --------------------------

    def behavioural_elements(self) -> SpiceTopLevel:
        """One instance `Xneuron` of the subcircuit `lif` on the membrane node v (volts), with
        the circuit values of one neuron in SI units. The netlist is the circuit without its
        comparator, reset and refractory timer (see the template).

        Raises:
            ValueError: if the model has several neurons.
        """
        c = self.circuit_values()
        params = {k: float(c[k]) for k in ("C_mem", "I_leak", "I_app", "U_t")}
        return SpiceTopLevel((SpiceElement("Xneuron", ("v",), "lif", params),), ("v",), (1.0,))

    def behavioural_scenario(self) -> tuple[Float[Array, "1 1"], float]:
        """From V = V_reset for 100 time units; the comparison ends just after the first
        spike (the netlist has no reset)."""
        return jnp.broadcast_to(self.V_reset, (1, 1)).astype(self.dtype), 100.0

    # -- structure and units ------------------------------------------------------

    @property
    def state_names(self) -> tuple[str, ...]:
        """`("V",)`."""
        return ("V",)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """`()`: one external current per neuron, into the membrane."""
        return ()

    @property
    def voltage_unit(self) -> Float[Array, ""]:
        """Volts per model voltage unit: U_t."""
        return self.U_t

    @property
    def current_unit(self) -> Float[Array, ""]:
        """Amperes per model current unit: `I_unit`."""
        return self.I_unit

    @property
    def time_unit(self) -> Float[Array, ""]:
        """Seconds per model time unit: C_unit·U_t/I_unit."""
        return self.C_unit * self.U_t / self.I_unit

    @property
    def state_scale(self) -> Float[Array, " n_state"]:
        """`(U_t,)`: volts per model unit of V."""
        return self.U_t[None]

    # -- dynamics -----------------------------------------------------------------

    def _rest(self, n: int) -> Float[Array, " neurons"]:
        """V* = −ln(1 − I_app/I_leak) where I_app < I_leak, else V_reset; shape `(n,)`."""
        ratio = self.I_app / self.I_leak
        rests = ratio < 1
        V_star = -jnp.log1p(-jnp.where(rests, ratio, 0.0))  # NaN-free in the unused branch
        return jnp.broadcast_to(jnp.where(rests, V_star, self.V_reset), (n,)).astype(self.dtype)

    def init_state(self, n_neurons: int) -> Float[Array, "neurons 1"]:
        """The resting state (see `resting_state`), shape `(n_neurons, 1)`."""
        return self.resting_state(n_neurons)

    def currents(
        self, y: Float[Array, "neurons 1"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """Branch currents into the membrane, model units, each `(n_neurons,)`; they sum to C·dV/dt.

        Keys: `"app"` (I_app + I_ext), `"leak"` (−I_leak·(1 − e^{−V})) and `"reset"`:
        while a neuron is refractory the reset switch sinks the rest, so V stays put.
        """
        n = self.check_state(y)
        V = y[:, 0]
        out = {
            "app": jnp.broadcast_to(self.I_app + external_current(args, (n,), y.dtype), (n,)),
            "leak": jnp.broadcast_to(-self.I_leak * -jnp.expm1(-V), (n,)),
        }
        held = refractory(args, (n,))
        out["reset"] = jnp.where(held, -(out["app"] + out["leak"]), 0.0)
        return out

    def capacitive_currents(
        self, y: Float[Array, "neurons 1"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """`{"V": C·dV/dt}`, `(n_neurons,)`: every branch flows into the membrane."""
        return {"V": self.C * self.dynamics(0.0, y, args)[:, 0]}

    def branch_node(self, branch: str) -> str:
        """`"V"`, the membrane, for every branch."""
        return "V"

    def dynamics(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 1"], args: Any = None
    ) -> Float[Array, "neurons 1"]:
        """dV/dt = Σ currents / C, shape `(n_neurons, 1)`; 0 while refractory."""
        dV = sum(self.currents(y, args).values()) / self.C
        return dV[:, None]

    def spike_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 1"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """V − V_th, shape `(n_neurons,)`."""
        self.check_state(y)
        return jnp.broadcast_to(y[:, 0] - self.V_th, y.shape[:1])

    def rearm_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 1"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """The spike condition V − V_th (the reset puts V below it at once)."""
        return self.spike_condition(t, y, args)

    def reset_spiked(
        self,
        y: Float[Array, "neurons 1"],
        spiked: Bool[ArrayLike, " neurons"] | Float[ArrayLike, " neurons"],
    ) -> Float[Array, "neurons 1"]:
        """V ← V_reset where `spiked` (0/1 floats interpolate, for surrogate gradients)."""
        n = self.check_state(y)
        s = jnp.broadcast_to(jnp.asarray(spiked, y.dtype), (n,))
        V = y[:, 0]
        return (s * self.V_reset + (1 - s) * V)[:, None]  # exactly V_reset where s = 1

    @property
    def refractory_period(self) -> Float[Array, "*neurons"]:
        """`t_refr`, model time units."""
        return self.t_refr

    def input_spike(
        self,
        y: Float[Array, "neurons 1"],
        weights: Float[ArrayLike, " neurons"] | Float[ArrayLike, ""],
    ) -> Float[Array, "neurons 1"]:
        """A charge kick: V += w/C (w in model charge units, C_unit·U_t)."""
        n = self.check_state(y)
        w = jnp.broadcast_to(jnp.asarray(weights, y.dtype), (n,))
        return y + (w / self.C)[:, None]

    def input_current(self, I: Float[ArrayLike, " neurons"]) -> Float[Array, " neurons"]:
        """`I` itself: a synaptic current flows into the membrane like I_app."""
        return jnp.asarray(I, self.dtype)

    def observe(self, y: Float[Array, "neurons 1"]) -> Float[Array, "neurons 1"]:
        """The membrane voltage V, shape `(n_neurons, 1)`, units of U_t."""
        self.check_state(y)
        return y

    def membrane(self, y: Float[Array, "neurons 1"]) -> Float[Array, " neurons"]:
        """The membrane voltage V, shape `(n_neurons,)`, units of U_t."""
        return self.observe(y)[:, 0]

    # -- hardware -------------------------------------------------------------------

    def supply_currents(self, y: Float[Array, "neurons 1"]) -> dict[str, Float[Array, " neurons"]]:
        """Static bias currents in A, each `(n_neurons,)`: `"leak_bias"` (the generator of
        I_leak), `"comparator"` (I_cmp), `"refractory"` (I_refr) and `"input"` (the
        applied current source, max(I_app, 0)). The charge that the leak and the reset
        switch take off the membrane came from these; spike-rate-dependent switching
        energy (C·V_th per spike) is not counted here."""
        n = self.check_state(y)
        I = {"leak_bias": self.I_leak, "comparator": self.I_cmp, "refractory": self.I_refr,
             "input": jnp.maximum(self.I_app, 0.0)}
        return {k: jnp.broadcast_to(v * self.I_unit, (n,)) for k, v in I.items()}

    def mismatch(
        self, key: PRNGKeyArray, n_neurons: int, *, sigma_bias: float = 0.1,
        sigma_kappa: float = 0.02,
    ) -> "LIF":
        """`n_neurons` mismatched copies: I_leak, I_app, I_cmp and I_refr scale with
        independent log-normal factors exp(σ_bias·ξ), and t_refr with 1/(the factor of
        I_refr) (the timer's capacitor is charged by I_refr). κ enters no equation of
        the LIF, so `sigma_kappa` changes nothing (it is validated and accepted for a
        uniform interface)."""
        check_positive("sigma_bias", sigma_bias, allow_zero=True)
        check_positive("sigma_kappa", sigma_kappa, allow_zero=True)
        m = self.per_neuron(n_neurons)
        f = jnp.exp(sigma_bias * jax.random.normal(key, (n_neurons, 4), m.dtype))
        new = dict(I_leak=m.I_leak * f[:, 0], I_app=m.I_app * f[:, 1], I_cmp=m.I_cmp * f[:, 2],
                   I_refr=m.I_refr * f[:, 3], t_refr=m.t_refr / f[:, 3])
        return eqx.tree_at(lambda x: [getattr(x, k) for k in new], m, list(new.values()))

    # -- voltage clamp (felice.analysis) ------------------------------------------------
    #
    # Clamp V; there are no other variables, so the only curve is the instantaneous
    # one, the leak current I_leak·(1 − e^{−V}).

    @property
    def input_states(self) -> tuple[str, ...]:
        """`()`: the LIF has no input state (synaptic currents arrive through `I_ext`)."""
        return ()

    @property
    def clamp_timescales(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """`((), ())`: V is the only variable."""
        return (), ()

    def clamp_range(
        self, I_app: Float[ArrayLike, "*neurons"] | None = None
    ) -> tuple[Float[Array, "*neurons"], Float[Array, "*neurons"]]:
        """(min(V_reset, 0) − 10, V_th): from far below rest to the threshold (units of U_t)."""
        I = self.I_app if I_app is None else jnp.asarray(I_app, self.dtype)
        low = jnp.minimum(self.V_reset, 0.0) - 10.0 + 0 * I
        return low, self.V_th + 0 * I

    def clamp_split(self, y: Float[Array, " n_state"]) -> tuple[Float[Array, ""], Float[Array, " 0"]]:
        """(V, no variables)."""
        return y[0], y[1:]

    def clamp_join(self, V: Float[ArrayLike, ""], x: Float[Array, " 0"]) -> Float[Array, " n_state"]:
        """V → the state `(V,)`."""
        return jnp.asarray(V, x.dtype)[None]

    def clamp_current(
        self, V: Float[ArrayLike, ""], x: Float[Array, " 0"]
    ) -> tuple[Float[Array, ""], Float[Array, " 0"]]:
        """The leak current I_leak·(1 − e^{−V}) (no I_app); no residuals."""
        return self.I_leak * -jnp.expm1(-jnp.asarray(V, x.dtype)), x

    def clamp_starts(self, V: Float[ArrayLike, ""]) -> Float[Array, "1 0"]:
        """One (empty) start, shape `(1, 0)`."""
        return jnp.zeros((1, 0), self.dtype)

    def clamp_args(self, I_app: Float[ArrayLike, "*neurons"]) -> dict[str, Array]:
        """`{"I_ext": I_app − I_app}` (model current units), so that the total applied
        current is I_app."""
        return {"I_ext": jnp.asarray(I_app, self.dtype) - self.I_app}

    def resting_state(self, n_neurons: int | None = None) -> Float[Array, "neurons 1"]:
        """V* = −ln(1 − I_app/I_leak) where the neuron rests (I_app < I_leak), V_reset where
        it fires tonically; shape `(n_neurons, 1)` (default n: the parameters' size, else 1)."""
        n = self.check_n_neurons(n_neurons or self.population_size() or 1)
        return self._rest(n)[:, None]
