"""felice.sweep: points, agreement with one-by-one solves, sharding, resuming, table, regimes."""

import os
import subprocess
import sys
import textwrap

import equinox as eqx
import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest

import felice
from felice.simulation import SimulationResult
from felice.sweep import Regime, RegimeFromIV, RegimeFromSpikes, SpikeCount, SpikeRate, SweepTable

matplotlib.use("Agg")
jax.config.update("jax_enable_x64", True)

T1, T_START, CHUNK = 300.0, 100.0, 4
MODEL = felice.FHNRS(dtype=jnp.float64)


def first_spike(model, result):
    return result.spike_times[:, 0]


METRICS = dict(count=SpikeCount(T_START), first=first_spike)


def one_by_one(points):
    """Reference: each point simulated alone as a one-neuron model."""
    n = next(iter(points.values())).size
    rows = []
    for i in range(n):
        model = felice.sweep.chunk_model(MODEL, {k: v[i:i + 1] for k, v in points.items()}, 1)
        result = felice.simulate(model, t1=T1, y0=model.init_state(1))
        rows.append({k: np.asarray(f(model, result))[0] for k, f in METRICS.items()})
    return {k: np.array([r[k] for r in rows]) for k in METRICS}


@pytest.mark.parametrize("kind", ["grid", "random", "lhs"])
def test_sweep_equals_points_one_by_one(kind):
    if kind == "grid":
        points = felice.sweep.grid(I_app=[-0.5, 0.1, 1.2], **{"a[1]": [1.5, 2.0]})
    elif kind == "random":
        points = felice.sweep.random(5, seed=1, I_app=(-1.2, 1.2), **{"a[1]": (1.5, 2.5)})
    else:
        points = felice.sweep.latin_hypercube(5, seed=2, I_app=(-1.2, 1.2), g=(0.8, 1.2))
    table = felice.sweep.sweep(MODEL, points, METRICS, t1=T1, chunk_size=CHUNK)
    ref = one_by_one(points)
    for name, col in points.items():
        np.testing.assert_array_equal(table[name], col)
    np.testing.assert_array_equal(table["count"], ref["count"])
    # Population and single solves share no step sequence: spike times agree to O(rtol).
    np.testing.assert_allclose(table["first"], ref["first"], rtol=1e-3)
    assert np.any(table["count"] > 0) and np.any(table["count"] == 0)


def test_points_structure():
    g = felice.sweep.grid(x=[1.0, 2.0], y=[3.0, 4.0, 5.0])
    np.testing.assert_array_equal(g["x"], [1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(g["y"], [3, 4, 5, 3, 4, 5])
    lhs = felice.sweep.latin_hypercube(50, seed=0, x=(-1.0, 1.0), y=(0.0, 10.0))
    for col, (lo, hi) in ((lhs["x"], (-1.0, 1.0)), (lhs["y"], (0.0, 10.0))):
        strata = np.floor((col - lo) / (hi - lo) * 50).astype(int)
        np.testing.assert_array_equal(np.sort(strata), np.arange(50))  # one point per stratum
    r = felice.sweep.random(1000, seed=0, x=(2.0, 3.0))
    assert 2.0 <= r["x"].min() and r["x"].max() < 3.0 and abs(r["x"].mean() - 2.5) < 0.03
    with pytest.raises(ValueError, match="high > low"):
        felice.sweep.random(3, seed=0, x=(1.0, 1.0))
    with pytest.raises(ValueError, match="n must be"):
        felice.sweep.latin_hypercube(0, seed=0, x=(0.0, 1.0))


def test_bad_parameters_are_refused():
    pts = {"I_app": [0.0]}
    with pytest.raises(ValueError, match="unit system"):
        felice.sweep.sweep(MODEL, {"kappa": [0.7]}, METRICS, t1=T1)
    with pytest.raises(ValueError, match="not a field"):
        felice.sweep.sweep(MODEL, {"I_bias": [0.7]}, METRICS, t1=T1)
    with pytest.raises(ValueError, match="name one element"):
        felice.sweep.sweep(MODEL, {"a": [0.7]}, METRICS, t1=T1)
    with pytest.raises(ValueError, match="out of range"):
        felice.sweep.sweep(MODEL, {"a[5]": [0.7]}, METRICS, t1=T1)
    with pytest.raises(ValueError, match="instantaneous"):
        felice.sweep.sweep(MODEL, {"tau[0]": [0.0, 5.0]}, METRICS, t1=T1)
    with pytest.raises(ValueError, match="chunk_size"):
        felice.sweep.sweep(MODEL, pts, METRICS, t1=T1, chunk_size=0)
    with pytest.raises(ValueError, match="same length"):
        felice.sweep.sweep(MODEL, {"I_app": [0.0, 1.0], "g": [1.0]}, METRICS, t1=T1)
    with pytest.raises(ValueError, match="n_v=1"):
        RegimeFromIV(n_v=1)


@pytest.mark.slow
def test_fi_curve_onset_matches_hopf_of_the_equilibrium():
    # Default FHNRS: V* = I_app, and J = [[-1 + 2s, -2s], [1/50, -1/50]] with s = sech²(V*):
    # det > 0 always, so rest is stable iff trace < 0, i.e. |I_app| > acosh(1/√0.51).
    I_hopf = np.arccosh(1 / np.sqrt(0.51))
    currents = np.array([-1.4, -1.1, -0.95, -0.8, -0.6, -0.4, -0.1])  # not 0: y0 = 0 is its rest
    table = felice.sweep.fi_curve(MODEL, currents, t1=T1, t_start=T_START, chunk_size=CHUNK)
    # Check the stability criterion independently with the model's own Jacobian.
    m = felice.FHNRS(I_app=currents, dtype=jnp.float64)
    y = m.equilibrium()
    def f(x):
        return m.dynamics(0.0, x, None)

    # Neurons are independent: one jvp gives column k of every neuron's Jacobian.
    cols = [jax.jvp(f, (y,), (jnp.zeros_like(y).at[:, k].set(1.0),))[1] for k in range(2)]
    J = np.stack([np.asarray(c)[:, :2] for c in cols], axis=-1)
    unstable = np.max(np.linalg.eigvals(J).real, axis=1) > 0
    np.testing.assert_array_equal(unstable, np.abs(currents) < I_hopf)
    np.testing.assert_array_equal(table["rate"] > 0, unstable)
    above = table["rate"][np.abs(currents) < I_hopf]
    assert np.all(np.diff(above) >= 0) and above[-1] > above[0]  # rising above the onset
    spiking = table["regime"][np.abs(currents) < I_hopf]
    assert np.all(spiking == Regime.SPIKING)
    assert np.all(table["regime"][np.abs(currents) > I_hopf] == Regime.REST)
    # Consistent with felice.analysis.classify at every point: the sweep's analysis-only
    # metric and classify itself, and both with the simulated rates.
    iv = felice.sweep.sweep(MODEL, {"I_app": currents}, {"regime": RegimeFromIV()}, t1=None,
                      chunk_size=CHUNK)["regime"]
    labels = felice.analysis.classify(MODEL, I_app=currents)
    np.testing.assert_array_equal(iv, [int(getattr(Regime, lab.upper())) for lab in labels])
    np.testing.assert_array_equal(table["rate"] > 0,
                                  np.isin(iv, [Regime.SPIKING, Regime.BURSTING]))


def _result(spike_rows, t1=100.0, max_spikes=40):
    n = len(spike_rows)
    st = np.full((n, max_spikes), np.inf)
    for i, row in enumerate(spike_rows):
        st[i, : len(row)] = row
    return SimulationResult(
        ts=None, ys=None, spike_times=jnp.asarray(st),
        spike_counts=jnp.asarray([len(r) for r in spike_rows]),
        y1=jnp.zeros((n, 2)), t1=jnp.asarray(t1), n_steps=jnp.asarray(0),
        n_accepted=jnp.asarray(0), status=jnp.asarray(0),
    )


def test_regime_and_rate_from_spike_statistics():
    tonic = list(np.arange(5.0, 100.0, 10.0) + 0.1 * np.sin(np.arange(10)))
    bursts = [b + d for b in (10.0, 40.0, 70.0) for d in (0.0, 1.0, 2.0, 3.0)]
    rows = [[], [50.0], [20.0, 30.0], tonic, bursts]
    result = _result(rows)
    labels = np.asarray(RegimeFromSpikes(0.0)(None, result))
    np.testing.assert_array_equal(labels, [Regime.REST, Regime.REST, Regime.REST,
                                           Regime.SPIKING, Regime.BURSTING])
    np.testing.assert_allclose(SpikeRate(0.0)(None, result), [len(r) / 100.0 for r in rows])
    late = np.asarray(SpikeCount(50.0)(None, result))
    np.testing.assert_array_equal(late, [sum(t >= 50.0 for t in r) for r in rows])
    with pytest.raises(ValueError, match="min_spikes"):
        RegimeFromSpikes(0.0, min_spikes=2)


def test_regime_map_and_plots(tmp_path):
    table = felice.sweep.regime_map(MODEL, ("a[1]", [0.5, 2.0]), ("I_app", [-1.4, -0.2]),
                                    t1=T1, t_start=T_START, chunk_size=CHUNK)
    # a_slow = 0.5 < 1: no recovery feedback strong enough to oscillate.
    lab = {(a, i): r for a, i, r in zip(table["a[1]"], table["I_app"], table["regime"],
                                        strict=True)}
    assert lab[(2.0, -0.2)] == Regime.SPIKING and lab[(2.0, -1.4)] == Regime.REST
    fig, ax = felice.sweep.plot_regime_map(table, "a[1]", "I_app")
    fig.savefig(tmp_path / "map.png")
    fig, ax = felice.sweep.plot_heatmap(table, "a[1]", "I_app", "rate")
    assert ax.get_xlabel() == "a[1]"
    fig, ax = felice.sweep.plot_fi_curve(table, x="I_app")
    assert len(ax.lines) == 1
    with pytest.raises(ValueError, match="full grid"):
        felice.sweep.plot_heatmap(SweepTable({"x": [1.0, 2.0], "y": [1.0, 2.0], "z": [0, 1]},
                                             ["x", "y"]), "x", "y", "z")


def test_iv_regime_sweep_labels_bistable_points():
    # WereRabbit at its defaults holds two mirror-image stable fixpoints (tests/test_models.py
    # checks them against scipy); with σ = 0 the predator/prey coupling is off and none of its
    # three equilibria is stable (all non-hyperbolic): not bistable. The analysis-only
    # metric needs no simulation (t1=None).
    wr = felice.WereRabbit(dtype=jnp.float64)
    table = felice.sweep.sweep(wr, {"sigma": [0.0, float(wr.sigma)]}, {"regime": RegimeFromIV()},
                         t1=None, chunk_size=CHUNK)
    np.testing.assert_array_equal(table["regime"] == Regime.BISTABLE, [False, True])


def test_table_csv_round_trip(tmp_path):
    table = SweepTable({"I_app": np.array([0.1, 1 / 3, -2e-9]), "count": np.array([0, 3, 7]),
                        "rate": np.array([0.0, np.inf, 1 / 7])}, ["I_app"])
    back = SweepTable.from_csv(table.to_csv(tmp_path / "t.csv"))
    assert back.equals(table) and back.parameters == ("I_app",)
    assert back["count"].dtype.kind == "i"
    assert back.metrics == ("count", "rate")


_RUN = {"calls": 0, "fail_at": 0}  # global: the metric's code, not its configuration


def _counts(model, result):
    """Spike counts; raises on call number `fail_at`: an interruption after fail_at - 1 chunks."""
    _RUN["calls"] += 1
    if _RUN["calls"] == _RUN["fail_at"]:
        raise KeyboardInterrupt("injected interruption")
    return result.spike_counts


def test_interrupted_sweep_resumes(tmp_path):
    points = {"I_app": np.linspace(-1.2, 0.4, 10)}  # 3 chunks of 4
    folder = tmp_path / "run"
    full = felice.sweep.sweep(MODEL, points, dict(count=SpikeCount(0.0)), t1=T1, chunk_size=CHUNK)
    _RUN.update(calls=0, fail_at=3)
    with pytest.raises(KeyboardInterrupt):
        felice.sweep.sweep(MODEL, points, dict(count=_counts), t1=T1, chunk_size=CHUNK, folder=folder)
    assert sorted(p.name for p in folder.glob("chunk_*.npz")) == ["chunk_000000.npz",
                                                                   "chunk_000001.npz"]
    assert not list(folder.glob(".*tmp"))  # no partial files left
    _RUN.update(calls=0, fail_at=0)
    resumed = felice.sweep.sweep(MODEL, points, dict(count=_counts), t1=T1, chunk_size=CHUNK,
                           folder=folder)
    assert _RUN["calls"] == 1  # only the chunk in flight was redone
    np.testing.assert_array_equal(resumed["count"], full["count"])

    with pytest.raises(ValueError, match="different sweep"):
        felice.sweep.sweep(MODEL, {"I_app": points["I_app"] + 0.1}, dict(count=_counts), t1=T1,
                     chunk_size=CHUNK, folder=folder)
    again = felice.sweep.sweep(MODEL, {"I_app": points["I_app"] + 0.1}, dict(count=_counts), t1=T1,
                         chunk_size=CHUNK, folder=folder, overwrite=True)
    assert len(again) == 10 and _RUN["calls"] == 4


SHARDED = textwrap.dedent("""
    import jax, jax.numpy as jnp, numpy as np
    jax.config.update("jax_enable_x64", True)
    import felice
    assert len(jax.devices()) == 2
    m = felice.FHNRS(dtype=jnp.float64)
    pts = felice.sweep.grid(I_app=np.linspace(-1.2, 0.5, 5), **{"a[1]": [1.5, 2.0]})
    metrics = dict(count=felice.sweep.SpikeCount(0.0), first=lambda m, r: r.spike_times[:, 0])
    two = felice.sweep.sweep(m, pts, metrics, t1=300.0, chunk_size=4)
    one = felice.sweep.sweep(m, pts, metrics, t1=300.0, chunk_size=4, devices=jax.devices()[:1])
    np.testing.assert_array_equal(two["count"], one["count"])
    np.testing.assert_allclose(two["first"], one["first"], rtol=1e-12)
    # The chunk really is laid out over both devices, and so is the solve's output.
    from jax.sharding import Mesh, NamedSharding, PartitionSpec
    sh = NamedSharding(Mesh(np.asarray(jax.devices()), ("sweep",)), PartitionSpec("sweep"))
    cm = felice.sweep.chunk_model(m, {"I_app": np.linspace(-1, 0, 4)}, 4, sh)
    assert len(cm.I_app.sharding.device_set) == 2
    res = felice.simulate(cm, t1=50.0, y0=jax.device_put(cm.init_state(4), sh))
    assert len(res.spike_counts.sharding.device_set) == 2
    print("OK", two["count"].tolist())
""")


@pytest.mark.slow
def test_sharded_equals_single_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SHARDED], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "OK" in out.stdout


def test_mismatch_robustness_is_the_mismatched_population():
    from felice.networks import mismatch_neurons

    nominal = felice.FHNRS(I_app=-0.9, dtype=jnp.float64)  # near onset: sensitive to mismatch
    metrics = dict(count=SpikeCount(0.0))
    table = felice.sweep.mismatch_robustness(nominal, 8, metrics, seed=3, sigma_bias=0.1,
                                             sigma_kappa=0.05, t1=T1, chunk_size=CHUNK)
    pop = mismatch_neurons(nominal, 8, jax.random.PRNGKey(3), sigma_bias=0.1, sigma_kappa=0.05)
    ref = []
    for half in (slice(0, 4), slice(4, 8)):  # the sweep's two chunks, solved directly
        part = jax.tree_util.tree_map(lambda x, h=half: x[h] if x.ndim else x, pop)
        ref.append(felice.simulate(part, t1=T1, y0=part.init_state(4)).spike_counts)
    ref = np.concatenate(ref)
    np.testing.assert_array_equal(table["count"], ref)
    np.testing.assert_array_equal(table["I_app"], pop.I_app)
    np.testing.assert_array_equal(table["a[1]"], pop.a[:, 1])
    assert {"g", "C", "tau[1]", "V_th"} <= set(table.parameters)
    assert len(np.unique(table["count"])) > 1  # the spread matters at this operating point
    with pytest.raises(ValueError, match="varies nothing"):
        felice.sweep.mismatch_robustness(nominal, 2, metrics, seed=0, sigma_bias=0.0,
                                         sigma_kappa=0.0, t1=T1)


_fixpoints_of = eqx.filter_jit(lambda m: m.stable_fixpoints(1))


def test_fixpoint_curve_matches_circuits_built_per_bias():
    nominal = felice.WereRabbit(dtype=jnp.float64)
    I_bias = np.array([60e-12, 100e-12, 200e-12])
    table = felice.sweep.fixpoint_curve(nominal, I_bias)
    I_n0 = float(nominal.alpha) * float(nominal.I_bias)
    for i, Ib in enumerate(I_bias):
        m = felice.WereRabbit.from_circuit(I_bias=Ib, I_n0=I_n0, kappa=float(nominal.kappa),
                                           dtype=jnp.float64)
        fp = np.asarray(_fixpoints_of(m))[0]
        got = [[table["fixpoint.u_high"][i], table["fixpoint.v_high"][i]],
               [table["fixpoint.u_low"][i], table["fixpoint.v_low"][i]]]
        np.testing.assert_allclose(got, fp, rtol=1e-9, atol=1e-12)
        # Each reported point is a fixpoint of the independently built circuit.
        res = m.dynamics(0.0, jnp.asarray(got), None)
        scale = np.max(np.abs(m.dynamics(0.0, jnp.zeros((1, 2)), None))) + 1.0
        assert np.max(np.abs(res)) < 1e-8 * scale
    assert not np.allclose(table["fixpoint.u_high"][0], table["fixpoint.u_high"][-1])


def test_bursting_set_is_labelled_bursting():
    # Ribar's bursting set bursts at I_app = -2 (FHNRS.bursting docstring); with the slow
    # negative conductance off (a[2] = 0) the same circuit can only spike tonically.
    model = felice.FHNRS.bursting(dtype=jnp.float64)
    points = {"I_app": np.array([-2.0, -2.0, -3.0]), "a[2]": np.array([-1.5, 0.0, -1.5])}
    table = felice.sweep.sweep(model, points, dict(regime=RegimeFromSpikes(1500.0)), t1=6000.0,
                         max_spikes=512, chunk_size=4)
    assert table["regime"][0] == Regime.BURSTING
    assert table["regime"][1] != Regime.BURSTING
    assert table["regime"][2] == Regime.REST
