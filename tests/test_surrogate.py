"""Surrogate spikes: exact steps forward, the published derivative shapes backward."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from felice.surrogate import (
    Arctan,
    FastSigmoid,
    Sigmoid,
    SmoothSigmoid,
    Triangle,
    get_surrogate,
)

X = np.concatenate([np.linspace(-3.0, 3.0, 61), [-1e-12, 0.0, 1e-12]])


def _formula(name, x, p):
    """The derivative shapes written out independently in NumPy."""
    if name == "fast_sigmoid":
        return 1.0 / (1.0 + p * np.abs(x)) ** 2
    if name == "arctan":
        return (p / 2) / (1.0 + (math.pi * p * x / 2) ** 2)
    if name == "triangle":
        return p * np.maximum(0.0, 1.0 - np.abs(x) / 1.0)
    s = 1.0 / (1.0 + np.exp(-p * x))
    return p * s * (1 - s)


CASES = [("fast_sigmoid", FastSigmoid, 25.0), ("arctan", Arctan, 2.0),
         ("triangle", Triangle, 0.3), ("sigmoid", Sigmoid, 25.0)]


@pytest.mark.parametrize("name,cls,p", CASES)
@pytest.mark.parametrize("scale", [1.0, 0.05])
def test_forward_is_exact_step_and_derivative_is_formula(name, cls, p, scale):
    s = cls(p, scale=scale)
    x = jnp.asarray(X * scale, jnp.float64)
    out = np.asarray(s(x))
    np.testing.assert_array_equal(out, (X > 0).astype(float))  # exactly 0 or 1, H(0) = 0
    grad = np.asarray(jax.vmap(jax.grad(s))(x))
    np.testing.assert_allclose(grad, _formula(name, X, p) / scale, rtol=1e-12, atol=1e-15)
    assert get_surrogate(name, scale=scale) == cls(scale=scale)


def test_surrogate_jvp_and_under_jit():
    s = FastSigmoid(10.0)
    x = jnp.asarray([-0.3, 0.2])
    y, t = jax.jvp(jax.jit(s), (x,), (jnp.asarray([2.0, -1.0]),))
    np.testing.assert_array_equal(np.asarray(y), [0.0, 1.0])
    np.testing.assert_allclose(np.asarray(t), [2 / (1 + 3.0) ** 2, -1 / (1 + 2.0) ** 2], rtol=1e-6)


def test_smooth_sigmoid_matches_finite_differences():
    s = SmoothSigmoid(5.0, scale=0.5)
    x = jnp.asarray(np.linspace(-1, 1, 9), jnp.float64)
    g = jax.vmap(jax.grad(s))(x)
    h = 1e-6
    fd = (s(x + h) - s(x - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="beta"):
        FastSigmoid(-1.0)
    with pytest.raises(ValueError, match="scale"):
        Arctan(scale=0.0)
    with pytest.raises(ValueError, match="unknown surrogate 'relu'"):
        get_surrogate("relu")
