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

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float

from felice.neuron_models._bistable import AbstractBistableCircuit


class Boomerang(AbstractBistableCircuit):
    """Bistable circuit with fixpoint spikes (equations in the module docstring).

    Defaults: α = 0.0129, β = 15.6 /V, γ = 0.26 /V, ρ = 30 /V, σ = 0.6,
    spike tolerances spike_atol = 1e-6, spike_rtol = 1e-4; hardware as for `WereRabbit`.
    See `AbstractBistableCircuit` for the attributes, state layout and spike condition.

    Example:
        >>> m = Boomerang()
        >>> y0 = m.init_state(4)        # (4, 2), at the stable fixpoint with u > v
    """

    name: ClassVar[str] = "boomerang"
    phase_window: ClassVar[tuple[tuple[float, float], tuple[float, float]]] = ((0.15, 0.4), (0.15, 0.4))
    # gamma = 2 /V damps the ringing around the fixpoints (decay rate 1.8 per time unit
    # instead of 0.26) and spike_atol = 0.02 lets a kicked neuron spike within a few time units.
    # rearm_factor = 1.001: a network neuron re-arms once g < -1e-3·(spike_atol + spike_rtol·rms(y)),
    # clearly negative: right after a fixpoint spike g is within rounding (~1e-7) of zero.
    network_defaults: ClassVar[dict[str, Any]] = dict(
        gamma=2.0, spike_atol=0.02, spike_rtol=1e-4, rearm_factor=1.001
    )
    # A saturating exponential synapse (I_max = 0.3·I_bias): a larger drive pushes a
    # node far above its fixpoint, too stiff for a fixed-step simulation.
    network_synapse: ClassVar[dict[str, Any] | None] = dict(kind="exponential", I_syn_max=0.3)
    # I_a = sigma·I_bias = 40-90 pA: in a network (gamma = 2) the stable fixpoints close
    # in on the saddle as sigma falls (u - v = 0.02 at 0.3), where the rest search fails.
    trainable_bias: ClassVar[dict[str, tuple[float, float]]] = {"sigma": (0.4, 0.9)}
    training_preset: ClassVar[dict[str, Any]] = dict(
        dt=0.02, solver="heun", t_max=8.0, t_late=3.0, readout="mean", readout_gain=100.0,
        condition_scale=0.05, weight_std=(8.0, 4.0), weight_mean=(0.0, 0.0), w_max=20.0,
        tau_syn=2.0, train_bias=False, detach_rearm=True, lr=1e-2,
    )

    _defaults: ClassVar[dict[str, float]] = dict(
        alpha=0.0129, beta=15.6, gamma=0.26, rho=30.0, sigma=0.6, spike_atol=1e-6, spike_rtol=1e-4
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

    def supply_currents(self, y: Float[Array, "neurons 2"]) -> dict[str, Float[Array, " neurons"]]:
        """The I_bias source into u and sink from v (`"bias"`, 2·I_bias) and the coupling
        pair's tail σ·I_bias (`"coupling"`), in A, each `(n_neurons,)`."""
        n = self.check_state(y)
        return {"bias": jnp.broadcast_to(2 * self.I_bias, (n,)),
                "coupling": jnp.broadcast_to(self.sigma * self.I_bias, (n,))}
