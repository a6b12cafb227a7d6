"""Test configuration: float64 available (models stay float32 unless asked), shared solvers.

pytest runs with `--jaxtyping-packages=felice,beartype.beartype` (pyproject.toml): every
jaxtyping annotation in felice is checked at call time.
"""

import contextlib

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import jaxtyping
import pytest

jax.config.update("jax_enable_x64", True)


@eqx.filter_jit
def solve(model, y0, ts, rtol=1e-10, atol=1e-12):
    """Tight adaptive Tsit5 solve of `model` from `y0`, saved at `ts` (model time units)."""
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(model.dynamics),
        diffrax.Tsit5(),
        ts[0],
        ts[-1],
        None,
        y0,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        max_steps=200_000,
    )
    return sol.ys


@pytest.fixture
def f64():
    return jnp.float64


@contextlib.contextmanager
def unchecked():
    """Annotation checks off, for calls that pass ill-typed input on purpose to reach
    felice's own ValueError (what a caller without a type checker gets)."""
    jaxtyping.config.update("jaxtyping_disable", True)
    try:
        yield
    finally:
        jaxtyping.config.update("jaxtyping_disable", False)
