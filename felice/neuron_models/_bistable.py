"""What WereRabbit and Boomerang share: two capacitor nodes (u, v), a subthreshold
exponential transistor law, fixpoint spikes and the same hardware parameters.

Hardware mapping (both models): the node voltages u, v are in volts, currents are
in units of I_bias and one model time unit is C/I_bias seconds, so that

    α = I_n0/I_bias,   β = κ/U_t,   and   C·du/dt = I_bias·(du/dτ).

Fixpoint spike condition (evaluated per neuron, rms over its two state variables):

    g(y) = spike_atol + spike_rtol·rms(y) − rms(f(y))

A spike is an upward zero crossing of g: the trajectory arrives at a fixpoint.
"""

import abc
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from equinox import AbstractClassVar
from jax.typing import DTypeLike
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from felice._roots import newton_from_starts, stability_kind
from felice._validation import check_finite, check_interval, check_positive
from felice.neuron_models._base import (
    AbstractSpiceCircuit,
    AbstractVoltageClamp,
    SpiceElement,
    SpiceTopLevel,
    check_float_dtype,
    external_current,
)

_HARDWARE_DEFAULTS = dict(C=0.1e-12, I_bias=100e-12, I_n0=1.29e-12, kappa=0.39, U_t=0.025)


def _rms(x: Array) -> Array:
    """Root mean square over the last axis, with a zero (not NaN) gradient at x = 0.

    Scaled by max|x|, so that it is finite wherever x is (squares of float32 currents
    overflow from 1.8e19 on)."""
    scale = jax.lax.stop_gradient(jnp.max(jnp.abs(x), axis=-1, keepdims=True))
    scale = jnp.where((scale > 0) & jnp.isfinite(scale), scale, 1.0)
    ms = jnp.mean((x / scale) ** 2, axis=-1)
    positive = ms > 0
    return scale[..., 0] * jnp.where(positive, jnp.sqrt(jnp.where(positive, ms, 1.0)), 0.0)


class AbstractBistableCircuit(AbstractSpiceCircuit, AbstractVoltageClamp):
    """Base of the two-node bistable circuits with fixpoint spikes (see module docstring).

    State columns: `u`, `v` (node voltages in V), shape `(n_neurons, 2)`.
    `args["I_ext"]`, if given, is an external current into (u, v) in units of I_bias,
    broadcastable to `(n_neurons, 2)`.

    The exponentials e^{βu}, e^{βv} are not capped: float32 and float64 agree until
    float32 overflows at βu > 88.7 (5.69 V with the default β), where the currents
    become infinite and `felice.simulate` reports NONFINITE.

    Attributes:
        alpha: α = I_n0/I_bias (> 0).
        beta: β = κ/U_t in 1/V (> 0).
        gamma: γ, the drain-voltage (Early) coefficient in 1/V.
        rho: ρ, steepness of the moon phase z = tanh(ρ·Δ) in 1/V (> 0).
        sigma: σ, sets the distance between the two fixpoints.
        spike_atol, spike_rtol: tolerances of the fixpoint spike condition (> 0).
        rearm_factor: a neuron that has spiked re-arms once rms(f) exceeds this
            multiple of the tolerance (> 1; see `rearm_condition`).
        w_u, w_v: how far an input spike of weight 1 moves u and v, in V.
        C: node capacitance in F (scalar; sets the time unit C/I_bias).
        I_bias: bias current in A (scalar; the current unit).
        U_t: thermal voltage in V (scalar; κ = β·U_t).
    """

    alpha: Float[Array, "*#neurons"]
    beta: Float[Array, "*#neurons"]
    gamma: Float[Array, "*#neurons"]
    rho: Float[Array, "*#neurons"]
    sigma: Float[Array, "*#neurons"]
    spike_atol: Float[Array, "*#neurons"]
    spike_rtol: Float[Array, "*#neurons"]
    rearm_factor: Float[Array, "*#neurons"]
    w_u: Float[Array, "*#neurons"]
    w_v: Float[Array, "*#neurons"]
    C: Float[Array, ""]
    I_bias: Float[Array, ""]
    U_t: Float[Array, ""]

    core_ndim: ClassVar[dict[str, int]] = {}
    unit_fields: ClassVar[tuple[str, ...]] = ("C", "I_bias", "U_t")
    circuit_units: ClassVar[dict[str, str]] = dict(
        C="F", I_bias="A", I_n0="A", kappa="", U_t="V", gamma="1/V", rho="1/V", sigma="",
        spike_atol="", spike_rtol="", rearm_factor="", w_u="V", w_v="V", time_unit="s", voltage_unit="V",
        current_unit="A",
    )
    presets: ClassVar[dict[str, dict[str, Any]]] = {"default": {}}
    spike_kind: ClassVar[str] = "fixpoint"
    _defaults: AbstractClassVar[dict[str, float]]

    def __init__(
        self,
        *,
        alpha: Float[ArrayLike, "*#neurons"] | None = None,
        beta: Float[ArrayLike, "*#neurons"] | None = None,
        gamma: Float[ArrayLike, "*#neurons"] | None = None,
        rho: Float[ArrayLike, "*#neurons"] | None = None,
        sigma: Float[ArrayLike, "*#neurons"] | None = None,
        spike_atol: Float[ArrayLike, "*#neurons"] | None = None,
        spike_rtol: Float[ArrayLike, "*#neurons"] | None = None,
        rearm_factor: Float[ArrayLike, "*#neurons"] = 50.0,
        w_u: Float[ArrayLike, "*#neurons"] = 0.5,
        w_v: Float[ArrayLike, "*#neurons"] = -0.5,
        C: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["C"],
        I_bias: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["I_bias"],
        U_t: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["U_t"],
        dtype: DTypeLike = jnp.float32,
    ):
        """Build the model from dimensionless parameters (None: the model's default).

        Raises:
            ValueError: for non-finite values, α ≤ 0, β ≤ 0, ρ ≤ 0, tolerances ≤ 0,
                rearm_factor ≤ 1, C ≤ 0, I_bias ≤ 0, U_t ≤ 0, κ = β·U_t outside (0, 1],
                or a dtype that is not floating.
        """
        check_float_dtype(dtype)
        given = dict(alpha=alpha, beta=beta, gamma=gamma, rho=rho, sigma=sigma, spike_atol=spike_atol, spike_rtol=spike_rtol)
        values = {k: self._defaults[k] if v is None else v for k, v in given.items()}
        values.update(rearm_factor=rearm_factor, w_u=w_u, w_v=w_v)
        for name, value in values.items():
            check_finite(name, value)
        for name in ("alpha", "beta", "rho", "spike_atol", "spike_rtol"):
            check_positive(name, values[name])
        check_interval("rearm_factor", rearm_factor, 1.0, np.inf)
        check_positive("C", C)
        check_positive("I_bias", I_bias)
        check_positive("U_t", U_t)
        _check_kappa(values["beta"], U_t)
        for name, value in values.items():
            setattr(self, name, jnp.asarray(value, dtype))
        self.C = jnp.asarray(C, dtype)
        self.I_bias = jnp.asarray(I_bias, dtype)
        self.U_t = jnp.asarray(U_t, dtype)
        self.population_size()  # validates per-neuron shapes

    @classmethod
    def from_circuit(
        cls,
        *,
        C: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["C"],
        I_bias: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["I_bias"],
        I_n0: Float[ArrayLike, "*#neurons"] = _HARDWARE_DEFAULTS["I_n0"],
        kappa: Float[ArrayLike, "*#neurons"] = _HARDWARE_DEFAULTS["kappa"],
        U_t: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["U_t"],
        gamma: Float[ArrayLike, "*#neurons"] | None = None,
        rho: Float[ArrayLike, "*#neurons"] | None = None,
        sigma: Float[ArrayLike, "*#neurons"] | None = None,
        spike_atol: Float[ArrayLike, "*#neurons"] | None = None,
        spike_rtol: Float[ArrayLike, "*#neurons"] | None = None,
        rearm_factor: Float[ArrayLike, "*#neurons"] = 50.0,
        w_u: Float[ArrayLike, "*#neurons"] = 0.5,
        w_v: Float[ArrayLike, "*#neurons"] = -0.5,
        dtype: DTypeLike = jnp.float32,
    ) -> "AbstractBistableCircuit":
        """Build the model from circuit values in SI units.

        Args:
            C: node capacitance in F.
            I_bias: bias current in A (also sets I_a = σ·I_bias).
            I_n0: specific current of the exponential nFETs in A.
            kappa: subthreshold slope factor κ in (0, 1].
            U_t: thermal voltage in V (`felice.hardware.thermal_voltage(T)`).
            gamma, rho: in 1/V; sigma, spike_atol, spike_rtol dimensionless; None: model default.
            rearm_factor: re-arming hysteresis of the fixpoint spikes (> 1).
            w_u, w_v: input kick per unit weight in V.
            dtype: floating dtype of the parameters.

        Defaults: C = 0.1 pF, I_bias = 100 pA, I_n0 = 1.29 pA, κ = 0.39, U_t = 25 mV,
        i.e. α = 0.0129 and β = 15.6 /V, the dimensionless defaults; one model time
        unit is then 1 ms.

        Raises:
            ValueError: for non-finite values, C ≤ 0, bias currents ≤ 0, κ outside
                (0, 1], U_t ≤ 0, tolerances ≤ 0 or a dtype that is not floating.
        """
        check_float_dtype(dtype)
        check_positive("C", C)
        check_positive("I_bias", I_bias)
        check_positive("I_n0", I_n0)
        check_interval("kappa", kappa, 0.0, 1.0)
        check_positive("U_t", U_t)
        I_bias_ = jnp.asarray(I_bias, dtype)
        return cls(
            alpha=jnp.asarray(I_n0, dtype) / I_bias_,
            beta=jnp.asarray(kappa, dtype) / jnp.asarray(U_t, dtype),
            gamma=gamma,
            rho=rho,
            sigma=sigma,
            spike_atol=spike_atol,
            spike_rtol=spike_rtol,
            rearm_factor=rearm_factor,
            w_u=w_u,
            w_v=w_v,
            C=C,
            I_bias=I_bias,
            U_t=U_t,
            dtype=dtype,
        )

    # -- units ------------------------------------------------------------------

    @property
    def time_unit(self) -> Float[Array, ""]:
        """Seconds per model time unit: C/I_bias."""
        return self.C / self.I_bias

    @property
    def voltage_unit(self) -> Float[Array, ""]:
        """Volts per model voltage unit: 1 (u and v are in volts)."""
        return jnp.ones((), self.dtype)

    @property
    def current_unit(self) -> Float[Array, ""]:
        """Amperes per model current unit: I_bias."""
        return self.I_bias

    @property
    def state_scale(self) -> Float[Array, " 2"]:
        """SI value of one model unit of (u, v): volts."""
        return jnp.ones(2, self.dtype)

    @property
    def kappa(self) -> Float[Array, "*neurons"]:
        """Subthreshold slope factor κ = β·U_t, scalar or `(n_neurons,)` like β."""
        return self.beta * self.U_t

    def to_circuit(self) -> dict[str, Array]:
        """Circuit values in SI units (the arguments of `from_circuit`) and the units."""
        return dict(
            C=self.C,
            I_bias=self.I_bias,
            I_n0=self.alpha * self.I_bias,
            kappa=self.kappa,
            U_t=self.U_t,
            gamma=self.gamma,
            rho=self.rho,
            sigma=self.sigma,
            spike_atol=self.spike_atol,
            spike_rtol=self.spike_rtol,
            rearm_factor=self.rearm_factor,
            w_u=self.w_u,
            w_v=self.w_v,
            time_unit=self.time_unit,
            voltage_unit=self.voltage_unit,
            current_unit=self.current_unit,
        )

    # -- behavioural netlist (circuits/<name>/behavioural.cir) ---------------------

    def behavioural_elements(self) -> SpiceTopLevel:
        """One instance `Xneuron` of the subcircuit `<name>` on the nodes u and v (volts),
        with the circuit values of one neuron in SI units.

        Raises:
            ValueError: if the model has several neurons.
        """
        c = self.circuit_values()
        keys = ("C", "I_bias", "I_n0", "kappa", "U_t", "gamma", "rho", "sigma")
        params = {k: float(c[k]) for k in keys}
        return SpiceTopLevel((SpiceElement("Xneuron", ("u", "v"), self.name, params),),
                             ("u", "v"), (1.0, 1.0))

    def behavioural_scenario(self) -> tuple[Float[Array, "1 2"], float]:
        """From the u > v fixpoint kicked by an input of weight −0.4, for 60 time units:
        the trajectory arrives at a fixpoint."""
        return self.input_spike(self.init_state(1), -0.4), 60.0

    # -- dynamics ---------------------------------------------------------------

    @property
    def state_names(self) -> tuple[str, ...]:
        """`("u", "v")`."""
        return ("u", "v")

    @abc.abstractmethod
    def _branch_currents(self, u: Array, v: Array) -> dict[str, Array]:
        """The model's equations: branch currents into node u (`*_u`) and v (`*_v`)."""

    def currents(
        self, y: Float[Array, "neurons 2"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """Branch currents into the two nodes in units of I_bias, each `(n_neurons,)`.

        Keys ending in `_u` sum to du/dτ and those ending in `_v` to dv/dτ; `ext_u`
        and `ext_v` are the external input currents (0 without `args["I_ext"]`).
        """
        self.check_state(y)
        out = self._branch_currents(y[:, 0], y[:, 1])
        I_ext = jnp.broadcast_to(external_current(args, y.shape, y.dtype), y.shape)
        out["ext_u"], out["ext_v"] = I_ext[:, 0], I_ext[:, 1]
        return {k: jnp.broadcast_to(v, y.shape[:1]) for k, v in out.items()}

    def capacitive_currents(
        self, y: Float[Array, "neurons 2"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """`{"u": du/dτ, "v": dv/dτ}`: both nodes have the capacitance C of the time unit C/I_bias."""
        f = self.dynamics(0.0, y, args)
        return {"u": f[:, 0], "v": f[:, 1]}

    def branch_node(self, branch: str) -> str:
        """`"u"` for the branches ending in `_u`, `"v"` for those ending in `_v`."""
        return branch.rsplit("_", 1)[-1]

    def dynamics(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 2"], args: Any = None
    ) -> Float[Array, "neurons 2"]:
        """(du/dτ, dv/dτ), shape `(n_neurons, 2)`."""
        currents = self.currents(y, args)
        du = sum(v for k, v in currents.items() if k.endswith("_u"))
        dv = sum(v for k, v in currents.items() if k.endswith("_v"))
        return jnp.stack([du, dv], axis=1)

    def spike_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 2"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """g(y) = spike_atol + spike_rtol·rms(y) − rms(f(y)) per neuron: positive near a fixpoint."""
        f = self.dynamics(t, y, args)
        return self.spike_atol + self.spike_rtol * _rms(y) - _rms(f)

    def rearm_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons 2"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """rearm_factor·(spike_atol + spike_rtol·rms(y)) − rms(f(y)): negative once a neuron has clearly left.

        A hysteresis: while a trajectory spirals into a focus, rms(f) oscillates by the
        condition number of the Jacobian (about 7 for WereRabbit, 4 for Boomerang) and
        would otherwise report one arrival several times. Input kicks re-arm a neuron
        by the spike condition alone (see `felice.simulate`).
        """
        f = self.dynamics(t, y, args)
        return self.rearm_factor * (self.spike_atol + self.spike_rtol * _rms(y)) - _rms(f)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """`(2,)`: external currents into u and v."""
        return (2,)

    def input_spike(
        self,
        y: Float[Array, "neurons 2"],
        weights: Float[ArrayLike, " neurons"] | Float[ArrayLike, ""],
    ) -> Float[Array, "neurons 2"]:
        """Kick each neuron: u += w·w_u, v += w·w_v (volts)."""
        self.check_state(y)
        w = jnp.broadcast_to(jnp.asarray(weights, y.dtype), y.shape[:1])
        kick = jnp.stack(jnp.broadcast_arrays(w * self.w_u, w * self.w_v), axis=1)
        return y + kick

    def input_current(self, I: Float[ArrayLike, " neurons"]) -> Float[Array, "neurons 2"]:
        """(w_u·I, w_v·I): a synaptic current charges u and discharges v (w_u = 0.5,
        w_v = −0.5 by default), in the direction of an input kick. Shape `(n_neurons, 2)`."""
        I = jnp.asarray(I, self.dtype)
        return jnp.stack(jnp.broadcast_arrays(self.w_u * I, self.w_v * I), axis=-1)

    def membrane(self, y: Float[Array, "neurons 2"]) -> Float[Array, " neurons"]:
        """u − v in V, shape `(n_neurons,)`: its sign says which fixpoint a neuron is at."""
        self.check_state(y)
        return y[:, 0] - y[:, 1]

    @abc.abstractmethod
    def supply_currents(self, y: Float[Array, "neurons 2"]) -> dict[str, Float[Array, " neurons"]]:
        """Static bias currents drawn from the rail in A, each `(n_neurons,)`."""

    def mismatch(
        self, key: PRNGKeyArray, n_neurons: int, *, sigma_bias: float = 0.1,
        sigma_kappa: float = 0.02,
    ) -> "AbstractBistableCircuit":
        """`n_neurons` mismatched copies: I_n0 (α = I_n0/I_bias) and I_a (σ) scale with
        log-normal factors exp(σ_bias·ξ), β = κ/U_t with κ·(1 + σ_κ·ξ'). The parameters
        of the result have shape `(n_neurons,)`."""
        check_positive("sigma_bias", sigma_bias, allow_zero=True)
        check_positive("sigma_kappa", sigma_kappa, allow_zero=True)
        m = self.per_neuron(n_neurons)
        k_bias, k_kappa = jax.random.split(key)
        r = 1.0 + sigma_kappa * jax.random.normal(k_kappa, (n_neurons,), m.dtype)
        bias = jnp.exp(sigma_bias * jax.random.normal(k_bias, (n_neurons, 2), m.dtype))
        new = dict(alpha=m.alpha * bias[:, 0], sigma=m.sigma * bias[:, 1], beta=m.beta * r)
        return eqx.tree_at(lambda x: [getattr(x, k) for k in new], m, list(new.values()))

    def observe(self, y: Float[Array, "neurons 2"]) -> Float[Array, "neurons 2"]:
        """The node voltages (u, v) in V, shape `(n_neurons, 2)`."""
        self.check_state(y)
        return y

    # -- voltage clamp (felice.analysis) ------------------------------------------
    #
    # Clamp node u with a voltage source; the clamp current is the current the source
    # must sink to hold u, −du/dτ (units of I_bias). The moon phase z is algebraic and
    # follows u at once; the one clamp variable, v, has the nodes' own timescale C/I_bias
    # and forms the "slow" class: the instantaneous curve holds v at rest, the slow
    # (steady-state) curve lets v settle to a root of dv/dτ = 0 at the clamped u,
    # searched for from starts across c ± 12/β (below). Where there are several roots the curve has
    # branches, where there is none (v runs away) it has none.
    #
    # Where the fixpoints lie: at a fixpoint each node's nFET current balances the bias,
    # α·e^{βx}·(1 + γ·…) = 1 ± σ, so both nodes sit within a few U_t/κ = 1/β of
    # c = ln(1/α)/β (0.28 V at the defaults, 0.72 V at α/1000): the search interval
    # moves with α and β instead of being a fixed window around the default fixpoints.

    # In units of 1/β (e-folds of the nFET current) about c: the clamp range (it holds
    # both nodes of every fixpoint for |σ| < 0.99 and is the plotted I–V window,
    # [−0.17, 0.60] V at the defaults) and the wider span of the root finder's starts.
    _CLAMP_RANGE: ClassVar[tuple[float, float]] = (-7.0, 5.0)
    _STARTS_RANGE: ClassVar[tuple[float, float]] = (-12.0, 12.0)

    def fixpoint_scale(self) -> Float[Array, "*neurons"]:
        """c = ln(1/α)/β in V: where the nFET current α·e^{βx} equals the bias.

        Both nodes of every fixpoint lie within a few 1/β of it (for |σ| < 1).
        Scalar or `(n_neurons,)` like α and β.
        """
        return jnp.log(1.0 / self.alpha) / self.beta

    @property
    def input_states(self) -> tuple[str, ...]:
        """`()`: no state column is an input."""
        return ()

    @property
    def clamp_timescales(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """`(("slow",), (0,))`: v is the only clamp variable."""
        return ("slow",), (0,)

    def clamp_range(
        self, I_app: Float[ArrayLike, ""] | None = None
    ) -> tuple[Float[Array, ""], Float[Array, ""]]:
        """u ∈ [c − 7/β, c + 5/β] with c = `fixpoint_scale()` (V): holds every fixpoint.

        [−0.17, 0.60] V at the defaults; it moves with α and β (the applied current is
        not used). Scalars, or `(n_neurons,)` with per-neuron α or β.
        """
        c = self.fixpoint_scale()
        return c + self._CLAMP_RANGE[0] / self.beta, c + self._CLAMP_RANGE[1] / self.beta

    def clamp_split(self, y: Float[Array, " 2"]) -> tuple[Float[Array, ""], Float[Array, " 1"]]:
        """(u, [v])."""
        return y[0], y[1:2]

    def clamp_join(self, V: Float[ArrayLike, ""], x: Float[Array, " 1"]) -> Float[Array, " 2"]:
        """(u, [v]) → (u, v)."""
        return jnp.concatenate([jnp.asarray(V, x.dtype)[None], x])

    def clamp_current(
        self, V: Float[ArrayLike, ""], x: Float[Array, " 1"]
    ) -> tuple[Float[Array, ""], Float[Array, " 1"]]:
        """(−du/dτ, [dv/dτ]) at u = V, v = x[0], without external input."""
        currents = self._branch_currents(jnp.asarray(V, x.dtype), x[0])
        du = sum(c for k, c in currents.items() if k.endswith("_u"))
        dv = sum(c for k, c in currents.items() if k.endswith("_v"))
        return -du, jnp.atleast_1d(dv)

    def clamp_starts(self, V: Float[ArrayLike, ""]) -> Float[Array, "31 1"]:
        """31 values of v in c ± 12/β (c = `fixpoint_scale()`; [−0.49, 1.05] V, 51 mV apart
        at the defaults): wider than `clamp_range`, so that Newton reaches every root."""
        c = self.fixpoint_scale()
        lo, hi = (c + b / self.beta for b in self._STARTS_RANGE)
        return jnp.linspace(lo, hi, 31, dtype=self.dtype)[:, None]

    def clamp_args(self, I_app: Float[ArrayLike, "*neurons"]) -> dict[str, Array]:
        """`{"I_ext": (I_app, 0)}`: the applied current flows into node u.

        Units of I_bias; `I_app` of shape `(*neurons,)` gives `I_ext` of shape `(*neurons, 2)`.
        """
        I = jnp.asarray(I_app, self.dtype)
        return {"I_ext": jnp.stack([I, jnp.zeros_like(I)], axis=-1)}

    def resting_state(self, n_neurons: int | None = None) -> Float[Array, "neurons 2"]:
        """The stable fixpoint with u > v (`init_state(n_neurons, side=0)`)."""
        if n_neurons is None:
            n_neurons = self.population_size() or 1
        return self.init_state(n_neurons, side=0)

    # -- fixpoints --------------------------------------------------------------

    def stable_fixpoints(self, n_neurons: int | None = None) -> Float[Array, "neurons 2 2"]:
        """The two stable fixpoints of each neuron.

        Newton from a grid of starts (16 values of u across `clamp_range` times the 31
        values of v of `clamp_starts`); of the roots with u in `clamp_range` it keeps the
        stable ones (both eigenvalues with negative real part) at least 1 mV off the
        diagonal u = v, which is the separatrix (a root on it belongs e.g. to the line of
        fixpoints at σ = 0), and on each side of the diagonal the one of lowest u. The
        same roots as `felice.analysis.equilibria(model, n_grid=16)`.

        Args:
            n_neurons: population size (default: the parameters' size, else 1).

        Returns:
            Array `(n_neurons, 2, 2)`: `[:, 0]` is the fixpoint with u > v, `[:, 1]` the
            one with u < v, each as (u, v). NaN where no stable fixpoint was found.
        """
        if n_neurons is None:
            n_neurons = self.population_size() or 1
        n = self.check_n_neurons(n_neurons)
        pair = _stable_fixpoint_pairs(self.broadcast_to_neurons(self.population_size() or 1))
        return jnp.broadcast_to(pair, (n, 2, 2))

    def init_state(self, n_neurons: int, *, side: int = 0) -> Float[Array, "neurons 2"]:
        """Each neuron at a stable fixpoint (never on the separatrix u = v).

        Args:
            n_neurons: number of neurons.
            side: 0 for the fixpoint with u > v, 1 for its mirror with u < v.

        Returns:
            State of shape `(n_neurons, 2)`.

        Raises:
            ValueError: if no stable fixpoint exists for some neuron's parameters.
        """
        if side not in (0, 1):
            raise ValueError(f"side must be 0 (u > v) or 1 (u < v), got side={side!r}")
        n = self.check_n_neurons(n_neurons)
        per_neuron = self.population_size() is not None
        y = self.stable_fixpoints(n if per_neuron else 1)[:, side]
        y = jnp.broadcast_to(y, (n, 2))
        if not isinstance(y, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(y))):
            bad = np.flatnonzero(~np.all(np.isfinite(np.asarray(y)), axis=1)).tolist()
            raise ValueError(
                f"{type(self).__name__}: no stable fixpoint found for neurons {bad[:10]} "
                "with these parameters (the circuit is not bistable there)"
            )
        return eqx.error_if(y, ~jnp.isfinite(y), "no stable fixpoint found")


@eqx.filter_jit
def _stable_fixpoint_pairs(population: AbstractBistableCircuit) -> Float[Array, "neurons 2 2"]:
    """`stable_fixpoints` of a population with one parameter value per neuron."""
    return eqx.filter_vmap(_stable_fixpoint_pair)(population)


def _stable_fixpoint_pair(model: AbstractBistableCircuit) -> Float[Array, "2 2"]:
    """(fixpoint with u > v, fixpoint with u < v) of a single neuron, NaN where none is found."""
    lo, hi = model.clamp_range()
    grid = jnp.meshgrid(jnp.linspace(lo, hi, 16, dtype=model.dtype), model.clamp_starts(lo)[:, 0],
                        indexing="ij")
    starts = jnp.stack(grid, axis=-1).reshape(-1, 2)

    def f(y: Array) -> Array:
        return model.dynamics(0.0, y[None])[0]

    roots, ok = newton_from_starts(f, starts)
    safe = jnp.where(ok[:, None], roots, starts)  # no NaN through the Jacobian
    kind = jax.vmap(lambda y: stability_kind(jnp.linalg.eigvals(jax.jacfwd(f)(y))))(safe)
    u, v = roots[:, 0], roots[:, 1]
    ok = ok & (kind <= 1) & (u >= lo) & (u <= hi) & (jnp.abs(u - v) > 1e-3)  # 0, 1: stable

    def lowest_u(mask: Array) -> Array:
        i = jnp.argmin(jnp.where(mask, u, jnp.inf))
        return jnp.where(jnp.any(mask), roots[i], jnp.nan)

    return jnp.stack([lowest_u(ok & (u > v)), lowest_u(ok & (u < v))])


def _check_kappa(beta: Any, U_t: Any) -> None:
    try:
        kappa = np.asarray(beta) * np.asarray(U_t)
    except (TypeError, jax.errors.TracerArrayConversionError):
        return
    if np.any((kappa <= 0) | (kappa > 1)):
        raise ValueError(
            f"kappa = beta*U_t must lie in (0, 1], got beta={beta!r}, U_t={U_t!r} (kappa={kappa})"
        )
