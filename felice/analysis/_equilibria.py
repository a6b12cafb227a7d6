"""Equilibria of a neuron model in a box, with Jacobian eigenvalues and stability labels."""

from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Complex, Float, Int

from felice._roots import distinct, newton_from_starts, stability_kind
from felice._validation import check_finite
from felice.neuron_models import AbstractNeuron, AbstractVoltageClamp, require

KINDS = ("stable node", "stable focus", "unstable node", "unstable focus", "saddle", "non-hyperbolic")
"""Labels of `Equilibria.kind` (the codes of `stability_kind`), by index."""


class Equilibria(eqx.Module):
    """The equilibria of each neuron, in increasing clamp voltage, padded with NaN.

    The state columns listed in `model.input_states` (e.g. FHNRS's I_syn) are inputs:
    held at 0 and left out of the Jacobian.

    Attributes:
        states: equilibrium states, `(*neurons, max_equilibria, n_state)`, model units.
        eigenvalues: eigenvalues of the Jacobian of the non-input state columns at each
            equilibrium, `(*neurons, max_equilibria, n_dynamic)`, in 1/model time unit.
        kind: index into `KINDS` per equilibrium, −1 in empty slots,
            `(*neurons, max_equilibria)`.
        count: number of equilibria found, `(*neurons,)`.
        truncated: True where more than `max_equilibria` were found, `(*neurons,)`.
    """

    states: Float[Array, "*neurons max_eq n_state"]
    eigenvalues: Complex[Array, "*neurons max_eq n_dyn"]
    kind: Int[Array, "*neurons max_eq"]
    count: Int[Array, "*neurons"]
    truncated: Bool[Array, "*neurons"]

    @property
    def stable(self) -> Bool[Array, "*neurons max_eq"]:
        """Which equilibria are stable (every eigenvalue with negative real part).

        Boolean, shape `(*neurons, max_equilibria)`.
        """
        return (self.kind == 0) | (self.kind == 1)

    @property
    def labels(self) -> list:
        """The stability labels (strings from `KINDS`) of the found equilibria.

        A list for a single neuron, a list of lists for a population.
        """
        kind = np.asarray(self.kind)

        def one(row: np.ndarray) -> list[str]:
            return [KINDS[k] for k in row if k >= 0]

        return one(kind) if kind.ndim == 1 else [one(r) for r in kind.reshape(-1, kind.shape[-1])]


def dynamic_columns(model: AbstractNeuron) -> np.ndarray:
    """Indices of the state columns that are not inputs, shape `(n_dynamic,)`."""
    return np.array([i for i, n in enumerate(model.state_names) if n not in model.input_states])


def jacobian_eigenvalues(
    model: AbstractNeuron, y: Float[Array, " n_state"], args: Any = None
) -> Complex[Array, " n_dyn"]:
    """Eigenvalues of the Jacobian of a single neuron's dynamics w.r.t. its non-input columns."""
    keep = dynamic_columns(model)

    def f(z: Array) -> Array:
        return model.dynamics(0.0, y.at[keep].set(z)[None], args)[0][keep]

    return jnp.linalg.eigvals(jax.jacfwd(f)(y[keep]))


def _one_neuron(
    model: AbstractNeuron, V_range: Array | None, I_app: Array | None, n_grid: int,
    max_equilibria: int,
) -> tuple[Array, ...]:
    keep = dynamic_columns(model)
    dtype = model.dtype
    V_lo, V_hi = model.clamp_range(I_app) if V_range is None else V_range
    args = None if I_app is None else model.clamp_args(I_app)
    zeros = jnp.zeros(model.n_state, dtype)

    def f(z: Array) -> Array:
        return model.dynamics(0.0, zeros.at[keep].set(z)[None], args)[0][keep]

    def starts_at(V: Array) -> Array:
        return jax.vmap(lambda x: model.clamp_join(V, x)[keep])(model.clamp_starts(V))

    V_grid = jnp.linspace(V_lo, V_hi, n_grid, dtype=dtype)
    starts = jax.vmap(starts_at)(V_grid).reshape(-1, keep.size)
    roots, ok = newton_from_starts(f, starts)
    V = jax.vmap(lambda z: model.clamp_split(zeros.at[keep].set(z))[0])(roots)
    ok = ok & (V >= V_lo) & (V <= V_hi)
    found, filled, truncated = distinct(roots, ok, V, max_equilibria)
    states = jax.vmap(lambda z: zeros.at[keep].set(z))(found)
    safe = jnp.where(filled[:, None], found, starts[0])  # no NaN through the Jacobian
    eig = jax.vmap(lambda z: jnp.linalg.eigvals(jax.jacfwd(f)(z)))(safe)
    eig = jnp.where(filled[:, None], eig, jnp.nan)
    kind = jnp.where(filled, jax.vmap(stability_kind)(eig), -1)
    return states, eig, kind, jnp.sum(filled), truncated


@eqx.filter_jit
def _equilibria(model, V_range, I_app, n_grid, max_equilibria):
    fn = lambda m, I: _one_neuron(m, V_range, I, n_grid, max_equilibria)  # noqa: E731
    return eqx.filter_vmap(fn)(model, I_app)


def equilibria(
    model: AbstractNeuron,
    *,
    I_app: Float[ArrayLike, "*neurons"] | Sequence[float] | None = None,
    V_range: tuple[float, float] | None = None,
    n_grid: int = 32,
    max_equilibria: int = 8,
) -> Equilibria:
    """All equilibria of each neuron whose clamp voltage lies in `V_range`.

    Newton's method (optimistix) runs on the model's dynamics from a grid of starts:
    `n_grid` clamp voltages across `V_range`, each combined with the model's
    `clamp_starts` for its other variables; converged roots closer than 10·√eps are
    merged. Each equilibrium gets the eigenvalues of its Jacobian and a label from
    `KINDS`. Input states (`model.input_states`) are held at 0.

    Args:
        model: a model with a voltage clamp (see `AbstractNeuron.clamp_timescales`).
        I_app: total applied current into the clamped node, model units, scalar or
            one per neuron (FHNRS: replaces I_app; bistable circuits: a current into u).
            None: the model's own input.
        V_range: (low, high) clamp voltages searched, model units; default
            `model.clamp_range`.
        n_grid: number of clamp voltages in the grid of starts.
        max_equilibria: slots per neuron; `truncated` says when more were found.

    Returns:
        `Equilibria` with a leading neuron axis if the model has per-neuron parameters.

    Raises:
        ValueError: for n_grid < 2, max_equilibria < 1, a non-finite I_app, or a
            V_range that is not two finite values with low < high.
    """
    if not isinstance(n_grid, int) or n_grid < 2:
        raise ValueError(f"n_grid must be an integer >= 2, got n_grid={n_grid!r}")
    if not isinstance(max_equilibria, int) or max_equilibria < 1:
        raise ValueError(f"max_equilibria must be an integer >= 1, got max_equilibria={max_equilibria!r}")
    require(model, AbstractVoltageClamp, "felice.analysis.equilibria")
    n, pop, I = neuron_batch(model, I_app)
    if V_range is not None:
        _check_V_range(V_range)
        V_range = tuple(jnp.asarray(b, model.dtype) for b in V_range)
    out = Equilibria(*_equilibria(pop, V_range, I, n_grid, max_equilibria))
    return out if n is not None else jax.tree_util.tree_map(lambda x: x[0], out)


def _check_V_range(V_range: Any) -> None:
    """Raise `ValueError` unless V_range is (low, high), finite, low < high (where concrete)."""
    try:
        low, high = V_range
    except (TypeError, ValueError):
        raise ValueError(f"V_range must be (low, high), got V_range={V_range!r}") from None
    check_finite("V_range", low)
    check_finite("V_range", high)
    if any(isinstance(b, jax.core.Tracer) for b in (low, high)):
        return
    if np.ndim(low) or np.ndim(high) or not float(low) < float(high):
        raise ValueError(f"V_range must be two numbers with low < high, got V_range={V_range!r}")


def neuron_batch(
    model: AbstractNeuron,
    I_app: Float[ArrayLike, "*neurons"] | Sequence[float] | None,
    name: str = "I_app",
) -> tuple[int | None, AbstractNeuron, Array | None]:
    """(population size or None, the model with one parameter value per neuron, I_app per neuron).

    A model with shared parameters and a vector of applied currents becomes a
    population with one neuron per current.

    Raises:
        ValueError: if I_app (called `name` in the message) is not finite, or not a
            scalar or one value per neuron.
    """
    n = model.population_size()
    if I_app is not None:
        check_finite(name, I_app)
        I = jnp.asarray(I_app, model.dtype)
        if I.ndim > 1 or (I.ndim == 1 and n is not None and I.shape[0] != n):
            raise ValueError(
                f"{name} must be a scalar or one value per neuron ({n or 'any number'}), "
                f"got shape {I.shape}"
            )
        if I.ndim == 1 and n is None:
            n = I.shape[0]
        I = jnp.broadcast_to(I, (n or 1,))
    else:
        I = None
    return n, model.broadcast_to_neurons(n or 1), I
