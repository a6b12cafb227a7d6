"""The readout pipeline: fields against analytic potentials, energy against V_dd·I·t,
gradients against finite differences, strict-JSON manifests, and clear errors."""

import json
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import unchecked
from jaxtyping import Array, Float
from scipy.integrate import solve_ivp

from felice import FHNRS, Boomerang, WereRabbit
from felice.inputs import SpikeTrain, StepCurrent
from felice.neuron_models import AbstractNeuron
from felice.pipeline import (
    PROBES,
    Emitter,
    IdentityField,
    MatrixField,
    Pipeline,
    PointSourceField,
    ReadoutStatus,
    Source,
    SumField,
    current_source_density,
    load_results,
    manifest,
    save_results,
)

F64 = jnp.float64
V_DD = 1.2
ALL = tuple(p for p in PROBES if p != "csd")
run = eqx.filter_jit(lambda pipeline, emitter: pipeline(emitter))


def _fhnrs(I_B):
    """A FHNRS pair from circuit values: element biases I_B (A), I_app = 0.5 and 0.8 nA."""
    return FHNRS.from_circuit(I_B=I_B, I_app=np.array([0.5e-9, 0.8e-9]), dtype=F64)


STEP = StepCurrent(50.0, np.array([0.3, -0.2]))  # model current units (nA) from t = 50


def _fhnrs_emitter(model):
    return Emitter(model, t1=100.0, n_save=60, inputs=STEP, rtol=1e-10, atol=1e-12)


def _emitters():
    """Two neurons of each model: FHNRS tonic spiking; bistable ones, neuron 0 kicked once."""
    kick = SpikeTrain([5.0], 0, -0.4)
    out = {"FHNRS": _fhnrs_emitter(_fhnrs(np.array([2e-9, 2e-9])))}
    for cls in (WereRabbit, Boomerang):
        m = cls(dtype=F64)
        out[cls.__name__] = Emitter(m, t1=80.0, y0=m.init_state(2), inputs=kick, n_save=60)
    return out


@pytest.fixture(scope="module")
def three_runs():
    pipeline = Pipeline(ALL, source=Source(V_dd=V_DD), field=SumField())
    emitters = _emitters()
    return pipeline, {name: (e, run(pipeline, e)) for name, e in emitters.items()}


# -- one pipeline, three models ------------------------------------------------------


def test_same_pipeline_runs_three_models_with_units(three_runs):
    pipeline, runs = three_runs
    units = {"time": "s", "spike_times": "s", "rate": "Hz", "first_spike_latency": "s",
             "voltage": "V", "currents": "A", "supply_current": "A", "power": "W",
             "energy": "J", "energy_per_spike": "J", "field": "A"}
    for name, (emitter, r) in runs.items():
        assert r.names == ALL
        for probe, unit in units.items():
            assert r[probe].unit == unit, (name, probe)
        m = emitter.model
        n_obs = 1 if name == "FHNRS" else 2  # V; (u, v)
        assert r["voltage"].value.shape == (60, 2, n_obs)
        assert r["currents"].value.shape[:2] == (60, 2)
        np.testing.assert_allclose(r["time"].value[-1], emitter.t1 * float(m.time_unit), rtol=1e-12)
        # Rates in Hz of real time and the raster agree with the spike counts.
        counts = np.asarray(r["spike_counts"].value)
        np.testing.assert_allclose(r["rate"].value, counts / r["time"].value[-1], rtol=1e-12)
        np.testing.assert_array_equal(np.sum(r["raster"].value, axis=0), counts)
        np.testing.assert_allclose(r["peak_voltage"].value, np.max(r["voltage"].value, axis=0))
        # The sum field is the total current of the population (current is conserved).
        total = np.sum(r["currents"].value, axis=(1, 2))
        np.testing.assert_allclose(r["field"].value[:, 0], total, rtol=1e-12,
                                   atol=1e-12 * np.abs(total).max())
        assert int(r["voltage"].status) == ReadoutStatus.OK
    fhn = runs["FHNRS"][1]
    assert np.all(np.asarray(fhn["spike_counts"].value) >= 2)
    assert np.all(np.asarray(fhn["first_spike_latency"].value) > 0)
    for name in ("WereRabbit", "Boomerang"):
        r = runs[name][1]
        np.testing.assert_array_equal(r["spike_counts"].value, [1, 0])  # only the kicked one
        # A neuron that never spikes has no latency and no energy per spike: flagged.
        assert np.isinf(r["energy_per_spike"].value[1])
        assert int(r["energy_per_spike"].status) == ReadoutStatus.UNDEFINED
        assert int(r["first_spike_latency"].status) == ReadoutStatus.UNDEFINED
        assert 5.0e-3 < float(r["first_spike_latency"].value[0]) < 80e-3  # after the kick


def test_voltages_and_currents_in_si_units_match_an_independent_solve(three_runs):
    # FHNRS hardware defaults: C = 1 pF, 1 nA per model current unit, 2U_t/κ = 71.43 mV.
    _, runs = three_runs
    emitter, r = runs["FHNRS"]
    I_app, step = np.array([0.5, 0.8]), np.array([0.3, -0.2])

    def I_in(t):
        return I_app + (step if t >= 50.0 else 0.0)

    def rhs(t, y):
        V, Vs = y[:2], y[2:]
        return np.concatenate([I_in(t) - V + 2 * np.tanh(V) - 2 * np.tanh(Vs), (V - Vs) / 50.0])

    ts = np.linspace(0.0, emitter.t1, 60)
    before, after = ts[ts < 50.0], ts[ts >= 50.0]
    kw = dict(method="DOP853", rtol=1e-11, atol=1e-13)
    a = solve_ivp(rhs, (0, 50.0), np.zeros(4), t_eval=before, dense_output=True, **kw)
    b = solve_ivp(rhs, (50.0, emitter.t1), a.sol(50.0), t_eval=after, **kw)
    ys = np.concatenate([a.y, b.y], axis=1).T
    V_unit, t_unit = 2 * 0.025 / 0.7, 1e-12 * (2 * 0.025 / 0.7) / 1e-9
    np.testing.assert_allclose(r["time"].value, ts * t_unit, rtol=1e-12)
    np.testing.assert_allclose(r["voltage"].value[..., 0], ys[:, :2] * V_unit,
                               rtol=1e-6, atol=1e-9)
    # The applied branch carries I_app plus the input current, in A.
    assert r["currents"].labels == ("app", "syn", "passive", "fast", "slow")
    app = r["currents"].value[..., 0]
    np.testing.assert_allclose(app, np.stack([I_in(t) for t in ts]) * 1e-9, rtol=1e-12)
    # Branch currents sum to C·dV/dt in A.
    dVdt = np.stack([rhs(t, y)[:2] for t, y in zip(ts, ys, strict=True)]) * V_unit / t_unit
    np.testing.assert_allclose(np.sum(r["currents"].value, axis=-1), 1e-12 * dVdt,
                               rtol=1e-6, atol=1e-6 * np.abs(1e-12 * dVdt).max())


# -- energy ----------------------------------------------------------------------------


def test_energy_is_supply_voltage_times_bias_times_time(three_runs):
    _, runs = three_runs
    # Hardware defaults: FHNRS biases 1 nA (passive) + 2 nA + 2 nA (elements), 71.43 µs per
    # unit; WereRabbit I_bias·(1 + 2σ), Boomerang I_bias·(2 + σ), σ = 0.6, I_bias = 100 pA, 1 ms.
    supply = {"FHNRS": 5e-9, "WereRabbit": 100e-12 * 2.2, "Boomerang": 100e-12 * 2.6}
    duration = {"FHNRS": 100 * 1e-12 * (0.05 / 0.7) / 1e-9, "WereRabbit": 80e-3,
                "Boomerang": 80e-3}
    for name, (_, r) in runs.items():
        np.testing.assert_allclose(r["supply_current"].value, supply[name], rtol=1e-12)
        np.testing.assert_allclose(r["power"].value, V_DD * supply[name], rtol=1e-12)
        E = V_DD * supply[name] * duration[name]
        np.testing.assert_allclose(r["energy"].value, E, rtol=1e-10)
        counts = np.asarray(r["spike_counts"].value)
        spiking = counts > 0
        np.testing.assert_allclose(r["energy_per_spike"].value[spiking], E / counts[spiking],
                                   rtol=1e-10)


def test_energy_of_a_varying_power_is_the_trapezoid_rule():
    # A supply current that varies in time: energy = V_dd·∫I dt by hand on the grid.
    from felice.pipeline import PROBES, ProbeContext, Sources

    ts = jnp.linspace(0.0, 2e-3, 201)
    I = jnp.stack([1e-9 * (1 + ts / 2e-3), 3e-9 * jnp.ones_like(ts)], axis=1)  # linear, const
    src = Sources(ts=ts, currents=I[..., None], names=("x",), supply=I, V_dd=jnp.asarray(0.9))
    E = PROBES["energy"].fn(ProbeContext(None, src, None, None))
    np.testing.assert_allclose(E, [0.9 * 1.5e-9 * 2e-3, 0.9 * 3e-9 * 2e-3], rtol=1e-12)


# -- fields ----------------------------------------------------------------------------


def test_point_source_matches_the_analytic_potential_and_falls_as_one_over_r():
    sigma, I0 = 0.3, 2e-9
    r = np.array([10e-6, 20e-6, 40e-6, 80e-6])
    field = PointSourceField(np.zeros((1, 3)), np.stack([np.zeros(4), np.zeros(4), r], 1),
                             sigma=sigma, r_min=1e-6)
    assert field.unit == "V"
    phi = np.asarray(field(jnp.full((1, 1), I0, F64)))[0]
    expected = I0 / (4 * math.pi * sigma * r)
    np.testing.assert_allclose(phi, expected, rtol=1e-6)
    np.testing.assert_allclose(phi[0], 53.0516e-6, rtol=1e-5)  # by hand: 2 nA/(4π·0.3·10 µm)
    np.testing.assert_allclose(phi * r, phi[0] * r[0], rtol=1e-12)  # exactly 1/r
    assert np.all(np.diff(phi) < 0)


def test_electrode_on_a_neuron_uses_r_min_with_finite_gradients():
    field = PointSourceField(np.array([[0.0, 0, 0], [5e-6, 0, 0]]), np.zeros((1, 3)),
                             sigma=0.5, r_min=2e-6)
    phi = field(jnp.asarray([[1e-9, 0.0]], F64))
    np.testing.assert_allclose(phi[0, 0], 1e-9 / (4 * math.pi * 0.5 * 2e-6), rtol=1e-12)

    def total(positions):
        f = PointSourceField(positions, np.zeros((1, 3)), sigma=0.5, r_min=2e-6)
        return jnp.sum(f(jnp.ones((1, 2), F64)))

    g = jax.grad(total)(jnp.asarray([[0.0, 0, 0], [5e-6, 0, 0]], F64))
    assert np.all(np.isfinite(g)) and float(g[0, 0]) == 0.0 and float(g[1, 0]) < 0


@pytest.mark.parametrize("field", [
    IdentityField(),
    SumField(),
    MatrixField(np.arange(12.0).reshape(4, 3) - 5.0),
    PointSourceField(np.random.default_rng(0).normal(size=(3, 3)) * 1e-5,
                     np.random.default_rng(1).normal(size=(5, 3)) * 1e-5, sigma=0.3),
])
def test_fields_are_linear_and_superpose(field):
    rng = np.random.default_rng(2)
    I1, I2 = (jnp.asarray(rng.normal(size=(7, 3)) * 1e-9) for _ in range(2))
    a, b = 1.7, -0.4
    np.testing.assert_allclose(field(a * I1 + b * I2), a * field(I1) + b * field(I2),
                               rtol=1e-10, atol=1e-25)
    # Superposition over neurons: the signal is the sum of each neuron's alone.
    alone = sum(field(I1 * (jnp.arange(3) == k)) for k in range(3))
    np.testing.assert_allclose(field(I1), alone, rtol=1e-10, atol=1e-25)


def test_sum_field_conserves_total_current():
    I = jnp.asarray(np.random.default_rng(3).normal(size=(9, 6)))
    np.testing.assert_allclose(SumField()(I)[:, 0], jnp.sum(I, axis=1), rtol=1e-14)


def test_csd_of_a_point_source_matches_the_analytic_second_derivative():
    # Contacts along z at lateral distance d from the source:
    # φ(z) = I/(4πσ)/√(d² + z²), ∂²φ/∂z² = I/(4πσ)·(2z² − d²)/(d² + z²)^{5/2}.
    sigma, I0, d, h = 0.3, 1e-9, 50e-6, 0.5e-6
    z = np.arange(-200, 201) * h
    field = PointSourceField(np.array([[d, 0.0, 0.0]]), np.stack([0 * z, 0 * z, z], 1),
                             sigma=sigma)
    assert field.spacing == pytest.approx(h, rel=1e-12)
    csd = np.asarray(field.csd(field(jnp.full((1, 1), I0, F64))))[0]
    zi = z[1:-1]
    expected = -sigma * I0 / (4 * math.pi * sigma) * (2 * zi**2 - d**2) / (d**2 + zi**2) ** 2.5
    np.testing.assert_allclose(csd, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    # A quadratic potential has a constant CSD, exactly.
    phi = jnp.asarray(3.0 * (zi / h) ** 2)[None]
    np.testing.assert_allclose(current_source_density(phi, h, 0.3), -0.3 * 6.0 / h**2, rtol=1e-9)


# -- gradients -------------------------------------------------------------------------


def _latency(I_B):
    """Summed first-spike latency (s) of the FHNRS pair, by the same pipeline and compiled
    function as `three_runs`."""
    pipeline = Pipeline(ALL, source=Source(V_dd=V_DD), field=SumField())
    return jnp.sum(run(pipeline, _fhnrs_emitter(_fhnrs(I_B)))["first_spike_latency"].value)


@pytest.mark.slow
def test_grad_of_probe_objective_wrt_bias_currents_matches_finite_differences(three_runs):
    I_B = jnp.asarray([2e-9, 2e-9], F64)
    assert 0 < float(_latency(I_B)) < 2 * 100 * 71.4e-6
    g = jax.grad(_latency)(I_B)  # s/A, for the fast and the slow element's bias
    h = 1e-14  # A (relative 5e-6)
    for k in range(2):
        e = jnp.zeros(2, F64).at[k].set(h)
        fd = (_latency(I_B + e) - _latency(I_B - e)) / (2 * h)
        np.testing.assert_allclose(g[k], fd, rtol=1e-4)
        assert abs(float(g[k])) > 1e3  # a real dependence: > 1 µs per nA


# -- manifest and results --------------------------------------------------------------


def _strict_loads(text):
    def reject(token):
        raise ValueError(f"non-strict JSON token {token}")

    return json.loads(text, parse_constant=reject)


def test_manifest_round_trip_and_strict_json(three_runs, tmp_path):
    pipeline, runs = three_runs
    for name, (emitter, r) in runs.items():
        info = manifest(pipeline, emitter, seed=7)
        path = save_results(tmp_path / f"{name}.json", r, info)
        data = _strict_loads(path.read_text())
        assert data["manifest"]["config_hash"] == info["config_hash"]
        loaded, info2 = load_results(path)
        assert info2 == info and loaded.names == r.names
        for probe in r:
            a, b = np.asarray(r[probe].value), np.asarray(loaded[probe].value)
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
            assert loaded[probe].unit == r[probe].unit
            assert loaded[probe].labels == r[probe].labels
            assert int(loaded[probe].status) == int(r[probe].status)
        hw = info["model"]["hardware_SI"]
        circuit = emitter.model.to_circuit()
        np.testing.assert_allclose(hw["C"]["value"], np.asarray(circuit["C"]))
        assert hw["C"]["unit"] == "F" and info["supply"]["V_dd"]["value"] == V_DD
        assert info["seed"] == 7 and info["simulation"]["t1"] == emitter.t1
        for pkg in ("jax", "equinox", "diffrax", "felice"):
            assert info["versions"][pkg]
    # The hash is of the configuration: same config, same hash; a change, another.
    emitter = runs["FHNRS"][0]
    assert manifest(pipeline, emitter, seed=7)["config_hash"] == \
        manifest(pipeline, emitter, seed=7)["config_hash"]
    other = Pipeline(ALL, source=Source(V_dd=1.0), field=SumField())
    assert manifest(other, emitter, seed=7)["config_hash"] != info["config_hash"] or name != "FHNRS"
    assert manifest(other, emitter, seed=7)["config_hash"] != \
        manifest(pipeline, emitter, seed=7)["config_hash"]


def test_config_hash_of_a_function_input_is_its_code_not_its_address():
    from felice.inputs import FunctionCurrent

    pipeline = Pipeline(("voltage",), source=Source(V_dd=V_DD))
    model = FHNRS(dtype=F64)

    def info(fn):
        return manifest(pipeline, Emitter(model, t1=10.0, inputs=FunctionCurrent(fn)))

    # Before: the static fn went in as its repr "<function <lambda> at 0x...>".
    a, b = info(lambda t: 0 * t + 0.1), info(lambda t: 0 * t + 0.1)
    assert a["config_hash"] == b["config_hash"] and "0x" not in json.dumps(a)
    assert info(lambda t: 0 * t + 0.2)["config_hash"] != a["config_hash"]

    class Opaque:  # no fields to describe it by: refused rather than hashed by address
        __slots__ = ()

        def __call__(self, t):
            return 0 * t

    with pytest.raises(ValueError, match="cannot describe"):
        info(Opaque())


def test_nonfinite_values_are_written_as_strings(tmp_path, three_runs):
    pipeline, runs = three_runs
    emitter, r = runs["WereRabbit"]
    text = save_results(tmp_path / "r.json", r, manifest(pipeline, emitter)).read_text()
    assert "Infinity" not in text and "NaN" not in text and '"inf"' in text
    with pytest.raises(ValueError, match="not a felice pipeline"):
        (tmp_path / "bad.json").write_text("{}")
        load_results(tmp_path / "bad.json")


_STALLED_WRITER = """
import os, sys, time
import jax.numpy as jnp
from felice.pipeline import save_results
from felice.pipeline import Readout, Readouts

def stall(fd):  # the data is written, the rename not yet done: kill here
    print("in write", flush=True)
    time.sleep(60)

os.fsync = stall
r = Readouts((Readout(value=jnp.arange(3.0), unit="V", name="V", status=jnp.asarray(0)),))
save_results(sys.argv[1], r, {"run": "new"})
"""


def test_killed_save_results_leaves_the_old_file(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from felice.pipeline import Readout, Readouts

    old = Readouts((Readout(value=jnp.arange(2.0), unit="A", name="I", status=jnp.asarray(0)),))
    path = save_results(tmp_path / "r.json", old, {"run": "old"})
    proc = subprocess.Popen([sys.executable, "-c", _STALLED_WRITER, str(path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "in write"  # before: no fsync, no stall
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    loaded, info = load_results(path)
    assert info == {"run": "old"} and loaded.names == ("I",)


# -- errors ----------------------------------------------------------------------------


def test_bad_inputs_raise_clear_errors(three_runs):
    with pytest.raises(ValueError, match="unknown probe 'lfp'.*known probes: time, spike_times"):
        Pipeline(["rate", "lfp"])
    with pytest.raises(ValueError, match="needs a field"):
        Pipeline(["field"])
    with pytest.raises(ValueError, match="csd"):
        Pipeline(["csd"], field=SumField())
    with pytest.raises(ValueError, match="sigma must be > 0, got sigma=-0.3"):
        PointSourceField(np.zeros((1, 3)), np.ones((2, 3)), sigma=-0.3)
    with pytest.raises(ValueError, match="same D"), unchecked():  # ill-shaped on purpose
        PointSourceField(np.zeros((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="2 neuron positions but there are 3 neurons"):
        PointSourceField(np.zeros((2, 3)), np.ones((1, 3)))(jnp.ones((4, 3)))
    with pytest.raises(ValueError, match="3 columns but there are 2 neurons"):
        MatrixField(np.ones((1, 3)))(jnp.ones((4, 2)))
    with pytest.raises(ValueError, match="V_dd must be > 0"):
        Source(V_dd=-1.0)
    with pytest.raises(ValueError, match="n_save must be an integer"):
        Emitter(FHNRS(), t1=10.0, n_save=1)
    with pytest.raises(ValueError, match="t1 must be finite and after t0"):
        Emitter(FHNRS(), t1=-1.0)
    with pytest.raises(ValueError, match="y must have shape"):
        Emitter(FHNRS(), t1=1.0, y0=np.zeros((2, 5)))
    pipeline, runs = three_runs
    bad = Pipeline(["field"], field=SumField(), field_input="nope")
    with pytest.raises(ValueError, match="unknown source 'nope'; known: total, supply, app"):
        bad(runs["FHNRS"][0])


def test_readout_status_reports_failed_simulations_and_undefined_entries():
    from felice.pipeline import make_readout

    ok, failed = jnp.asarray(True), jnp.asarray(False)
    assert int(make_readout("x", jnp.ones(3), "V", ok).status) == ReadoutStatus.OK
    status = make_readout("x", jnp.ones(3), "V", failed).status
    assert int(status) == ReadoutStatus.SIMULATION_FAILED
    r = make_readout("x", jnp.asarray([1.0, jnp.inf]), "s", ok)
    assert int(r.status) == ReadoutStatus.UNDEFINED and r.message.startswith("undefined")
    assert int(make_readout("x", jnp.asarray([1.0, jnp.inf]), "s", ok, allow_inf=True).status) == 0


# -- a neuron that is not a circuit ------------------------------------------------------


class _Oscillator(AbstractNeuron):
    """A harmonic oscillator x' = −ωy, y' = ωx that 'spikes' when x rises through 1/2.

    Not a circuit (no branch or supply currents): only spike and voltage probes apply.
    From (x, y) = (1, 0), x = cos ωt rises through 1/2 at ωt = 5π/3 + 2πk.
    """

    omega: Float[Array, ""]
    core_ndim: ClassVar[dict[str, int]] = {}
    unit_fields: ClassVar[tuple[str, ...]] = ()

    state_names = property(lambda self: ("x", "y"))
    input_shape = property(lambda self: ())
    time_unit = property(lambda self: jnp.asarray(1e-3))
    voltage_unit = property(lambda self: jnp.asarray(0.1))
    current_unit = property(lambda self: jnp.asarray(1e-9))
    state_scale = property(lambda self: jnp.asarray([0.1, 0.1]))

    def init_state(self, n_neurons):
        return jnp.tile(jnp.asarray([1.0, 0.0], self.omega.dtype), (n_neurons, 1))

    def dynamics(self, t, y, args=None):
        return self.omega * jnp.stack([-y[:, 1], y[:, 0]], axis=-1)

    def spike_condition(self, t, y, args=None):
        return y[:, 0] - 0.5

    def rearm_condition(self, t, y, args=None):
        return y[:, 0] - 0.5

    def input_spike(self, y, weights):
        return y.at[:, 0].add(weights)

    def input_current(self, I):
        return jnp.asarray(I)

    def observe(self, y):
        return y[:, :1]

    def membrane(self, y):
        return y[:, 0]


def test_spike_probes_run_for_a_neuron_that_is_not_a_circuit():
    omega = 2 * math.pi / 10.0  # period 10 model units = 10 ms
    emitter = Emitter(_Oscillator(jnp.asarray(omega)), t1=35.0, n_save=50, rtol=1e-10, atol=1e-12)
    r = Pipeline(["rate", "spike_times", "voltage", "time"])(emitter)
    expected = (5 * math.pi / 3 + 2 * math.pi * np.arange(3)) / omega * 1e-3  # s; 3 in 35 ms
    st = np.asarray(r["spike_times"].value[0])
    np.testing.assert_allclose(st[np.isfinite(st)], expected, rtol=1e-6)
    np.testing.assert_allclose(r["rate"].value, [3 / 35e-3], rtol=1e-12)
    ts = np.asarray(r["time"].value)
    np.testing.assert_allclose(r["voltage"].value[:, 0, 0], 0.1 * np.cos(omega * ts / 1e-3),
                               atol=1e-7)
    assert all(bool(r[p].ok) for p in r)
    # The manifest of a neuron without a hardware view has no hardware values.
    assert manifest(Pipeline(["rate"]), emitter)["model"]["hardware_SI"] is None


@pytest.mark.parametrize("probes", [["power"], ["rate", "energy_per_spike"], ["currents"]])
def test_circuit_probes_on_a_neuron_that_is_not_a_circuit_name_the_probe(probes):
    emitter = Emitter(_Oscillator(jnp.asarray(1.0)), t1=5.0, n_save=5)
    needing = [p for p in probes if p != "rate"]
    with pytest.raises(TypeError, match=rf"probe '{needing[0]}'.*AbstractCircuit capability"
                                        r".*_Oscillator is not one"):
        Pipeline(probes)(emitter)
    with pytest.raises(TypeError, match=r"field.*AbstractCircuit"):
        Pipeline(["field"], field=SumField())(emitter)
