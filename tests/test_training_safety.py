"""Training refuses bad settings and data, resumes only the same run, and survives kills."""

import dataclasses
import json
import math

import jax
import numpy as np
import pytest

from felice.datasets import yin_yang
from felice.networks.mismatch import apply_mismatch
from felice.training import (
    TrainConfig,
    build_network,
    evaluate,
    evaluate_events,
    fit,
    init_state,
    save_checkpoint,
)

X, LABELS = yin_yang(30, seed=1)

_FLOATS = ("dt", "t_max", "t_late", "readout_gain", "tau0", "tau1", "condition_scale", "w_max",
           "tau_syn", "lr", "surrogate_slope")
_NON_NEGATIVE = ("ttfs_alpha", "mismatch_bias", "mismatch_kappa")


@pytest.mark.parametrize("name", _FLOATS + _NON_NEGATIVE)
@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, "1"])
def test_every_float_setting_must_be_finite_and_in_range(name, value):
    with pytest.raises(ValueError, match=rf"^{name} must .*got {name}="):
        TrainConfig(**{name: value})


@pytest.mark.parametrize("name,value", [
    ("weight_std", (math.nan, 1.0)), ("weight_std", (-1.0, 1.0)), ("weight_mean", (1.0, math.inf)),
    ("weight_std", ()), ("hidden", (-3,)), ("hidden", (0,)), ("hidden", (4.0,)), ("hidden", 4),
    ("epochs", 0), ("batch_size", -1), ("n_out", 1.5), ("seed", -1), ("seed", 2**40),
    ("lr_decay_steps", True),
])
def test_tuple_and_integer_settings_are_checked(name, value):
    with pytest.raises(ValueError, match=rf"^{name} must"):
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
