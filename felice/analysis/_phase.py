"""Phase planes: the vector field on a grid of two state columns, nullclines, trajectories."""

from collections.abc import Sequence

import contourpy
import diffrax
import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from felice.neuron_models import AbstractNeuron


class PhaseGrid(eqx.Module):
    """The vector field of a single neuron on a grid of two of its state columns.

    Attributes:
        x, y: grid values of the two columns, `(n_x,)` and `(n_y,)`, model units.
        dx, dy: their time derivatives, `(n_y, n_x)`, model units per model time unit.
        dims: the two state columns (indices).
        names: their names.
    """

    x: Float[Array, " n_x"]
    y: Float[Array, " n_y"]
    dx: Float[Array, "n_y n_x"]
    dy: Float[Array, "n_y n_x"]
    dims: tuple[int, int] = eqx.field(static=True)
    names: tuple[str, str] = eqx.field(static=True)


def _single_neuron(model: AbstractNeuron) -> None:
    if model.population_size() is not None:
        raise ValueError(
            f"phase planes need a single neuron, but {type(model).__name__} has per-neuron parameters"
        )


def _dims(model: AbstractNeuron, dims: tuple[int | str, int | str]) -> tuple[int, int]:
    out = []
    for d in dims:
        if isinstance(d, str):
            if d not in model.state_names:
                raise ValueError(f"unknown state column {d!r}; columns are {model.state_names}")
            d = model.state_names.index(d)
        if not 0 <= int(d) < model.n_state:
            raise ValueError(f"dims must index the {model.n_state} state columns, got dims={dims!r}")
        out.append(int(d))
    if len(out) != 2 or out[0] == out[1]:
        raise ValueError(f"dims must name two different state columns, got dims={dims!r}")
    return out[0], out[1]


def vector_field(
    model: AbstractNeuron,
    x: Float[ArrayLike, " n_x"],
    y: Float[ArrayLike, " n_y"],
    *,
    dims: tuple[int | str, int | str] = (0, 1),
    rest: Float[ArrayLike, " n_state"] | None = None,
    I_app: Float[ArrayLike, ""] | None = None,
) -> PhaseGrid:
    """The vector field of a single-neuron model on the grid x × y of two state columns.

    The other columns are held at `rest` (default `model.resting_state()`), inputs at 0.

    Args:
        model: a model with shared (scalar) parameters.
        x, y: grid values of the columns `dims[0]` and `dims[1]`, model units.
        dims: the two columns, by index or name (e.g. `("V", "V_slow")`, `("u", "v")`).
        rest: state `(n_state,)` for the other columns.
        I_app: total applied current into the clamped node (None: the model's own).

    Raises:
        ValueError: for a population model, bad dims, or grids that are not 1-D.
    """
    _single_neuron(model)
    i, j = _dims(model, dims)
    x, y = jnp.asarray(x, model.dtype), jnp.asarray(y, model.dtype)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"x and y must be 1-D grids, got shapes {x.shape} and {y.shape}")
    base = model.resting_state(1)[0] if rest is None else jnp.asarray(rest, model.dtype)
    for name in model.input_states:
        base = base.at[model.state_names.index(name)].set(0.0)
    args = None if I_app is None else model.clamp_args(I_app)
    X, Y = jnp.meshgrid(x, y)
    states = jnp.broadcast_to(base, (*X.shape, model.n_state)).at[..., i].set(X).at[..., j].set(Y)
    f = model.dynamics(0.0, states.reshape(-1, model.n_state), args).reshape(states.shape)
    return PhaseGrid(x, y, f[..., i], f[..., j], (i, j), (model.state_names[i], model.state_names[j]))


def nullclines(grid: PhaseGrid) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The zero contours of dx and dy on the grid (marching squares, linear interpolation).

    Returns:
        (x-nullcline, y-nullcline), each a list of polylines of shape `(n_points, 2)`
        in (x, y) coordinates.
    """
    X, Y = np.meshgrid(np.asarray(grid.x), np.asarray(grid.y))
    return tuple(
        [np.asarray(line) for line in contourpy.contour_generator(X, Y, np.asarray(z)).lines(0.0)]
        for z in (grid.dx, grid.dy)
    )


@eqx.filter_jit
def _solve(model, y0, ts, args):
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(model.dynamics),
        diffrax.Tsit5(),
        ts[0],
        ts[-1],
        None,
        y0,
        args=args,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=1e-7, atol=1e-9),
        max_steps=200_000,
    )
    return sol.ys


def trajectories(
    model: AbstractNeuron,
    y0: Float[ArrayLike, "n_traj n_state"] | Sequence[Sequence[float]],
    t1: float,
    *,
    n_save: int = 1000,
    I_app: Float[ArrayLike, ""] | None = None,
) -> Float[Array, "n_save n_traj n_state"]:
    """Trajectories of a single-neuron model from several initial states (Tsit5, rtol 1e-7).

    Each row of `y0` is integrated as one neuron of a population (the neurons are
    independent), saved at `n_save` times over [0, t1] model time units.

    Raises:
        ValueError: for a population model, y0 of the wrong shape, or t1 ≤ 0.
        equinox.EquinoxRuntimeError: if the solver fails.
    """
    _single_neuron(model)
    if not t1 > 0:
        raise ValueError(f"t1 must be > 0, got t1={t1!r}")
    y0 = jnp.asarray(y0, model.dtype)
    model.check_state(y0)
    args = None if I_app is None else model.clamp_args(I_app)
    return _solve(model, y0, jnp.linspace(0.0, t1, n_save, dtype=model.dtype), args)
