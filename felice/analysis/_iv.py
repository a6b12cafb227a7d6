"""Voltage-clamp I–V curves of any model at each of its timescales.

Clamp the model's clamp node at V. The curve of timescale class k lets every
clamp variable of class ≤ k settle to its steady state at V (Newton from the
model's `clamp_starts`, distinct roots kept) and holds the slower ones at their
resting values; the "instantaneous" curve lets nothing settle. The current is
the outward current that holds the node at V without inputs, so an equilibrium
at applied current I_app is a zero of (steady-state curve − I_app). The
conductance dI/dV comes from autodiff and the implicit function theorem:
dI/dV = ∂I/∂V − ∂I/∂x·(∂r/∂x)⁻¹·∂r/∂V along the settled variables x.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from felice._roots import distinct, newton_from_starts, within
from felice.neuron_models import AbstractNeuron, AbstractVoltageClamp, require


class IVCurves(eqx.Module):
    """I–V curves of a model (single neuron, or a leading neuron axis for a population).

    Where the settled variables have exactly one steady state, `I` and `G` hold the
    curve; where they have none or several, `I` and `G` are NaN and `branch_I`,
    `branch_G` hold every steady state found (up to `max_branches`, in increasing
    current, NaN-padded).

    Attributes:
        V: clamp voltages, `(n_v,)`, model voltage units.
        I: clamp current per curve, `(*neurons, n_curves, n_v)`, model current units.
        G: conductance dI/dV per curve, same shape, model current/voltage units.
        branch_I: `(*neurons, n_curves, max_branches, n_v)`.
        branch_G: same shape as `branch_I`.
        n_steady: number of steady states found, `(*neurons, n_curves, n_v)`;
            `max_branches + 1` means more than `max_branches`.
        rest: the resting state the slower variables are held at, `(*neurons, n_state)`.
        model: the model the curves belong to.
        names: the curves: `"instantaneous"`, then one per timescale class, fastest
            first (FHNRS: fast, slow, ultraslow; WereRabbit/Boomerang: slow). The
            last one is the steady-state curve.
    """

    V: Float[Array, " n_v"]
    I: Float[Array, "*neurons n_curves n_v"]
    G: Float[Array, "*neurons n_curves n_v"]
    branch_I: Float[Array, "*neurons n_curves n_branches n_v"]
    branch_G: Float[Array, "*neurons n_curves n_branches n_v"]
    n_steady: Int[Array, "*neurons n_curves n_v"]
    rest: Float[Array, "*neurons n_state"]
    model: AbstractNeuron
    names: tuple[str, ...] = eqx.field(static=True)

    def index(self, name: str) -> int:
        """Position of curve `name` in `names`.

        Raises:
            ValueError: for an unknown curve name; the message lists the curves.
        """
        if name not in self.names:
            raise ValueError(f"unknown curve {name!r}; this model's curves are {', '.join(self.names)}")
        return self.names.index(name)

    def __getitem__(self, name: str) -> Float[Array, "*neurons n_v"]:
        """The current of curve `name`, `(*neurons, n_v)`."""
        return self.I[..., self.index(name), :]

    def conductance(self, name: str) -> Float[Array, "*neurons n_v"]:
        """dI/dV of curve `name`, `(*neurons, n_v)`."""
        return self.G[..., self.index(name), :]

    @property
    def steady_state(self) -> Float[Array, "*neurons n_v"]:
        """The steady-state curve (every variable settled), `(*neurons, n_v)`."""
        return self.I[..., -1, :]


def curve_names(model: AbstractNeuron) -> tuple[str, ...]:
    """`("instantaneous", *timescale classes)` of a model."""
    return ("instantaneous", *model.clamp_timescales[0])


def settled_masks(model: AbstractNeuron) -> Bool[np.ndarray, "n_curves n_var"]:
    """For each curve, which clamp variables settle: boolean, shape `(n_curves, n_var)`.

    Row 0 is the instantaneous curve (nothing settles), row k lets the variables of
    timescale class < k settle (classes from `model.clamp_timescales`).
    """
    names, classes = model.clamp_timescales
    return np.array([[c < k for c in classes] for k in range(len(names) + 1)], dtype=bool)


def clamp_point(
    model: AbstractNeuron,
    V: Float[ArrayLike, ""],
    x_rest: Float[Array, " n_var"],
    settled: Bool[ArrayLike, " n_var"],
    max_branches: int,
) -> tuple[Float[Array, " n_branches"], Float[Array, " n_branches"], Int[Array, ""]]:
    """Steady states of one curve at one clamp voltage of a single-neuron model.

    The variables in `settled` go to a root of their residual, found by Newton from
    `model.clamp_starts(V)` and kept if inside the span of those starts; the others
    stay at `x_rest`.

    Returns:
        (currents, conductances) of each steady state in increasing current,
        NaN-padded to `max_branches`, and their number (`max_branches + 1`: more).
    """
    V = jnp.asarray(V, x_rest.dtype)
    mask = jnp.asarray(settled)

    def residual(V: Array, x: Array) -> Array:
        return jnp.where(mask, model.clamp_current(V, x)[1], x - x_rest)

    def current(V: Array, x: Array) -> Array:
        return model.clamp_current(V, x)[0]

    starts = jnp.where(mask, model.clamp_starts(V), x_rest)
    roots, ok = newton_from_starts(lambda x: residual(V, x), starts)
    ok = ok & within(roots, starts)
    I_roots = jax.vmap(lambda x: current(V, x))(roots)
    x_found, filled, more = distinct(roots, ok, I_roots, max_branches)

    def conductance(x: Array) -> Array:
        r_x = jax.jacfwd(residual, argnums=1)(V, x)
        r_V = jax.jacfwd(residual, argnums=0)(V, x)
        I_V, I_x = jax.grad(current, argnums=(0, 1))(V, x)
        return I_V - I_x @ jnp.linalg.solve(r_x, r_V)

    safe = jnp.where(filled[:, None], x_found, x_rest)  # no NaN through the derivatives
    I = jnp.where(filled, jax.vmap(lambda x: current(V, x))(safe), jnp.nan)
    G = jnp.where(filled, jax.vmap(conductance)(safe), jnp.nan)
    return I, G, jnp.sum(filled) + more


def _one_neuron(model: AbstractNeuron, V: Array, rest: Array, masks: Array, max_branches: int):
    _, x_rest = model.clamp_split(rest)
    point = lambda v, s: clamp_point(model, v, x_rest, s, max_branches)  # noqa: E731
    return jax.vmap(jax.vmap(point, in_axes=(0, None)), in_axes=(None, 0))(V, masks)


@eqx.filter_jit
def _iv(model, V, rest, masks, max_branches):
    fn = lambda m, r: _one_neuron(m, V, r, masks, max_branches)  # noqa: E731
    I, G, n = eqx.filter_vmap(fn)(model, rest)
    return jnp.swapaxes(I, -1, -2), jnp.swapaxes(G, -1, -2), n


def iv_curves(
    model: AbstractNeuron,
    v: Float[ArrayLike, " n_v"],
    *,
    rest: Float[ArrayLike, "*neurons n_state"] | None = None,
    max_branches: int = 3,
) -> IVCurves:
    """Voltage-clamp I–V curves of `model` at every timescale (see the module docstring).

    Works under `jax.vmap` and `jax.jit` (FHNRS under `jit` needs its default element
    names, which tell its timescale classes).

    Args:
        model: a model with a voltage clamp (FHNRS, WereRabbit, Boomerang).
        v: clamp voltages, shape `(n_v,)`, model voltage units (FHNRS: 2U_t/κ; the
            bistable circuits: volts, clamping u).
        rest: state `(n_state,)` or `(n_neurons, n_state)` that slower variables are
            held at; default `model.resting_state()` (FHNRS: its equilibrium; bistable
            circuits: the stable fixpoint with u > v).
        max_branches: how many steady states to keep per voltage where there are several.

    Returns:
        `IVCurves`; arrays have a leading neuron axis if the model has per-neuron parameters.

    Raises:
        ValueError: if `v` is not one-dimensional, `rest` has the wrong shape, or
            max_branches < 1.
    """
    V = jnp.asarray(v, model.dtype)
    if V.ndim != 1:
        raise ValueError(f"v must be a one-dimensional array of voltages, got shape {V.shape}")
    if not isinstance(max_branches, int) or max_branches < 1:
        raise ValueError(f"max_branches must be an integer >= 1, got max_branches={max_branches!r}")
    require(model, AbstractVoltageClamp, "felice.analysis.iv_curves")
    n = model.population_size()
    names = curve_names(model)
    masks = jnp.asarray(settled_masks(model))
    if rest is None:
        rest = model.resting_state(n or 1)
    rest = jnp.asarray(rest, model.dtype)
    if rest.shape not in ((model.n_state,), (n or 1, model.n_state)):
        raise ValueError(
            f"rest must have shape ({model.n_state},) or ({n or 1}, {model.n_state}), got {rest.shape}"
        )
    rest = jnp.broadcast_to(rest, (n or 1, model.n_state))
    I, G, n_steady = _iv(model.broadcast_to_neurons(n or 1), V, rest, masks, max_branches)
    unique = n_steady == 1
    out = IVCurves(
        V=V,
        I=jnp.where(unique, I[:, :, 0], jnp.nan),
        G=jnp.where(unique, G[:, :, 0], jnp.nan),
        branch_I=I,
        branch_G=G,
        n_steady=n_steady,
        rest=rest,
        model=model,
        names=names,
    )
    if n is None:
        squeeze = lambda x: x[0]  # noqa: E731
        out = eqx.tree_at(
            lambda c: (c.I, c.G, c.branch_I, c.branch_G, c.n_steady, c.rest),
            out,
            tuple(squeeze(x) for x in (out.I, out.G, out.branch_I, out.branch_G, out.n_steady, out.rest)),
        )
    return out
