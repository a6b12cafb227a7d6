"""Subthreshold (weak-inversion) device physics in SI units.

Every function here is a pure `jax.numpy` expression: it broadcasts over array
arguments, works under `jax.jit`/`jax.vmap` and is differentiable.

Units: volts (V), amperes (A), farads (F), seconds (s), kelvin (K).

Arguments outside their physical domain (T ≤ 0, currents, capacitances or U_t ≤ 0,
κ outside (0, 1], non-finite voltages) raise `ValueError` naming them, where they are
concrete (inside `jit` they are tracers and are not checked).
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_finite, check_interval, check_positive

BOLTZMANN = 1.380649e-23
"""Boltzmann constant k_B in J/K (exact SI value)."""

ELEMENTARY_CHARGE = 1.602176634e-19
"""Elementary charge q in C (exact SI value)."""

ROOM_TEMPERATURE = 300.0
"""Reference temperature in K used for defaults (U_t = 25.85 mV)."""


def thermal_voltage(T: Float[ArrayLike, "*shape"] = ROOM_TEMPERATURE) -> Float[Array, "*shape"]:
    """Thermal voltage U_t = k_B·T/q in volts.

    Args:
        T: temperature in kelvin, any shape.

    Returns:
        U_t in volts, same shape as `T` (25.85 mV at 300 K).

    Raises:
        ValueError: unless T > 0 and finite.
    """
    check_positive("T", T)
    return BOLTZMANN * jnp.asarray(T) / ELEMENTARY_CHARGE


def nfet_current(
    V_g: Float[ArrayLike, "*shape"],
    V_s: Float[ArrayLike, "*shape"],
    V_d: Float[ArrayLike, "*shape"],
    *,
    I_0: Float[ArrayLike, "*shape"],
    kappa: Float[ArrayLike, "*shape"],
    U_t: Float[ArrayLike, "*shape"],
    W_over_L: Float[ArrayLike, "*shape"] = 1.0,
) -> Float[Array, "*shape"]:
    """Drain current of an nFET in weak inversion (bulk-referenced EKV form).

    I_D = I_0·(W/L)·e^{κV_G/U_t}·(e^{−V_S/U_t} − e^{−V_D/U_t})

    Positive current flows from drain to source. The device is saturated (current
    independent of V_D) once V_DS ≳ 4·U_t.

    Args:
        V_g, V_s, V_d: gate, source and drain voltages relative to the bulk, in V.
        I_0: specific (leakage) current in A.
        kappa: subthreshold slope factor κ, in (0, 1].
        U_t: thermal voltage in V.
        W_over_L: width/length ratio of the transistor.

    Returns:
        Drain current in A, broadcast shape of the arguments.

    Raises:
        ValueError: for non-finite voltages, I_0 ≤ 0, κ outside (0, 1], U_t ≤ 0 or W/L ≤ 0.
    """
    for name, V in (("V_g", V_g), ("V_s", V_s), ("V_d", V_d)):
        check_finite(name, V)
    check_positive("I_0", I_0)
    _check_kappa_U_t(kappa, U_t)
    check_positive("W_over_L", W_over_L)
    return (
        I_0
        * W_over_L
        * jnp.exp(kappa * jnp.asarray(V_g) / U_t)
        * (jnp.exp(-jnp.asarray(V_s) / U_t) - jnp.exp(-jnp.asarray(V_d) / U_t))
    )


def pfet_current(
    V_g: Float[ArrayLike, "*shape"],
    V_s: Float[ArrayLike, "*shape"],
    V_d: Float[ArrayLike, "*shape"],
    *,
    V_b: Float[ArrayLike, "*shape"],
    I_0: Float[ArrayLike, "*shape"],
    kappa: Float[ArrayLike, "*shape"],
    U_t: Float[ArrayLike, "*shape"],
    W_over_L: Float[ArrayLike, "*shape"] = 1.0,
) -> Float[Array, "*shape"]:
    """Source-to-drain current of a pFET in weak inversion.

    The pFET is the nFET law with every voltage measured downwards from the
    well (bulk) voltage V_b:

    I_SD = I_0·(W/L)·e^{κ(V_b−V_G)/U_t}·(e^{−(V_b−V_S)/U_t} − e^{−(V_b−V_D)/U_t})

    Args:
        V_g, V_s, V_d: gate, source and drain voltages in V (absolute).
        V_b: well (bulk) voltage in V, usually the positive rail.
        I_0: specific (leakage) current in A.
        kappa: subthreshold slope factor κ, in (0, 1].
        U_t: thermal voltage in V.
        W_over_L: width/length ratio of the transistor.

    Returns:
        Current flowing from source to drain in A, broadcast shape of the arguments.

    Raises:
        ValueError: as `nfet_current`, and for a non-finite V_b.
    """
    check_finite("V_b", V_b)
    V_b = jnp.asarray(V_b)
    return nfet_current(
        V_b - jnp.asarray(V_g),
        V_b - jnp.asarray(V_s),
        V_b - jnp.asarray(V_d),
        I_0=I_0,
        kappa=kappa,
        U_t=U_t,
        W_over_L=W_over_L,
    )


def diff_pair_current(
    delta_V: Float[ArrayLike, "*shape"],
    *,
    I_b: Float[ArrayLike, "*shape"],
    kappa: Float[ArrayLike, "*shape"],
    U_t: Float[ArrayLike, "*shape"],
) -> Float[Array, "*shape"]:
    """Differential output current of a subthreshold differential pair (or OTA).

    I_1 − I_2 = I_b·tanh(κ·ΔV/(2·U_t))

    Args:
        delta_V: differential input voltage V₊ − V₋ in V.
        I_b: tail (bias) current in A.
        kappa: subthreshold slope factor κ, in (0, 1].
        U_t: thermal voltage in V.

    Returns:
        Output current in A, in (−I_b, I_b), broadcast shape of the arguments.

    Raises:
        ValueError: for a non-finite delta_V, I_b ≤ 0, κ outside (0, 1] or U_t ≤ 0.
    """
    check_finite("delta_V", delta_V)
    check_positive("I_b", I_b)
    _check_kappa_U_t(kappa, U_t)
    return I_b * jnp.tanh(kappa * jnp.asarray(delta_V) / (2 * jnp.asarray(U_t)))


def ota_transconductance(
    I_b: Float[ArrayLike, "*shape"],
    *,
    kappa: Float[ArrayLike, "*shape"],
    U_t: Float[ArrayLike, "*shape"],
) -> Float[Array, "*shape"]:
    """Small-signal transconductance g_m = κ·I_b/(2·U_t) of a subthreshold OTA, in S.

    Args:
        I_b: bias current in A.
        kappa: subthreshold slope factor κ, in (0, 1].
        U_t: thermal voltage in V.

    Returns:
        g_m in siemens (A/V), broadcast shape of the arguments.

    Raises:
        ValueError: for I_b ≤ 0, κ outside (0, 1] or U_t ≤ 0.
    """
    check_positive("I_b", I_b)
    _check_kappa_U_t(kappa, U_t)
    return kappa * jnp.asarray(I_b) / (2 * jnp.asarray(U_t))


def ota_c_time_constant(
    C: Float[ArrayLike, "*shape"],
    I_b: Float[ArrayLike, "*shape"],
    *,
    kappa: Float[ArrayLike, "*shape"],
    U_t: Float[ArrayLike, "*shape"],
) -> Float[Array, "*shape"]:
    """Time constant τ = C/g_m = 2·C·U_t/(κ·I_b) of an OTA-C first-order low-pass filter.

    Args:
        C: filter capacitance in F.
        I_b: OTA bias current in A.
        kappa: subthreshold slope factor κ, in (0, 1].
        U_t: thermal voltage in V.

    Returns:
        τ in seconds, broadcast shape of the arguments.

    Raises:
        ValueError: for C ≤ 0, I_b ≤ 0, κ outside (0, 1] or U_t ≤ 0.
    """
    check_positive("C", C)
    return jnp.asarray(C) / ota_transconductance(I_b, kappa=kappa, U_t=U_t)


def _check_kappa_U_t(kappa: ArrayLike, U_t: ArrayLike) -> None:
    check_interval("kappa", kappa, 0.0, 1.0)
    check_positive("U_t", U_t)
