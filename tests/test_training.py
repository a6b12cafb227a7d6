"""Training: a short run learns, checkpoints resume bit-exactly, constraints, export."""

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import unchecked

import felice
from felice.datasets import yin_yang_splits
from felice.training import (
    TrainConfig,
    build_network,
    constrain,
    evaluate,
    evaluate_events,
    export_hardware,
    fit,
    init_state,
    preset,
)

DATA = yin_yang_splits(300, 10, 150, seed=5)
SMALL = dict(hidden=(16,), batch_size=25, lr=1e-2)


@pytest.mark.slow
def test_short_training_lowers_loss_and_beats_chance():
    config = preset("fhnrs", epochs=5, **SMALL)
    before = evaluate(init_state(config).network, *DATA["test"], config)
    state, history = fit(config, DATA["train"], progress=False)
    after = evaluate(state.network, *DATA["test"], config)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert after["loss"] < before["loss"]
    assert after["accuracy"] > 0.45 > 1 / 3


def _leaves(state):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(eqx.filter(state, eqx.is_array))]


@pytest.mark.parametrize("mismatch", [0.0, 0.1])
def test_checkpoint_resume_is_bit_exact(tmp_path, mismatch):
    # with the cosine schedule: its step count is part of the optimiser state
    config = preset("fhnrs", epochs=2, hidden=(6,), batch_size=50, mismatch_bias=mismatch,
                    mismatch_kappa=mismatch / 5, lr_decay_steps=12)
    # Interrupted: 3 steps (a checkpoint mid-epoch), then resumed to the end (2 epochs = 12 steps).
    part, _ = fit(config, DATA["train"], out_dir=tmp_path / "a", progress=False, max_steps=3)
    assert int(part.step) == 3
    resumed, hist_a = fit(config, DATA["train"], out_dir=tmp_path / "a", progress=False)
    whole, hist_b = fit(config, DATA["train"], out_dir=tmp_path / "b", progress=False)
    assert int(resumed.step) == int(whole.step) == 12
    for a, b in zip(_leaves(resumed), _leaves(whole)):
        np.testing.assert_array_equal(a, b)
    assert (tmp_path / "a" / "metrics.jsonl").read_text().count("\n") == len(hist_a)
    other = TrainConfig(**{**config.__dict__, "lr": 0.5})
    with pytest.raises(ValueError, match="different configuration"):
        fit(other, DATA["train"], out_dir=tmp_path / "a", progress=False)


@pytest.mark.parametrize("model", ["fhnrs", "wererabbit"])
def test_constraints_clip_bias_and_weights(model):
    config = preset(model, hidden=(4,))
    net = init_state(config).network
    (name, (lo, hi)), = felice.MODELS[model].trainable_bias.items()
    wild = eqx.tree_at(lambda n: (n.w_in.weight, getattr(n.neuron, name)), net,
                       (net.w_in.weight * 1e3, jnp.linspace(lo - 5, hi + 5, 7)))
    c = constrain(wild, w_max=2.0)
    assert float(jnp.abs(c.w_in.weight).max()) == 2.0
    bias = np.asarray(getattr(c.neuron, name))
    assert bias.min() == pytest.approx(lo) and bias.max() == pytest.approx(hi)


@pytest.mark.parametrize("model", ["wererabbit", "boomerang"])
def test_bias_range_keeps_a_findable_stable_rest_state(model):
    """Every σ in `BIAS_RANGES` (here spread over 12 neurons of one network) has a rest
    state found from the network's starting guess, and it is a stable fixpoint of the
    neuron (both eigenvalues of its Jacobian in the left half plane). Boomerang below
    σ = 0.4 fails the search (its fixpoints close in on the saddle)."""
    from felice.networks import neuron_jacobian

    net = build_network(preset(model, hidden=(9,)))
    (lo, hi), = felice.MODELS[model].trainable_bias.values()
    spread = eqx.tree_at(lambda n: n.neuron.sigma, net, jnp.linspace(lo, hi, net.n_neurons))
    y0 = eqx.filter_jit(lambda n: n.init_state())(spread)
    f, jac = neuron_jacobian(spread, 0.0, y0)
    assert float(jnp.abs(f).max()) < 1e-4
    eig = np.linalg.eigvals(np.asarray(jac)[:, :2, :2])
    assert eig.real.max() < 0
    if model == "boomerang":
        low = eqx.tree_at(lambda n: n.neuron.sigma, net, jnp.linspace(0.3, hi, net.n_neurons))
        with pytest.raises(Exception, match="no resting fixpoint"):
            eqx.filter_jit(lambda n: n.init_state())(low)


def test_export_is_strict_json_in_si_units(tmp_path):
    config = preset("fhnrs", hidden=(4,))
    net = init_state(config).network
    params = export_hardware(net, tmp_path / "hw.json")
    loaded = json.loads((tmp_path / "hw.json").read_text())
    assert loaded == params and loaded["layer_sizes"] == [4, 3]
    c = loaded["circuit"]
    I_unit = float(net.neuron.I_unit)
    np.testing.assert_allclose(c["w_in"], np.asarray(net.w_in.effective) * I_unit, rtol=1e-6)
    np.testing.assert_allclose(c["I_app"], np.asarray(net.neuron.I_app) * I_unit, rtol=1e-6)
    np.testing.assert_allclose(c["C"], np.asarray(net.neuron.C) * 1e-12, rtol=1e-6)
    bad = eqx.tree_at(lambda n: n.w_in.weight, net, net.w_in.weight.at[0, 0].set(jnp.nan))
    with pytest.raises(ValueError):
        export_hardware(bad, tmp_path / "bad.json")


def test_config_validation():
    with pytest.raises(ValueError, match="model must be one of"):
        TrainConfig(model="hodgkin_huxley")  # not registered
    with pytest.raises(ValueError, match="readout"):
        TrainConfig(readout="softmax")
    with pytest.raises(ValueError, match="dt must be > 0"):
        TrainConfig(dt=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        fit(TrainConfig(batch_size=1000), DATA["train"], progress=False)
    net = build_network(TrainConfig())
    with pytest.raises(ValueError, match="x must have shape"):
        evaluate(net, np.zeros((0, 4)), np.zeros(0, int), TrainConfig())
    with pytest.raises(ValueError, match="labels must have shape"), unchecked():  # on purpose
        evaluate_events(net, DATA["test"][0][:5], DATA["test"][1][:4], TrainConfig())


def test_cosine_learning_rate_schedule():
    """With a constant gradient Adam's step is the learning rate itself, so the
    updates trace the schedule: lr·(0.05 + 0.95·(1 + cos(πk/N))/2) for k < N, then lr/20."""
    from felice.training import optimizer

    with pytest.raises(ValueError, match="lr_decay_steps"):
        TrainConfig(lr_decay_steps=-1)
    config = TrainConfig(lr=0.01, lr_decay_steps=8)
    opt = optimizer(config)
    params = jnp.zeros(3)
    state = opt.init(params)
    grads = jnp.full(3, 0.1)
    for k in range(12):
        updates, state = opt.update(grads, state, params)
        expected = 0.01 * (0.05 + 0.95 * (1 + np.cos(np.pi * min(k, 8) / 8)) / 2)
        np.testing.assert_allclose(np.asarray(updates), -expected, rtol=1e-4)
    assert optimizer(TrainConfig(lr=0.01)).update(grads, opt.init(params), params)[0][0] \
        == pytest.approx(-0.01, rel=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("readout", ["max", "mean"])
def test_event_engine_evaluates_the_same_network(readout):
    """felice.simulate runs a network like the fixed-step simulator does, as dt → 0.
    Spikes are detected at the end of their step, so the fixed-step scores converge
    at first order: 5× finer (dt 0.25 → 0.05) must cut the error at least 4× (the
    membrane maxima, sampled at the peaks, converge faster here: ≥ 10×)."""
    import jax.numpy as jnp

    from felice.datasets import yin_yang
    from felice.training import build_network, evaluate_events, event_scores, forward, preset

    coarse = preset("fhnrs", hidden=(4,), readout=readout)
    fine = preset("fhnrs", hidden=(4,), dt=0.05, solver="rk4", readout=readout)
    network = build_network(coarse)
    x, labels = yin_yang(8, 3)
    xb = jnp.asarray(x, jnp.float32)
    events = np.asarray(event_scores(network, xb, fine))
    err_fine = np.abs(events - np.asarray(forward(network, xb, fine)[0])).max()
    err_coarse = np.abs(events - np.asarray(forward(network, xb, coarse)[0])).max()
    assert err_fine < {"max": 0.1, "mean": 0.25}[readout] * err_coarse
    assert err_fine < 0.02 * np.abs(events).max()
    report = evaluate_events(network, x, labels, fine, batch_size=8)
    assert report["agreement"] >= 0.875


@pytest.mark.parametrize("model", ["wererabbit", "boomerang"])
def test_bistable_presets_give_finite_loss_and_gradients(model):
    """The bistable presets (Heun at dt = 0.02), tiny network, 10 samples: two Adam steps
    give finite losses, and the weights move and stay finite. (A non-finite gradient
    would make the clipped Adam update, and so the weights, NaN; a zero gradient
    would leave them unchanged.)"""
    from felice.training import train_step

    config = preset(model, hidden=(4,), batch_size=10)
    assert config.solver == "heun" and config.dt == 0.02
    state = init_state(config)
    x, labels = jnp.asarray(DATA["train"][0][:10]), jnp.asarray(DATA["train"][1][:10])
    before = np.asarray(state.network.w_in.weight)
    for _ in range(2):
        state, loss, _ = train_step(state, x, labels, config)
        assert np.isfinite(float(loss))
    after = np.asarray(state.network.w_in.weight)
    assert np.all(np.isfinite(after))
    assert np.all(np.isfinite(np.asarray(state.network.w_rec.weight)))
    assert np.abs(after - before).max() > 1e-4


def test_event_scores_names_max_spikes_when_the_buffer_overflows():
    """`event_scores`' spike buffer is an argument; an overflow error names it."""
    import jax.numpy as jnp

    from felice.training import build_network, event_scores, preset

    config = preset("boomerang", hidden=(4,))
    network = build_network(config)
    x = jnp.asarray([[0.2, 0.7, 0.8, 0.3], [0.9, 0.1, 0.1, 0.9]], jnp.float32)
    with pytest.raises(ValueError, match="max_spikes"):
        event_scores(network, x, config, max_spikes=0)
    with pytest.raises(Exception, match=r"max_spikes=1 times.*pass a larger max_spikes"):
        event_scores(network, x, config, max_spikes=1)


def test_export_includes_the_synapse_in_si_units(tmp_path):
    """A bistable network's exponential synapse: τ_syn in s and I_syn_max in A per neuron,
    each circuit value with its unit."""
    config = preset("wererabbit", hidden=(2,))
    net = build_network(config)
    params = export_hardware(net, tmp_path / "hw.json")
    assert params["synapse"] == "exponential"
    c, units = params["circuit"], params["circuit_units"]
    assert set(units) == set(c) and units["tau_syn"] == "s" and units["I_syn_max"] == "A"
    np.testing.assert_allclose(c["tau_syn"], [config.tau_syn * float(net.time_unit)] * 5,
                               rtol=1e-6)
    np.testing.assert_allclose(c["I_syn_max"], [0.3 * float(net.current_unit)] * 5, rtol=1e-6)
    assert export_hardware(build_network(preset("fhnrs", hidden=(2,))),
                           tmp_path / "f.json")["synapse"] is None  # FHNRS: its own I_syn
