"""Training refuses bad settings and data, resumes only the same run, and survives kills."""

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import equinox as eqx
import jax
import numpy as np
import pytest
from conftest import unchecked

from felice.datasets import yin_yang
from felice.networks import apply_mismatch
from felice.training import (
    TrainConfig,
    build_network,
    evaluate,
    evaluate_events,
    fit,
    init_state,
    load_checkpoint,
    save_checkpoint,
)

X, LABELS = yin_yang(30, seed=1)

_FLOATS = ("dt", "t_max", "t_late", "readout_gain", "tau0", "tau1", "condition_scale", "w_max",
           "tau_syn", "lr", "surrogate_slope")
_NON_NEGATIVE = ("ttfs_alpha", "mismatch_bias", "mismatch_kappa")


@pytest.mark.parametrize("name", _FLOATS + _NON_NEGATIVE)
@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, "1"])
def test_every_float_setting_must_be_finite_and_in_range(name, value):
    with pytest.raises(ValueError, match=rf"^{name} must .*got {name}="), unchecked():  # "1"
        TrainConfig(**{name: value})


@pytest.mark.parametrize("name,value", [
    ("weight_std", (math.nan, 1.0)), ("weight_std", (-1.0, 1.0)), ("weight_mean", (1.0, math.inf)),
    ("weight_std", ()), ("hidden", (-3,)), ("hidden", (0,)), ("hidden", (4.0,)), ("hidden", 4),
    ("epochs", 0), ("batch_size", -1), ("n_out", 1.5), ("seed", -1), ("seed", 2**40),
    ("lr_decay_steps", True),
])
def test_tuple_and_integer_settings_are_checked(name, value):
    with pytest.raises(ValueError, match=rf"^{name} must"), unchecked():  # some are ill-typed
        TrainConfig(**{name: value})


def test_zero_is_allowed_where_it_means_off():
    config = TrainConfig(mismatch_bias=0.0, mismatch_kappa=0.0, ttfs_alpha=0.0, seed=0,
                         weight_std=(0.0, 1.0))
    assert config.mismatch_bias == 0.0


def test_mismatch_nan_is_refused_not_switched_off():
    net = build_network(TrainConfig(hidden=(3,)))
    for kwargs in (dict(sigma_bias=math.nan), dict(sigma_kappa=math.nan), dict(sigma_kappa=-0.1)):
        (name,) = kwargs
        with pytest.raises(ValueError, match=rf"{name} must"):
            apply_mismatch(net, jax.random.PRNGKey(0), **kwargs)


@pytest.mark.parametrize("bad,match", [
    (-1, r"labels must lie in \[0, n_out\) = \[0, 3\), got (train |val )?labels from -1 to 2"),
    (3, r"labels must lie in \[0, n_out\) = \[0, 3\), got (train |val )?labels from 0 to 3"),
])
def test_labels_outside_the_classes_are_refused(bad, match):
    labels = LABELS.copy()
    labels[4] = bad
    config = TrainConfig(hidden=(3,), batch_size=10)
    net = build_network(config)
    with pytest.raises(ValueError, match="train " + match):
        fit(config, (X, labels), progress=False)
    with pytest.raises(ValueError, match="val " + match):
        fit(config, (X, LABELS), (X, labels), progress=False)
    with pytest.raises(ValueError, match=match):
        evaluate(net, X, labels, config)
    with pytest.raises(ValueError, match=match):
        evaluate_events(net, X, labels, config)


def test_non_integer_labels_and_non_finite_features_are_refused():
    config = TrainConfig(hidden=(3,), batch_size=10)
    with pytest.raises(ValueError, match="train labels must be integers, got dtype float64"):
        fit(config, (X, LABELS.astype(float)), progress=False)
    x = X.copy()
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="train x must be finite"):
        fit(config, (x, LABELS), progress=False)


# -- resume: the same run or a clear refusal --------------------------------------------

RUN = TrainConfig(hidden=(3,), batch_size=10, epochs=2)  # 3 steps per epoch on X
VAL = yin_yang(8, seed=2)


def _start(folder, config=RUN, train=(X, LABELS), val=VAL):
    """Write the run description into `folder` without training (no step is compiled)."""
    return fit(config, train, val, folder, progress=False, max_steps=0)


@pytest.mark.parametrize("change,message", [
    (dict(train=yin_yang(20, seed=1)), "train data: 30 → 20 samples"),
    (dict(train=yin_yang(30, seed=9)), r"train data: same size, other samples \(sha256 "),
    (dict(val=yin_yang(5, seed=2)), "val data: 8 → 5 samples"),
    (dict(val=None), "val data: 8 samples → none"),
    (dict(config=TrainConfig(hidden=(3,), batch_size=10, epochs=2, lr=0.5)), "lr: 0.003 → 0.5"),
    (dict(config=RUN.with_cosine_decay(30)), "lr_decay_steps: 0 → 6"),  # constant → cosine
])
def test_resume_refuses_another_run_and_says_what_changed(tmp_path, change, message):
    _start(tmp_path)
    with pytest.raises(ValueError, match=rf"holds a run with a different configuration \({message}"
                                         r".*start over in another folder \(another --out\)"):
        _start(tmp_path, **change)


def test_resume_stretches_a_whole_run_cosine_decay_but_no_other_schedule(tmp_path):
    cosine = RUN.with_cosine_decay(30)  # 2 epochs × 3 steps
    _start(tmp_path, cosine)
    longer = dataclasses.replace(cosine, epochs=4).with_cosine_decay(30)
    _start(tmp_path, longer)  # accepted: the decay spans the whole, longer run
    saved = json.loads((tmp_path / "config.json").read_text())["config"]
    assert (saved["epochs"], saved["lr_decay_steps"]) == (4, 12)
    with pytest.raises(ValueError, match="lr_decay_steps: 12 → 0"):  # cosine → constant
        _start(tmp_path, dataclasses.replace(longer, lr_decay_steps=0))
    with pytest.raises(ValueError, match="lr_decay_steps: 12 → 13"):  # not the whole run
        _start(tmp_path, dataclasses.replace(longer, epochs=5, lr_decay_steps=13))


def test_a_checkpoint_without_config_json_is_refused(tmp_path):
    save_checkpoint(tmp_path / "checkpoint", init_state(RUN), {"step": 0, "history": []})
    with pytest.raises(ValueError, match=r"holds a checkpoint but no config.json.*another --out"):
        _start(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(RUN.to_json()))  # an older layout
    with pytest.raises(ValueError, match="does not describe a run of this felice version"):
        _start(tmp_path)


# -- a run killed while it saves resumes with every finished epoch -----------------------

KILLED = TrainConfig(hidden=(3,), batch_size=10, epochs=3, dt=0.5, t_max=10.0, t_late=5.0)

_TRAINER = """
import contextlib, sys, time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)  # as in the test process (conftest)
import felice._io
import felice.training as training
from felice.datasets import yin_yang

folder, name, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
real_open, writes = felice._io.atomic_open, [0]


@contextlib.contextmanager
def stalling_open(path, mode="w", **kwargs):
    # the `at`-th write of `name` stalls with its content written, before the rename
    with real_open(path, mode, **kwargs) as f:
        yield f
        if Path(path).name == name:
            writes[0] += 1
            if writes[0] == at:
                f.flush()
                print("saving", flush=True)
                time.sleep(600)


felice._io.atomic_open = training.atomic_open = stalling_open
config = training.TrainConfig(hidden=(3,), batch_size=10, epochs=3, dt=0.5, t_max=10.0,
                              t_late=5.0)
training.fit(config, yin_yang(30, seed=1), yin_yang(8, seed=2), folder, progress=False)
"""


def _kill_while_saving(folder, name, at):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", _TRAINER, str(folder), name, str(at)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "saving"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def _without_wall_time(history):
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in history]


@pytest.mark.slow
@pytest.mark.parametrize("name,at,epochs_saved", [
    ("state.eqx", 2, 1),      # the checkpoint of epoch 2: epoch 1's remains, 2 is trained again
    ("metrics.jsonl", 2, 2),  # after the checkpoint of epoch 2: metrics.jsonl lags one epoch
])
def test_run_killed_while_saving_resumes_with_every_finished_epoch(tmp_path, name, at,
                                                                   epochs_saved):
    _kill_while_saving(tmp_path, name, at)
    assert len(list(tmp_path.rglob(f".{name}.*.tmp"))) == 1  # the stalled write
    _, meta = load_checkpoint(tmp_path / "checkpoint", KILLED)
    assert [r["epoch"] for r in meta["history"]] == list(range(1, epochs_saved + 1))
    assert meta["step"] == 3 * epochs_saved
    resumed, history = fit(KILLED, (X, LABELS), VAL, tmp_path, progress=False)
    whole, reference = fit(KILLED, (X, LABELS), VAL, progress=False)
    assert _without_wall_time(history) == _without_wall_time(reference)
    assert history[:epochs_saved] == meta["history"]  # the killed run's own records
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == history
    for a, b in zip(jax.tree_util.tree_leaves(eqx.filter(resumed, eqx.is_array)),
                    jax.tree_util.tree_leaves(eqx.filter(whole, eqx.is_array)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not list(tmp_path.rglob("*.tmp"))  # the orphan was cleaned up
