"""Behavioural netlists in ngspice reproduce felice's trajectories in SI units."""

import jax.numpy as jnp
import numpy as np
import pytest

import felice
from felice.neuron_models import AbstractResettingNeuron, AbstractSpiceCircuit
from felice.spice import behavioural_netlist, circuit_file, compare_behavioural, model_from_card

# Start states: FHNRS at rest with I_app = 0.5 nA (it spikes); the bistable circuits
# off the diagonal, from where they settle on a fixpoint (60 model time units).
SCENARIOS = {
    "fhnrs": (None, None),
    "wererabbit": ([[0.15, 0.35]], 60.0),
    "boomerang": ([[0.15, 0.35]], 60.0),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_behavioural_netlist_reproduces_felice(name):
    model = model_from_card(circuit_file(name, "card.toml"))
    y0, duration = SCENARIOS[name]
    t_stop = None if duration is None else duration * float(model.time_unit)
    result = compare_behavioural(model, y0, t_stop)
    # At least one event: a spike (FHNRS) or the arrival at a fixpoint (WereRabbit, Boomerang).
    assert result.events.size >= 1
    assert 0 < result.events[0] < result.t[-1]
    # The transient goes somewhere: each voltage node moves by more than 10 % of its peak.
    for k, state in enumerate(result.state_names):
        if state != "I_syn":
            swing = np.ptp(result.felice[:, k]) / np.max(np.abs(result.felice[:, k]))
            assert swing > 0.1, state
    errors = dict(zip(result.state_names, result.rel_error, strict=True))
    assert np.all(result.rel_error <= 1e-3), errors
    # ngspice's trajectory meets the spike condition when felice's does.
    np.testing.assert_allclose(result.spice_events[0], result.events[0], rtol=1e-3)


@pytest.mark.parametrize(
    "name", [n for n, cls in felice.MODELS.items() if issubclass(cls, AbstractSpiceCircuit)]
)
def test_every_netlist_reproduces_felice_in_its_default_scenario(name):
    # Registered models get this test with no edit: the shipped card, the model's own
    # scenario. Netlists of resetting neurons have no reset: their transient ends 0.2 %
    # after felice's first spike, so the comparison covers it and the path to it.
    model = model_from_card(circuit_file(name, "card.toml"))
    result = compare_behavioural(model)
    assert result.events.size >= 1 and result.spice_events.size >= 1
    np.testing.assert_allclose(result.spice_events[0], result.events[0], rtol=1e-3)
    if isinstance(model, AbstractResettingNeuron):
        assert result.events[0] < result.t[-1] <= 1.0021 * result.events[0]
    errors = dict(zip(result.state_names, result.rel_error, strict=True))
    assert np.all(result.rel_error <= 1e-3), errors
    # Every state column that is not 0 throughout (FHNRS's I_syn without input) moves by
    # more than 10 % of its peak: the netlist carries it.
    peak = np.max(np.abs(result.felice), axis=0)
    moving = np.ptp(result.felice, axis=0) > 0.1 * peak
    assert np.all(moving | (peak == 0)) and moving[0], dict(zip(result.state_names, moving))


def test_lif_netlist_spikes_at_the_analytic_time():
    # Independent reference: C·dV/dt = I_app − I_leak·(1 − e^{−V/U_t}) reaches V_th at
    # t = (C·U_t/a)·ln((a·e^{V_th/U_t} + I_leak)/(a·e^{V_0/U_t} + I_leak)), a = I_app − I_leak.
    model = felice.LIF.from_circuit(C_mem=2e-12, I_leak=50e-12, I_app=80e-12, V_th=0.2,
                                    V_reset=0.01, dtype=jnp.float64)
    result = compare_behavioural(model)
    C, I_leak, I_app, V_th, V_0, U_t = 2e-12, 50e-12, 80e-12, 0.2, 0.01, 0.025
    a = I_app - I_leak
    ratio = (a * np.exp(V_th / U_t) + I_leak) / (a * np.exp(V_0 / U_t) + I_leak)
    t_spike = C * U_t / a * np.log(ratio)
    assert result.felice[0, 0] == pytest.approx(V_0)
    np.testing.assert_allclose(result.events[0], t_spike, rtol=1e-8)
    np.testing.assert_allclose(result.spice_events[0], t_spike, rtol=1e-5)
    assert np.all(result.rel_error <= 1e-3), result.rel_error


def test_fhnrs_with_synaptic_input_and_three_elements():
    # Bursting set (slow negative + ultraslow element) kicked by a synaptic current:
    # every state column, I_syn included, is carried by the netlist.
    model = felice.FHNRS.bursting(I_app=-0.5, dtype=jnp.float64)
    y0 = model.input_spike(model.equilibrium(1), 1.5)
    result = compare_behavioural(model, y0, 40.0 * float(model.time_unit))
    assert result.state_names == ("V", "V_slow", "V_slow_2", "V_ultraslow", "I_syn")
    assert result.events.size >= 1
    assert result.felice[0, -1] == pytest.approx(1.5 * float(model.current_unit))
    errors = dict(zip(result.state_names, result.rel_error, strict=True))
    assert np.all(result.rel_error <= 1e-3), errors


def test_behavioural_netlist_is_plain_spice_from_the_model():
    model = felice.WereRabbit.from_circuit(C=0.2e-12, I_bias=50e-12, dtype=jnp.float64)
    text = behavioural_netlist(model, model.init_state(1), 1e-3).deck.render()
    assert "Xneuron u v wererabbit C=2e-13 I_bias=5e-11" in text
    assert text.count(".control") == 1 and "shell" not in text


def test_population_models_are_refused():
    model = felice.FHNRS(I_app=jnp.asarray([0.1, 0.2]))
    with pytest.raises(ValueError, match="one neuron"):
        behavioural_netlist(model, model.init_state(2)[:1], 1e-3)
    with pytest.raises(ValueError, match="y0"):
        single = felice.FHNRS()
        behavioural_netlist(single, jnp.zeros((1, 2)), 1e-3)
