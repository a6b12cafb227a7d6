"""What WereRabbit and Boomerang share: two capacitor nodes (u, v), a subthreshold
exponential transistor law, fixpoint spikes and the same hardware parameters.

Hardware mapping (both models): the node voltages u, v are in volts, currents are
in units of I_bias and one model time unit is C/I_bias seconds, so that

    α = I_n0/I_bias,   β = κ/U_t,   and   C·du/dt = I_bias·(du/dτ).

Fixpoint spike condition (evaluated per neuron, rms over its two state variables):

    g(y) = atol + rtol·rms(y) − rms(f(y))

A spike is an upward zero crossing of g: the trajectory arrives at a fixpoint.
"""

import abc
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_finite, check_positive
from felice.neuron_models.base import NeuronModel, external_current

_HARDWARE_DEFAULTS = dict(C=0.1e-12, I_bias=100e-12, I_n0=1.29e-12, kappa=0.39, U_t=0.025)


def _rms(x: Array) -> Array:
    # The floor keeps the gradient finite at x = 0 (a state exactly at a fixpoint).
    ms = jnp.mean(x**2, axis=-1)
    return jnp.sqrt(jnp.maximum(ms, jnp.finfo(ms.dtype).tiny))


class BistableCircuit(NeuronModel):
    """Base of the two-node bistable circuits with fixpoint spikes (see module docstring).

    State columns: `u`, `v` (node voltages in V), shape `(n_neurons, 2)`.
    `args["I_ext"]`, if given, is an external current into (u, v) in units of I_bias,
    broadcastable to `(n_neurons, 2)`.

    Attributes:
        alpha: α = I_n0/I_bias (> 0).
        beta: β = κ/U_t in 1/V (> 0).
        gamma: γ, the drain-voltage (Early) coefficient in 1/V.
        rho: ρ, steepness of the moon phase z = tanh(ρ·Δ) in 1/V (> 0).
        sigma: σ, sets the distance between the two fixpoints.
        atol, rtol: tolerances of the fixpoint spike condition (> 0).
        w_u, w_v: how far an input spike of weight 1 moves u and v, in V.
        C: node capacitance in F (scalar; sets the time unit C/I_bias).
        I_bias: bias current in A (scalar; the current unit).
        U_t: thermal voltage in V (scalar; κ = β·U_t).
    """

    alpha: Float[Array, "*neurons"]
    beta: Float[Array, "*neurons"]
    gamma: Float[Array, "*neurons"]
    rho: Float[Array, "*neurons"]
    sigma: Float[Array, "*neurons"]
    atol: Float[Array, "*neurons"]
    rtol: Float[Array, "*neurons"]
    w_u: Float[Array, "*neurons"]
    w_v: Float[Array, "*neurons"]
    C: Float[Array, ""]
    I_bias: Float[Array, ""]
    U_t: Float[Array, ""]

    _unit_fields: ClassVar[tuple[str, ...]] = ("C", "I_bias", "U_t")
    _defaults: ClassVar[dict[str, float]]

    def __init__(
        self,
        *,
        alpha: Float[ArrayLike, "*neurons"] | None = None,
        beta: Float[ArrayLike, "*neurons"] | None = None,
        gamma: Float[ArrayLike, "*neurons"] | None = None,
        rho: Float[ArrayLike, "*neurons"] | None = None,
        sigma: Float[ArrayLike, "*neurons"] | None = None,
        atol: Float[ArrayLike, "*neurons"] | None = None,
        rtol: Float[ArrayLike, "*neurons"] | None = None,
        w_u: Float[ArrayLike, "*neurons"] = 0.5,
        w_v: Float[ArrayLike, "*neurons"] = -0.5,
        C: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["C"],
        I_bias: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["I_bias"],
        U_t: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["U_t"],
        dtype: jnp.dtype = jnp.float32,
    ):
        """Build the model from dimensionless parameters (None: the model's default).

        Raises:
            ValueError: for non-finite values, α ≤ 0, β ≤ 0, ρ ≤ 0, tolerances ≤ 0,
                C ≤ 0, I_bias ≤ 0, U_t ≤ 0, or κ = β·U_t outside (0, 1].
        """
        given = dict(alpha=alpha, beta=beta, gamma=gamma, rho=rho, sigma=sigma, atol=atol, rtol=rtol)
        values = {k: self._defaults[k] if v is None else v for k, v in given.items()}
        values.update(w_u=w_u, w_v=w_v)
        for name, value in values.items():
            check_finite(name, value)
        for name in ("alpha", "beta", "rho", "atol", "rtol"):
            check_positive(name, values[name])
        check_positive("C", C)
        check_positive("I_bias", I_bias)
        check_positive("U_t", U_t)
        _check_kappa(values["beta"], U_t)
        for name, value in values.items():
            setattr(self, name, jnp.asarray(value, dtype))
        self.C = jnp.asarray(C, dtype)
        self.I_bias = jnp.asarray(I_bias, dtype)
        self.U_t = jnp.asarray(U_t, dtype)
        self._population_size()  # validates per-neuron shapes

    @classmethod
    def from_circuit(
        cls,
        *,
        C: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["C"],
        I_bias: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["I_bias"],
        I_n0: Float[ArrayLike, "*neurons"] = _HARDWARE_DEFAULTS["I_n0"],
        kappa: Float[ArrayLike, "*neurons"] = _HARDWARE_DEFAULTS["kappa"],
        U_t: Float[ArrayLike, ""] = _HARDWARE_DEFAULTS["U_t"],
        gamma: Float[ArrayLike, "*neurons"] | None = None,
        rho: Float[ArrayLike, "*neurons"] | None = None,
        sigma: Float[ArrayLike, "*neurons"] | None = None,
        atol: Float[ArrayLike, "*neurons"] | None = None,
        rtol: Float[ArrayLike, "*neurons"] | None = None,
        w_u: Float[ArrayLike, "*neurons"] = 0.5,
        w_v: Float[ArrayLike, "*neurons"] = -0.5,
        dtype: jnp.dtype = jnp.float32,
    ) -> "BistableCircuit":
        """Build the model from circuit values in SI units.

        Args:
            C: node capacitance in F.
            I_bias: bias current in A (also sets I_a = σ·I_bias).
            I_n0: specific current of the exponential nFETs in A.
            kappa: subthreshold slope factor κ in (0, 1].
            U_t: thermal voltage in V (`felice.hardware.thermal_voltage(T)`).
            gamma, rho: in 1/V; sigma, atol, rtol dimensionless; None: model default.
            w_u, w_v: input kick per unit weight in V.
            dtype: floating dtype of the parameters.

        Defaults: C = 0.1 pF, I_bias = 100 pA, I_n0 = 1.29 pA, κ = 0.39, U_t = 25 mV,
        i.e. α = 0.0129 and β = 15.6 /V, the dimensionless defaults; one model time
        unit is then 1 ms.

        Raises:
            ValueError: for non-finite values, C ≤ 0, bias currents ≤ 0, κ outside
                (0, 1], U_t ≤ 0 or tolerances ≤ 0.
        """
        check_positive("C", C)
        check_positive("I_bias", I_bias)
        check_positive("I_n0", I_n0)
        from felice._validation import check_interval

        check_interval("kappa", kappa, 0.0, 1.0)
        check_positive("U_t", U_t)
        I_bias_ = jnp.asarray(I_bias, dtype)
        return cls(
            alpha=jnp.asarray(I_n0, dtype) / I_bias_,
            beta=jnp.asarray(kappa, dtype) / jnp.asarray(U_t, dtype),
            gamma=gamma,
            rho=rho,
            sigma=sigma,
            atol=atol,
            rtol=rtol,
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
        """Subthreshold slope factor κ = β·U_t."""
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
            atol=self.atol,
            rtol=self.rtol,
            w_u=self.w_u,
            w_v=self.w_v,
            time_unit=self.time_unit,
            voltage_unit=self.voltage_unit,
            current_unit=self.current_unit,
        )

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
        """g(y) = atol + rtol·rms(y) − rms(f(y)) per neuron: positive near a fixpoint."""
        f = self.dynamics(t, y, args)
        return self.atol + self.rtol * _rms(y) - _rms(f)

    def input_spike(
        self, y: Float[Array, "neurons 2"], weights: Float[ArrayLike, " neurons"]
    ) -> Float[Array, "neurons 2"]:
        """Kick each neuron: u += w·w_u, v += w·w_v (volts)."""
        self.check_state(y)
        w = jnp.broadcast_to(jnp.asarray(weights, y.dtype), y.shape[:1])
        kick = jnp.stack(jnp.broadcast_arrays(w * self.w_u, w * self.w_v), axis=1)
        return y + kick

    def observe(self, y: Float[Array, "neurons 2"]) -> Float[Array, "neurons 2"]:
        """The node voltages (u, v) in V, shape `(n_neurons, 2)`."""
        self.check_state(y)
        return y

    # -- fixpoints --------------------------------------------------------------

    def stable_fixpoints(self, n_neurons: int | None = None) -> Float[Array, "neurons 2 2"]:
        """The two stable fixpoints of each neuron, found by Newton's method.

        Newton (optimistix) runs from a grid of starting points on each side of the
        diagonal u = v (the separatrix); a start counts if it converges to a point
        at least 1 mV off the diagonal with |f| small whose Jacobian has trace < 0
        and determinant > 0 (both eigenvalues with negative real part).

        Args:
            n_neurons: population size (default: the parameters' size, else 1).

        Returns:
            Array `(n_neurons, 2, 2)`: `[:, 0]` is the fixpoint with u > v, `[:, 1]` the
            one with u < v, each as (u, v). NaN where no stable fixpoint was found.
        """
        if n_neurons is None:
            n_neurons = self._population_size() or 1
        n = self._check_n_neurons(n_neurons)
        return eqx.filter_vmap(_stable_pair)(self.broadcast_to_neurons(n))

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
        n = self._check_n_neurons(n_neurons)
        per_neuron = self._population_size() is not None
        y = self.stable_fixpoints(n if per_neuron else 1)[:, side]
        y = jnp.broadcast_to(y, (n, 2))
        if not isinstance(y, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(y))):
            bad = np.flatnonzero(~np.all(np.isfinite(np.asarray(y)), axis=1)).tolist()
            raise ValueError(
                f"{type(self).__name__}: no stable fixpoint found for neurons {bad[:10]} "
                "with these parameters (the circuit is not bistable there)"
            )
        return eqx.error_if(y, ~jnp.isfinite(y), "no stable fixpoint found")


def _check_kappa(beta: Any, U_t: Any) -> None:
    try:
        kappa = np.asarray(beta) * np.asarray(U_t)
    except (TypeError, jax.errors.TracerArrayConversionError):
        return
    if np.any((kappa <= 0) | (kappa > 1)):
        raise ValueError(
            f"kappa = beta*U_t must lie in (0, 1], got beta={beta!r}, U_t={U_t!r} (kappa={kappa})"
        )


def _stable_pair(model: BistableCircuit) -> Float[Array, "2 2"]:
    """Stable fixpoints (u > v first, then u < v) of a single-neuron model."""
    dtype = model.dtype
    eps = jnp.finfo(dtype).eps

    def field(y: Array) -> Array:
        return model.dynamics(0.0, y[None], None)[0]

    centres = jnp.linspace(-0.5, 1.0, 16, dtype=dtype)
    offsets = jnp.asarray([0.01, 0.03, 0.1, 0.3], dtype)
    c, d = (x.ravel() for x in jnp.meshgrid(centres, offsets))
    starts = jnp.stack([c + d, c - d], axis=1)

    def newton(y0: Array) -> Array:
        sol = optx.root_find(
            lambda y, _: field(y),
            optx.Newton(rtol=100 * eps, atol=100 * eps),
            y0,
            max_steps=64,
            throw=False,
        )
        return sol.value

    roots = jax.vmap(newton)(jnp.concatenate([starts, starts[:, ::-1]]))
    residual = jnp.max(jnp.abs(jax.vmap(field)(roots)), axis=1)
    jac = jax.vmap(jax.jacfwd(field))(roots)
    trace = jac[:, 0, 0] + jac[:, 1, 1]
    det = jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0]
    # A root within 1 mV of the diagonal is the separatrix (e.g. a line of fixpoints at σ = 0).
    off_diagonal = jnp.abs(roots[:, 0] - roots[:, 1]) > 1e-3
    ok = (residual < jnp.sqrt(eps)) & (trace < 0) & (det > 0) & off_diagonal
    above = roots[:, 0] > roots[:, 1]

    def pick(mask: Array) -> Array:
        score = jnp.where(mask, residual, jnp.inf)
        best = jnp.argmin(score)
        return jnp.where(jnp.isfinite(score[best]), roots[best], jnp.nan)

    return jnp.stack([pick(ok & above), pick(ok & ~above)])
