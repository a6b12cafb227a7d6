"""Boomerang: a bistable circuit that spikes when it arrives at a fixpoint.

Model equations (dimensionless, time in C/I_bias, u and v in volts):

    z     = tanh(ρ(v − u))
    du/dτ =  1 − α·e^{βv}·[1 − γ(0.3 − u)] + σ·z
    dv/dτ = −1 + α·e^{βu}·[1 + γ(0.3 − v)] + σ·z

(+σ·z in du/dτ: with −σ·z the trajectories diverge.) Circuit form: multiply by
I_bias for the currents into the node capacitors C.

Symmetry: the γ terms enter the two nodes with opposite signs, so u ↔ v is a
symmetry only up to O(γ): the two stable fixpoints are mirror images across the
diagonal to within a few mV (exactly for γ = 0, where they become centres).
"""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array

from felice.neuron_models.bistable import BistableCircuit


class Boomerang(BistableCircuit):
    """Bistable circuit with fixpoint spikes (equations in the module docstring).

    Defaults: α = 0.0129, β = 15.6 /V, γ = 0.26 /V, ρ = 30 /V, σ = 0.6,
    spike tolerances atol = 1e-6, rtol = 1e-4; hardware as for `WereRabbit`.
    See `BistableCircuit` for the attributes, state layout and spike condition.

    Example:
        >>> m = Boomerang()
        >>> y0 = m.init_state(4)        # (4, 2), at the stable fixpoint with u > v
    """

    _defaults: ClassVar[dict[str, float]] = dict(
        alpha=0.0129, beta=15.6, gamma=0.26, rho=30.0, sigma=0.6, atol=1e-6, rtol=1e-4
    )

    def _branch_currents(self, u: Array, v: Array) -> dict[str, Array]:
        z = jnp.tanh(self.rho * (v - u))
        return {
            "bias_u": jnp.ones_like(u),
            "nfet_u": -self.alpha * jnp.exp(self.beta * v) * (1 - self.gamma * (0.3 - u)),
            "coupling_u": self.sigma * z,
            "bias_v": -jnp.ones_like(v),
            "nfet_v": self.alpha * jnp.exp(self.beta * u) * (1 + self.gamma * (0.3 - v)),
            "coupling_v": self.sigma * z,
        }
