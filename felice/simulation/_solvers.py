"""Solvers by name: adaptive Runge–Kutta pairs from diffrax, fixed-step Euler/Heun/RK4."""

from typing import ClassVar

import diffrax
import numpy as np

_rk4_tableau = diffrax.ButcherTableau(
    a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])),
    b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
    b_error=np.zeros(4),  # no embedded method: fixed steps only
    c=np.array([0.5, 0.5, 1.0]),
)


class RK4(diffrax.AbstractERK):
    """The classical fourth-order Runge–Kutta method (fixed step; no error estimate).

    Dense output between steps is cubic Hermite interpolation.
    """

    tableau: ClassVar[diffrax.ButcherTableau] = _rk4_tableau
    interpolation_cls: ClassVar = diffrax.ThirdOrderHermitePolynomialInterpolation.from_k

    def order(self, terms):
        """4: the global order of accuracy."""
        return 4


ADAPTIVE = {
    "tsit5": diffrax.Tsit5,
    "dopri5": diffrax.Dopri5,
    "dopri8": diffrax.Dopri8,
    "bosh3": diffrax.Bosh3,
}
FIXED = {"euler": diffrax.Euler, "heun": diffrax.Heun, "rk4": RK4}


def resolve_solver(solver: str | diffrax.AbstractSolver, dt: float | None) -> diffrax.AbstractSolver:
    """A diffrax solver from a name or instance; check it fits the stepping mode.

    Raises:
        ValueError: for an unknown name, or a fixed-step solver without `dt`.
    """
    if isinstance(solver, diffrax.AbstractSolver):
        return solver
    name = str(solver).lower()
    if name in ADAPTIVE:
        return ADAPTIVE[name]()
    if name in FIXED:
        if dt is None:
            raise ValueError(f"solver={solver!r} is a fixed-step method: give the step size dt")
        return FIXED[name]()
    raise ValueError(
        f"unknown solver={solver!r}; adaptive: {', '.join(ADAPTIVE)}; fixed-step: {', '.join(FIXED)}"
    )
