"""Device mismatch: per-neuron random variation of bias currents and of κ."""

import equinox as eqx
from jaxtyping import PRNGKeyArray

from felice._validation import check_positive
from felice.networks._network import SpikingNetwork
from felice.neuron_models import AbstractCircuit, AbstractNeuron, require


def apply_mismatch(
    network: SpikingNetwork,
    key: PRNGKeyArray,
    *,
    sigma_bias: float = 0.1,
    sigma_kappa: float = 0.02,
) -> SpikingNetwork:
    """A copy of `network` whose neurons carry independent random device mismatch.

    Every bias current of a neuron is multiplied by its own log-normal factor
    exp(σ_bias·ξ) (ξ standard normal), and κ by 1 + σ_κ·ξ':
    - FHNRS: the element biases |a_x|, the passive bias g and the applied current
      I_app scale with the bias factors. A per-neuron κ_i = r·κ scales every OTA's
      tanh argument and transconductance by r; in the rescaled voltage W = r·V the
      model is again an FHNRS with C/r, τ_x/r, r·δ_x, r·E_rev and r·V_th, which
      is how it is applied (the unit fields stay those of the nominal κ).
    - WereRabbit, Boomerang: I_n0 (α = I_n0/I_bias) and I_a (σ) scale with the
      bias factors, and β = κ/U_t with κ.

    Args:
        network: the nominal network.
        key: JAX PRNG key.
        sigma_bias: relative spread of bias currents (log-normal σ, ≥ 0).
        sigma_kappa: relative spread of κ (≥ 0).

    Returns:
        The mismatched network (same structure, per-neuron neuron parameters).

    Raises:
        ValueError: if sigma_bias or sigma_kappa is negative or not finite.
    """
    m = mismatch_neurons(network.neuron, network.n_neurons, key, sigma_bias=sigma_bias,
                         sigma_kappa=sigma_kappa)
    return eqx.tree_at(lambda net: net.neuron, network, m)


def mismatch_neurons(
    model: AbstractNeuron,
    n_neurons: int,
    key: PRNGKeyArray,
    *,
    sigma_bias: float = 0.1,
    sigma_kappa: float = 0.02,
) -> AbstractNeuron:
    """`n_neurons` independently mismatched copies of `model` as one population, by the
    circuit's own rule (`AbstractCircuit.mismatch`; see `apply_mismatch`).

    Returns:
        The population model with parameters of shape `(n_neurons, ...)` (unit fields unchanged).

    Raises:
        ValueError: if sigma_bias or sigma_kappa is negative or not finite.
        TypeError: if `model` is not an `AbstractCircuit` (it has no mismatch rule).
    """
    check_positive("sigma_bias", sigma_bias, allow_zero=True)
    check_positive("sigma_kappa", sigma_kappa, allow_zero=True)
    require(model, AbstractCircuit, "felice.networks.mismatch_neurons")
    return model.mismatch(key, n_neurons, sigma_bias=sigma_bias, sigma_kappa=sigma_kappa)
