"""Plots of the analysis: I–V curves and phase portraits, the same for every model.

Each function draws on `ax` (a new figure when None) and returns the Axes. Values
are in model units (FHNRS: 2U_t/κ, I_unit; bistable circuits: volts, I_bias), or in
volts and amperes with `plot_iv(..., si=True)`.
"""

from collections.abc import Sequence

import numpy as np
from jaxtyping import ArrayLike, Float

from felice.analysis import (
    Equilibria,
    IVCurves,
    iv_curves,
    negative_conductance,
    nullclines,
    trajectories,
    vector_field,
)
from felice.analysis import equilibria as find_equilibria
from felice.neuron_models import AbstractNeuron

_STYLE = {  # marker, filled, by stability kind
    "stable node": ("o", True), "stable focus": ("o", True), "unstable node": ("o", False),
    "unstable focus": ("o", False), "saddle": ("X", True), "non-hyperbolic": ("s", False),
}


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
    return ax


def plot_iv(
    curves: IVCurves | AbstractNeuron,
    v: Float[ArrayLike, " n_v"] | None = None,
    *,
    I_app: float | None = None,
    names: Sequence[str] | None = None,
    shade: str | None = None,
    si: bool = False,
    equilibria: Equilibria | None = None,
    ax=None,
):
    """I–V curves, negative-conductance regions shaded, equilibria marked.

    Multi-valued parts (several steady states) are drawn as dotted branches.

    Args:
        curves: an `IVCurves` of a single neuron, or a model (its curves are computed
            over `v`, default 401 points over `model.clamp_range()`).
        v: clamp voltages when `curves` is a model.
        I_app: total applied current into the clamped node whose equilibria are
            marked (filled: stable, open: unstable); None: the model's own input.
        names: curves to draw (default all).
        shade: curve whose negative-conductance intervals are shaded (default the
            first timescale class, e.g. "fast"; "" for none).
        si: draw the clamp voltage in V and the current in A (model units ×
            `model.voltage_unit`, `model.current_unit`), with SI-prefixed tick labels.
        equilibria: equilibria to mark, computed by `felice.analysis.equilibria`
            for a single neuron of this model at `I_app` (to reuse a computation);
            None: computed here.
        ax: matplotlib Axes to draw on.

    Returns:
        The Axes.

    Raises:
        ValueError: if `curves` is neither an `IVCurves` nor a model, the curves are
            those of a population (a leading neuron axis), or `equilibria` is not a
            single neuron's `Equilibria`.
    """
    if not isinstance(curves, (IVCurves, AbstractNeuron)):
        raise ValueError(
            f"curves must be an IVCurves or a AbstractNeuron, got {type(curves).__name__}"
        )
    if equilibria is not None and not (isinstance(equilibria, Equilibria)
                                       and np.ndim(equilibria.kind) == 1):
        raise ValueError(
            "equilibria must be the Equilibria of a single neuron (felice.analysis.equilibria "
            f"of a model without per-neuron parameters), got {type(equilibria).__name__}"
        )
    if isinstance(curves, AbstractNeuron):
        model = curves
        if v is None:
            v = np.linspace(*(float(b) for b in model.clamp_range()), 401)
        curves = iv_curves(model, v)
    if np.ndim(curves.I) != 2:
        raise ValueError("plot_iv draws the curves of a single neuron; got curves with shape "
                         f"{np.shape(curves.I)} (index the population first)")
    ax = _axes(ax)
    model = curves.model
    v_scale, i_scale = (float(model.voltage_unit), float(model.current_unit)) if si else (1.0, 1.0)
    names = list(curves.names if names is None else names)
    V = np.asarray(curves.V) * v_scale
    for name in names:
        k = curves.index(name)
        (line,) = ax.plot(V, np.asarray(curves.I[k]) * i_scale, label=name)
        for b in range(curves.branch_I.shape[-2]):
            several = np.asarray(curves.n_steady[k]) > 1
            multi = np.where(several, np.asarray(curves.branch_I[k, b]) * i_scale, np.nan)
            ax.plot(V, multi, ":", color=line.get_color())
    if shade is None:  # the fast curve; the only one for a clamp without variables
        shade = curves.names[min(1, len(curves.names) - 1)]
    if shade:
        for i, (lo, hi) in enumerate(negative_conductance(curves, shade)):
            ax.axvspan(lo * v_scale, hi * v_scale, color="0.85", zorder=0,
                       label=f"{shade}: dI/dV < 0" if i == 0 else None)
    eq = find_equilibria(model, I_app=I_app) if equilibria is None else equilibria
    _mark_equilibria(ax, model, eq, V[0], V[-1], v_scale, i_scale)
    # Exponential branches (bistable circuits) would squash everything else: clip to the bulk.
    shown = np.concatenate([np.asarray(curves.branch_I[curves.index(n)]).ravel() for n in names])
    shown = shown[np.isfinite(shown)] * i_scale
    if shown.size:
        lo, hi = np.percentile(shown, [2, 98])
        pad = 0.3 * (hi - lo) if hi > lo else i_scale
        ax.set_ylim(lo - pad, hi + pad)
    clamped = model.state_names[0]
    if si:
        from matplotlib.ticker import MaxNLocator

        si_ticks(ax, "V", "A")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(6))
        ax.set(xlabel=f"clamped {clamped}", ylabel="clamp current I")
    else:
        ax.set(xlabel=f"clamped {clamped} (model units)", ylabel="I (model units)")
    ax.set_title(f"{type(model).__name__} I–V curves")
    _legend(ax)
    return ax


def si_ticks(ax, x_unit: str, y_unit: str) -> None:
    """Tick labels of `ax` with SI prefixes and units (e.g. "150 mV", "3 nA").

    Args:
        ax: matplotlib Axes whose data are in base SI units.
        x_unit, y_unit: unit symbols of the x and y data ("V", "A", "s").
    """
    from matplotlib.ticker import EngFormatter

    ax.xaxis.set_major_formatter(EngFormatter(unit=x_unit))
    ax.yaxis.set_major_formatter(EngFormatter(unit=y_unit))


def _legend(ax) -> None:
    """A legend with each label once (several equilibria share the applied-current line)."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="best")


def _mark_equilibria(ax, model: AbstractNeuron, eq: Equilibria, V_lo: Float[ArrayLike, ""],
                     V_hi: Float[ArrayLike, ""],
                     v_scale: float = 1.0, i_scale: float = 1.0) -> None:
    """Equilibria at (V*, I*) where I* is their clamp current, i.e. the applied current."""
    for k, label in enumerate(eq.labels):
        V, x = model.clamp_split(eq.states[k])
        if not V_lo <= float(V) * v_scale <= V_hi:
            continue
        I = float(model.clamp_current(V, x)[0]) * i_scale
        ax.axhline(I, color="0.5", lw=0.8, ls="--", label="applied current")
        marker, filled = _STYLE[label]
        ax.plot(float(V) * v_scale, I, marker, ms=8, mec="k", mfc="k" if filled else "w",
                label=f"equilibrium ({label})")


def plot_phase(
    model: AbstractNeuron,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    *,
    dims: tuple[int | str, int | str] = (0, 1),
    n_grid: int = 25,
    starts: Float[ArrayLike, "n_traj n_state"] | Sequence[Sequence[float]] | None = None,
    t1: float = 100.0,
    rest: Float[ArrayLike, " n_state"] | None = None,
    I_app: float | None = None,
    ax=None,
):
    """Phase portrait: nullclines, normalised vector field, trajectories, fixpoints by stability.

    Args:
        model: a single-neuron model.
        x_range, y_range: extent of the two state columns `dims`, model units.
        dims: the two columns, by index or name.
        n_grid: arrows per axis (the nullclines use a 10× finer grid).
        starts: initial states `(n_traj, n_state)` of trajectories integrated over t1.
        t1: trajectory length in model time units.
        rest: values of the other columns (default `model.resting_state()`).
        I_app: total applied current into the clamped node (None: the model's own).
        ax: matplotlib Axes to draw on.

    Returns:
        The Axes. Fixpoints: filled circles stable, open circles unstable, crosses saddles.
    """
    ax = _axes(ax)
    fine = vector_field(model, np.linspace(*x_range, 10 * n_grid),
                        np.linspace(*y_range, 10 * n_grid), dims=dims, rest=rest, I_app=I_app)
    i, j = fine.dims
    for lines, color, name in zip(nullclines(fine), ("C0", "C3"), fine.names, strict=True):
        for k, line in enumerate(lines):
            ax.plot(line[:, 0], line[:, 1], color=color, lw=1.5,
                    label=f"d{name}/dt = 0" if k == 0 else None)
    coarse = vector_field(model, np.linspace(*x_range, n_grid), np.linspace(*y_range, n_grid),
                          dims=dims, rest=rest, I_app=I_app)
    dx, dy = np.asarray(coarse.dx), np.asarray(coarse.dy)
    norm = np.hypot(dx, dy)
    norm = np.where(norm > 0, norm, 1.0)
    ax.quiver(np.asarray(coarse.x), np.asarray(coarse.y), dx / norm, dy / norm, color="0.6",
              angles="xy", pivot="mid", width=0.003)
    if starts is not None:
        ys = np.asarray(trajectories(model, starts, t1, I_app=I_app))
        for k in range(ys.shape[1]):
            ax.plot(ys[:, k, i], ys[:, k, j], color="k", lw=0.9,
                    label="trajectory" if k == 0 else None)
            ax.plot(ys[0, k, i], ys[0, k, j], "k.", ms=5)
    eq = find_equilibria(model, I_app=I_app)
    for k, label in enumerate(eq.labels):
        y = np.asarray(eq.states[k])
        if not (x_range[0] <= y[i] <= x_range[1] and y_range[0] <= y[j] <= y_range[1]):
            continue
        marker, filled = _STYLE[label]
        ax.plot(y[i], y[j], marker, ms=9, mec="k", mfc="k" if filled else "w", label=label)
    ax.set(xlim=x_range, ylim=y_range, xlabel=f"{fine.names[0]} (model units)",
           ylabel=f"{fine.names[1]} (model units)", title=f"{type(model).__name__} phase portrait")
    _legend(ax)
    return ax

