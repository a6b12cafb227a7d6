"""The DPI neuron: spike times against scipy on Chicca et al.'s equation, reset, refractory
hold with decaying adaptation, the voltage clamp, the hardware view, validation, mismatch
and spike-time gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import felice
from felice import DPINeuron
from felice.analysis import classify, equilibria, iv_curves

F64 = jnp.float64
TONIC = dict(I_dc=3.0)


def feedback_si(hw, I):
    return hw["I_a_gain"] / (1 + np.exp(-(I - hw["I_a_th"]) / hw["I_a_norm"]))


def chicca_rhs(hw):
    """SI: τ(1 + I_th/I)·dI/dt = (I_th/I_τ)(I_in + I_a − I_ahp) − I_th − (1 + (I_ahp − I_a)/I_τ)·I
    + I_0(1 + I_th/I), τ = C·U_t/(κ·I_τ); dI_ahp/dt = −(I_ahp − I_0)/τ_ahp (written from the
    reference equation, independently of felice's node-current form)."""
    tau = hw["C_mem"] * hw["U_t"] / (hw["kappa"] * hw["I_tau"])
    I_th, I_tau, I_0 = hw["I_th"], hw["I_tau"], hw["I_0"]

    def rhs(t, y):
        I, I_ahp = y
        I_a = feedback_si(hw, I)
        drive = (I_th / I_tau) * (hw["I_dc"] + I_a - I_ahp) - I_th - (1 + (I_ahp - I_a) / I_tau) * I
        dI = (drive + I_0 * (1 + I_th / I)) / (tau * (1 + I_th / I))
        return [dI, -(I_ahp - I_0) / hw["tau_ahp"]]

    return rhs


def dpi_si_reference(hw, y0, t1, n_spikes):
    """Spike times in s: scipy with a terminal event at I_mem = I_spk; the reset (I_mem ←
    I_reset, I_ahp += jump) and the hold (I_mem fixed, I_ahp decaying exactly) in the loop."""
    rhs = chicca_rhs(hw)

    def crossing(t, y):
        return np.log(y[0] / hw["I_spk"])

    crossing.terminal, crossing.direction = True, 1
    t, y, times = 0.0, list(y0), []
    while len(times) < n_spikes:
        sol = solve_ivp(rhs, (t, t1), y, method="DOP853", events=crossing, rtol=1e-11, atol=1e-24)
        if not sol.t_events[0].size:
            break
        times.append(sol.t_events[0][0])
        I_ahp = sol.y_events[0][0][1] + hw["I_ahp_jump"]
        I_ahp = hw["I_0"] + (I_ahp - hw["I_0"]) * np.exp(-hw["t_refr"] / hw["tau_ahp"])
        t, y = times[-1] + hw["t_refr"], [hw["I_reset"], I_ahp]
    return np.array(times)


def run(model, t1, **kw):
    return felice.simulate(model, t1=t1, rtol=1e-10, atol=1e-12, max_spikes=16, **kw)


def test_spike_times_match_scipy_events_with_reset_adaptation_and_refractory_periods():
    model = DPINeuron(**TONIC, dtype=F64)
    y0 = model.init_state(1)
    result = run(model, t1=20.0)
    n = int(result.spike_counts[0])
    assert n >= 3
    hw = {k: float(v) for k, v in model.to_circuit().items()}
    y0_si = np.asarray(y0[0]) * hw["current_unit"]
    ref = dpi_si_reference(hw, y0_si, 20.0 * hw["time_unit"], n)
    got = np.asarray(result.spike_times[0, :n]) * hw["time_unit"]
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=0)
    assert np.all(np.diff(np.diff(got)) > 0)  # adaptation: the intervals lengthen


def test_refractory_hold_keeps_i_reset_while_adaptation_decays():
    model = DPINeuron(**TONIC, t_refr=0.5, dtype=F64)
    first = run(model, t1=10.0)
    t_s = float(first.spike_times[0, 0])
    ts = t_s + np.linspace(1e-6, 0.5 - 1e-6, 7)
    result = run(model, t1=float(ts[-1]) + 1e-3, saveat=np.append(ts, float(ts[-1]) + 1e-3))
    I_mem, I_ahp = np.asarray(result.ys[:-1, 0, 0]), np.asarray(result.ys[:-1, 0, 1])
    assert np.all(I_mem == float(model.I_reset))
    decay = np.exp(-(ts - ts[0]) / float(model.tau_ahp))
    np.testing.assert_allclose(I_ahp - 0.1, (I_ahp[0] - 0.1) * decay, rtol=1e-8)
    assert I_ahp[0] > 0.1 + 0.9 * float(model.I_ahp_jump)  # the jump was applied


def test_currents_are_the_node_equation_and_sum_to_the_dynamics():
    model = DPINeuron(I_dc=0.7, dtype=F64)
    y = jnp.array([[0.3, 0.2], [25.0, 0.6]], F64)
    c = model.currents(y)
    V_dot = sum(c.values()) / model.C
    np.testing.assert_allclose(np.asarray(model.dynamics(0.0, y)[:, 0]), np.asarray(y[:, 0] * V_dot))
    hw = {k: float(v) for k, v in model.to_circuit().items()}
    si = np.array([chicca_rhs(hw)(0.0, np.asarray(row) * hw["current_unit"]) for row in y])
    np.testing.assert_allclose(np.asarray(model.dynamics(0.0, y)) * hw["current_unit"] / hw["time_unit"],
                               si, rtol=1e-12)
    held = model.currents(y, {"refractory": jnp.array([True, False])})
    assert float(sum(held.values())[0]) == pytest.approx(0.0, abs=1e-14)
    assert float(held["reset"][1]) == 0.0
    # Observed voltages: V_mem = ln(I_mem/I_0) in units of U_t/κ.
    np.testing.assert_allclose(np.asarray(model.membrane(y)), np.log(np.asarray(y[:, 0]) / 0.1))


@pytest.mark.slow
def test_clamp_curve_equilibria_and_classification():
    model = DPINeuron(I_dc=0.5, dtype=F64)
    V = jnp.linspace(-2.0, 8.0, 21)
    curves = iv_curves(model, V)
    assert curves.names == ("instantaneous", "slow")
    hw = {k: float(v) for k, v in model.to_circuit().items()}

    def closed(V):
        """The input I_in at which Chicca's equation is stationary at I_mem = I_0·e^V (by hand)."""
        I, I_ahp, I_th, I_tau = 0.1 * np.exp(V), 0.1, 10.0, 1.0
        I_a = 100.0 / (1 + np.exp(-(I - 20.0) / 2.0))
        return (I_th + (1 + (I_ahp - I_a) / I_tau) * I - 0.1 * (1 + I_th / I)) * I_tau / I_th - I_a + I_ahp

    v = np.asarray(V)
    for name in curves.names:  # I_ahp at its floor on both curves
        np.testing.assert_allclose(np.asarray(curves[name]), closed(v), rtol=1e-10, atol=1e-12)
    G_fd = (closed(v + 1e-6) - closed(v - 1e-6)) / 2e-6
    np.testing.assert_allclose(np.asarray(curves.conductance("slow")), G_fd, rtol=1e-6, atol=1e-6)
    eq = equilibria(model)
    assert eq.labels == ["stable node", "saddle"]
    np.testing.assert_allclose(np.asarray(eq.states[0]), np.asarray(model.resting_state()[0]), rtol=1e-8)
    rest = np.asarray(eq.states[0])
    assert np.max(np.abs(np.asarray(model.dynamics(0.0, jnp.asarray(rest[None]))))) < 1e-12
    assert classify(model) == "excitable"
    assert classify(model, 3.0) == "spiking"
    # The rest is at the floor with no input and rises with I_dc.
    assert hw["I_0"] == pytest.approx(1e-12)
    assert float(model.resting_state()[0, 0]) > float(DPINeuron(dtype=F64).resting_state()[0, 0])


def test_circuit_round_trip_and_units():
    model = DPINeuron.from_circuit(C_mem=[1e-12, 0.5e-12], I_tau=[8e-12, 12e-12], I_dc=20e-12,
                                   tau_ahp=50e-3, dtype=F64)
    hw = model.to_circuit()
    assert set(hw) == set(DPINeuron.circuit_units)
    twin = DPINeuron.from_circuit(**{k: v for k, v in hw.items() if not k.endswith("_unit")}, dtype=F64)
    for k, v in twin.to_circuit().items():
        np.testing.assert_allclose(np.asarray(v), np.asarray(hw[k]), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(hw["tau_ahp"]), 50e-3, rtol=1e-14)
    assert float(model.time_unit) == pytest.approx(0.75e-12 * 0.025 / (0.7 * 10e-12))
    assert float(model.voltage_unit) == pytest.approx(0.025 / 0.7)
    default = DPINeuron.from_circuit(dtype=F64)
    for k, v in DPINeuron(dtype=F64).param_values().items():
        np.testing.assert_allclose(np.asarray(getattr(default, k)), np.asarray(v), rtol=2e-3)
    assert felice.MODELS["dpi"] is DPINeuron


@pytest.mark.parametrize("kwargs, name", [
    (dict(C=-1.0), "C"), (dict(I_tau=0.0), "I_tau"), (dict(I_0=0.0), "I_0"),
    (dict(I_reset=2000.0), "I_reset"), (dict(t_refr=-0.1), "t_refr"), (dict(kappa=0.0), "kappa"),
    (dict(I_dc=np.inf), "I_dc"), (dict(I_a_gain=-1.0), "I_a_gain"),
])
def test_bad_parameters_are_refused(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DPINeuron(**kwargs)


def test_mismatch_gives_per_neuron_parameters():
    model = DPINeuron(**TONIC, dtype=F64)
    m = model.mismatch(jax.random.PRNGKey(1), 4, sigma_bias=0.2, sigma_kappa=0.05)
    assert m.population_size() == 4
    for k in ("I_tau", "I_th", "I_dc", "I_a_gain", "I_spk", "C", "tau_ahp", "t_refr"):
        assert getattr(m, k).shape == (4,) and np.unique(np.asarray(getattr(m, k))).size == 4
    np.testing.assert_allclose(np.asarray(m.I_refr * m.t_refr), float(model.I_refr * model.t_refr))
    assert float(m.kappa) == float(model.kappa)
    supply = m.supply_currents(m.init_state(4))
    assert set(supply) == {"tau", "threshold", "refractory", "input", "feedback", "ahp"}
    np.testing.assert_allclose(np.asarray(supply["tau"]), np.asarray(m.I_tau) * 10e-12)
    result = run(m, t1=10.0)  # a mismatched population simulates, each neuron its own way
    assert np.unique(np.asarray(result.spike_times[:, 0])).size == 4


@pytest.mark.slow
def test_spike_time_gradient_matches_finite_differences():
    def second_spike(I_dc):
        model = DPINeuron(I_dc=I_dc, dtype=F64)
        return run(model, t1=12.0, y0=jnp.array([[0.1, 0.1]], F64)).spike_times[0, 1]

    I0, h = 3.0, 1e-5
    grad = float(jax.grad(second_spike)(I0))
    fd = (float(second_spike(I0 + h)) - float(second_spike(I0 - h))) / (2 * h)
    assert np.isfinite(grad) and grad < 0
    np.testing.assert_allclose(grad, fd, rtol=1e-4)
