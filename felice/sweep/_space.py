"""Sweep points: full grids, uniform random and Latin-hypercube samples over named axes.

A set of points is a plain `dict[str, np.ndarray]`: one 1-D column per parameter, all
of the same length (one entry per point). Parameter names are model fields (`"I_app"`)
or an element of a field with a trailing element axis (`"a[1]"`: FHNRS slow gain).
"""

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
from jaxtyping import ArrayLike, Float

Points = dict[str, np.ndarray]


def check_points(points: Mapping[str, ArrayLike | Sequence[float]]) -> Points:
    """Validate `points` (named 1-D columns of equal length) and return float64 copies.

    Every column has shape `(n_points,)`.

    Raises:
        ValueError: empty points, non-1-D or non-finite columns, or unequal lengths.
    """
    if not points:
        raise ValueError("points must name at least one parameter, got points={}")
    out = {}
    for name, column in points.items():
        col = np.asarray(column, dtype=float)
        if col.ndim != 1 or col.size == 0:
            raise ValueError(
                f"points[{name!r}] must be a non-empty 1-D array, got shape {col.shape}"
            )
        if not np.all(np.isfinite(col)):
            raise ValueError(f"points[{name!r}] must be finite, got {col}")
        out[str(name)] = col
    lengths = {k: v.size for k, v in out.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"every column of points needs the same length, got {lengths}")
    return out


def grid(**axes: Float[ArrayLike, " _n_values"] | Sequence[float]) -> Points:
    """Full grid over named axes; the last axis varies fastest (C order).

    Example: `grid(I_app=np.linspace(-1, 1, 21), **{"a[1]": [1.0, 2.0]})` gives 42 points.

    Returns:
        Points with `prod(len(values))` entries per column.
    """
    cols = check_points_axes(axes)
    combos = np.array(list(itertools.product(*cols.values())), dtype=float)
    return {name: combos[:, k].copy() for k, name in enumerate(cols)}


def check_points_axes(axes: Mapping[str, ArrayLike | Sequence[float]]) -> Points:
    """Each axis validated as a non-empty finite 1-D array (lengths may differ)."""
    if not axes:
        raise ValueError("at least one axis is needed, got none")
    return {name: check_points({name: values})[name] for name, values in axes.items()}


def _check_ranges(n: int, ranges: Mapping[str, tuple[float, float]]) -> dict:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer ≥ 1, got n={n!r}")
    if not ranges:
        raise ValueError("at least one parameter range (low, high) is needed, got none")
    out = {}
    for name, bounds in ranges.items():
        low, high = (float(b) for b in bounds)
        if not (np.isfinite(low) and np.isfinite(high) and high > low):
            raise ValueError(f"range of {name!r} must be finite with high > low, got {bounds!r}")
        out[name] = (low, high)
    return out


def random(n: int, *, seed: int, **ranges: tuple[float, float]) -> Points:
    """`n` points drawn uniformly and independently in the box `ranges` (name=(low, high)).

    Returns one float64 column of shape `(n,)` per name.
    """
    ranges = _check_ranges(n, ranges)
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(low, high, n) for name, (low, high) in ranges.items()}


def latin_hypercube(n: int, *, seed: int, **ranges: tuple[float, float]) -> Points:
    """`n` Latin-hypercube points in the box `ranges` (name=(low, high)).

    Each axis is cut into `n` equal strata and every stratum holds exactly one point
    (uniform inside it); the strata are paired across axes by independent permutations.
    Returns one float64 column of shape `(n,)` per name.
    """
    ranges = _check_ranges(n, ranges)
    rng = np.random.default_rng(seed)
    out = {}
    for name, (low, high) in ranges.items():
        u = (rng.permutation(n) + rng.uniform(0.0, 1.0, n)) / n
        out[name] = low + (high - low) * u
    return out
