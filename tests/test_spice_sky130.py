"""sky130 transistor level: extraction of κ, I_0 and the tanh law; the FHN neuron against FHNRS."""

import numpy as np
import pytest

from felice.hardware import diff_pair_current
from felice.spice import (
    compare_transistor,
    extract,
    fast_iv,
    fhnrs_from_extraction,
    fit_subthreshold,
    fit_tanh,
    load_sky130_card,
    solve_si,
    spike_rate,
    spiking_range,
    upward_crossings,
)

# ngspice transistor-level runs of the sky130 cards: minutes, not seconds.
pytestmark = pytest.mark.slow

U_T = 0.025865


@pytest.fixture(scope="module")
def card():
    return load_sky130_card()


@pytest.fixture(scope="module")
def extraction(card):
    return extract(card)


@pytest.fixture(scope="module")
def comparison(card, extraction):
    # Currents on both sides of FHNRS's spiking range (about ±0.9 nA).
    return compare_transistor(
        card, (-1.2e-9, -0.6e-9, 0.0, 0.6e-9, 1.2e-9), t_stop=20e-3, extraction=extraction
    )


# -- the fits, against synthetic data with known answers ------------------------------


def test_fit_subthreshold_recovers_kappa_and_I0_between_leakage_and_strong_inversion():
    V = np.linspace(0.0, 1.0, 101)
    kappa, I_0 = 0.72, 3e-14
    weak = I_0 * 4.0 * np.exp(kappa * V / U_T)
    # A leakage floor below and a square-law-like bend above the exponential region.
    I = 1e-12 + weak / (1 + weak / 2e-8) ** 0.5
    fit = fit_subthreshold(V, I, U_t=U_T, W_over_L=4.0)
    assert fit.kappa == pytest.approx(kappa, rel=0.02)
    assert fit.I_0 == pytest.approx(I_0, rel=0.2)
    assert 0.15 < fit.V_lo < fit.V_hi < 0.45
    exact = fit_subthreshold(V[20:40], I_0 * np.exp(kappa * V[20:40] / U_T), U_t=U_T)
    assert exact.kappa == pytest.approx(kappa, rel=1e-10) and exact.I_0 == pytest.approx(
        I_0, rel=1e-8
    )


def test_fit_tanh_recovers_the_law_and_shares_kappa():
    dV = np.linspace(-0.3, 0.3, 41)
    I = diff_pair_current(dV - 0.004, I_b=1.3e-9, kappa=0.68, U_t=U_T)
    fit = fit_tanh(dV, np.asarray(I), U_t=U_T)
    assert fit.I_B == pytest.approx(1.3e-9, rel=1e-8)
    assert fit.kappa == pytest.approx(0.68, rel=1e-8)
    assert fit.V_offset == pytest.approx(0.004, abs=1e-9)
    assert fit.max_residual < 1e-18
    inverted = -2.0 * np.asarray(diff_pair_current(dV + 0.001, I_b=1e-9, kappa=0.68, U_t=U_T))
    a, b = fit_tanh(dV, np.stack([np.asarray(I), inverted]), U_t=U_T)
    assert a.kappa == b.kappa == pytest.approx(0.68, rel=1e-8)
    assert b.I_B == pytest.approx(-2e-9, rel=1e-8) and b.V_offset == pytest.approx(-0.001, abs=1e-9)


# -- sky130 -------------------------------------------------------------------------------


def test_nfet_kappa_and_I0_in_the_exponential_region(extraction):
    nfet = extraction.nfet
    print(
        f"sky130 nfet_01v8: kappa = {nfet.kappa:.4f}, I_0 = {nfet.I_0:.3e} A, "
        f"window {nfet.V_lo:.2f}-{nfet.V_hi:.2f} V"
    )
    assert 0.6 < nfet.kappa < 0.8
    assert nfet.V_lo >= 0.1 and nfet.V_hi <= 0.5 and nfet.n_points >= 8
    # The fitted law reproduces the simulated currents in its window within 3 %.
    cur = extraction.curves
    window = (cur["V_gs"] >= nfet.V_lo) & (cur["V_gs"] <= nfet.V_hi)
    law = nfet.I_0 * cur["W_over_L"] * np.exp(nfet.kappa * cur["V_gs"][window] / U_T)
    np.testing.assert_allclose(cur["I_n"][window], law, rtol=0.03)
    # Independent check: the local slope of log I at the window centre gives the same κ.
    centre = np.argmin(np.abs(cur["V_gs"] - 0.5 * (nfet.V_lo + nfet.V_hi)))
    slope = np.gradient(np.log(cur["I_n"]), cur["V_gs"])[centre]
    assert slope * U_T == pytest.approx(nfet.kappa, rel=0.05)
    assert 0.5 < extraction.pfet.kappa < 0.9


def test_one_nanoamp_differential_pair_follows_the_tanh_law(card, extraction):
    pair = extraction.pair
    print(
        f"1 nA pair: kappa = {pair.kappa:.4f}, "
        f"residual {100 * extraction.pair_residual:.3f} % of the tail"
    )
    assert card.I_pair == 1e-9
    assert pair.I_B == pytest.approx(1e-9, rel=0.01)
    assert extraction.pair_residual <= 0.01
    assert 0.6 < pair.kappa < 0.85


def test_fast_iv_of_fhnrs_is_the_model_equation(card, extraction):
    model = fhnrs_from_extraction(card, extraction)
    V = np.linspace(-0.2, 0.2, 9)
    c = model.to_circuit()
    V_unit, I_unit = float(c["voltage_unit"]), float(c["current_unit"])
    rest = float(model.equilibrium(1)[0, 1])
    a = np.asarray(model.a)
    delta = np.asarray(model.delta)
    expected = I_unit * (
        float(model.g) * V / V_unit
        + a[0] * np.tanh(V / V_unit - delta[0])
        + a[1] * np.tanh(rest - delta[1])
    )
    np.testing.assert_allclose(fast_iv(model, V), expected, rtol=1e-12, atol=1e-22)


def test_transistor_neuron_matches_fhnrs(comparison):
    c = comparison
    print(
        f"rates circuit {np.round(c.rate_circuit, 1)} Hz, FHNRS {np.round(c.rate_model, 1)} Hz; "
        f"frequency error {100 * c.frequency_error:.1f} %; "
        f"I-V error {100 * c.iv_error / c.I_bias:.1f} % "
        f"of I_bias; FHNRS spiking range {c.model_range}"
    )
    spiking_circuit = c.rate_circuit > 0
    spiking_model = c.rate_model > 0
    # Both spike for the same applied currents: inside the range, not outside.
    np.testing.assert_array_equal(spiking_circuit, spiking_model)
    np.testing.assert_array_equal(spiking_model, [False, True, True, True, False])
    inside = (c.I_app > c.model_range[0]) & (c.I_app < c.model_range[1])
    np.testing.assert_array_equal(spiking_model, inside)
    assert c.frequency_error <= 0.15
    # Fast I–V within 10 % of the bias current over the negative-conductance region.
    assert c.negative_region[0] < -0.03 and c.negative_region[1] > 0.03
    assert c.iv_error <= 0.1 * c.I_bias
    # The transient really spikes: peaks well above one voltage unit.
    assert np.max(c.V_circuit) > 2 * float(c.model.voltage_unit)


def test_model_spike_rates_agree_with_linear_stability(card, extraction, comparison):
    # Independent of ngspice: FHNRS's simulated rates are non-zero exactly where its
    # rest is unstable.
    I = np.array([-0.95e-9, -0.85e-9, 0.85e-9, 0.95e-9])
    unstable = spiking_range(fhnrs_from_extraction(card, extraction), I)
    model = fhnrs_from_extraction(card, extraction, I_app=I)
    t = np.linspace(0, 40e-3, 8001)
    y0 = np.zeros((I.size, model.n_state))
    y0[:, 0] = 0.01 / float(model.voltage_unit)
    V = solve_si(model, y0, t)[:, :, 0]
    rates = [
        spike_rate(s[s > 10e-3])
        for s in (upward_crossings(t, V[:, k], float(model.voltage_unit)) for k in range(I.size))
    ]
    np.testing.assert_array_equal(np.asarray(rates) > 0, unstable)
    assert comparison.model_range[0] < -0.85e-9 and comparison.model_range[1] > 0.85e-9
