"""Subthreshold primitives against analytic results and scipy."""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.constants as sc
from scipy.integrate import solve_ivp

import felice
from felice import Boomerang, WereRabbit
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


def test_float32_and_float64_bistable_currents_agree_until_float32_overflows():
    # The old exponent cap (log(max)/2 − 4 = 40.4 in float32) changed the float32 model
    # from u = 2.59 V on; now the two dtypes agree until float32 overflows at βu = 88.7.
    for cls in (WereRabbit, Boomerang):
        y = np.array([[3.0, 0.2], [0.2, 3.0], [3.5, 0.1], [5.6, 0.3]])
        c32 = cls().currents(jnp.asarray(y, jnp.float32))
        c64 = cls(dtype=jnp.float64).currents(jnp.asarray(y, jnp.float64))
        for k in c64:
            np.testing.assert_allclose(np.asarray(c32[k], float), c64[k], rtol=1e-5, atol=1e-6)
        # Past the point where squares of float32 currents overflow, the spike condition
        # (an RMS) is still finite and equal to float64's.
        g32 = cls().spike_condition(0.0, jnp.asarray(y, jnp.float32))
        g64 = cls(dtype=jnp.float64).spike_condition(0.0, jnp.asarray(y, jnp.float64))
        assert bool(jnp.all(jnp.isfinite(g32)))
        np.testing.assert_allclose(np.asarray(g32, float), g64, rtol=1e-5)


def test_beyond_the_float32_exponent_bound_simulate_reports_nonfinite():
    model = WereRabbit()
    y0 = jnp.asarray([[0.3, 0.1], [5.8, 0.1]], jnp.float32)  # β·5.8 V = 90.5 > 88.7
    result = felice.simulate(model, t1=1.0, y0=y0, throw=False)
    assert result.status == felice.Status.NONFINITE
    np.testing.assert_array_equal(np.asarray(result.nonfinite), [False, True])
    # float64 represents that state: its model is finite there.
    f64 = WereRabbit(dtype=jnp.float64).dynamics(0.0, jnp.asarray(y0, jnp.float64))
    assert bool(jnp.all(jnp.isfinite(f64)))
