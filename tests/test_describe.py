"""One describer/hasher for sweep resume and pipeline manifests: what determines a result."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import felice
from felice._describe import config_hash, describe
from felice.inputs import FunctionCurrent
from felice.sweep import SpikeCount

jax.config.update("jax_enable_x64", True)


def _make(scale, offset=0.0):
    def metric(model, result):
        return result.spike_counts * scale + offset

    return metric


def test_functions_are_hashed_by_code_closure_and_defaults():
    same_a = lambda m, r: r.spike_counts  # noqa: E731
    same_b = lambda m, r: r.spike_counts  # noqa: E731
    other = lambda m, r: r.spike_counts + 1  # noqa: E731
    other.__qualname__ = same_a.__qualname__ = same_b.__qualname__ = "count"
    # Before: all three were "module.count", so a changed body resumed the old numbers.
    assert config_hash(same_a) == config_hash(same_b)
    assert config_hash(other) != config_hash(same_a)
    assert config_hash(_make(2.0)) == config_hash(_make(2.0))
    assert config_hash(_make(2.0)) != config_hash(_make(3.0))  # closure value
    assert config_hash(_make(2.0, 1.0)) != config_hash(_make(2.0))

    def with_default(m, r, k=1):
        return k

    before = config_hash(with_default)
    with_default.__defaults__ = (2,)
    assert config_hash(with_default) != before
    # A bound method carries its object; a float constant in the code is part of the code.
    assert config_hash(felice.FHNRS(g=1.0).dynamics) != config_hash(felice.FHNRS(g=2.0).dynamics)
    assert config_hash(lambda t: 0.1 * t) != config_hash(lambda t: 0.2 * t)


class _WithStatic(eqx.Module):
    fn: object = eqx.field(static=True)
    scale: jax.Array

    def __call__(self, model, result):
        return self.fn(result.spike_counts) * self.scale


def test_modules_with_static_callables_have_a_stable_description():
    # Before: the repr of the static lambda held its memory address (never equal twice).
    a = _WithStatic(lambda x: x + 1, jnp.asarray(2.0))
    b = _WithStatic(lambda x: x + 1, jnp.asarray(2.0))
    assert "0x" not in str(describe(a)) and config_hash(a) == config_hash(b)
    assert config_hash(_WithStatic(lambda x: x - 1, jnp.asarray(2.0))) != config_hash(a)
    assert config_hash(_WithStatic(lambda x: x + 1, jnp.asarray(3.0))) != config_hash(a)
    assert config_hash(FunctionCurrent(lambda t: 0 * t + 0.1)) == \
        config_hash(FunctionCurrent(lambda t: 0 * t + 0.1))


def test_undescribable_objects_are_refused():
    for bad in (object(), iter([1]), {"y0": object()}):
        with pytest.raises(ValueError, match="cannot describe"):
            config_hash(bad)
    # Arrays by value, non-finite floats as strings: strict JSON.
    assert describe(np.array([1.0, np.inf])) == {"array": "float64", "shape": [2],
                                                 "data": [1.0, "inf"]}


MODEL = felice.FHNRS(dtype=jnp.float64)
POINTS = {"I_app": np.array([-1.2, -0.5])}


def test_sweep_resume_sees_a_changed_metric_or_y0(tmp_path):
    folder = tmp_path / "run"
    kw = dict(t1=100.0, chunk_size=2, folder=folder)
    first = felice.sweep.sweep(MODEL, POINTS, {"n": _make(1.0)}, **kw)
    # Same name, new closure value: before, the old numbers came back.
    with pytest.raises(ValueError, match="different sweep"):
        felice.sweep.sweep(MODEL, POINTS, {"n": _make(10.0)}, **kw)
    with pytest.raises(ValueError, match="different sweep"):
        felice.sweep.sweep(MODEL, POINTS, {"n": _make(1.0)}, y0=lambda m, n: m.init_state(n) + 0.1,
                     **kw)
    again = felice.sweep.sweep(MODEL, POINTS, {"n": _make(1.0)}, **kw)  # resumed: equal
    np.testing.assert_array_equal(again["n"], first["n"])


_CALLS = []


def _counting(x):
    _CALLS.append(1)  # a global: its name is in the code, its contents are not the config
    return x


def test_sweep_with_a_static_callable_module_resumes(tmp_path):
    folder = tmp_path / "run"
    kw = dict(t1=100.0, chunk_size=2, folder=folder)
    felice.sweep.sweep(MODEL, POINTS, {"n": _WithStatic(_counting, jnp.asarray(1.0))}, **kw)
    assert len(_CALLS) == 1
    # A new but equal module: before, its hash (a repr with an address) never matched.
    table = felice.sweep.sweep(MODEL, POINTS, {"n": _WithStatic(_counting, jnp.asarray(1.0))}, **kw)
    assert len(_CALLS) == 1 and table["n"].shape == (2,)
    with pytest.raises(ValueError, match="cannot describe"):
        felice.sweep.sweep(MODEL, POINTS, {"n": SpikeCount(0.0)}, **kw, solver_options=object())
