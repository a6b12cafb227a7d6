"""Subthreshold primitives against analytic results and scipy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.constants as sc
from scipy.integrate import solve_ivp

from felice import hardware as hw


def test_thermal_voltage_matches_codata():
    T = np.array([250.0, 300.0, 350.0])
    np.testing.assert_allclose(hw.thermal_voltage(T), sc.k * T / sc.e, rtol=1e-12)
    assert abs(float(hw.thermal_voltage(300.0)) - 0.025852) < 1e-6


def test_nfet_exponential_slope_and_saturation():
    kw = dict(I_0=0.5e-12, kappa=0.7, U_t=0.025)
    # d ln I / dV_g = κ/U_t in saturation (autodiff vs analytic).
    slope = jax.grad(lambda vg: jnp.log(hw.nfet_current(vg, 0.0, 0.5, **kw)))(0.3)
    np.testing.assert_allclose(slope, 0.7 / 0.025, rtol=1e-9)
    # Saturated current: I_0 e^{κV_g/U_t} e^{−V_s/U_t}, independent of V_d.
    sat = 0.5e-12 * np.exp(0.7 * 0.3 / 0.025) * np.exp(-0.05 / 0.025)
    np.testing.assert_allclose(hw.nfet_current(0.3, 0.05, 1.0, **kw), sat, rtol=1e-9)
    assert float(hw.nfet_current(0.3, 0.1, 0.1, **kw)) == 0.0
    # Symmetric device: swapping source and drain reverses the current.
    np.testing.assert_allclose(
        hw.nfet_current(0.3, 0.02, 0.07, **kw), -hw.nfet_current(0.3, 0.07, 0.02, **kw), rtol=1e-12
    )


def test_pfet_is_the_mirrored_nfet():
    kw = dict(I_0=0.5e-12, kappa=0.66, U_t=0.025)
    V_dd = 1.8
    got = hw.pfet_current(1.5, 1.8, 1.0, V_b=V_dd, **kw)
    expected = 0.5e-12 * np.exp(0.66 * 0.3 / 0.025) * (1 - np.exp(-0.8 / 0.025))
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_diff_pair_transconductance_and_saturation():
    kw = dict(I_b=1e-9, kappa=0.7, U_t=0.025)
    g_m = jax.grad(lambda dv: hw.diff_pair_current(dv, **kw))(0.0)
    np.testing.assert_allclose(g_m, hw.ota_transconductance(1e-9, kappa=0.7, U_t=0.025), rtol=1e-12)
    np.testing.assert_allclose(g_m, 0.7 * 1e-9 / 0.05, rtol=1e-12)
    np.testing.assert_allclose(hw.diff_pair_current(jnp.array([-1.0, 1.0]), **kw), [-1e-9, 1e-9], rtol=1e-9)


def test_ota_c_time_constant_matches_a_simulated_filter():
    """A 1 mV step through an OTA-C follower (tanh law) settles with τ = 2CU_t/(κI_b)."""
    C, I_b, kappa, U_t = 1e-12, 1e-9, 0.7, 0.025
    tau = float(hw.ota_c_time_constant(C, I_b, kappa=kappa, U_t=U_t))
    np.testing.assert_allclose(tau, 2 * C * U_t / (kappa * I_b), rtol=1e-12)
    step = 1e-4  # small against 2U_t/κ, so the filter is linear

    def rhs(t, V):
        return I_b * np.tanh(kappa * (step - V) / (2 * U_t)) / C

    sol = solve_ivp(rhs, (0, 3 * tau), [0.0], rtol=1e-11, atol=1e-16, t_eval=[tau, 2 * tau])
    np.testing.assert_allclose(sol.y[0] / step, 1 - np.exp(-np.array([1.0, 2.0])), rtol=1e-5)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_safe_exp_is_finite_and_exact_below_the_cap(dtype):
    x = jnp.asarray([-5.0, 0.0, 10.0], dtype)
    np.testing.assert_allclose(hw.safe_exp(x), np.exp(np.asarray(x, float)), rtol=1e-6)
    big = hw.safe_exp(jnp.asarray([1e3, 1e6], dtype))
    assert big.dtype == dtype
    assert bool(jnp.all(jnp.isfinite(big))) and bool(jnp.all(jnp.isfinite(big**2)))
