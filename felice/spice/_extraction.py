"""Parameter extraction from simulated sweeps: κ and I_0, the tanh law, conductances."""

from typing import NamedTuple

import numpy as np
from jaxtyping import ArrayLike, Float
from scipy.optimize import least_squares


class SubthresholdFit(NamedTuple):
    """Exponential (weak-inversion) fit I_D = I_0·(W/L)·exp(κ·V_G/U_t) of a saturated transistor.

    Attributes:
        kappa: slope factor κ.
        I_0: specific current in A (the current of a W/L = 1 device at V_G = 0, extrapolated).
        V_lo, V_hi: the gate-drive window in V where the fit was made.
        rms_residual: rms of ln(I_D) − ln(fit) in the window (a relative error).
        n_points: number of sweep points in the window.
    """

    kappa: float
    I_0: float
    V_lo: float
    V_hi: float
    rms_residual: float
    n_points: int


def fit_subthreshold(
    V_g: Float[ArrayLike, " n"],
    I_d: Float[ArrayLike, " n"],
    *,
    U_t: float,
    W_over_L: float = 1.0,
    slope_tolerance: float = 0.05,
) -> SubthresholdFit:
    """Fit κ and I_0 in the exponential region of a gate sweep.

    The exponential region is found from the data: the local slope d ln I_D / dV_G
    peaks there (below it leakage flattens the curve, above it strong inversion
    bends it), so the window is the run of consecutive points around the peak
    whose slope is within `slope_tolerance` of the peak slope.

    Args:
        V_g: gate drive in V (V_GS, or V_SG for a pFET), increasing, shape `(n,)`.
        I_d: drain current in A (> 0), shape `(n,)`.
        U_t: thermal voltage in V.
        W_over_L: the transistor's aspect ratio (I_0 is per unit W/L).
        slope_tolerance: relative slope drop that ends the window.

    Raises:
        ValueError: for mismatched or too short inputs, non-positive currents, or
            a window of fewer than 3 points.
    """
    V = np.asarray(V_g, dtype=np.float64)
    I = np.asarray(I_d, dtype=np.float64)
    if V.shape != I.shape or V.ndim != 1 or V.size < 5:
        raise ValueError(
            f"V_g and I_d must be 1-D of equal length ≥ 5, got {V.shape} and {I.shape}"
        )
    if not np.all(I > 0) or not np.all(np.diff(V) > 0):
        raise ValueError("I_d must be positive and V_g increasing for an exponential fit")
    log_I = np.log(I)
    slope = np.gradient(log_I, V)
    peak = int(np.argmax(slope))
    ok = slope >= (1 - slope_tolerance) * slope[peak]
    lo = peak
    while lo > 0 and ok[lo - 1]:
        lo -= 1
    hi = peak
    while hi < V.size - 1 and ok[hi + 1]:
        hi += 1
    if hi - lo + 1 < 3:
        raise ValueError(
            "no exponential region of at least 3 points "
            f"(slope within {slope_tolerance:.0%} of its peak)"
        )
    window = slice(lo, hi + 1)
    (b, a), *_ = np.linalg.lstsq(
        np.stack([V[window], np.ones(hi - lo + 1)], axis=1), log_I[window], rcond=None
    )
    residual = log_I[window] - (a + b * V[window])
    return SubthresholdFit(
        kappa=float(b * U_t),
        I_0=float(np.exp(a) / W_over_L),
        V_lo=float(V[lo]),
        V_hi=float(V[hi]),
        rms_residual=float(np.sqrt(np.mean(residual**2))),
        n_points=hi - lo + 1,
    )


class TanhFit(NamedTuple):
    """Fit I = I_B·tanh(κ·(ΔV − V_offset)/(2U_t)) of a differential pair or OTA.

    Attributes:
        I_B: amplitude in A (negative for an inverting connection).
        kappa: slope factor κ.
        V_offset: input offset voltage in V.
        max_residual: max |I − fit| over the sweep in A.
    """

    I_B: float
    kappa: float
    V_offset: float
    max_residual: float


def fit_tanh(
    delta_V: Float[ArrayLike, " n"],
    I: Float[ArrayLike, "*curves n"],
    *,
    U_t: float,
    kappa: float | None = None,
) -> TanhFit | list[TanhFit]:
    """Least-squares fit of the tanh law to one or several differential transfer curves.

    Several curves (a 2-D `I`) share one κ and get their own I_B and V_offset:
    one κ describes every OTA of a circuit, as in FHNRS.

    Args:
        delta_V: differential input in V, shape `(n,)`.
        I: output current in A, shape `(n,)` or `(n_curves, n)`.
        U_t: thermal voltage in V.
        kappa: if given, κ is held at this value and only I_B and V_offset are fitted.

    Returns:
        A `TanhFit` for a 1-D `I`, else one per curve.

    Raises:
        ValueError: for mismatched inputs or a fit that does not converge.
    """
    x = np.asarray(delta_V, dtype=np.float64) / (2 * U_t)  # in units of 2U_t: parameters are O(1)
    y = np.asarray(I, dtype=np.float64)
    curves = np.atleast_2d(y)
    if x.ndim != 1 or x.size < 4 or curves.ndim != 2 or curves.shape[1] != x.size:
        raise ValueError(
            "delta_V must be 1-D (≥ 4 points) and I end in the same length, "
            f"got {x.shape}, {y.shape}"
        )
    scale = np.max(np.abs(curves), axis=1, keepdims=True)
    if not np.all(scale > 0):
        raise ValueError("every transfer curve must carry a non-zero current")
    target = curves / scale
    m = curves.shape[0]

    def unpack(p):
        k = p[0] if kappa is None else kappa
        amp, x0 = p[-2 * m :: 2], p[-2 * m + 1 :: 2]
        return k, amp, x0

    def residual(p):
        k, amp, x0 = unpack(p)
        return (amp[:, None] * np.tanh(k * (x[None] - x0[:, None])) - target).ravel()

    p0 = []
    for row in target:
        i_max = np.argmax(np.abs(row))
        p0 += [
            abs(row[i_max]) * np.sign(row[i_max] * (x[i_max] - x[np.argmin(np.abs(row))]) or 1.0),
            0.0,
        ]
    p0 = np.asarray(([0.7] if kappa is None else []) + p0)
    sol = least_squares(residual, p0, xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=10_000)
    if not sol.success:
        raise ValueError(f"the tanh fit did not converge: {sol.message}")
    k, amp, x0 = unpack(sol.x)
    misfit = np.abs(residual(sol.x).reshape(m, -1)) * scale
    fits = [
        TanhFit(
            I_B=float(a * s),
            kappa=float(k),
            V_offset=float(c * 2 * U_t),
            max_residual=float(r.max()),
        )
        for a, c, s, r in zip(amp, x0, scale[:, 0], misfit, strict=True)
    ]
    return fits[0] if y.ndim == 1 else fits


def fit_conductance(
    V: Float[ArrayLike, " n"], I: Float[ArrayLike, " n"], *, half_width: float
) -> tuple[float, float]:
    """Small-signal conductance at V = 0: a straight-line fit over |V| ≤ `half_width`.

    Returns:
        `(g, I_0)`: the slope dI/dV in S and the current at V = 0 in A.

    Raises:
        ValueError: if fewer than 3 points lie in the window.
    """
    V = np.asarray(V, dtype=np.float64)
    I = np.asarray(I, dtype=np.float64)
    window = np.abs(V) <= half_width
    if window.sum() < 3:
        raise ValueError(f"fewer than 3 points within ±{half_width} V of 0")
    g, I_0 = np.polyfit(V[window], I[window], 1)
    return float(g), float(I_0)
