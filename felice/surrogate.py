"""Surrogate spikes: a Heaviside step forward, a smooth pseudo-derivative backward.

A spike is `H(x)` of a spike condition `x` (V − V_th for FHNRS, the fixpoint
condition g(y) for WereRabbit and Boomerang), with `H(x) = 1` for `x > 0` and 0
otherwise (a condition exactly at zero has not crossed yet). The step has no
useful derivative, so `jax.custom_jvp` replaces it in the tangent (and hence the
gradient) by one of these shapes (x is the condition in units of `scale`):

| class          | derivative used                 | usual slope     |
|----------------|---------------------------------|-----------------|
| `FastSigmoid`  | 1/(1 + β·|x|)²                  | β = 25          |
| `Arctan`       | (α/2)/(1 + (π·α·x/2)²)          | α = 2           |
| `Triangle`     | γ·max(0, 1 − |x|/ϑ)             | γ = 0.3, ϑ = 1  |
| `Sigmoid`      | k·s(kx)·(1 − s(kx)), s logistic | k = 25          |

`SmoothSigmoid` is not a surrogate: its forward pass is the logistic s(kx) itself,
so that gradients of a network that uses it can be checked against finite
differences.
"""

import abc
import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_positive


class Surrogate(eqx.Module):
    """Base of the spike functions: `spike = surrogate(x)`, any shape.

    Slope parameters are static configuration (Python floats), so a surrogate is
    hashable and can parametrise `jax.custom_jvp`.

    Attributes:
        scale: the condition is divided by `scale` before the step (> 0), so one
            surrogate can serve conditions of different magnitudes.
    """

    scale: float = eqx.field(static=True, default=1.0, kw_only=True)

    def __check_init__(self):
        check_positive("scale", self.scale)

    @abc.abstractmethod
    def derivative(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """Pseudo-derivative dH/dx used in the backward pass, at the scaled condition `x`.

        Elementwise: the result has the same shape as `x`.
        """

    def __call__(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """The exact step H(x/scale) ∈ {0, 1}, same shape and dtype as `x`.

        Its derivative with respect to `x` is `derivative(x/scale)/scale`.
        """
        x = jnp.asarray(x)
        return _step(self, x / self.scale)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _step(surrogate: Surrogate, x: Array) -> Array:
    return (x > 0).astype(x.dtype)


@_step.defjvp
def _step_jvp(surrogate: Surrogate, primals, tangents):
    (x,), (dx,) = primals, tangents
    return _step(surrogate, x), surrogate.derivative(x) * dx


class FastSigmoid(Surrogate):
    """SuperSpike / fast sigmoid: derivative 1/(1 + β·|x|)² (Zenke & Ganguli 2018)."""

    beta: float = eqx.field(static=True, default=25.0)

    def __check_init__(self):
        check_positive("beta", self.beta)

    def derivative(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """1/(1 + β·|x|)²; same shape as `x`."""
        return 1.0 / (1.0 + self.beta * jnp.abs(x)) ** 2


class Arctan(Surrogate):
    """Arctan surrogate: derivative (α/2)/(1 + (π·α·x/2)²) (Fang et al. 2021)."""

    alpha: float = eqx.field(static=True, default=2.0)

    def __check_init__(self):
        check_positive("alpha", self.alpha)

    def derivative(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """(α/2)/(1 + (π·α·x/2)²); same shape as `x`."""
        return (self.alpha / 2) / (1.0 + (math.pi * self.alpha * jnp.asarray(x) / 2) ** 2)


class Triangle(Surrogate):
    """Triangle surrogate: derivative γ·max(0, 1 − |x|/ϑ) (Esser 2016; Bellec 2018)."""

    gamma: float = eqx.field(static=True, default=0.3)
    width: float = eqx.field(static=True, default=1.0)

    def __check_init__(self):
        check_positive("gamma", self.gamma)
        check_positive("width", self.width)

    def derivative(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """γ·max(0, 1 − |x|/ϑ) with ϑ = `width`; same shape as `x`."""
        return self.gamma * jnp.maximum(0.0, 1.0 - jnp.abs(x) / self.width)


class Sigmoid(Surrogate):
    """Sigmoid surrogate: derivative k·s(kx)·(1 − s(kx)), s the logistic function."""

    k: float = eqx.field(static=True, default=25.0)

    def __check_init__(self):
        check_positive("k", self.k)

    def derivative(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """k·s(kx)·(1 − s(kx)); same shape as `x`."""
        s = jax.nn.sigmoid(self.k * jnp.asarray(x))
        return self.k * s * (1.0 - s)


class SmoothSigmoid(eqx.Module):
    """A smooth stand-in for the step: forward s(k·x/scale), exact derivative.

    Not a surrogate (its values are not 0/1): use it to check gradients of a
    network against finite differences.
    """

    k: float = eqx.field(static=True, default=25.0)
    scale: float = eqx.field(static=True, default=1.0, kw_only=True)

    def __check_init__(self):
        check_positive("k", self.k)
        check_positive("scale", self.scale)

    def __call__(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """s(k·x/scale), same shape as `x`."""
        return jax.nn.sigmoid(self.k * jnp.asarray(x) / self.scale)


SURROGATES: dict[str, type[Surrogate]] = {
    "fast_sigmoid": FastSigmoid,
    "arctan": Arctan,
    "triangle": Triangle,
    "sigmoid": Sigmoid,
}
"""Surrogate classes by name."""


def get_surrogate(name: str, **params: float) -> Surrogate:
    """Build a surrogate by name (`SURROGATES`), passing slope parameters and `scale`.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.
    """
    try:
        cls = SURROGATES[str(name).lower()]
    except KeyError:
        raise ValueError(
            f"unknown surrogate {name!r}; available: {', '.join(SURROGATES)}"
        ) from None
    return cls(**params)
