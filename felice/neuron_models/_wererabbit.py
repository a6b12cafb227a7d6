"""WereRabbit: a bistable two-node predator/prey circuit.

Model equations (dimensionless, time in C/I_bias, u and v in volts):

    z     = tanh(ρ(u − v))                    (moon phase: which node is the predator)
    du/dτ =  z − z·α·e^{βv}·[1 + γ(0.5 − u)] − σ
    dv/dτ = −z + z·α·e^{βu}·[1 + γ(0.5 − v)] − σ

Circuit form: multiply by I_bias for the currents into the node capacitors C
(I_a = σ·I_bias). The model is symmetric under u ↔ v: its two stable fixpoints are
mirror images across the diagonal u = v, which is the separatrix.
"""

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from felice.neuron_models._bistable import AbstractBistableCircuit


class WereRabbit(AbstractBistableCircuit):
    """Bistable predator/prey circuit with fixpoint spikes (equations in the module docstring).

    Defaults: α = 0.0129, β = 15.6 /V, γ = 0.26 /V, ρ = 5 /V, σ = 0.6,
    spike tolerances spike_atol = spike_rtol = 1e-3; hardware C = 0.1 pF, I_bias = 100 pA,
    U_t = 25 mV (κ = 0.39, I_n0 = 1.29 pA, 1 ms per model time unit).
    See `AbstractBistableCircuit` for the attributes, state layout and spike condition.

    Example:
        >>> m = WereRabbit()
        >>> y0 = m.init_state(4)        # (4, 2), at the stable fixpoint with u > v
    """

    name: ClassVar[str] = "wererabbit"
    phase_window: ClassVar[tuple[tuple[float, float], tuple[float, float]]] = ((-0.1, 0.5), (-0.1, 0.5))
    # gamma = 2 /V damps the ringing around the fixpoints (decay rate 0.67 per time unit
    # instead of 0.14) and spike_atol = 0.02 lets a kicked neuron spike within a few time units.
    # rearm_factor = 1.001: a network neuron re-arms once g < -1e-3·(spike_atol + spike_rtol·rms(y)),
    # clearly negative: right after a fixpoint spike g is within rounding (~1e-7) of zero.
    network_defaults: ClassVar[dict[str, Any]] = dict(
        gamma=2.0, spike_atol=0.02, spike_rtol=1e-3, rearm_factor=1.001
    )
    # A saturating exponential synapse (I_max = 0.3·I_bias): a larger drive pushes a
    # node far above its fixpoint, too stiff for a fixed-step simulation.
    network_synapse: ClassVar[dict[str, Any] | None] = dict(kind="exponential", I_syn_max=0.3)
    # I_a = sigma·I_bias = 30-90 pA at I_bias = 100 pA, where the circuit stays bistable.
    trainable_bias: ClassVar[dict[str, tuple[float, float]]] = {"sigma": (0.3, 0.9)}
    training_preset: ClassVar[dict[str, Any]] = dict(
        dt=0.02, solver="heun", t_max=8.0, t_late=3.0, readout="mean", readout_gain=50.0,
        condition_scale=0.05, weight_std=(4.0, 4.0), weight_mean=(0.0, 0.0), w_max=20.0,
        tau_syn=2.0, train_bias=False, detach_rearm=True, lr=1e-2,
    )

    _defaults: ClassVar[dict[str, float]] = dict(
        alpha=0.0129, beta=15.6, gamma=0.26, rho=5.0, sigma=0.6, spike_atol=1e-3, spike_rtol=1e-3
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

    def supply_currents(self, y: Float[Array, "neurons 2"]) -> dict[str, Float[Array, " neurons"]]:
        """The moon-phase pair's tail I_bias (`"tail"`) and the two I_a = σ·I_bias sinks
        (`"I_a"`), in A, each `(n_neurons,)`."""
        n = self.check_state(y)
        return {"tail": jnp.broadcast_to(self.I_bias, (n,)),
                "I_a": jnp.broadcast_to(2 * self.sigma * self.I_bias, (n,))}
