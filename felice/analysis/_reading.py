"""Reading I–V curves: zero crossings at an applied current, negative-conductance intervals, folds.

These work on the grid of an `IVCurves` of a single neuron, on the parts of a curve
that are single-valued (NaN elsewhere), and return NumPy values (host side, not
traceable). Zero crossings are refined with the cubic Hermite interpolant built
from I and the exact dI/dV; conductance zeros (folds, ends of negative-conductance
intervals) by linear interpolation of dI/dV, accurate to O(h²) on a grid of step h.
"""

import numpy as np

from felice.analysis._iv import IVCurves


def _single(curves: IVCurves, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    I = np.asarray(curves[name])
    if I.ndim != 1:
        raise ValueError(
            f"reading curves needs a single neuron, got curves of shape {I.shape}: "
            "index the neuron first, e.g. with jax.tree_util.tree_map"
        )
    return np.asarray(curves.V), I, np.asarray(curves.conductance(name))


def _sign_changes(f: np.ndarray) -> np.ndarray:
    """Indices i where f changes sign between grid points i and i + 1 (both finite)."""
    ok = np.isfinite(f[:-1]) & np.isfinite(f[1:])
    return np.flatnonzero(ok & (np.sign(f[:-1]) * np.sign(f[1:]) < 0))


def _linear_zero(V: np.ndarray, f: np.ndarray, i: int | np.integer) -> float:
    return float(V[i] - f[i] * (V[i + 1] - V[i]) / (f[i + 1] - f[i]))


def zero_crossings(curves: IVCurves, name: str, I_app: float = 0.0) -> np.ndarray:
    """Voltages where curve `name` equals the applied current I_app (model units).

    For the steady-state curve these are the equilibria at I_app. An exact zero at a
    grid point counts once.

    Returns:
        Sorted array of voltages (model units).
    """
    V, I, G = _single(curves, name)
    f = I - I_app
    roots = [float(V[k]) for k in np.flatnonzero(f == 0)]
    for i in _sign_changes(f):
        h = V[i + 1] - V[i]
        # Cubic Hermite interpolant on [V_i, V_i+1] in s ∈ [0, 1]; Newton from the linear guess.
        f0, f1, d0, d1 = f[i], f[i + 1], G[i] * h, G[i + 1] * h
        s = f0 / (f0 - f1)
        for _ in range(8):
            h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
            p = h00 * f0 + h10 * d0 + h01 * f1 + h11 * d1
            dp = (6 * s**2 - 6 * s) * f0 + (3 * s**2 - 4 * s + 1) * d0 + (6 * s - 6 * s**2) * f1 + (3 * s**2 - 2 * s) * d1
            if dp == 0:
                break
            s = min(max(s - p / dp, 0.0), 1.0)
        roots.append(float(V[i] + s * h))
    return np.sort(np.asarray(roots, dtype=float))


def folds(curves: IVCurves, name: str) -> np.ndarray:
    """Fold points of curve `name`: voltages where dI/dV changes sign (its local extrema).

    Returns:
        Sorted array of voltages (model units).
    """
    V, _, G = _single(curves, name)
    return np.asarray([_linear_zero(V, G, i) for i in _sign_changes(G)], dtype=float)


def negative_conductance(curves: IVCurves, name: str) -> list[tuple[float, float]]:
    """Intervals (V_low, V_high) where curve `name` has dI/dV < 0.

    An interval that reaches the end of the grid or a multi-valued part ends at the
    last grid point where the curve is single-valued with negative slope.
    """
    V, _, G = _single(curves, name)
    neg = np.isfinite(G) & (G < 0)
    intervals = []
    k = 0
    while k < len(V):
        if not neg[k]:
            k += 1
            continue
        start = k
        while k + 1 < len(V) and neg[k + 1]:
            k += 1
        lo = _linear_zero(V, G, start - 1) if start > 0 and np.isfinite(G[start - 1]) else float(V[start])
        hi = _linear_zero(V, G, k) if k + 1 < len(V) and np.isfinite(G[k + 1]) else float(V[k])
        intervals.append((lo, hi))
        k += 1
    return intervals
