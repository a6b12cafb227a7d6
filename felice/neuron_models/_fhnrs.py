"""FHNRS: the FitzHugh–Nagumo-type membrane circuit of Ribar & Sepulchre.

Model equations (dimensionless units, the only place they are written):

    C·dV/dt      = I_app + I_ext + I_syn − g·(V − E_rev) − Σ_x a_x·tanh(V_x − δ_x)
    τ_x·dV_x/dt  = V − V_x           (τ_x = 0: V_x ≡ V, an instantaneous element)
    dI_syn/dt    = −I_syn/τ_syn       (input spikes add their weight to I_syn)

Circuit mapping (OTAs biased in weak inversion): element x is a transconductance
amplifier with bias current |a_x|·I_unit and output I = ±I_B·tanh(κΔV/(2U_t)), so
one model voltage unit is 2U_t/κ volts; the passive conductance is an OTA with
bias g·I_unit; an element's internal voltage V_x is an OTA-C low-pass filter of V
with τ = 2·C_x·U_t/(κ·I_filter); one model time unit is C_unit·V_unit/I_unit seconds.

Reference: L. Ribar and R. Sepulchre, "Neuromodulation of neuromorphic circuits",
IEEE TCAS-I 66(8):3028–3040, 2019.
"""

from collections.abc import Sequence
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax.typing import DTypeLike
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from felice._validation import check_finite, check_interval, check_positive
from felice.neuron_models._base import (
    AbstractSpiceCircuit,
    AbstractVoltageClamp,
    SpiceElement,
    SpiceTopLevel,
    check_float_dtype,
    check_unit_fields,
    external_current,
)

_TIMESCALE_NAMES = ("slow", "ultraslow")

# An element parameter: one value per element, or per neuron and element; lists accepted.
_PerElement = Float[ArrayLike, "*#neurons elements"] | Sequence[float] | Sequence[Sequence[float]]


def _timescale_class(t: float | np.floating, distinct: list[float]) -> str:
    """Name of the timescale class of τ = t among the distinct positive τ: fast, slow, ultraslow, tau3, ..."""
    if t == 0:
        return "fast"
    rank = distinct.index(float(t))
    return _TIMESCALE_NAMES[rank] if rank < len(_TIMESCALE_NAMES) else f"tau{rank + 1}"


def _element_names(tau: np.ndarray) -> tuple[str, ...]:
    """Default element names from their timescale class: fast, slow, ultraslow, tau3, ..."""
    distinct = sorted({float(t) for t in tau if t > 0})
    names, seen = [], {}
    for t in tau:
        base = _timescale_class(t, distinct)
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return tuple(names)


class FHNRS(AbstractSpiceCircuit, AbstractVoltageClamp):
    """Ribar–Sepulchre membrane with any number of tanh conductance elements.

    State columns (shape `(n_neurons, n_state)`): `V` (membrane voltage), then one
    filtered voltage `V_<name>` per non-instantaneous element, then `I_syn`
    (synaptic current). With the spiking defaults the state is `(V, V_slow, I_syn)`.

    Parameters (dimensionless; scalar or one value per neuron, element parameters
    `a`, `delta`, `tau` with a trailing axis of one value per element):

    Attributes:
        a: element gains a_x (negative: negative conductance), shape `(*neurons, n_el)`.
        delta: element offsets δ_x in model voltage units, shape `(*neurons, n_el)`.
        tau: element timescales τ_x in model time units, 0 for instantaneous,
            shape `(*neurons, n_el)`.
        g: passive conductance (≥ 0).
        E_rev: passive reversal voltage.
        C: membrane capacitance (> 0).
        I_app: constant applied current.
        tau_syn: synaptic decay time (> 0).
        V_th: spike threshold: a spike is an upward crossing of V through V_th.
        kappa: subthreshold slope factor κ of the OTAs, in (0, 1] (scalar).
        U_t: thermal voltage in V (scalar).
        I_unit: amperes per model current unit: the bias of an OTA of gain 1 (scalar).
        C_unit: farads per model capacitance unit (scalar).
        element_names: static names of the elements (default from their timescale).
        instantaneous: static, which elements have τ = 0 (they carry no state).

    `args["I_ext"]`, if given, is an extra applied current broadcastable to `(n_neurons,)`.
    """

    a: Float[Array, "*#neurons elements"]
    delta: Float[Array, "*#neurons elements"]
    tau: Float[Array, "*#neurons elements"]
    g: Float[Array, "*#neurons"]
    E_rev: Float[Array, "*#neurons"]
    C: Float[Array, "*#neurons"]
    I_app: Float[Array, "*#neurons"]
    tau_syn: Float[Array, "*#neurons"]
    V_th: Float[Array, "*#neurons"]
    kappa: Float[Array, ""]
    U_t: Float[Array, ""]
    I_unit: Float[Array, ""]
    C_unit: Float[Array, ""]
    element_names: tuple[str, ...] = eqx.field(static=True)
    instantaneous: tuple[bool, ...] = eqx.field(static=True)

    name: ClassVar[str] = "fhnrs"
    core_ndim: ClassVar[dict[str, int]] = {"a": 1, "delta": 1, "tau": 1}
    unit_fields: ClassVar[tuple[str, ...]] = ("kappa", "U_t", "I_unit", "C_unit")
    circuit_units: ClassVar[dict[str, str]] = dict(
        C="F", I_passive="A", I_B="A", sign="", tau="s", V_offset="V", E_rev="V",
        I_app="A", tau_syn="s", V_th="V", kappa="", U_t="V", element_names="",
        time_unit="s", voltage_unit="V", current_unit="A",
    )
    # The first preset is the one reports use by default: tonic spiking at I_app = 0.3,
    # and Ribar's bursting set at I_app = -1.5; `felice demo` spikes tonically at 0.5.
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "spiking": dict(I_app=0.3),
        "bursting": dict(a=(-2.0, 2.0, -1.5, 1.5), delta=(0.0, 0.0, -1.5, -1.5),
                         tau=(0.0, 50.0, 50.0, 2500.0), I_app=-1.5),
        "default": {},
        "demo": dict(I_app=0.5),
    }
    spike_kind: ClassVar[str] = "threshold"
    phase_window: ClassVar[tuple[tuple[float, float], tuple[float, float]]] = ((-3.0, 3.0),
                                                                               (-3.0, 3.0))
    # An excitable network neuron: rest at V* = I_app = -1.2, outside the fast
    # negative-conductance region |V| < 0.88; a faster slow element (tau_slow = 5) so a
    # spike lasts a few time units; a threshold V_th = 1 on the upstroke.
    network_defaults: ClassVar[dict[str, Any]] = dict(
        I_app=-1.2, tau_syn=2.0, V_th=1.0, a=(-2.0, 2.0), tau=(0.0, 5.0)
    )
    # Its own I_syn column is the synapse: spikes arrive through input_spike.
    network_synapse: ClassVar[dict[str, Any] | None] = None
    # I_app in [-2, -0.5]·I_unit: the leak source sinks 0.5-2 nA at I_unit = 1 nA. Above
    # -0.88 the rest enters the negative-conductance region and the neuron fires
    # tonically; the range keeps it excitable and the sink's bias positive.
    trainable_bias: ClassVar[dict[str, tuple[float, float]]] = {"I_app": (-2.0, -0.5)}
    training_preset: ClassVar[dict[str, Any]] = dict(
        dt=0.25, t_max=30.0, t_late=10.0, readout_gain=2.0, condition_scale=1.0,
        weight_std=(3.0, 3.0), weight_mean=(1.0, 0.5), w_max=10.0, detach_rearm=True,
    )

    def __init__(
        self,
        *,
        a: _PerElement = (-2.0, 2.0),
        delta: _PerElement = (0.0, 0.0),
        tau: _PerElement = (0.0, 50.0),
        g: Float[ArrayLike, "*#neurons"] = 1.0,
        E_rev: Float[ArrayLike, "*#neurons"] = 0.0,
        C: Float[ArrayLike, "*#neurons"] = 1.0,
        I_app: Float[ArrayLike, "*#neurons"] = 0.0,
        tau_syn: Float[ArrayLike, "*#neurons"] = 1.0,
        V_th: Float[ArrayLike, "*#neurons"] = 2.0,
        kappa: Float[ArrayLike, ""] = 0.7,
        U_t: Float[ArrayLike, ""] = 0.025,
        I_unit: Float[ArrayLike, ""] = 1e-9,
        C_unit: Float[ArrayLike, ""] = 1e-12,
        element_names: tuple[str, ...] | None = None,
        instantaneous: tuple[bool, ...] | None = None,
        dtype: DTypeLike = jnp.float32,
    ):
        """Build the model; the defaults are the spiking set of Ribar & Sepulchre.

        Defaults: fast element a = −2, δ = 0, τ = 0; slow element a = +2, δ = 0,
        τ = 50; g = 1, E_rev = 0, C = 1, V_th = 2. With κ = 0.7, U_t = 25 mV,
        I_unit = 1 nA and C_unit = 1 pF one model unit is 71.4 mV and 71.4 µs.

        Raises:
            ValueError: for non-finite values, C ≤ 0, g < 0, τ < 0, τ_syn ≤ 0,
                κ outside (0, 1], U_t ≤ 0, I_unit ≤ 0, C_unit ≤ 0, element
                parameters of inconsistent length, or a dtype that is not floating.
        """
        check_float_dtype(dtype)
        values = dict(a=a, delta=delta, tau=tau, g=g, E_rev=E_rev, C=C, I_app=I_app,
                      tau_syn=tau_syn, V_th=V_th)
        for name, value in values.items():
            check_finite(name, value)
        check_positive("C", C)
        check_positive("g", g, allow_zero=True)
        check_positive("tau", tau, allow_zero=True)
        check_positive("tau_syn", tau_syn)
        check_unit_fields(kappa, U_t, I_unit, C_unit)

        arrays = {k: jnp.asarray(v, dtype) for k, v in values.items()}
        for name in ("a", "delta", "tau"):
            if arrays[name].ndim not in (1, 2):
                raise ValueError(
                    f"{name} must have shape (n_elements,) or (n_neurons, n_elements), "
                    f"got {name}.shape={arrays[name].shape}"
                )
        n_el = {arrays[k].shape[-1] for k in ("a", "delta", "tau")}
        if len(n_el) != 1:
            raise ValueError(
                "a, delta and tau need one value per element, got lengths "
                f"{arrays['a'].shape[-1]}, {arrays['delta'].shape[-1]}, {arrays['tau'].shape[-1]}"
            )
        (n_el,) = n_el

        if instantaneous is None:
            if isinstance(tau, jax.core.Tracer) or isinstance(arrays["tau"], jax.core.Tracer):
                raise ValueError(
                    "tau is traced (inside jit/vmap), so which elements are instantaneous "
                    "cannot be read from it: pass instantaneous=(True, False, ...)"
                )
            tau_np = np.asarray(arrays["tau"]).reshape(-1, n_el)
            zero = tau_np == 0
            mixed = zero.any(axis=0) & ~zero.all(axis=0)
            if mixed.any():
                raise ValueError(
                    f"tau must be 0 for all neurons or none for each element; elements "
                    f"{np.flatnonzero(mixed).tolist()} mix zero and non-zero values: tau={tau_np}"
                )
            instantaneous = tuple(bool(z) for z in zero[0]) if tau_np.shape[0] else (False,) * n_el
            default_tau = tau_np[0] if tau_np.shape[0] else np.ones(n_el)
        else:
            default_tau = np.where(np.asarray(instantaneous), 0.0, np.arange(1, n_el + 1))
        if len(instantaneous) != n_el:
            raise ValueError(f"instantaneous must have {n_el} entries, got {instantaneous!r}")
        if element_names is None:
            element_names = _element_names(default_tau)
        element_names = tuple(element_names)
        if len(element_names) != n_el or len(set(element_names)) != n_el:
            raise ValueError(f"element_names must be {n_el} distinct names, got {element_names!r}")

        self.a = arrays["a"]
        self.delta = arrays["delta"]
        self.tau = arrays["tau"]
        self.g = arrays["g"]
        self.E_rev = arrays["E_rev"]
        self.C = arrays["C"]
        self.I_app = arrays["I_app"]
        self.tau_syn = arrays["tau_syn"]
        self.V_th = arrays["V_th"]
        self.kappa = jnp.asarray(kappa, dtype)
        self.U_t = jnp.asarray(U_t, dtype)
        self.I_unit = jnp.asarray(I_unit, dtype)
        self.C_unit = jnp.asarray(C_unit, dtype)
        self.element_names = element_names
        self.instantaneous = tuple(bool(x) for x in instantaneous)
        self.population_size()  # validates per-neuron shapes

    @classmethod
    def bursting(cls, **overrides: Any) -> "FHNRS":
        """Ribar's bursting set: fast −2 @ 0; slow +2 @ 0 and −1.5 @ −1.5; ultraslow +1.5 @ −1.5.

        τ_slow = 50, τ_ultraslow = 2500. It bursts for I_app ≈ −2 and spikes tonically
        near I_app = 0. Keyword arguments override any constructor argument.
        """
        params = {k: v for k, v in cls.presets["bursting"].items() if k != "I_app"}
        return cls(**{**params, **overrides})

    @classmethod
    def from_circuit(
        cls,
        *,
        C: Float[ArrayLike, "*#neurons"] = 1e-12,
        I_passive: Float[ArrayLike, "*#neurons"] = 1e-9,
        I_B: _PerElement = (2e-9, 2e-9),
        sign: _PerElement = (-1.0, 1.0),
        tau: _PerElement = (0.0, 50 * 0.05e-3 / 0.7),
        V_offset: Float[ArrayLike, "*#neurons elements"] | Sequence[float] = 0.0,
        E_rev: Float[ArrayLike, "*#neurons"] = 0.0,
        I_app: Float[ArrayLike, "*#neurons"] = 0.0,
        tau_syn: Float[ArrayLike, "*#neurons"] = 0.05e-3 / 0.7,
        V_th: Float[ArrayLike, "*#neurons"] = 0.1 / 0.7,
        kappa: Float[ArrayLike, ""] = 0.7,
        U_t: Float[ArrayLike, ""] = 0.025,
        element_names: tuple[str, ...] | None = None,
        dtype: DTypeLike = jnp.float32,
    ) -> "FHNRS":
        """Build the model from circuit values in SI units.

        Args:
            C: membrane capacitance in F.
            I_passive: bias current in A of the OTA that forms the passive conductance
                (g_m = κ·I_passive/(2U_t)).
            I_B: bias current in A of each element's OTA (> 0).
            sign: +1 or −1 per element: the sign of its conductance (−1 for the fast
                negative-conductance element).
            tau: time constant of each element's OTA-C filter in s, 0 for an
                instantaneous element (see `felice.hardware.ota_c_time_constant`).
            V_offset: offset voltage δ of each element in V.
            E_rev: reversal voltage of the passive conductance in V.
            I_app: applied current in A.
            tau_syn: synaptic decay time in s.
            V_th: spike threshold in V.
            kappa: subthreshold slope factor κ in (0, 1] (sets the voltage unit 2U_t/κ).
            U_t: thermal voltage in V (`felice.hardware.thermal_voltage(T)`).
            element_names: optional names of the elements.
            dtype: floating dtype of the parameters.

        The defaults are the hardware twin of `FHNRS()`: 1 pF, 1 nA, κ = 0.7,
        U_t = 25 mV (71.4 µs and 71.4 mV per model unit). With per-neuron C or
        I_passive, the units use their mean and the model's C and g carry the rest.

        Raises:
            ValueError: for non-finite values, C ≤ 0, bias currents ≤ 0, signs other
                than ±1, τ < 0, τ_syn ≤ 0, κ outside (0, 1], U_t ≤ 0 or a dtype that
                is not floating.
        """
        check_float_dtype(dtype)
        for name, value in dict(V_offset=V_offset, E_rev=E_rev, I_app=I_app, V_th=V_th).items():
            check_finite(name, value)
        check_positive("C", C)
        check_positive("I_passive", I_passive)
        check_positive("I_B", I_B)
        check_positive("tau", tau, allow_zero=True)
        check_positive("tau_syn", tau_syn)
        check_interval("kappa", kappa, 0.0, 1.0)
        check_positive("U_t", U_t)
        check_finite("sign", sign)
        sign_np = np.asarray(sign) if not isinstance(sign, jax.core.Tracer) else None
        if sign_np is not None and not np.all(np.abs(sign_np) == 1):
            raise ValueError(f"sign must be +1 or -1 for each element, got sign={sign_np}")

        C = jnp.asarray(C, dtype)
        I_passive = jnp.asarray(I_passive, dtype)
        C_unit = jnp.mean(C)
        I_unit = jnp.mean(I_passive)
        V_unit = 2 * jnp.asarray(U_t, dtype) / jnp.asarray(kappa, dtype)
        t_unit = C_unit * V_unit / I_unit
        I_B, sign = jnp.broadcast_arrays(jnp.asarray(I_B, dtype), jnp.asarray(sign, dtype))
        delta = jnp.broadcast_to(jnp.asarray(V_offset, dtype), I_B.shape) / V_unit
        return cls(
            a=sign * I_B / I_unit,
            delta=delta,
            tau=jnp.asarray(tau, dtype) / t_unit,
            g=I_passive / I_unit,
            E_rev=jnp.asarray(E_rev, dtype) / V_unit,
            C=C / C_unit,
            I_app=jnp.asarray(I_app, dtype) / I_unit,
            tau_syn=jnp.asarray(tau_syn, dtype) / t_unit,
            V_th=jnp.asarray(V_th, dtype) / V_unit,
            kappa=kappa,
            U_t=U_t,
            I_unit=I_unit,
            C_unit=C_unit,
            element_names=element_names,
            # Read from the given τ, so that unit-setting values (C, I_passive) may be traced.
            instantaneous=None if isinstance(tau, jax.core.Tracer)
            else tuple(bool(z) for z in (np.asarray(tau, float).reshape(-1, I_B.shape[-1])[0] == 0)),
            dtype=dtype,
        )

    # -- units ------------------------------------------------------------------

    @property
    def voltage_unit(self) -> Float[Array, ""]:
        """Volts per model voltage unit: 2·U_t/κ."""
        return 2 * self.U_t / self.kappa

    @property
    def current_unit(self) -> Float[Array, ""]:
        """Amperes per model current unit: `I_unit`."""
        return self.I_unit

    @property
    def time_unit(self) -> Float[Array, ""]:
        """Seconds per model time unit: C_unit·V_unit/I_unit."""
        return self.C_unit * self.voltage_unit / self.I_unit

    @property
    def state_scale(self) -> Float[Array, " n_state"]:
        """SI value of one model unit per state column: volts for V and V_x, amperes for I_syn."""
        n_v = self.n_state - 1
        return jnp.concatenate([jnp.full(n_v, self.voltage_unit), self.current_unit[None]])

    def to_circuit(self) -> dict[str, Array]:
        """Circuit values in SI units (the arguments of `from_circuit`) and the units."""
        V_unit, t_unit, I_unit = self.voltage_unit, self.time_unit, self.current_unit
        return dict(
            C=self.C * self.C_unit,
            I_passive=self.g * I_unit,
            I_B=jnp.abs(self.a) * I_unit,
            sign=jnp.where(self.a < 0, -1.0, 1.0).astype(self.a.dtype),
            tau=self.tau * t_unit,
            V_offset=self.delta * V_unit,
            E_rev=self.E_rev * V_unit,
            I_app=self.I_app * I_unit,
            tau_syn=self.tau_syn * t_unit,
            V_th=self.V_th * V_unit,
            kappa=self.kappa,
            U_t=self.U_t,
            time_unit=t_unit,
            voltage_unit=V_unit,
            current_unit=I_unit,
        )

    # -- behavioural netlist (circuits/fhnrs/behavioural.cir) ----------------------

    def behavioural_elements(self) -> SpiceTopLevel:
        """One `fhnrs_membrane`; per element an `fhnrs_element` (input node `v` if it is
        instantaneous, else `v_<name>`, the output of its `fhnrs_filter`); one
        `fhnrs_synapse`, which carries I_syn as the voltage of node `isyn` in units of
        `current_unit`. Parameters in SI units, of one neuron.

        Raises:
            ValueError: if the model has several neurons.
        """
        c = self.circuit_values()
        I_unit = float(self.current_unit)
        shared = dict(kappa=float(c["kappa"]), U_t=float(c["U_t"]))
        membrane = dict(C=float(c["C"]), I_passive=float(c["I_passive"]),
                        E_rev=float(c["E_rev"]), I_app=float(c["I_app"]), **shared)
        elements = [SpiceElement("Xmembrane", ("v",), "fhnrs_membrane", membrane)]
        nodes = ["v"]
        for k, (el, inst) in enumerate(zip(self.element_names, self.instantaneous, strict=True)):
            node_in = "v"
            if not inst:
                node_in = f"v_{el}"
                nodes.append(node_in)
                filter_ = dict(tau=float(c["tau"][k]), C_filter=float(c["C"]))
                elements.append(
                    SpiceElement(f"Xfilter_{el}", ("v", node_in), "fhnrs_filter", filter_)
                )
            element = dict(I_B=float(c["I_B"][k]), sgn_x=float(c["sign"][k]),
                           V_offset=float(c["V_offset"][k]), **shared)
            elements.append(SpiceElement(f"Xel_{el}", ("v", node_in), "fhnrs_element", element))
        synapse = dict(tau_syn=float(c["tau_syn"]), I_unit=I_unit, C_syn=float(c["C"]))
        elements.append(SpiceElement("Xsynapse", ("v", "isyn"), "fhnrs_synapse", synapse))
        nodes.append("isyn")
        return SpiceTopLevel(tuple(elements), tuple(nodes), (1.0,) * (len(nodes) - 1) + (I_unit,))

    def behavioural_scenario(self) -> tuple[Float[Array, "1 n_state"], float]:
        """From `init_state(1)` (rest with every voltage at 0) for 100 time units: it spikes
        when I_app puts its equilibrium in the negative-conductance region."""
        return self.init_state(1), 100.0

    # -- structure --------------------------------------------------------------

    @property
    def state_names(self) -> tuple[str, ...]:
        """`("V", "V_<element>" for each non-instantaneous element..., "I_syn")`."""
        filtered = [f"V_{n}" for n, inst in zip(self.element_names, self.instantaneous) if not inst]
        return ("V", *filtered, "I_syn")

    @property
    def _dynamic(self) -> np.ndarray:
        """Indices of the elements that carry a filtered-voltage state."""
        return np.flatnonzero(~np.asarray(self.instantaneous, dtype=bool))

    # -- dynamics ---------------------------------------------------------------

    def init_state(self, n_neurons: int) -> Float[Array, "neurons n_state"]:
        """Power-up (every voltage and I_syn at 0), kept `START_DISTANCE` off the equilibrium.

        Where the equilibrium V* (see `equilibrium`) lies within `START_DISTANCE` = 0.1
        model voltage units of 0 (−0.1 < V* < 0.1), V starts at V* + 0.1 instead: started
        on an unstable equilibrium (V* = 0 at the default I_app = 0) a neuron would never
        leave it, and its spike-time derivatives would be infinite. Neurons with g = 0
        (no equilibrium bracket) start at 0.

        Returns:
            State of shape `(n_neurons, n_state)`. See `equilibrium` for the resting state.
        """
        n = self.check_n_neurons(n_neurons)
        V_star = self._rest_voltages(n)  # NaN where g = 0: not near
        near = jnp.abs(V_star) < START_DISTANCE
        V0 = jnp.where(near, V_star + START_DISTANCE, 0.0)
        return jnp.zeros((n, self.n_state), self.dtype).at[:, 0].set(V0)

    def _rest_voltages(self, n: int) -> Float[Array, " neurons"]:
        """V* of `n` neurons, shape `(n,)`: solved once per neuron with its own parameters,
        once for all when they are shared (one compilation whatever n)."""
        V_star = _rest_voltage(self.broadcast_to_neurons(self.population_size() or 1))
        return jnp.broadcast_to(V_star, (n,))

    def _element_voltages(self, y: Array) -> Array:
        """Voltage seen by each element, shape `(n_neurons, n_el)`."""
        V = y[:, :1]
        V_x = jnp.broadcast_to(V, (y.shape[0], len(self.instantaneous)))
        dyn = self._dynamic
        if dyn.size:
            V_x = V_x.at[:, dyn].set(y[:, 1 : 1 + dyn.size])
        return V_x

    def currents(
        self, y: Float[Array, "neurons n_state"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """Branch currents into the membrane capacitor, model units, each `(n_neurons,)`.

        Keys: `"app"` (I_app + I_ext), `"syn"`, `"passive"` (−g(V − E_rev)) and one per
        element (−a_x·tanh(V_x − δ_x)); they sum to C·dV/dt.
        """
        self.check_state(y)
        V = y[:, 0]
        element = -self.a * jnp.tanh(self._element_voltages(y) - self.delta)
        out = {
            "app": self.I_app + external_current(args, V.shape, V.dtype),
            "syn": y[:, -1],
            "passive": -self.g * (V - self.E_rev),
        }
        for k, name in enumerate(self.element_names):
            out[name] = element[:, k]
        return {k: jnp.broadcast_to(v, V.shape) for k, v in out.items()}

    def capacitive_currents(
        self, y: Float[Array, "neurons n_state"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """`{"V": C·dV/dt}`, `(n_neurons,)`: every branch flows into the membrane (the
        OTA-C filters of the elements are not described by branch currents)."""
        return {"V": self.C * self.dynamics(0.0, y, args)[:, 0]}

    def branch_node(self, branch: str) -> str:
        """`"V"`, the membrane, for every branch."""
        return "V"

    def dynamics(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, "neurons n_state"]:
        """dy/dt in model units, shape `(n_neurons, n_state)` (equations in the module docstring)."""
        self.check_state(y)
        V = y[:, 0]
        dV = sum(self.currents(y, args).values()) / self.C
        dyn = self._dynamic
        tau_dyn = jnp.broadcast_to(self.tau, (y.shape[0], self.a.shape[-1]))[:, dyn]
        dV_x = (V[:, None] - y[:, 1 : 1 + dyn.size]) / tau_dyn
        dI_syn = -y[:, -1] / self.tau_syn
        dI_syn = jnp.broadcast_to(dI_syn, V.shape)
        return jnp.concatenate([dV[:, None], dV_x, dI_syn[:, None]], axis=1)

    def spike_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """V − V_th: a spike is an upward crossing of the threshold. Shape `(n_neurons,)`."""
        self.check_state(y)
        return jnp.broadcast_to(y[:, 0] - self.V_th, y.shape[:1])

    def input_spike(
        self,
        y: Float[Array, "neurons n_state"],
        weights: Float[ArrayLike, " neurons"] | Float[ArrayLike, ""],
    ) -> Float[Array, "neurons n_state"]:
        """Add each neuron's input weight (model current units) to its synaptic current."""
        self.check_state(y)
        return y.at[:, -1].add(jnp.broadcast_to(jnp.asarray(weights, y.dtype), y.shape[:1]))

    @property
    def input_shape(self) -> tuple[int, ...]:
        """`()`: one external current per neuron, into the membrane."""
        return ()

    def rearm_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """The spike condition V − V_th: the threshold must be crossed from below again."""
        return self.spike_condition(t, y, args)

    def input_current(self, I: Float[ArrayLike, " neurons"]) -> Float[Array, " neurons"]:
        """`I` itself: a synaptic current flows into the membrane like I_app."""
        return jnp.asarray(I, self.dtype)

    def membrane(self, y: Float[Array, "neurons n_state"]) -> Float[Array, " neurons"]:
        """The membrane voltage V, shape `(n_neurons,)`, model voltage units."""
        return self.observe(y)[:, 0]

    def supply_currents(self, y: Float[Array, "neurons n_state"]) -> dict[str, Float[Array, " neurons"]]:
        """Static bias currents in A, each `(n_neurons,)`: `"passive"` (the passive
        conductance's OTA, g·I_unit) and `"elements"` (Σ_x |a_x|·I_unit).

        Weak-inversion OTAs draw their bias from the rail whatever the state; the
        OTA-C filters of the slow elements are not modelled (their bias is not a
        model parameter).
        """
        n = self.check_state(y)
        return {
            "passive": jnp.broadcast_to(self.g * self.I_unit, (n,)),
            "elements": jnp.broadcast_to(jnp.sum(jnp.abs(self.a), axis=-1) * self.I_unit, (n,)),
        }

    def mismatch(
        self, key: PRNGKeyArray, n_neurons: int, *, sigma_bias: float = 0.1,
        sigma_kappa: float = 0.02,
    ) -> "FHNRS":
        """`n_neurons` mismatched copies: the element biases |a_x|, the passive bias g and
        the applied current I_app scale with log-normal factors exp(σ_bias·ξ); a
        per-neuron κ_i = r·κ (r = 1 + σ_κ·ξ') scales every OTA's tanh argument and
        transconductance by r. In the rescaled voltage W = r·V the model is again an
        FHNRS with C/r, τ_x/r, r·δ_x, r·E_rev and r·V_th, which is how it is applied
        (the unit fields stay those of the nominal κ)."""
        check_positive("sigma_bias", sigma_bias, allow_zero=True)
        check_positive("sigma_kappa", sigma_kappa, allow_zero=True)
        m = self.per_neuron(n_neurons)
        k_bias, k_kappa = jax.random.split(key)
        dtype = m.dtype
        r = 1.0 + sigma_kappa * jax.random.normal(k_kappa, (n_neurons,), dtype)
        bias = jnp.exp(sigma_bias * jax.random.normal(k_bias, (n_neurons, m.a.shape[-1] + 2), dtype))
        new = dict(
            a=m.a * bias[:, :-2], g=m.g * bias[:, -2], I_app=m.I_app * bias[:, -1], C=m.C / r,
            tau=m.tau / r[:, None], delta=m.delta * r[:, None], E_rev=m.E_rev * r, V_th=m.V_th * r,
        )
        return eqx.tree_at(lambda x: [getattr(x, k) for k in new], m, list(new.values()))

    def observe(self, y: Float[Array, "neurons n_state"]) -> Float[Array, "neurons 1"]:
        """The membrane voltage V, shape `(n_neurons, 1)`, model voltage units."""
        self.check_state(y)
        return y[:, :1]

    # -- rest -------------------------------------------------------------------

    def _outward_current(self, V: ArrayLike, V_x: ArrayLike) -> Array:
        """g(V − E_rev) + Σ_x a_x tanh(V_x − δ_x): the membrane current without inputs."""
        return self.g * (V - self.E_rev) + jnp.sum(self.a * jnp.tanh(V_x - self.delta), axis=-1)

    def steady_state_current(self, V: Float[ArrayLike, "*neurons"]) -> Float[Array, "*neurons"]:
        """Net outward current g(V − E_rev) + Σ a_x tanh(V − δ_x) − I_app with every element at V.

        Zero at an equilibrium (the steady-state I–V curve minus the applied current).
        """
        V = jnp.asarray(V, self.dtype)
        return self._outward_current(V, V[..., None]) - self.I_app

    def equilibrium(self, n_neurons: int | None = None) -> Float[Array, "neurons n_state"]:
        """Resting state: the root of the steady-state current, found by bisection.

        Every filtered voltage equals V* and I_syn = 0. The bracket
        `E_rev + (I_app ± Σ|a|)/g` always contains a root; where the steady-state I–V
        curve is not monotone (several equilibria) one of them is returned.

        Args:
            n_neurons: population size (default: the parameters' size, else 1).

        Returns:
            State of shape `(n_neurons, n_state)`.

        Raises:
            ValueError: if g = 0 (no bracket exists).
        """
        if n_neurons is None:
            n_neurons = self.population_size() or 1
        n = self.check_n_neurons(n_neurons)
        check_positive("g", self.g)
        V_star = self._rest_voltages(n)
        y = jnp.broadcast_to(V_star[:, None], (n, self.n_state))
        return y.at[:, -1].set(0.0)

    # -- voltage clamp (felice.analysis) ------------------------------------------
    #
    # Clamp V; the clamp variables are the voltages V_x seen by every element
    # (instantaneous ones included, so that the instantaneous curve can hold them at
    # rest), each of class "its τ": 0 → fast, then slow, ultraslow, ... I_syn is an
    # input, held at 0.

    @property
    def input_states(self) -> tuple[str, ...]:
        """`("I_syn",)`: the synaptic current is an input, held at 0 by the analysis."""
        return ("I_syn",)

    @property
    def clamp_timescales(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Classes of the element voltages by τ (fast = 0, then slow, ultraslow, tau3, ...).

        The classes come from the values of `tau`, which must order the elements the
        same way for every neuron. Where `tau` is traced (inside `jit`) they are read
        from the default element names instead.

        Raises:
            ValueError: if neurons order their elements differently, or if `tau` is
                traced and the element names are not the default timescale names.
        """
        n_el = len(self.instantaneous)
        if isinstance(self.tau, jax.core.Tracer):
            bases = [name.split("_")[0] for name in self.element_names]
            order = ["fast", *_TIMESCALE_NAMES]
            known = all(b in order or (b.startswith("tau") and b[3:].isdigit()) for b in bases)
            if not known:
                raise ValueError(
                    "tau is traced, so the timescale classes of the elements must be read from "
                    f"their names, but element_names={self.element_names!r} are not timescale "
                    "names: call the analysis outside jit, or keep the default element names"
                )
            key = {b: order.index(b) if b in order else int(b[3:]) for b in set(bases)}
            names = tuple(sorted(set(bases), key=key.__getitem__))
            return names, tuple(names.index(b) for b in bases)
        tau = np.asarray(self.tau).reshape(-1, n_el)
        ranks = {tuple(np.unique(row, return_inverse=True)[1].tolist()) for row in tau}
        if len(ranks) != 1:
            raise ValueError(
                f"the timescale classes of the elements differ between neurons: tau={tau}"
            )
        distinct = sorted({float(t) for t in tau[0] if t > 0})
        values = sorted(set(tau[0].tolist()))
        names = tuple(_timescale_class(t, distinct) for t in values)
        return names, ranks.pop()

    def clamp_range(
        self, I_app: Float[ArrayLike, "*neurons"] | None = None
    ) -> tuple[Float[Array, "*neurons"], Float[Array, "*neurons"]]:
        """E_rev + I/g ± (Σ|a_x|/g + 1) for applied current I (default I_app): holds every equilibrium.

        Model voltage units; `(low, high)`, each of shape `(*neurons,)` like `I_app`.
        """
        I = self.I_app if I_app is None else jnp.asarray(I_app, self.dtype)
        centre = self.E_rev + I / self.g
        span = jnp.sum(jnp.abs(self.a), axis=-1) / self.g + 1.0
        return centre - span, centre + span

    def clamp_split(self, y: Float[Array, " n_state"]) -> tuple[Float[Array, ""], Float[Array, " n_el"]]:
        """(V, voltage seen by each element) of a single neuron's state."""
        return y[0], self._element_voltages(y[None])[0]

    def clamp_join(self, V: Float[ArrayLike, ""], x: Float[Array, " n_el"]) -> Float[Array, " n_state"]:
        """(V, element voltages) → state (V, filtered voltages, I_syn = 0)."""
        V = jnp.asarray(V, x.dtype)
        return jnp.concatenate([V[None], x[self._dynamic], jnp.zeros(1, x.dtype)])

    def clamp_current(
        self, V: Float[ArrayLike, ""], x: Float[Array, " n_el"]
    ) -> tuple[Float[Array, ""], Float[Array, " n_el"]]:
        """I = g(V − E_rev) + Σ a_x tanh(V_x − δ_x) (no I_app, I_syn = 0); residuals V − V_x."""
        return self._outward_current(V, x), V - x

    def clamp_starts(self, V: Float[ArrayLike, ""]) -> Float[Array, "1 n_el"]:
        """Every element at V: the steady state is unique (the residuals are linear)."""
        return jnp.full((1, len(self.instantaneous)), V, self.dtype)

    def clamp_args(self, I_app: Float[ArrayLike, "*neurons"]) -> dict[str, Array]:
        """`{"I_ext": I_app − I_app}`, so that the total applied current is I_app.

        Model current units; `I_app` is a scalar or one value per neuron `(*neurons,)`.
        """
        return {"I_ext": jnp.asarray(I_app, self.dtype) - self.I_app}

    def resting_state(self, n_neurons: int | None = None) -> Float[Array, "neurons n_state"]:
        """`equilibrium(n_neurons)`."""
        return self.equilibrium(n_neurons)


START_DISTANCE = 0.1
"""The least distance in V between `FHNRS.init_state` and the equilibrium, model voltage units."""


@eqx.filter_jit
def _rest_voltage(model: FHNRS) -> Float[Array, " neurons"]:
    """V* of each neuron (one value per neuron in every parameter): the root of the
    steady-state current by bisection in `E_rev + (I_app ± Σ|a|)/g`; NaN where g = 0."""
    eps = float(jnp.finfo(model.dtype).eps)

    def solve(m: FHNRS) -> Array:
        has_g = m.g > 0
        m = eqx.tree_at(lambda m: m.g, m, jnp.where(has_g, m.g, 1.0))  # keeps a bracket
        span = jnp.sum(jnp.abs(m.a)) / m.g + 1.0
        centre = m.E_rev + m.I_app / m.g
        # Normalised by the size of its terms, so rounding cannot keep |f| above atol.
        size = jnp.sum(jnp.abs(m.a)) + m.g * (jnp.abs(centre) + span) + jnp.abs(m.I_app)
        sol = optx.root_find(
            lambda V, _: m.steady_state_current(V) / size,
            optx.Bisection(rtol=eps, atol=16 * eps),
            centre,
            options=dict(lower=centre - span, upper=centre + span),
            max_steps=256,
        )
        return jnp.where(has_g, sol.value, jnp.nan)

    return eqx.filter_vmap(solve)(model)
