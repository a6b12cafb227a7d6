"""Training refuses bad settings and data, resumes only the same run, and survives kills."""

import math

import jax
import numpy as np
import pytest

from felice.datasets import yin_yang
from felice.networks.mismatch import apply_mismatch
from felice.training import TrainConfig, build_network, evaluate, evaluate_events, fit

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
