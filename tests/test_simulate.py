"""The simulation engine against scipy references, finite differences and its failure modes."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import unchecked
from scipy.integrate import solve_ivp

import felice
from felice import FHNRS, Boomerang, Status, WereRabbit, simulate
from felice.inputs import CurrentTrace, FunctionCurrent, PulseCurrent, SpikeTrain, StepCurrent

F64 = jnp.float64
TIGHT = dict(rtol=1e-10, atol=1e-12)


def fhnrs_rhs(I_app):
    """Spiking-default FHNRS (C = g = 1, fast −2, slow +2, τ_s = 50), V and V_slow, in numpy."""
    n = np.size(I_app)

    def rhs(t, y):
        V, Vs = y[:n], y[n:]
        return np.concatenate([I_app - V + 2 * np.tanh(V) - 2 * np.tanh(Vs), (V - Vs) / 50.0])

    return rhs


def threshold_events(n, V_th=2.0):
    events = []
    for i in range(n):
        def ev(t, y, i=i):
            return y[i] - V_th
        ev.direction = 1
        events.append(ev)
    return events


def test_fhnrs_spike_times_match_scipy_for_200_currents():
    I_app = np.linspace(-1.5, 1.5, 200)
    T = 200.0
    model = FHNRS(I_app=I_app, dtype=F64)
    result = simulate(model, t1=T, max_spikes=16, **TIGHT)  # from model.init_state
    y0 = np.asarray(model.init_state(200))
    ref = solve_ivp(fhnrs_rhs(I_app), (0, T), np.concatenate([y0[:, 0], y0[:, 1]]), method="DOP853",
                    events=threshold_events(200), rtol=1e-11, atol=1e-13)
    assert ref.success
    counts = np.array([len(e) for e in ref.t_events])
    np.testing.assert_array_equal(np.asarray(result.spike_counts), counts)
    assert counts.max() >= 4 and (counts == 0).any()  # spiking and silent neurons
    for i in range(200):
        np.testing.assert_allclose(np.asarray(result.spike_times[i, : counts[i]]), ref.t_events[i],
                                   rtol=1e-6)
    assert np.all(np.isinf(np.asarray(result.spike_times[:, counts.max():])))
    assert result.ys is None and result.status == Status.OK


@pytest.mark.slow
def test_default_fhnrs_spikes_from_its_default_start():
    # I_app = 0: the equilibrium V* = 0 is unstable; started on it the neuron never spiked.
    result = simulate(FHNRS(dtype=F64), t1=1000.0, **TIGHT)
    y0 = np.asarray(FHNRS(dtype=F64).init_state(1))[0]
    ref = solve_ivp(fhnrs_rhs(0.0), (0, 1000.0), y0[:2], method="DOP853",
                    events=threshold_events(1), rtol=1e-11, atol=1e-13)
    assert len(ref.t_events[0]) >= 10
    assert int(result.spike_counts[0]) == len(ref.t_events[0])
    np.testing.assert_allclose(np.asarray(result.spike_times[0, :5]), ref.t_events[0][:5],
                               rtol=1e-6)

    def first_spike(I_app):  # finite, and equal to finite differences (it was inf)
        return simulate(FHNRS(I_app=I_app, dtype=F64), t1=100.0, **TIGHT).spike_times[0, 0]

    grad = jax.grad(first_spike)(jnp.asarray(0.0, F64))
    h = 1e-5
    np.testing.assert_allclose(grad, (first_spike(h) - first_spike(-h)) / (2 * h), rtol=1e-4)


def _numpy_field(model):
    """The model's dimensionless vector field in numpy, from its module docstring."""
    a, b, c, rho, s = (float(getattr(model, k)) for k in ("alpha", "beta", "gamma", "rho", "sigma"))
    if isinstance(model, WereRabbit):
        def f(u, v):
            z = np.tanh(rho * (u - v))
            return (z - z * a * np.exp(b * v) * (1 + c * (0.5 - u)) - s,
                    -z + z * a * np.exp(b * u) * (1 + c * (0.5 - v)) - s)
    else:
        def f(u, v):
            z = np.tanh(rho * (v - u))
            return (1 - a * np.exp(b * v) * (1 - c * (0.3 - u)) + s * z,
                    -1 + a * np.exp(b * u) * (1 + c * (0.3 - v)) + s * z)
    return f


def _bistable_reference(model, y0, kicks, T):
    """scipy events with the documented latch: spike on g ↑ 0 when armed; re-arm on
    rearm_condition ↓ 0 or when a kick leaves g < 0."""
    field = _numpy_field(model)
    atol, rtol, factor = (float(getattr(model, k)) for k in ("spike_atol", "spike_rtol", "rearm_factor"))
    w = np.array([float(model.w_u), float(model.w_v)])

    def f(t, y):
        return np.array(field(*y))

    def rms(x):
        return np.sqrt(np.mean(np.square(x)))

    def g(t, y):
        return atol + rtol * rms(y) - rms(f(t, y))

    def r(t, y):
        return factor * (atol + rtol * rms(y)) - rms(f(t, y))

    g.direction, r.direction = 1, -1
    spikes, y, t, armed = [], np.asarray(y0, float), 0.0, g(0.0, y0) < 0
    for t_next, weight in [*kicks, (T, None)]:
        sol = solve_ivp(f, (t, t_next), y, method="DOP853", events=[g, r], rtol=1e-11, atol=1e-13)
        events = sorted([(te, 0) for te in sol.t_events[0]] + [(te, 1) for te in sol.t_events[1]])
        for te, kind in events:
            if kind == 0 and armed:
                spikes.append(te)
                armed = False
            elif kind == 1:
                armed = True
        y, t = sol.y[:, -1], t_next
        if weight is not None:
            y = y + weight * w
            armed = armed or g(t, y) < 0
    return np.asarray(spikes)


@pytest.mark.parametrize("cls", [WereRabbit, Boomerang])
def test_fixpoint_spikes_match_scipy_and_fire_once_per_arrival(cls):
    model = cls(dtype=F64)
    # Kicks across the separatrix and back, and one during the transient (t = 90).
    kicks = [(5.0, -0.4), (85.0, 0.4), (90.0, 0.02), (165.0, -0.4), (245.0, 0.4)]
    T = 330.0
    y0 = model.init_state(1)
    result = simulate(model, t1=T, y0=y0,
                      inputs=SpikeTrain([k[0] for k in kicks], 0, [k[1] for k in kicks]), **TIGHT)
    ref = _bistable_reference(model, np.asarray(y0[0]), kicks, T)
    assert len(ref) == 4  # one arrival per departure, none while resting
    assert int(result.spike_counts[0]) == len(ref)
    np.testing.assert_allclose(np.asarray(result.spike_times[0, : len(ref)]), ref, rtol=1e-6)
    # A resting neuron never spikes.
    quiet = simulate(model, t1=T, y0=y0, **TIGHT)
    assert int(quiet.spike_counts[0]) == 0


def test_population_of_1000_heterogeneous_neurons_and_identical_twins():
    I_app = np.linspace(-0.2, 1.0, 1000)
    I_app[500] = I_app[499]  # two identical neurons
    a_slow = np.linspace(1.8, 2.2, 1000)
    a_slow[500] = a_slow[499]
    model = FHNRS(I_app=I_app, a=np.stack([np.full(1000, -2.0), a_slow], 1), dtype=F64)
    result = simulate(model, t1=200.0, max_spikes=8)
    assert result.spike_times.shape == (1000, 8)
    assert int(result.spike_counts[499]) > 0
    np.testing.assert_array_equal(result.spike_times[499], result.spike_times[500])
    second = np.asarray(result.spike_times[:, 1])
    assert len(np.unique(second[np.isfinite(second)])) > 900  # heterogeneous neurons


def _spike_time(I_app, w):
    model = FHNRS(I_app=I_app, tau_syn=2.0, dtype=F64)
    train = SpikeTrain([3.0], 0, w)
    result = simulate(model, t1=20.0, y0=model.equilibrium(), inputs=train, **TIGHT)
    return result.spike_times[0, 0]


@pytest.mark.slow
def test_grad_of_spike_time_matches_finite_differences():
    I_app, w = jnp.asarray(-0.6, F64), jnp.asarray(3.0, F64)
    t_spike = _spike_time(I_app, w)
    assert 3.0 < float(t_spike) < 20.0
    dI, dw = jax.grad(_spike_time, argnums=(0, 1))(I_app, w)
    h = 1e-5
    fd_I = (_spike_time(I_app + h, w) - _spike_time(I_app - h, w)) / (2 * h)
    fd_w = (_spike_time(I_app, w + h) - _spike_time(I_app, w - h)) / (2 * h)
    np.testing.assert_allclose(dI, fd_I, rtol=1e-4)
    np.testing.assert_allclose(dw, fd_w, rtol=1e-4)
    assert abs(float(dw)) > 1e-3


@pytest.mark.slow
def test_grad_of_fixpoint_arrival_time_matches_finite_differences():
    # atol = 3e-3 makes the arrival a transversal crossing of g (with the default 1e-3 the
    # first dip of the ringing only grazes the tolerance there, and finite differences
    # need h < 1e-7). dtmax resolves the ringing at rest, so that the derivative of the
    # discrete solution w.r.t. σ before the kick is accurate too.
    y0 = WereRabbit(dtype=F64).init_state(1)

    def arrival(sigma, w):
        m = WereRabbit(sigma=sigma, spike_atol=3e-3, dtype=F64)
        train = SpikeTrain([2.0], 0, w)
        return simulate(m, t1=120.0, y0=y0, inputs=train, dtmax=0.03, **TIGHT).spike_times[0, 0]

    s, w = jnp.asarray(0.6, F64), jnp.asarray(-0.4, F64)
    ds, dw = jax.grad(arrival, argnums=(0, 1))(s, w)
    h = 1e-5
    np.testing.assert_allclose(ds, (arrival(s + h, w) - arrival(s - h, w)) / (2 * h), rtol=1e-4)
    np.testing.assert_allclose(dw, (arrival(s, w + h) - arrival(s, w - h)) / (2 * h), rtol=1e-4)


def test_saved_trajectory_with_pulse_current_matches_scipy():
    model = FHNRS(I_app=-0.5, dtype=F64)
    y0 = model.equilibrium()
    ts = np.linspace(0.0, 60.0, 61)
    pulse = PulseCurrent(10.0, 20.0, 1.2)
    result = simulate(model, t1=60.0, y0=y0, inputs=pulse, saveat=ts, **TIGHT)

    def rhs(t, y):
        I = -0.5 + (1.2 if 10.0 <= t < 20.0 else 0.0)
        return fhnrs_rhs(I)(t, y)

    ref = solve_ivp(rhs, (0, 60), np.asarray(y0[0, :2]), method="DOP853", t_eval=ts,
                    rtol=1e-11, atol=1e-13, max_step=0.5)
    np.testing.assert_allclose(np.asarray(result.ys[:, 0, :2]), ref.y.T, atol=1e-6)
    assert int(result.spike_counts[0]) >= 1  # the pulse makes it spike
    assert float(result.spike_times[0, 0]) > 10.0


@pytest.mark.slow
def test_current_inputs_agree_with_each_other():
    """A step, a sampled trace and a function of the same current give the same spikes."""
    model = FHNRS(I_app=-0.5, dtype=F64)
    y0 = model.equilibrium()
    step = StepCurrent(10.0, 1.0)
    trace = CurrentTrace([0.0, 10.0 - 1e-9, 10.0, 100.0], [0.0, 0.0, 1.0, 1.0])
    fn = FunctionCurrent(lambda t: jnp.where(t >= 10.0, 1.0, 0.0), breaks=(10.0,))
    times = [np.asarray(simulate(model, t1=80.0, y0=y0, inputs=i, **TIGHT).spike_times[0, :4])
             for i in (step, fn)]
    np.testing.assert_allclose(times[0], times[1], rtol=1e-9)
    trace_times = np.asarray(simulate(model, t1=80.0, y0=y0, inputs=trace, **TIGHT).spike_times[0, :4])
    np.testing.assert_allclose(trace_times, times[0], rtol=1e-6)
    # ...and a constant current equals the same applied current as a parameter.
    shifted = simulate(FHNRS(I_app=0.5, dtype=F64), t1=80.0, y0=y0, **TIGHT)
    const = simulate(model, t1=80.0, y0=y0, inputs=StepCurrent(0.0, 1.0), **TIGHT)
    np.testing.assert_allclose(const.spike_times[0, :4], shifted.spike_times[0, :4], rtol=1e-9)


@pytest.mark.parametrize("solver, order, dt", [("euler", 1, 0.02), ("heun", 2, 0.02), ("rk4", 4, 0.2)])
def test_fixed_step_solvers_converge_at_their_order(solver, order, dt):
    model = FHNRS(I_app=0.5, dtype=F64)
    ref = simulate(model, t1=6.0, saveat=[6.0], **TIGHT).ys[-1]
    errors = []
    for dt in (dt, dt / 2):
        y = simulate(model, t1=6.0, saveat=[6.0], solver=solver, dt=dt).ys[-1]
        errors.append(float(jnp.max(jnp.abs(y - ref))))
    rate = np.log2(errors[0] / errors[1])
    assert abs(rate - order) < 0.3, (errors, rate)


@pytest.mark.slow
def test_fixed_step_reverse_mode_gradient_over_a_long_run():
    def final_V(I_app):
        m = FHNRS(I_app=I_app, dtype=F64)
        return simulate(m, t1=200.0, solver="rk4", dt=0.05, saveat=[200.0]).ys[-1, 0, 0]

    g = jax.grad(final_V)(jnp.asarray(0.5, F64))
    h = 1e-6
    fd = (final_V(0.5 + h) - final_V(0.5 - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-4)


def test_failures_raise_or_set_status():
    model = FHNRS(I_app=0.5, dtype=F64)
    with pytest.raises(Exception, match="max_steps"):
        simulate(model, t1=100.0, max_steps=10)
    assert simulate(model, t1=100.0, max_steps=10, throw=False).status == Status.MAX_STEPS

    with pytest.raises(Exception, match="max_spikes"):
        simulate(model, t1=200.0, max_spikes=2)
    over = simulate(model, t1=200.0, max_spikes=2, throw=False)
    assert over.status == Status.SPIKE_OVERFLOW and int(over.spike_counts[0]) > 2

    bad = FunctionCurrent(lambda t: jnp.where(t > 5.0, jnp.nan, 0.0))
    with pytest.raises(Exception, match="NaN"):
        simulate(model, t1=10.0, inputs=bad, solver="euler", dt=0.1)
    nan_run = simulate(model, t1=10.0, inputs=bad, solver="euler", dt=0.1, throw=False)
    assert nan_run.status == Status.NONFINITE and "NaN" in nan_run.message


def test_progress_bar(capsys):
    simulate(FHNRS(I_app=0.5), t1=20.0, progress=True)
    err = capsys.readouterr().err
    assert "100%" in err


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("t1", dict(t1=0.0)),
        ("rtol", dict(t1=1.0, rtol=0.0)),
        ("solver", dict(t1=1.0, solver="rk45")),
        ("dt", dict(t1=1.0, solver="rk4")),
        ("dt", dict(t1=1.0, dt=-0.1)),
        ("max_spikes", dict(t1=1.0, max_spikes=0)),
        ("y", dict(t1=1.0, y0=jnp.zeros((3, 2)))),
        ("targets", dict(t1=1.0, n_neurons=2, inputs=SpikeTrain([0.5], 5, 1.0))),
        ("saveat", dict(t1=1.0, saveat=[0.5, 2.0])),
        ("inputs", dict(t1=1.0, inputs=[3.0])),
    ],
)
def test_invalid_arguments(name, kwargs):
    with pytest.raises(ValueError, match=name), unchecked():  # inputs=[3.0] is ill-typed
        simulate(FHNRS(), **kwargs)


def test_float32_default():
    result = felice.simulate(FHNRS(I_app=0.5), t1=30.0, saveat=4)
    assert result.ys.dtype == jnp.float32 and result.spike_times.dtype == jnp.float32
    assert int(result.spike_counts[0]) >= 1


def test_network_spikes_are_delivered_at_their_exact_times():
    """Neuron 0 drives neuron 1 through a synapse; scipy reference with a jump at each spike."""
    from felice.networks import Connection, SpikingNetwork

    w = 2.5
    neuron = FHNRS(I_app=jnp.asarray([0.5, -0.6]), tau_syn=2.0, dtype=F64)
    net = SpikingNetwork(neuron, Connection(jnp.zeros((1, 2), F64)),
                         Connection(jnp.asarray([[0.0, w], [0.0, 0.0]], F64)), (1, 1))
    y0 = jnp.asarray([[0.0, 0.0, 0.0], [-0.6, -0.6, 0.0]], F64)
    T = 120.0
    result = simulate(net, t1=T, y0=y0, **TIGHT)

    I_app = np.array([0.5, -0.6])

    def rhs(t, y):
        V, Vs, I = y[:2], y[2:4], y[4:]
        return np.concatenate([I_app + I - V + 2 * np.tanh(V) - 2 * np.tanh(Vs),
                               (V - Vs) / 50.0, -I / 2.0])

    def spike0(t, y):
        return y[0] - 2.0

    def spike1(t, y):
        return y[1] - 2.0

    spike0.terminal, spike0.direction, spike1.direction = True, 1, 1
    y, t, times = np.array([0.0, -0.6, 0.0, -0.6, 0.0, 0.0]), 0.0, ([], [])
    while t < T:
        sol = solve_ivp(rhs, (t, T), y, method="DOP853", events=[spike0, spike1],
                        rtol=1e-11, atol=1e-13)
        times[1].extend(sol.t_events[1])
        y, t = sol.y[:, -1], sol.t[-1]
        if sol.status == 1:  # neuron 0 spiked: deliver w to neuron 1
            times[0].append(t)
            y = y.copy()
            y[5] += w
            y[0] = 2.0 + 1e-12  # step past the event so it does not fire again
    assert len(times[0]) >= 2 and len(times[1]) >= 2
    for i in (0, 1):
        k = len(times[i])
        assert int(result.spike_counts[i]) == k
        np.testing.assert_allclose(np.asarray(result.spike_times[i, :k]), times[i], rtol=1e-6)


def test_network_in_isolation_matches_its_neurons():
    """With no synapses a network simulates exactly like its neuron population."""
    from felice.networks import Connection, SpikingNetwork

    neuron = FHNRS(I_app=jnp.asarray([0.5, 0.8]), dtype=F64)
    net = SpikingNetwork(neuron, Connection(jnp.zeros((1, 2), F64)),
                         Connection(jnp.zeros((2, 2), F64)), (1, 1))
    a = simulate(net, t1=100.0, **TIGHT)
    b = simulate(neuron, t1=100.0, y0=net.init_state(), **TIGHT)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_allclose(a.spike_times, b.spike_times, rtol=1e-8)


def test_a_kick_rearms_only_the_neurons_it_reaches():
    model = WereRabbit(dtype=F64)
    y0 = model.init_state(2)
    result = simulate(model, t1=120.0, y0=y0, inputs=SpikeTrain([40.0], 0, -0.4), **TIGHT)
    np.testing.assert_array_equal(result.spike_counts, [1, 0])


def test_a_nonfinite_neuron_stops_the_run_at_once_and_is_named():
    # One NaN neuron among 2,000: it used to burn 10^6 rejected steps and report MAX_STEPS.
    model = FHNRS(I_app=jnp.linspace(-1.0, 1.0, 2000))
    y0 = model.init_state(2000).at[1234, 0].set(jnp.nan)
    result = simulate(model, t1=200.0, y0=y0, throw=False)
    assert result.status == Status.NONFINITE and int(result.n_steps) == 0
    np.testing.assert_array_equal(np.flatnonzero(result.nonfinite), [1234])
    with pytest.raises(RuntimeError, match=r"NaN or infinite in neurons \[1234\]"):
        simulate(model, t1=200.0, y0=y0)
    # A NaN input current (neuron 77 from t = 5 on), met by the adaptive loop.
    bad = FunctionCurrent(lambda t: jnp.where((t > 5.0) & (jnp.arange(2000) == 77), jnp.nan, 0.0))
    run = simulate(model, t1=200.0, inputs=bad, throw=False)
    assert run.status == Status.NONFINITE and int(run.n_steps) < 200
    np.testing.assert_array_equal(np.flatnonzero(run.nonfinite), [77])
    np.testing.assert_allclose(float(run.t1), 5.0, rtol=1e-5)
    # Under jit the status is traced: equinox's runtime error still stops it.
    with pytest.raises(Exception, match="NaN or infinite"):
        jax.block_until_ready(jax.jit(lambda y: simulate(model, t1=200.0, y0=y).y1)(y0))


def test_step_size_underflow_is_step_failed_not_max_steps():
    # No step can meet rtol = atol = 1e-300: the step shrinks until it underflows.
    result = simulate(FHNRS(I_app=0.5, dtype=F64), t1=20.0, rtol=1e-300, atol=1e-300, throw=False)
    assert result.status == Status.STEP_FAILED and int(result.n_steps) < 200
    assert not bool(jnp.any(result.nonfinite))


def test_a_fixed_step_beyond_the_stability_bound_warns():
    model = FHNRS(dtype=F64)
    y0 = model.init_state(1)
    # The bound at y0, from the Jacobian written out: V' = −V + 2 tanh V − 2 tanh V_s + I_syn,
    # V_s' = (V − V_s)/50, I_syn' = −I_syn; Gershgorin: the largest absolute row sum.
    V, Vs = float(y0[0, 0]), float(y0[0, 1])
    rows = [abs(-1 + 2 / np.cosh(V) ** 2) + 2 / np.cosh(Vs) ** 2 + 1.0, 0.02 + 0.02, 1.0]
    bound = 3.0 / max(rows)
    with pytest.warns(RuntimeWarning, match=f"3/ρ = {bound:.4g}"):
        coarse = simulate(model, t1=100.0, y0=y0, solver="euler", dt=3.0)
    exact = simulate(model, t1=100.0, y0=y0, **TIGHT)
    assert int(coarse.spike_counts[0]) != int(exact.spike_counts[0])  # status OK, spikes wrong
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        simulate(model, t1=100.0, y0=y0, solver="euler", dt=0.9 * bound)
