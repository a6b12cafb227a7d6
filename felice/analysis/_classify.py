"""Behaviour of a neuron at an applied current, read from its I–V curves and equilibria.

Rules (after Ribar & Sepulchre, with the stability of the equilibria deciding the
borders that the geometry alone places only in the limit of infinitely separated
timescales). Let g_k(V*) be the conductance of curve k at an equilibrium V*, with
the slower variables held at that equilibrium; "fast" is the first timescale class
(the instantaneous curve for a model whose clamp has no other variables, e.g. the LIF).

- two or more stable equilibria → "bistable";
- one stable equilibrium: if some equilibrium that is not a saddle lies in a
  negative-conductance region of the fast curve (g_fast(V*) < 0), a relaxation
  cycle coexists with the rest → "bistable"; else "excitable" if the fast curve
  has a negative-conductance region anywhere in the model's `clamp_range`, "rest"
  if not;
- no stable equilibrium: "bursting" if at some equilibrium an intermediate curve
  (slower than fast, faster than steady state) has negative conductance while the
  steady-state conductance is positive (slow regenerative, ultraslow restoring
  feedback); "spiking" otherwise, also when there is no equilibrium at all.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float

from felice.analysis._equilibria import KINDS, neuron_batch
from felice.analysis._equilibria import _one_neuron as _equilibria_one
from felice.analysis._iv import clamp_point, settled_masks
from felice.neuron_models import AbstractNeuron, AbstractVoltageClamp, require

LABELS = ("rest", "excitable", "spiking", "bistable", "bursting")
"""The possible results of `classify`."""

_SADDLE = KINDS.index("saddle")


def _fast(n_curves: int) -> int:
    """Index of the fast curve: the first timescale class, or the instantaneous curve
    when the clamp has no variables (only one curve)."""
    return min(1, n_curves - 1)


def _one(model, I, masks, n_v, max_equilibria):
    states, _, kind, _, _ = _equilibria_one(model, None, I, 32, max_equilibria)
    filled = kind >= 0
    stable = (kind == 0) | (kind == 1)

    def conductances(y):
        V, x = model.clamp_split(jnp.where(jnp.isfinite(y), y, 0.0))
        return jax.vmap(lambda s: clamp_point(model, V, x, s, 1)[1][0])(masks)

    G = jax.vmap(conductances)(states)  # (max_eq, n_curves)
    rest = states[jnp.argmax(jnp.where(filled, stable * 2 + 1, 0))]
    lo, hi = model.clamp_range(I)
    V, x_rest = model.clamp_split(jnp.where(jnp.isfinite(rest), rest, 0.0))
    G_fast = jax.vmap(lambda v: clamp_point(model, v, x_rest, masks[_fast(masks.shape[0])], 1)[1][0])(
        jnp.linspace(lo, hi, n_v)
    )
    return kind, G, jnp.any(G_fast < 0)


@eqx.filter_jit
def _classify_data(model, I, masks, n_v, max_equilibria):
    fn = lambda m, i: _one(m, i, masks, n_v, max_equilibria)  # noqa: E731
    return eqx.filter_vmap(fn)(model, I)


def _label(kind: np.ndarray, G: np.ndarray, fast_nc: bool) -> str:
    filled = kind >= 0
    stable = filled & (kind <= 1)
    if stable.sum() >= 2:
        return "bistable"
    if stable.sum() == 1:
        if np.any(filled & (kind != _SADDLE) & (G[:, _fast(G.shape[1])] < 0)):
            return "bistable"
        return "excitable" if fast_nc else "rest"
    mid = G[:, 2:-1]
    if mid.shape[1] and np.any(filled & np.any(mid < 0, axis=1) & (G[:, -1] > 0)):
        return "bursting"
    return "spiking"


def classify(
    model: AbstractNeuron,
    I_app: Float[ArrayLike, "*neurons"] | None = None,
    *,
    n_v: int = 201,
    max_equilibria: int = 8,
) -> str | list[str]:
    """One of `LABELS` for the model at applied current I_app (rules in the module docstring).

    Args:
        model: a model with a voltage clamp.
        I_app: total applied current into the clamped node, model units, scalar or
            one value per neuron (FHNRS: replaces I_app; bistable circuits: a current
            into u). None: the model's own input.
        n_v: grid size over `model.clamp_range` on which the fast curve's
            negative-conductance region is looked for.
        max_equilibria: equilibria kept per neuron.

    Returns:
        A label for a single neuron; a list of labels for a population (per-neuron
        parameters or a vector I_app).

    Raises:
        ValueError: for n_v < 2, or I_app not finite or of the wrong shape.
    """
    require(model, AbstractVoltageClamp, "felice.analysis.classify")
    if not isinstance(n_v, int) or n_v < 2:
        raise ValueError(f"n_v must be an integer >= 2, got n_v={n_v!r}")
    n, pop, I = neuron_batch(model, I_app, "I_app")
    masks = jnp.asarray(settled_masks(model))
    kind, G, fast_nc = (np.asarray(a) for a in _classify_data(pop, I, masks, n_v, max_equilibria))
    labels = [_label(kind[i], G[i], bool(fast_nc[i])) for i in range(kind.shape[0])]
    return labels if n is not None else labels[0]
