"""Source: branch currents of each neuron in amperes, and the current drawn from the supply.

The supply current is each circuit's own rule (`AbstractCircuit.supply_currents`,
amperes per rail consumer), summed: weak-inversion circuits are biased by current
sources whose static bias currents dominate the power. The currents the exponential
transistors carry between the nodes and the applied input currents (delivered by
whatever drives the input) are not counted.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_positive
from felice.neuron_models import AbstractCircuit, require
from felice.pipeline._emitter import Emission

V_DD_DEFAULT = 1.8
"""Default supply in V: the 1.8 V core supply of sky130 (`circuits/sky130`)."""


def supply_current(model: AbstractCircuit, y: Float[Array, "neurons n_state"]) -> Float[Array, " neurons"]:
    """Current each neuron draws from the supply rail at state `y`, in A, shape `(n_neurons,)`:
    the sum of `model.supply_currents(y)`."""
    require(model, AbstractCircuit, "the supply current")
    return sum(model.supply_currents(y).values())


class Sources(eqx.Module):
    """Per-neuron currents on the save grid, in amperes.

    Only what the pipeline's probes need is computed (a neuron that is not an
    `AbstractCircuit` has no branch or supply currents): the others are None.

    Attributes:
        ts: save times in s, shape `(T,)`.
        currents: branch currents in A, shape `(T, N, K)`; column k is `names[k]`
            (the keys of `model.currents`; they sum to C·dV/dt per node); or None.
        names: the K branch names (`()` when `currents` is None).
        supply: current drawn from the supply per neuron in A, shape `(T, N)`, or None.
        V_dd: supply voltage in V.
    """

    ts: Float[Array, " T"]
    currents: Float[Array, "T N K"] | None
    names: tuple[str, ...] = eqx.field(static=True)
    supply: Float[Array, "T N"] | None
    V_dd: Float[Array, ""]

    @property
    def power(self) -> Float[Array, "T N"]:
        """Supply power per neuron in W: V_dd·I_supply, shape `(T, N)`."""
        return self.V_dd * self._get("supply")

    @property
    def total(self) -> Float[Array, "T N"]:
        """Sum of all branch currents per neuron in A (the capacitive current), shape `(T, N)`."""
        return jnp.sum(self._get("currents"), axis=-1)

    def _get(self, what: str) -> Array:
        value = getattr(self, what)
        if value is None:
            raise ValueError(f"the {what} currents were not computed (Source(..., {what}=True))")
        return value

    def select(self, name: str) -> Float[Array, "T N"]:
        """A `(T, N)` current in A: a branch name, "total" or "supply".

        Raises:
            ValueError: for an unknown name (the known ones are listed).
        """
        if name == "total":
            return self.total
        if name == "supply":
            return self._get("supply")
        if name not in self.names:
            raise ValueError(
                f"unknown source {name!r}; known: total, supply, {', '.join(self.names)}"
            )
        return self._get("currents")[..., self.names.index(name)]


class Source(eqx.Module):
    """Turns an `Emission` into `Sources` (branch and supply currents in A).

    The currents are the circuit's (`AbstractCircuit.currents`, `supply_currents`);
    a pipeline asks for them only when one of its probes needs them.

    Attributes:
        V_dd: supply voltage in V (> 0), a differentiable leaf; default 1.8 V.
    """

    V_dd: Float[Array, ""]

    def __init__(self, V_dd: Float[ArrayLike, ""] = V_DD_DEFAULT):
        """Raises ValueError if V_dd is not finite and > 0."""
        check_positive("V_dd", V_dd)
        self.V_dd = jnp.asarray(V_dd)

    def __call__(self, emission: Emission, *, currents: bool = True, supply: bool = True) -> Sources:
        """Branch currents `(T, N, K)` and supply current `(T, N)` in amperes.

        Args:
            emission: what an `Emitter` produced (with a saved trajectory).
            currents, supply: compute the branch currents, the supply current (each
                needs an `AbstractCircuit`); a current not computed is None.

        Raises:
            TypeError: if a current is asked for and the model is not an `AbstractCircuit`.
        """
        model, result = emission.model, emission.result
        ys = result.ys
        if ys is None:
            raise ValueError("the emission has no saved trajectory (Emitter n_save ≥ 2 is needed)")
        dtype = ys.dtype
        branch, names, drawn = None, (), None
        if currents:
            require(model, AbstractCircuit, "the branch currents of felice.pipeline.Source")

            def branches(k: Array) -> Array:
                c = model.currents(ys[k], emission.args(k))
                return jnp.stack(list(c.values()), axis=-1)

            names = tuple(model.currents(ys[0], emission.args(0)))
            branch = jax.vmap(branches)(jnp.arange(ys.shape[0])) * model.current_unit
            dtype = branch.dtype
        if supply:
            drawn = jax.vmap(lambda y: supply_current(model, y))(ys).astype(dtype)
        return Sources(ts=emission.ts, currents=branch, names=names, supply=drawn,
                       V_dd=self.V_dd.astype(dtype))
