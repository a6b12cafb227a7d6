"""Source: branch currents of each neuron in amperes, and the current drawn from the supply.

Supply current (what the rail V_dd delivers), per model. Weak-inversion circuits
are biased by current sources; their static bias currents dominate the power and do
not depend on the state, so each model counts its bias generators, each source or
sink once at its magnitude:

- FHNRS: the passive-conductance OTA (bias I_passive = g·I_unit) and every element
  OTA (bias |a_x|·I_unit): I_supply = (g + Σ_x |a_x|)·I_unit. The OTA-C filters of
  the slow elements are not modelled (their bias is not a model parameter).
- WereRabbit: the moon-phase differential pair's tail I_bias and the two I_a = σ·I_bias
  sinks: I_supply = (1 + 2σ)·I_bias.
- Boomerang: the I_bias source into u, the I_bias sink from v and the coupling pair's
  tail σ·I_bias: I_supply = (2 + σ)·I_bias.

The currents the exponential transistors carry between the nodes and the applied
input currents (delivered by whatever drives the input) are not counted. New models
register their rule with `supply_current.register`.
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_positive
from felice.neuron_models import FHNRS, Boomerang, NeuronModel, WereRabbit
from felice.pipeline.emitter import Emission

V_DD_DEFAULT = 1.8
"""Default supply in V: the 1.8 V core supply of sky130 (`circuits/sky130`)."""


@functools.singledispatch
def supply_current(model: NeuronModel, n_neurons: int) -> Float[Array, " neurons"]:
    """Static current each neuron draws from the supply rail, in A, shape `(n_neurons,)`.

    The rule for each model is in the module docstring.

    Raises:
        ValueError: for a model without a registered rule.
    """
    raise ValueError(
        f"no supply-current rule for {type(model).__name__}; register one with "
        "felice.pipeline.source.supply_current.register"
    )


@supply_current.register
def _(model: FHNRS, n_neurons: int) -> Array:
    bias = model.g + jnp.sum(jnp.abs(model.a), axis=-1)
    return jnp.broadcast_to(bias * model.I_unit, (n_neurons,))


@supply_current.register
def _(model: WereRabbit, n_neurons: int) -> Array:
    return jnp.broadcast_to((1 + 2 * model.sigma) * model.I_bias, (n_neurons,))


@supply_current.register
def _(model: Boomerang, n_neurons: int) -> Array:
    return jnp.broadcast_to((2 + model.sigma) * model.I_bias, (n_neurons,))


class Sources(eqx.Module):
    """Per-neuron currents on the save grid, in amperes.

    Attributes:
        ts: save times in s, shape `(T,)`.
        currents: branch currents in A, shape `(T, N, K)`; column k is `names[k]`
            (the keys of `model.currents`; they sum to C·dV/dt per node).
        names: the K branch names.
        supply: current drawn from the supply per neuron in A, shape `(T, N)`.
        V_dd: supply voltage in V.
    """

    ts: Float[Array, " T"]
    currents: Float[Array, "T N K"]
    names: tuple[str, ...] = eqx.field(static=True)
    supply: Float[Array, "T N"]
    V_dd: Float[Array, ""]

    @property
    def power(self) -> Float[Array, "T N"]:
        """Supply power per neuron in W: V_dd·I_supply, shape `(T, N)`."""
        return self.V_dd * self.supply

    @property
    def total(self) -> Float[Array, "T N"]:
        """Sum of all branch currents per neuron in A (the capacitive current), shape `(T, N)`."""
        return jnp.sum(self.currents, axis=-1)

    def select(self, name: str) -> Float[Array, "T N"]:
        """A `(T, N)` current in A: a branch name, "total" or "supply".

        Raises:
            ValueError: for an unknown name (the known ones are listed).
        """
        if name == "total":
            return self.total
        if name == "supply":
            return self.supply
        if name not in self.names:
            raise ValueError(
                f"unknown source {name!r}; known: total, supply, {', '.join(self.names)}"
            )
        return self.currents[..., self.names.index(name)]


class Source(eqx.Module):
    """Turns an `Emission` into `Sources` (branch and supply currents in A).

    Attributes:
        V_dd: supply voltage in V (> 0), a differentiable leaf; default 1.8 V.
    """

    V_dd: Float[Array, ""]

    def __init__(self, V_dd: Float[ArrayLike, ""] = V_DD_DEFAULT):
        """Raises ValueError if V_dd is not finite and > 0."""
        check_positive("V_dd", V_dd)
        self.V_dd = jnp.asarray(V_dd)

    def __call__(self, emission: Emission) -> Sources:
        """Branch currents `(T, N, K)` and supply current `(T, N)` in amperes."""
        model, result = emission.model, emission.result
        ys = result.ys
        if ys is None:
            raise ValueError("the emission has no saved trajectory (Emitter n_save ≥ 2 is needed)")
        n_save, n = ys.shape[:2]

        def branches(k: Array) -> Array:
            c = model.currents(ys[k], emission.args(k))
            return jnp.stack(list(c.values()), axis=-1)

        names = tuple(model.currents(ys[0], emission.args(0)))
        currents = jax.vmap(branches)(jnp.arange(n_save)) * model.current_unit
        supply = jnp.broadcast_to(supply_current(model, n), (n_save, n)).astype(currents.dtype)
        return Sources(ts=emission.ts, currents=currents, names=names, supply=supply,
                       V_dd=self.V_dd.astype(currents.dtype))
