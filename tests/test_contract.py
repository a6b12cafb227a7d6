"""The circuit contract, checked for every registered model (`felice.MODELS`).

A model passed to `felice.register` gets every test here without a test edit. Each
model is built once per module from its default preset in float64, as a small
population; the tests reuse it (and its compiled functions).
"""

import ast
import dataclasses
import inspect
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import felice
from felice.analysis import equilibria, iv_curves
from felice.inputs import SpikeTrain
from felice.networks import SpikingNetwork, mismatch_neurons, simulate_fixed
from felice.neuron_models import (
    AbstractCircuit,
    AbstractNeuron,
    AbstractResettingNeuron,
    AbstractVoltageClamp,
)
from felice.pipeline import Emitter, Pipeline
from felice.spice import model_from_card, write_card
from felice.surrogate import FastSigmoid
from felice.training import TrainConfig

F64 = jnp.float64
N = 3  # neurons of the small population
NAMES = list(felice.MODELS)
CAPABILITIES = (AbstractNeuron, AbstractResettingNeuron, AbstractVoltageClamp, AbstractCircuit)
ROOT = Path(felice.__file__).resolve().parent


def _model(name: str) -> AbstractCircuit:
    return felice.MODELS[name].preset("default", dtype=F64)


@pytest.fixture(scope="module", params=NAMES)
def name(request):
    return request.param


@pytest.fixture(scope="module")
def model(name):
    return _model(name)


@pytest.fixture(scope="module")
def excitable(name):
    """A neuron that spikes under the test's weight-1 input kicks: the circuit's "demo" preset
    (the one `felice demo` shows spiking) where it has one, else its network neuron."""
    cls = felice.MODELS[name]
    if "demo" in cls.presets:
        return cls.preset("demo", dtype=F64)
    return cls(**cls.network_defaults, dtype=F64)


@pytest.fixture(scope="module")
def state(model):
    """A state of N neurons near the model's start, each neuron a little different."""
    y0 = model.init_state(N)
    noise = np.random.default_rng(0).normal(0.0, 1.0, y0.shape)
    return y0 + 0.02 * (1.0 + jnp.abs(y0)) * jnp.asarray(noise, F64)


def _varied(model: AbstractCircuit) -> AbstractCircuit:
    """The model with per-neuron parameters: the k-th non-unit parameter of neuron i times
    1 + 0.02·i·(k + 1) (different factors, so that no ratio of parameters stays fixed)."""
    m = model.per_neuron(N)
    i = jnp.arange(N, dtype=F64)
    values = {k: v for k, v in m.param_values().items() if k not in m.unit_fields}
    new = [v * (1.0 + 0.02 * (k + 1) * i).reshape((N,) + (1,) * (v.ndim - 1))
           for k, v in enumerate(values.values())]
    return eqx.tree_at(lambda x: [getattr(x, k) for k in values], m, new)


def _neuron(model: AbstractCircuit, i: int) -> AbstractCircuit:
    """Neuron i of a per-neuron population as a model of its own (scalar parameters)."""
    values = {k: v for k, v in model.param_values().items() if k not in model.unit_fields}
    return eqx.tree_at(lambda x: [getattr(x, k) for k in values], model,
                       [v[i] for v in values.values()])


# -- the class ---------------------------------------------------------------------


def _own_members(cls: type) -> set[str]:
    return {k for k in vars(cls) if not k.startswith("__")} | set(vars(cls).get("__annotations__", {}))


def test_registry_names_the_classes(name):
    cls = felice.MODELS[name]
    assert cls.name == name
    assert felice.get_model(name.upper(), dtype=F64).name == name


def test_class_is_final_and_concrete(name):
    """Concrete (nothing abstract left), every class above it abstract (`Abstract*`), and
    only abstract members overridden."""
    cls = felice.MODELS[name]
    assert not cls.__abstractmethods__
    assert not cls.__abstractclassvars__ and not cls.__abstractvars__
    assert not cls.__name__.startswith("Abstract")
    bases = [b for b in cls.__mro__[1:] if issubclass(b, AbstractNeuron)]
    assert all(b.__name__.startswith("Abstract") for b in bases), bases
    for klass in (cls, *bases):
        for base in [b for b in klass.__mro__[1:] if issubclass(b, AbstractNeuron)]:
            abstract = (set(getattr(base, "__abstractmethods__", ())) | set(base.__abstractclassvars__)
                        | set(base.__abstractvars__))
            overridden = (_own_members(klass) & _own_members(base)) - abstract - {"_abc_impl"}
            assert not overridden, f"{klass.__name__} overrides concrete {sorted(overridden)} of {base.__name__}"


def test_class_variables_of_the_capabilities(name, model):
    cls = felice.MODELS[name]
    for cap in CAPABILITIES:
        if issubclass(cls, cap):
            for var in cap.__abstractclassvars__:
                assert var in vars(cls) or any(var in vars(b) for b in cls.__mro__[1:]), var
    params = model.param_values()
    assert isinstance(cls.name, str)
    assert set(cls.core_ndim) <= set(params) and set(cls.unit_fields) <= set(params)
    assert all(model.param_values()[k].ndim == 0 for k in cls.unit_fields)
    assert all(isinstance(k, str) and isinstance(u, str) for k, u in cls.circuit_units.items())
    assert "default" in cls.presets
    for preset in cls.presets:
        assert isinstance(cls.preset(preset, dtype=F64), cls)
    for bias, (low, high) in cls.trainable_bias.items():
        assert bias in params and bias not in cls.unit_fields and low < high
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(cls.training_preset) <= fields, set(cls.training_preset) - fields
    TrainConfig(model=name, **cls.training_preset)
    assert isinstance(cls(**cls.network_defaults, dtype=F64), cls)


# -- the dynamics ------------------------------------------------------------------


def test_currents_sum_to_the_dynamics(model, state):
    """For each node, its branch currents (`branch_node`) sum to its C·dV/dt
    (`capacitive_currents`, from `dynamics`)."""
    I = jnp.linspace(0.05, 0.15, N, dtype=F64)
    args = {"I_ext": model.input_current(I)}
    currents = model.currents(state, args)
    charging = model.capacitive_currents(state, args)
    nodes = {k: model.branch_node(k) for k in currents}
    assert charging and set(nodes.values()) == set(charging), (nodes, set(charging))
    for node, total in charging.items():
        branches = [v for k, v in currents.items() if nodes[k] == node]
        assert all(v.shape == (N,) for v in branches) and total.shape == (N,)
        scale = max(float(jnp.max(jnp.abs(jnp.stack(branches)))), 1e-300)
        np.testing.assert_allclose(sum(branches), total, rtol=1e-12, atol=1e-12 * scale)
    # The external input is one of the branches: it changes them.
    without = model.currents(state)
    assert any(not np.allclose(currents[k], without[k]) for k in currents)


def test_neurons_are_independent(model, state):
    """The Jacobians of `dynamics` and `spike_condition` are block diagonal over neurons."""
    s = model.n_state
    J = jax.jacfwd(lambda flat: model.dynamics(0.0, flat.reshape(N, s)).ravel())(state.ravel())
    J = np.asarray(J).reshape(N, s, N, s)
    G = jax.jacfwd(lambda flat: model.spike_condition(0.0, flat.reshape(N, s)))(state.ravel())
    G = np.asarray(G).reshape(N, N, s)
    for i in range(N):
        for j in range(N):
            if i != j:
                assert np.all(J[i, :, j] == 0.0) and np.all(G[i, j] == 0.0), (i, j)
    assert all(np.any(J[i, :, i] != 0.0) for i in range(N))


def test_per_neuron_parameters_give_per_neuron_results(model, state):
    """Neuron i of a population with per-neuron parameters is the model with its parameters."""
    varied = _varied(model)
    assert varied.population_size() == N
    y = jnp.broadcast_to(state[:1], state.shape)  # the same state for every neuron
    f = varied.dynamics(0.0, y)
    g = varied.spike_condition(0.0, y)
    currents = varied.currents(y)
    for i in range(N):
        one = _neuron(varied, i)
        np.testing.assert_allclose(f[i], one.dynamics(0.0, y[:1])[0], rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(g[i], one.spike_condition(0.0, y[:1])[0], rtol=1e-12, atol=1e-300)
        for k, v in one.currents(y[:1]).items():
            np.testing.assert_allclose(currents[k][i], v[0], rtol=1e-12, atol=1e-300)
    assert not np.allclose(f[0], f[-1])  # the parameters matter


def test_to_circuit_from_circuit_round_trip(name, model, state):
    cls = felice.MODELS[name]
    circuit = model.to_circuit()
    assert set(circuit) <= set(cls.circuit_units), set(circuit) - set(cls.circuit_units)
    units = {k: cls.circuit_units[k] for k in ("time_unit", "voltage_unit", "current_unit")}
    assert units == {"time_unit": "s", "voltage_unit": "V", "current_unit": "A"}
    np.testing.assert_allclose(circuit["time_unit"], model.time_unit, rtol=1e-15)
    np.testing.assert_allclose(circuit["voltage_unit"], model.voltage_unit, rtol=1e-15)
    np.testing.assert_allclose(circuit["current_unit"], model.current_unit, rtol=1e-15)
    kwargs = {k: v for k, v in circuit.items() if not k.endswith("_unit")}
    if "dtype" in inspect.signature(cls.from_circuit).parameters:
        kwargs["dtype"] = F64
    twin = cls.from_circuit(**kwargs)
    assert isinstance(twin, cls)
    again = twin.to_circuit()
    assert set(again) == set(circuit)
    for k in circuit:
        np.testing.assert_allclose(again[k], circuit[k], rtol=1e-12, err_msg=k)
    np.testing.assert_allclose(twin.dynamics(0.0, state), model.dynamics(0.0, state), rtol=1e-11,
                               atol=1e-12 * float(jnp.max(jnp.abs(model.dynamics(0.0, state)))))


# -- the layers --------------------------------------------------------------------


def _kicks(t1: float) -> SpikeTrain:
    """Input spikes of weight 1 into every neuron at a quarter and half of the run."""
    return SpikeTrain(jnp.repeat(jnp.asarray([0.25 * t1, 0.5 * t1]), N),
                      jnp.tile(jnp.arange(N), 2), 1.0)


T1 = 40.0  # model time units


def test_simulate_runs_from_the_default_start(model):
    result = felice.simulate(model, t1=T1, n_neurons=N, inputs=_kicks(T1), saveat=16)
    assert result.status == felice.Status.OK
    assert np.all(np.isfinite(result.ys)) and result.ys.shape == (16, N, model.n_state)
    assert np.all(np.asarray(result.spike_counts) >= 0)


def test_pipeline_readouts_are_finite_in_si_units(excitable):
    readouts = Pipeline(["rate", "energy_per_spike"])(
        Emitter(excitable, t1=T1, n_neurons=N, inputs=_kicks(T1), n_save=64))
    rate, energy = readouts["rate"], readouts["energy_per_spike"]
    assert rate.unit == "Hz" and energy.unit == "J"
    assert np.all(np.isfinite(rate.value)) and np.all(np.asarray(rate.value) > 0)
    assert np.all(np.isfinite(energy.value)) and np.all(np.asarray(energy.value) > 0)


@pytest.mark.slow
def test_feedforward_network_simulates_in_both_engines(name):
    cfg = felice.MODELS[name].training_preset
    dt, solver = cfg.get("dt", 0.25), cfg.get("solver", "heun")
    net = SpikingNetwork.feedforward(name, (2, 2, 1), key=jax.random.PRNGKey(0), dtype=F64,
                                     weight_mean=1.0, weight_std=0.5)
    n_steps = int(round(4.0 / dt))
    raster = jnp.zeros((n_steps, 2), F64).at[1].set(1.0)
    trace = simulate_fixed(net, raster, dt=dt, spike_fn=FastSigmoid(), solver=solver)
    assert np.all(np.isfinite(trace.y_final)) and trace.spikes.shape == (n_steps, 3)
    w_in = net.w_in.effective
    train = SpikeTrain(jnp.full(w_in.size, dt), jnp.tile(jnp.arange(3), 2), w_in.reshape(-1))
    result = felice.simulate(net, t1=n_steps * dt, inputs=train, saveat=4)
    assert result.status == felice.Status.OK and np.all(np.isfinite(result.ys))


def test_mismatch_gives_changed_per_neuron_parameters(model):
    m = mismatch_neurons(model, 4, jax.random.PRNGKey(1), sigma_bias=0.1, sigma_kappa=0.02)
    assert type(m) is type(model) and m.population_size() == 4
    nominal, changed = model.param_values(), m.param_values()
    for k in model.unit_fields:
        np.testing.assert_array_equal(changed[k], nominal[k])
    moved = [k for k in nominal if k not in model.unit_fields
             and not np.allclose(changed[k], jnp.broadcast_to(nominal[k], changed[k].shape))]
    assert moved
    # Each neuron differs from the others.
    assert all(len({float(x) for x in np.asarray(changed[k]).reshape(4, -1)[:, 0]}) == 4 for k in moved[:1])
    same = mismatch_neurons(model, 4, jax.random.PRNGKey(1), sigma_bias=0.0, sigma_kappa=0.0)
    for k, v in same.param_values().items():
        np.testing.assert_allclose(v, jnp.broadcast_to(nominal[k], v.shape), rtol=1e-15)


def test_reset_is_a_declared_capability(name, model, excitable, state):
    """A resetting neuron resets the spiked neurons only, below its spike condition; a model
    without the capability has no reset of its own."""
    cls = felice.MODELS[name]
    if not issubclass(cls, AbstractResettingNeuron):
        assert not hasattr(cls, "reset_spiked") and not hasattr(cls, "refractory_period")
        return
    assert np.all(np.asarray(model.refractory_period) >= 0)
    spiked = jnp.asarray([True, False, True][:N])
    y = model.reset_spiked(state, spiked)
    np.testing.assert_array_equal(y[~spiked], state[~spiked])
    assert np.all(np.asarray(model.spike_condition(0.0, y)[spiked]) < 0)
    result = felice.simulate(excitable, t1=T1, n_neurons=N, inputs=_kicks(T1))
    assert result.status == felice.Status.OK and int(np.sum(result.spike_counts)) > 0


@pytest.mark.slow
def test_voltage_clamp_gives_iv_curves_and_equilibria(name, model):
    if not issubclass(felice.MODELS[name], AbstractVoltageClamp):
        with pytest.raises(TypeError, match="AbstractVoltageClamp"):
            iv_curves(model, jnp.linspace(0.0, 1.0, 5))
        return
    eq = equilibria(model, I_app=0.0)
    count = int(eq.count)
    assert count >= 1
    states = eq.states[:count]
    args = model.clamp_args(jnp.asarray(0.0, F64))
    dynamic = [k for k, s in enumerate(model.state_names) if s not in model.input_states]
    f = model.dynamics(0.0, states, args)[:, dynamic]
    scale = float(jnp.max(jnp.abs(model.dynamics(0.0, model.init_state(1)))) + 1.0)
    np.testing.assert_allclose(f, 0.0, atol=1e-8 * scale)
    V = jnp.asarray([model.clamp_split(s)[0] for s in states])
    lo, hi = model.clamp_range()
    curves = iv_curves(model, jnp.concatenate([jnp.linspace(lo, hi, 9), V]))
    assert curves.I.shape[-1] == 9 + count and curves.names[0] == "instantaneous"
    assert np.all(np.isfinite(curves.I[0]))  # the instantaneous curve is defined everywhere
    # The steady-state curve passes through the applied current (0) at every equilibrium.
    steady = np.concatenate([np.asarray(curves.I[-1, 9:])[None], np.asarray(curves.branch_I[-1, :, 9:])])
    np.testing.assert_allclose(np.nanmin(np.abs(steady), axis=0), 0.0, atol=1e-7 * scale)


def test_card_round_trip(name, model, tmp_path):
    path = write_card(model, tmp_path / f"{name}.toml")
    again = model_from_card(path, dtype=F64)
    assert type(again) is type(model)
    circuit, twin = model.to_circuit(), again.to_circuit()
    assert set(twin) == set(circuit)
    for k in circuit:
        np.testing.assert_allclose(twin[k], circuit[k], rtol=1e-12, err_msg=k)


# -- the layout --------------------------------------------------------------------


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return out


def _private_felice_module(module: str) -> tuple[str, str] | None:
    """(package, private module) if `module` is `felice.<pkg>._x...`, else None."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "felice" and any(p.startswith("_") for p in parts[2:]):
        return parts[1], module
    return None


def test_no_package_imports_another_packages_private_module():
    bad = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).parts
        own = rel[0] if len(rel) > 1 else None
        for module in _imports(path):
            hit = _private_felice_module(module)
            if hit and hit[0] != own and (ROOT / hit[0]).is_dir():
                bad.append(f"{path.relative_to(ROOT.parent)}: {module}")
    assert not bad, bad


def test_tests_import_no_private_module_of_a_subpackage():
    tests = Path(__file__).resolve().parent
    bad = [f"{p.name}: {m}" for p in tests.rglob("*.py") for m in _imports(p)
           if (hit := _private_felice_module(m)) and (ROOT / hit[0]).is_dir()]
    assert not bad, bad


def test_models_import_nothing_above_them():
    """felice.neuron_models is at the bottom: it imports no other felice package."""
    allowed = {"neuron_models"}
    bad = []
    for path in (ROOT / "neuron_models").rglob("*.py"):
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "felice" and len(parts) > 1 and (ROOT / parts[1]).is_dir() \
                    and parts[1] not in allowed:
                bad.append(f"{path.name}: {module}")
    assert not bad, bad
