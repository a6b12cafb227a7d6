"""The LIF circuit: spike times against scipy and the closed-form ISI, reset and refractory
hold, the hardware view, validation, mismatch and spike-time gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

import felice
from felice import LIF
from felice.inputs import SpikeTrain

F64 = jnp.float64
TONIC = dict(I_app=1.5, V_th=12.0, V_reset=1.0, t_refr=4.0, C=1.2, I_leak=0.9)


def lif_si_reference(hw, t1, n_spikes):
    """Spike times in s of the SI circuit C dV/dt = I_app − I_l0(1 − e^{−V/U_t}) from V_reset,
    integrated by scipy with a terminal threshold event; reset and refractory hold in the loop."""

    def rhs(t, V):
        return (hw["I_app"] - hw["I_leak"] * (1 - np.exp(-V / hw["U_t"]))) / hw["C_mem"]

    def crossing(t, V):
        return V[0] - hw["V_th"]

    crossing.terminal, crossing.direction = True, 1
    t, V, times = 0.0, float(hw["V_reset"]), []
    while len(times) < n_spikes:
        sol = solve_ivp(rhs, (t, t1), [V], method="DOP853", events=crossing, rtol=1e-10, atol=1e-16)
        if not sol.t_events[0].size:
            break
        times.append(sol.t_events[0][0])
        t, V = times[-1] + hw["t_refr"], float(hw["V_reset"])
    return np.array(times)


def tonic_run(model, t1, **kw):
    y0 = jnp.full((1, 1), model.V_reset, F64)
    return felice.simulate(model, t1=t1, y0=y0, rtol=1e-10, atol=1e-14, max_spikes=8, **kw)


def test_spike_times_match_scipy_events_with_reset_and_refractory_periods():
    model = LIF(**TONIC, dtype=F64)
    result = tonic_run(model, t1=100.0)
    hw = {k: float(v) for k, v in model.to_circuit().items()}
    n = int(result.spike_counts[0])
    assert n >= 3  # several spikes, each followed by a refractory period
    ref = lif_si_reference(hw, 100.0 * hw["time_unit"], n)
    got = np.asarray(result.spike_times[0, :n]) * hw["time_unit"]
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=0)


def test_interspike_interval_equals_the_closed_form_and_quadrature():
    p = TONIC
    model = LIF(**p, dtype=F64)
    times = np.asarray(tonic_run(model, t1=100.0).spike_times[0])
    times = times[np.isfinite(times)]
    a, b = p["I_app"] - p["I_leak"], p["I_leak"]
    closed = p["C"] / a * np.log((a * np.exp(p["V_th"]) + b) / (a * np.exp(p["V_reset"]) + b))
    by_quad, _ = quad(lambda V: p["C"] / (p["I_app"] - b * (1 - np.exp(-V))), p["V_reset"], p["V_th"],
                      epsabs=0, epsrel=1e-13)
    np.testing.assert_allclose(closed, by_quad, rtol=1e-11)
    np.testing.assert_allclose(times[0], closed, rtol=1e-8)
    np.testing.assert_allclose(np.diff(times), closed + p["t_refr"], rtol=1e-8)


def test_refractory_hold_is_exactly_v_reset_for_t_refr():
    model = LIF(**TONIC, dtype=F64)
    first = float(tonic_run(model, t1=30.0).spike_times[0, 0])
    ts = np.concatenate([np.linspace(first + 1e-6, first + TONIC["t_refr"] - 1e-6, 9),
                         [first + TONIC["t_refr"] + 0.5]])
    result = tonic_run(model, t1=float(ts[-1]), saveat=ts)
    V = np.asarray(result.ys[:, 0, 0])
    assert np.all(V[:-1] == TONIC["V_reset"])
    assert V[-1] > TONIC["V_reset"] + 0.1  # released: charging again
    # The branch currents still sum to C·dV/dt = 0 during the hold (the reset switch sinks them).
    y = jnp.asarray(V[:1, None])
    currents = model.currents(y, {"refractory": jnp.array([True])})
    assert float(sum(currents.values())[0]) == pytest.approx(0.0, abs=1e-15)
    assert float(currents["reset"][0]) < 0


def test_input_spike_is_a_charge_kick_and_a_kick_over_threshold_is_a_spike():
    model = LIF(C=2.0, V_th=5.0, dtype=F64)
    y = model.input_spike(jnp.zeros((2, 1), F64), jnp.array([1.0, 3.0]))
    np.testing.assert_allclose(np.asarray(y[:, 0]), [0.5, 1.5])
    # Kicks of ΔV = 2 at t = 1, 2, ...; between kicks the leak decays V exactly as
    # e^V − 1 = (e^{V0} − 1)·e^{−t/C}. The kick that lifts V over V_th is a spike at its
    # time (a regression test: the engine used to miss a threshold jumped over by a kick).
    times = jnp.arange(1.0, 11.0)
    train = SpikeTrain(times, jnp.zeros(10, int), jnp.full(10, 4.0))
    V, expected = 0.0, None
    for t in np.asarray(times):
        V = np.log1p(np.expm1(V) * np.exp(-1.0 / 2.0)) if t > 1 else V
        V += 2.0
        if V >= 5.0:
            expected = t
            break
    result = felice.simulate(model, t1=float(expected) + 0.5, inputs=train, saveat=[float(expected) + 0.5],
                             rtol=1e-10, atol=1e-12)
    assert int(result.spike_counts[0]) == 1
    assert float(result.spike_times[0, 0]) == expected
    assert float(result.ys[0, 0, 0]) == 0.0  # reset and held (t_refr = 4)


def test_circuit_round_trip_and_units():
    model = LIF.from_circuit(C_mem=[1e-12, 2e-12], I_leak=[50e-12, 150e-12], I_app=80e-12, V_th=0.25,
                             V_reset=0.02, t_refr=2e-3, dtype=F64)
    hw = model.to_circuit()
    assert set(hw) == set(LIF.circuit_units)
    twin = LIF.from_circuit(**{k: v for k, v in hw.items() if not k.endswith("_unit")}, dtype=F64)
    for k, v in twin.to_circuit().items():
        np.testing.assert_allclose(np.asarray(v), np.asarray(hw[k]), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(hw["I_leak"]), [50e-12, 150e-12], rtol=1e-14)
    assert float(model.time_unit) == pytest.approx(1.5e-12 * 0.025 / 100e-12)
    assert float(model.voltage_unit) == 0.025
    # SI defaults are the model defaults.
    default = LIF.from_circuit(dtype=F64)
    for k, v in LIF(dtype=F64).param_values().items():
        np.testing.assert_allclose(np.asarray(getattr(default, k)), np.asarray(v), rtol=1e-12)
    assert felice.MODELS["lif"] is LIF and LIF.preset("tonic").I_app == 1.5


@pytest.mark.parametrize("kwargs, name", [
    (dict(C=0.0), "C"), (dict(I_leak=-1.0), "I_leak"), (dict(V_reset=13.0), "V_reset"),
    (dict(t_refr=-1.0), "t_refr"), (dict(kappa=1.5), "kappa"), (dict(I_app=np.nan), "I_app"),
    (dict(U_t=0.0), "U_t"),
])
def test_bad_parameters_are_refused(kwargs, name):
    with pytest.raises(ValueError, match=name):
        LIF(**kwargs)


def test_bad_circuit_values_are_refused():
    with pytest.raises(ValueError, match="C_mem"):
        LIF.from_circuit(C_mem=-1e-12)
    with pytest.raises(ValueError, match="I_leak"):
        LIF.from_circuit(I_leak=0.0)


def test_mismatch_gives_per_neuron_parameters():
    model = LIF(**TONIC, dtype=F64)
    m = model.mismatch(jax.random.PRNGKey(0), 5, sigma_bias=0.2, sigma_kappa=0.05)
    assert m.population_size() == 5
    for k in ("I_leak", "I_app", "I_cmp", "I_refr", "t_refr"):
        assert getattr(m, k).shape == (5,) and np.unique(np.asarray(getattr(m, k))).size == 5
    # The refractory timer: I_refr·t_refr is kept (the timer's charge).
    np.testing.assert_allclose(np.asarray(m.I_refr * m.t_refr), float(model.I_refr * model.t_refr))
    assert m.kappa.shape == () and float(m.kappa) == float(model.kappa)
    same = model.mismatch(jax.random.PRNGKey(0), 3, sigma_bias=0.0, sigma_kappa=0.0)
    np.testing.assert_array_equal(np.asarray(same.I_leak), np.full(3, TONIC["I_leak"]))
    supply = m.supply_currents(m.init_state(5))
    np.testing.assert_allclose(np.asarray(supply["leak_bias"]), np.asarray(m.I_leak) * 100e-12)


@pytest.mark.slow
def test_spike_time_gradient_matches_finite_differences():
    def second_spike(I_app):
        model = LIF(**{**TONIC, "I_app": I_app}, dtype=F64)
        return tonic_run(model, t1=60.0).spike_times[0, 1]

    I0, h = 1.5, 1e-5
    grad = float(jax.grad(second_spike)(I0))
    fd = (float(second_spike(I0 + h)) - float(second_spike(I0 - h))) / (2 * h)
    assert np.isfinite(grad) and grad < 0
    np.testing.assert_allclose(grad, fd, rtol=1e-5)
