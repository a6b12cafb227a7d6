"""felice.sweep safety: every bad configuration is refused before any solve."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _cli import usage_error

import felice
from felice.simulation import SimulationResult
from felice.sweep import RegimeFromSpikes, SpikeCount, SpikeRate

jax.config.update("jax_enable_x64", True)

FHN = felice.FHNRS(dtype=jnp.float64)


def _never_called(model, n):
    raise AssertionError("a solve started")


def _result(t1):
    st = jnp.asarray([[10.0, 20.0, jnp.inf]])
    return SimulationResult(ts=None, ys=None, spike_times=st, spike_counts=jnp.asarray([2]),
                            y1=jnp.zeros((1, 2)), t1=jnp.asarray(t1), n_steps=jnp.asarray(0),
                            n_accepted=jnp.asarray(0), status=jnp.asarray(0))


@pytest.mark.parametrize("metric", [SpikeRate(200.0), SpikeCount(200.0), RegimeFromSpikes(200.0)])
def test_window_starting_after_t1_is_refused(metric):
    # Before the fix the window [200, 150) was empty: rate 0 and REST for a spiking neuron.
    with pytest.raises(ValueError, match=r"t_start must be < t1, got t_start=200.0, t1=150.0"):
        felice.sweep.sweep(FHN, {"I_app": [-0.5]}, {"m": metric}, t1=150.0, y0=_never_called)
    with pytest.raises(ValueError, match="needs a simulation"):
        felice.sweep.sweep(FHN, {"I_app": [-0.5]}, {"m": metric}, t1=None)
    with pytest.raises(ValueError, match="t_start must be < t1"):
        metric(None, _result(150.0))
    assert np.asarray(type(metric)(0.0)(None, _result(150.0))).shape == (1,)


def test_window_start_must_be_finite_and_non_negative():
    for cls in (SpikeRate, SpikeCount, RegimeFromSpikes):
        with pytest.raises(ValueError, match="t_start must be >= 0"):
            cls(-1.0)
        with pytest.raises(ValueError, match="t_start must be finite"):
            cls(float("nan"))
    with pytest.raises(ValueError, match="t_start must be < t1"):
        felice.sweep.fi_curve(FHN, [0.0], t1=100.0, t_start=100.0)


def test_cli_refuses_t_start_after_t1(tmp_path, capsys):
    err = usage_error(["sweep", "--grid", "I_app=-0.5", "--t1", "150",
                       "--out", str(tmp_path / "t.csv")], capsys).err
    assert re.search(r"--t-start must be < --t1.*--t-start=200.0, --t1=150.0", err)
    assert not (tmp_path / "t.csv").exists()


@pytest.mark.parametrize("model, name, bad, message", [
    (FHN, "C", -1.0, "C must be > 0, got C=-1.0"),
    (FHN, "g", -1.0, "g must be >= 0, got g=-1.0"),
    (FHN, "tau_syn", 0.0, "tau_syn must be > 0, got tau_syn=0.0"),
    (FHN, "tau[1]", -5.0, "tau must be >= 0"),
    (felice.WereRabbit(dtype=jnp.float64), "alpha", -0.5, "alpha must be > 0, got alpha=-0.5"),
    (felice.Boomerang(dtype=jnp.float64), "rho", 0.0, "rho must be > 0, got rho=0.0"),
])
def test_swept_values_pass_the_model_constructor_checks(model, name, bad, message):
    # Before the fix these values went straight into the population: C = -1 and g = -1
    # simulated (0 spikes), tau_syn = 0 failed as "increase max_steps".
    good = float(np.asarray(getattr(model, name.split("[")[0])).reshape(-1)[-1])
    values = np.array([good, good, good, bad, good])
    with pytest.raises(ValueError) as info:
        felice.sweep.sweep(model, {name: values}, {"n": SpikeCount(0.0)}, t1=10.0, y0=_never_called)
    text = str(info.value)
    assert text.startswith(f"sweep point 3 ({name}={bad!r}): ") and message in text
    # The same value given to the constructor is refused with the same message.
    field = name.split("[")[0]
    value = np.array(getattr(model, field))
    value.reshape(-1)[-1] = bad
    with pytest.raises(ValueError, match=message.split(",")[0]):
        type(model)(**{field: value.tolist()})


def test_opening_a_results_folder_removes_orphan_temporaries(tmp_path):
    from felice.sweep import ChunkStore

    store = ChunkStore(tmp_path, {"a": 1})
    store.save(0, {"x": np.arange(3)})
    orphans = [tmp_path / ".chunk_000001.npz.k2j3.tmp", tmp_path / ".sweep.json.abc.tmp"]
    keep = [tmp_path / ".notes.txt.abc.tmp", tmp_path / "chunk_000000.npz"]
    for p in orphans + keep[:1]:
        p.write_bytes(b"partial")
    again = ChunkStore(tmp_path, {"a": 1})  # what a rerun after a kill does
    assert not any(p.exists() for p in orphans) and all(p.exists() for p in keep)
    np.testing.assert_array_equal(again.load(0)["x"], np.arange(3))


def test_regime_from_iv_finds_fixpoints_that_alpha_moved_above_the_old_window():
    # Boomerang with α/1000 has its fixpoints at 0.67–0.76 V; the fixed [−0.2, 0.6] V
    # search window missed them and RegimeFromIV said SPIKING.
    table = felice.sweep.sweep(felice.Boomerang(dtype=jnp.float64),
                               felice.sweep.grid(alpha=[1.29e-5]),
                               {"regime": felice.sweep.RegimeFromIV(n_v=41)}, t1=None)
    assert table["regime"].tolist() == [felice.sweep.Regime.BISTABLE]
