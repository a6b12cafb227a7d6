"""Figures of sweep tables (matplotlib; each helper returns its Figure and Axes)."""

import numpy as np

from felice.sweep._metrics import Regime
from felice.sweep._table import SweepTable

# rest, spiking, bursting, bistable, excitable (the order of `Regime`)
_REGIME_COLOURS = ("#d9d9d9", "#2b83ba", "#d7191c", "#fdae61", "#abdda4")


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt  # here, so that `import felice` does not load pyplot

        fig, ax = plt.subplots(figsize=(5, 3.5))
        return fig, ax
    return ax.figure, ax


def _grid(table: SweepTable, x: str, y: str, column: str):
    """Values of `column` on the (y, x) grid of a full-grid table."""
    xs, ys = np.unique(table[x]), np.unique(table[y])
    if xs.size * ys.size != len(table):
        raise ValueError(f"table is not a full grid over {x!r} × {y!r}: "
                         f"{len(table)} points for {xs.size}×{ys.size} values")
    z = np.full((ys.size, xs.size), np.nan)
    z[np.searchsorted(ys, table[y]), np.searchsorted(xs, table[x])] = table[column]
    return xs, ys, z


def plot_fi_curve(table: SweepTable, *, x: str = "I_app", y: str = "rate", ax=None):
    """Metric `y` against swept parameter `x`, e.g. rate against current from `fi_curve`.

    Titled by what was swept and measured ("rate against I_app"); a regime column
    (`felice.sweep.Regime` codes) gets the regime names as tick labels. Model units
    unless the columns say otherwise.
    """
    fig, ax = _axes(ax)
    order = np.argsort(table[x])
    ax.plot(table[x][order], table[y][order], "o-", ms=3)
    ax.set_xlabel(x)
    ax.set_ylabel(f"{y} (spikes per time unit)" if y == "rate" else y)
    if y.startswith("regime"):
        ax.set_yticks([r.value for r in Regime], [r.name.lower() for r in Regime])
    ax.set_title(f"{y} against {x}")
    return fig, ax


def plot_heatmap(table: SweepTable, x: str, y: str, column: str, *, ax=None, **kwargs):
    """`column` as a colour map over a full grid of parameters `x` and `y`."""
    fig, ax = _axes(ax)
    xs, ys, z = _grid(table, x, y, column)
    mesh = ax.pcolormesh(xs, ys, z, shading="nearest", **kwargs)
    fig.colorbar(mesh, ax=ax, label=column)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    return fig, ax


def plot_regime_map(table: SweepTable, x: str, y: str, *, column: str = "regime", ax=None):
    """Regime labels (`felice.sweep.Regime`) over a full grid of `x` and `y`."""
    fig, ax = _axes(ax)
    xs, ys, z = _grid(table, x, y, column)
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(_REGIME_COLOURS)
    norm = BoundaryNorm(np.arange(-0.5, len(Regime) + 0.5), cmap.N)
    mesh = ax.pcolormesh(xs, ys, z, shading="nearest", cmap=cmap, norm=norm)
    bar = fig.colorbar(mesh, ax=ax, ticks=[r.value for r in Regime])
    bar.ax.set_yticklabels([r.name.lower() for r in Regime])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    return fig, ax
