"""WereRabbit: a bistable two-node predator/prey circuit.

Model equations (dimensionless, time in C/I_bias, u and v in volts):

    z     = tanh(ρ(u − v))                    (moon phase: which node is the predator)
    du/dτ =  z − z·α·e^{βv}·[1 + γ(0.5 − u)] − σ
    dv/dτ = −z + z·α·e^{βu}·[1 + γ(0.5 − v)] − σ

Circuit form: multiply by I_bias for the currents into the node capacitors C
(I_a = σ·I_bias). The model is symmetric under u ↔ v: its two stable fixpoints are
mirror images across the diagonal u = v, which is the separatrix.
"""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array

from felice.neuron_models.bistable import BistableCircuit


class WereRabbit(BistableCircuit):
    """Bistable predator/prey circuit with fixpoint spikes (equations in the module docstring).

    Defaults: α = 0.0129, β = 15.6 /V, γ = 0.26 /V, ρ = 5 /V, σ = 0.6,
    spike tolerances atol = rtol = 1e-3; hardware C = 0.1 pF, I_bias = 100 pA,
    U_t = 25 mV (κ = 0.39, I_n0 = 1.29 pA, 1 ms per model time unit).
    See `BistableCircuit` for the attributes, state layout and spike condition.

    Example:
        >>> m = WereRabbit()
        >>> y0 = m.init_state(4)        # (4, 2), at the stable fixpoint with u > v
    """

    _defaults: ClassVar[dict[str, float]] = dict(
        alpha=0.0129, beta=15.6, gamma=0.26, rho=5.0, sigma=0.6, atol=1e-3, rtol=1e-3
    )

    def _branch_currents(self, u: Array, v: Array) -> dict[str, Array]:
        z = jnp.tanh(self.rho * (u - v))
        return {
            "bias_u": z,
            "nfet_u": -z * self.alpha * jnp.exp(self.beta * v) * (1 + self.gamma * (0.5 - u)),
            "a_u": -self.sigma * jnp.ones_like(u),
            "bias_v": -z,
            "nfet_v": z * self.alpha * jnp.exp(self.beta * u) * (1 + self.gamma * (0.5 - v)),
            "a_v": -self.sigma * jnp.ones_like(v),
        }
