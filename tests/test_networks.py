"""Circuit networks: the AbstractNeuron contract, the fixed-step semantics, gradients."""

import functools
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import solve, unchecked

import felice
from felice.networks import (
    Connection,
    DPISynapse,
    ExponentialSynapse,
    LatencyEncoder,
    RateEncoder,
    SpikingNetwork,
    apply_mismatch,
    first_spike_time,
    layered_mask,
    membrane_max,
    membrane_mean,
    neuron_jacobian,
    raster_to_events,
    simulate_fixed,
    spike_count,
)
from felice.neuron_models import AbstractResettingNeuron, external_current, refractory
from felice.surrogate import FastSigmoid, SmoothSigmoid
from felice.training import build_network, loss_fn, preset, trainable_filter

MODELS = ["fhnrs", "wererabbit", "boomerang"]


def _net(model, sizes=(3, 4, 2), seed=0, **kw):
    return SpikingNetwork.feedforward(model, sizes, key=jax.random.PRNGKey(seed),
                                      dtype=jnp.float64, **kw)


@pytest.mark.parametrize("model", MODELS)
def test_network_is_a_neuron_model_with_rest_state(model):
    net = _net(model)
    assert isinstance(net, felice.AbstractNeuron)
    assert net.n_neurons == 6 and net.n_inputs == 3 and net.state_names[-1] == "I_syn"
    y0 = net.init_state()
    assert y0.shape == (6, net.n_state)
    np.testing.assert_allclose(net.dynamics(0.0, y0), 0.0, atol=1e-9)
    assert net.state_scale.shape == (net.n_state,)
    circuit = net.to_circuit()
    np.testing.assert_allclose(circuit["w_in"], net.w_in.effective * net.current_unit)
    if net.synapse is not None:  # the synapse's SI values, one per neuron
        for k, v in net.synapse.to_circuit(net.time_unit, net.current_unit).items():
            np.testing.assert_allclose(circuit[k], np.broadcast_to(v, (6,)))


@pytest.mark.parametrize("model", MODELS)
def test_spikes_are_delivered_through_the_weights(model):
    net = _net(model)
    y = net.init_state()
    spiked = jnp.asarray([True, False, True, False, False, False])
    y1 = net.reset_spiked(y, spiked)
    expected = np.asarray(net.w_rec.weight)[[0, 2]].sum(0) * np.asarray(net.w_rec.mask)[0]
    np.testing.assert_allclose(y1[:, -1] - y[:, -1], expected, rtol=1e-12)
    np.testing.assert_array_equal(y1[:, :-1], y[:, :-1])
    y2 = net.input_spike(y, net.input_weights(jnp.asarray([0.0, 2.0, 0.0])))
    np.testing.assert_allclose(y2[:, -1], 2 * net.w_in.effective[1], rtol=1e-12)
    assert np.all(np.asarray(net.w_in.effective)[:, 4:] == 0)  # inputs reach layer 1 only


def test_layered_mask_and_connection_validation():
    m = layered_mask((2, 3, 1), recurrent=True)
    assert m[:2, 2:5].all() and m[2:5, 5].all() and not m[:2, 5].any()
    assert not np.diag(m).any() and m[0, 1] and m[2, 3]
    with pytest.raises(ValueError, match="mask must have the shape"), unchecked():
        Connection(jnp.zeros((2, 3)), jnp.ones((3, 2), bool))  # ill-typed on purpose


def test_fixed_step_spike_time_matches_adaptive_reference():
    """One FHNRS neuron kicked at t = 1: the fixed-step spike is the threshold crossing."""
    net = _net("fhnrs", sizes=(1, 1))
    net = eqx.tree_at(lambda n: n.w_in.weight, net, jnp.full((1, 1), 3.0))
    dt, n = 0.01, 1500
    inputs = jnp.zeros((n, 1)).at[100, 0].set(1.0)
    trace = simulate_fixed(net, inputs, dt=dt, spike_fn=FastSigmoid(), solver="rk4")
    t_fixed = (np.flatnonzero(np.asarray(trace.spikes[:, 0]))[0] + 1) * dt
    # Reference: tight adaptive solve from the kicked state, crossing found on a fine grid.
    y_kick = net.input_spike(net.init_state(), net.input_weights(jnp.ones(1)))
    ts = jnp.linspace(1.0, 1.0 + 5.0, 50001)
    V = np.asarray(solve(net, y_kick, ts))[:, 0, 0]
    k = np.flatnonzero((V[1:] > net.neuron.V_th) & (V[:-1] <= net.neuron.V_th))[0]
    t_ref = float(ts[k + 1])
    assert abs(t_fixed - t_ref) <= dt + 1e-4
    assert float(spike_count(trace.spikes)[0]) == 1.0  # one spike: the crossing is not repeated


@pytest.mark.parametrize("model", ["wererabbit", "boomerang"])
def test_bistable_neuron_latches_at_its_fixpoint(model):
    net = _net(model, sizes=(1, 1))
    y0 = net.init_state()
    assert float(net.spike_condition(0.0, y0)[0]) > 0  # resting at a fixpoint: condition positive
    quiet = simulate_fixed(net, jnp.zeros((200, 1)), dt=0.04, spike_fn=FastSigmoid(scale=0.05))
    assert float(quiet.spikes.sum()) == 0.0  # disarmed at rest: no spike without input
    net = eqx.tree_at(lambda n: n.w_in.weight, net, jnp.full((1, 1), 4.0))
    kicked = simulate_fixed(net, jnp.zeros((200, 1)).at[10, 0].set(1.0), dt=0.04,
                            spike_fn=FastSigmoid(scale=0.05))
    s = np.asarray(kicked.spikes[:, 0])
    assert s.sum() >= 1 and np.flatnonzero(s)[0] > 10  # spikes once it is back at a fixpoint
    g = np.asarray(jax.vmap(lambda y: net.spike_condition(0.0, y))(jnp.stack([kicked.y_final])))
    assert g[0, 0] > 0  # it ends resting at a fixpoint again


@pytest.mark.slow
@pytest.mark.parametrize("model, solver", [
    ("fhnrs", "heun"), ("wererabbit", "ros2"), ("boomerang", "heun"), ("boomerang", "ros2"),
])
def test_loss_gradient_matches_central_differences(model, solver):
    """Smooth spikes (SmoothSigmoid), float64: autodiff equals central differences
    (the presets' readouts; the full gradient, armed state included)."""
    cfg = preset(model, hidden=(3,), t_max=4.0 if model == "fhnrs" else 1.6,
                 t_late=2.0 if model == "fhnrs" else 0.8,
                 dt=0.25 if model == "fhnrs" else 0.04, solver=solver, detach_rearm=False)
    net = _net(model, sizes=(5, 3, 3), seed=1, weight_std=(3.0, 3.0), weight_mean=(1.0, 0.5))
    x = jnp.asarray([[0.2, 0.7, 0.8, 0.3], [0.9, 0.1, 0.1, 0.9]])
    labels = jnp.asarray([0, 2])
    smooth = SmoothSigmoid(4.0, scale=cfg.condition_scale)
    spec = trainable_filter(net, train_bias=(model == "fhnrs"))
    params, static = eqx.partition(net, spec)

    def f(p):
        return loss_fn(eqx.combine(p, static), x, labels, cfg, spike_fn=smooth)[0]

    grads = eqx.filter_grad(f)(params)
    leaves, treedef = jax.tree_util.tree_flatten(params)
    direction = jax.tree_util.tree_unflatten(treedef, [
        jax.random.normal(jax.random.PRNGKey(k), l.shape, l.dtype) for k, l in enumerate(leaves)])
    direction = eqx.tree_at(lambda d: (d.w_in.weight, d.w_rec.weight), direction,
                            (direction.w_in.weight * net.w_in.mask,
                             direction.w_rec.weight * net.w_rec.mask))
    dirs = jax.tree_util.tree_leaves(direction)
    analytic = sum(jnp.vdot(g, d) for g, d in zip(jax.tree_util.tree_leaves(grads), dirs))
    h = 1e-5

    def shifted(sign):
        return f(jax.tree_util.tree_unflatten(treedef, [l + sign * h * d for l, d in zip(leaves, dirs)]))

    numeric = (shifted(1) - shifted(-1)) / (2 * h)
    assert abs(float(analytic)) > 1e-4
    np.testing.assert_allclose(float(analytic), float(numeric), rtol=1e-4)


def test_encoders_and_readouts():
    enc = LatencyEncoder(t_early=0.0, t_late=4.0, bias_time=1.0)
    x = jnp.asarray([[0.0, 0.5, 1.0]])
    np.testing.assert_allclose(enc.times(x), [[4.0, 2.0, 0.0, 1.0]])
    r = enc.raster(x, 0.5, 10)
    assert r.shape == (1, 10, 4)
    np.testing.assert_array_equal(np.argmax(np.asarray(r[0]), axis=0), [8, 4, 0, 2])
    t, c = raster_to_events(r[0], 0.5)
    np.testing.assert_allclose(np.sort(np.asarray(t)), [0.0, 1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match="n_steps"):
        enc.raster(x, 0.5, 8)
    rate = RateEncoder(max_rate=0.5).raster(jax.random.PRNGKey(0), jnp.full((1, 2), 0.8), 0.5, 20000)
    np.testing.assert_allclose(np.asarray(rate).mean(), 0.8 * 0.5 * 0.5, rtol=0.05)

    s = jnp.asarray([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(spike_count(s), [2.0, 2.0])
    np.testing.assert_allclose(first_spike_time(s, 0.5), [1.5, 1.0])
    np.testing.assert_allclose(first_spike_time(jnp.zeros((4, 1)), 0.5), [2.0])
    np.testing.assert_allclose(membrane_max(jnp.asarray([[1.0], [3.0], [2.0]])), [3.0])
    np.testing.assert_allclose(membrane_mean(jnp.asarray([[1.0, 0.0], [3.0, -1.0], [2.0, 4.0]])),
                               [2.0, 1.0])


def test_mismatch_fhnrs_kappa_is_a_rescaling_of_the_voltage():
    """With κ_i = r·κ every OTA's tanh argument and g_m scale by r; the model in W = r·V agrees."""
    net = _net("fhnrs", sizes=(1, 3))
    mm = apply_mismatch(net, jax.random.PRNGKey(3), sigma_bias=0.0, sigma_kappa=0.1)
    m0 = net.neuron.per_neuron(3)
    r = np.asarray(m0.C / mm.neuron.C)
    assert np.all(np.abs(r - 1) > 1e-4)
    V, Vs, I = np.array([0.3, -0.7, 1.1]), np.array([0.1, -0.2, 0.5]), np.array([0.2, 0.0, -0.1])
    a, d, C = np.asarray(m0.a), np.asarray(m0.delta), np.asarray(m0.C)
    dV = (np.asarray(m0.I_app) + I - np.asarray(m0.g) * r * V - a[:, 0] * np.tanh(r * V)
          - a[:, 1] * np.tanh(r * (Vs - d[:, 1]))) / C
    dVs = (V - Vs) * r / np.asarray(m0.tau)[:, 1]
    y_w = jnp.stack([r * V, r * Vs, I], axis=1)
    f = np.asarray(mm.neuron.dynamics(0.0, y_w))
    np.testing.assert_allclose(f[:, 0] / r, dV, rtol=1e-10)
    np.testing.assert_allclose(f[:, 1] / r, dVs, rtol=1e-10)
    same = apply_mismatch(net, jax.random.PRNGKey(3), sigma_bias=0.0, sigma_kappa=0.0)
    np.testing.assert_allclose(same.neuron.a, m0.a)
    with pytest.raises(ValueError, match="sigma_bias"):
        apply_mismatch(net, jax.random.PRNGKey(0), sigma_bias=-0.1)


def test_simulate_validates_arguments():
    net = _net("fhnrs")
    with pytest.raises(ValueError, match="solver"):
        simulate_fixed(net, jnp.zeros((5, 3)), dt=0.1, spike_fn=FastSigmoid(), solver="rk45")
    with pytest.raises(ValueError, match="inputs must have shape"):
        simulate_fixed(net, jnp.zeros((5, 2)), dt=0.1, spike_fn=FastSigmoid())
    with pytest.raises(ValueError, match="dt"):
        simulate_fixed(net, jnp.zeros((5, 3)), dt=0.0, spike_fn=FastSigmoid())


@pytest.mark.parametrize("solver", ["heun", "ros2"])
def test_gradient_checkpointing_gives_the_same_gradient(solver):
    net = _net("fhnrs")
    inputs = jnp.zeros((40, 3)).at[2].set(1.0)

    def f(w, ckpt):
        n = eqx.tree_at(lambda m: m.w_in.weight, net, w)
        tr = simulate_fixed(n, inputs, dt=0.25, spike_fn=FastSigmoid(), checkpoint=ckpt,
                            solver=solver)
        return jnp.sum(tr.membrane.max(0))

    g1 = jax.grad(f)(net.w_in.weight, False)
    g2 = jax.grad(f)(net.w_in.weight, True)
    np.testing.assert_allclose(g1, g2, rtol=1e-10)
    assert float(jnp.abs(g1).max()) > 0


@functools.lru_cache
def _kicked_population(model, weights):
    """One layer of uncoupled neurons, each kicked at t = 0 through its own input weight.

    Cached: building a WereRabbit network takes seconds; the tests share it.
    """
    n = len(weights)
    net = _net(model, sizes=(1, n))
    net = eqx.tree_at(lambda m: m.w_in.weight, net, jnp.asarray(weights, jnp.float64)[None])
    y0 = net.init_state()
    return net, y0, net.input_spike(y0, net.input_weights(jnp.ones(1)))


_simulate_jit = eqx.filter_jit(simulate_fixed)
_WR_KICKS = tuple(np.linspace(-20.0, 20.0, 8).tolist())
_FHNRS_KICKS = (0.5, 1.5, 3.0)


def _kick_trace(net, y0, dt, t1, solver):
    inputs = jnp.zeros((int(round(t1 / dt)), 1)).at[0].set(1.0)
    return _simulate_jit(net, inputs, dt=dt, spike_fn=FastSigmoid(), y0=y0, solver=solver)


@pytest.mark.slow
def test_neuron_jacobian_is_the_block_diagonal_of_the_network_jacobian():
    """Neurons are coupled only by spikes: the blocks are the whole Jacobian."""
    for model, weights in (("fhnrs", _FHNRS_KICKS), ("wererabbit", _WR_KICKS)):
        net, _, kicked = _kicked_population(model, weights)
        y = kicked + 0.05 * jax.random.normal(jax.random.PRNGKey(2), kicked.shape)
        f, blocks = eqx.filter_jit(neuron_jacobian)(net, 0.0, y)
        full = np.asarray(eqx.filter_jit(jax.jacfwd(lambda z, m: m.dynamics(0.0, z)))(y, net))
        expected = np.zeros_like(full)
        for i in range(len(weights)):
            expected[i, :, i, :] = blocks[i]
        np.testing.assert_allclose(full, expected, atol=1e-12)
        np.testing.assert_allclose(f, net.dynamics(0.0, y), rtol=1e-14)


def test_ros2_is_stable_where_heun_diverges():
    """WereRabbit kicked by ±20 (the training weight limit) at dt = 0.2: Heun's state
    becomes non-finite; ROS2 stays finite and close to a tight adaptive solution.

    Tolerances (model voltage units; u − v spans ≈ 0.1–0.3 here): the state at
    t = 4 within 0.025 (observed 0.012), the membrane u − v every 0.2 time units
    within 0.1 (observed 0.072, in the fast transient of the first steps, which
    the L-stable step damps).
    """
    net, y0, kicked = _kicked_population("wererabbit", _WR_KICKS)
    with pytest.raises(Exception, match="non-finite"):
        _kick_trace(net, y0, 0.2, 4.0, "heun").y_final.block_until_ready()
    ts = jnp.arange(0.0, 4.0 + 1e-9, 0.2)
    ref = solve(net, kicked, ts, rtol=1e-9, atol=1e-11)
    tr = _kick_trace(net, y0, 0.2, 4.0, "ros2")
    assert np.all(np.isfinite(tr.membrane)) and tr.membrane.shape == (20, 8)
    np.testing.assert_allclose(tr.y_final, ref[-1], atol=0.025)
    np.testing.assert_allclose(tr.membrane, jax.vmap(net.membrane)(ref[1:]), atol=0.1)


def test_ros2_converges_with_second_order_on_fhnrs():
    """Smooth FHNRS trajectories: halving dt divides the ROS2 error by ≈ 4."""
    net, y0, kicked = _kicked_population("fhnrs", _FHNRS_KICKS)
    ref = solve(net, kicked, jnp.asarray([0.0, 6.0]))[-1]
    errors = [float(jnp.max(jnp.abs(_kick_trace(net, y0, dt, 6.0, "ros2").y_final - ref)))
              for dt in (0.1, 0.05)]
    assert errors[0] / errors[1] > 3.0, errors


@pytest.mark.slow
def test_bistable_network_engines_agree_at_a_converged_dt():
    """A small Boomerang network (4 inputs + bias, 8 hidden, 3 out; random preset
    weights), two latency-coded trials, 22 neuron-trials. At dt = 0.002 (ROS2; the
    decay rate and frequency of Boomerang's ringing, λ ≈ −1.8 ± 11.7i, within 1 %)
    `simulate_fixed` and the event engine agree: at most one neuron-trial differs in
    its spike count (a trajectory that grazes the tolerance, g ≈ 0, is decided by
    either engine's error), and the others' spike times within 0.02 (10·dt). At
    dt = 0.1 (the bistable presets until they moved to Heun at 0.02) most differ:
    ROS2 damps that ringing 3.3× too fast there, so neurons "arrive" at their
    fixpoints too early. The preset's Heun step at dt = 0.02 has far fewer
    differences than that."""
    from felice.inputs import SpikeTrain

    config = preset("boomerang", hidden=(8,), tau_syn=0.5)
    net = build_network(config)
    x = jnp.asarray([[0.2, 0.7, 0.8, 0.3], [0.9, 0.1, 0.1, 0.9]], jnp.float32)
    y0 = net.init_state()
    n = net.n_neurons
    w_in = net.w_in.effective
    targets = jnp.tile(jnp.arange(n), w_in.shape[0])

    @jax.jit
    def events(times):
        def one(t):
            train = SpikeTrain(jnp.repeat(t, n), targets, w_in.reshape(-1))
            r = felice.simulate(net, t1=config.t_max, y0=y0, inputs=train, max_spikes=32,
                                rtol=1e-7, atol=1e-9, autodiff="forward")
            return r.spike_times, r.spike_counts
        return jax.vmap(one)(times)

    ev_times, ev_counts = (np.asarray(a) for a in events(config.encoder.times(x)))

    def mismatch(dt, solver="ros2"):
        raster = config.encoder.raster(x, dt, int(round(config.t_max / dt)))
        run = jax.vmap(lambda r: simulate_fixed(net, r, dt=dt, spike_fn=lambda c: (c > 0) * 1.0,
                                                y0=y0, solver=solver).spikes)
        spikes = np.asarray(jax.jit(run)(raster))
        worst, counts_differ = 0.0, 0
        for k in range(len(x)):
            for i in range(n):
                t_fixed = (np.flatnonzero(spikes[k, :, i]) + 1) * dt
                t_event = ev_times[k, i, : ev_counts[k, i]]
                if len(t_fixed) != len(t_event):
                    counts_differ += 1
                else:
                    worst = max(worst, float(np.max(np.abs(t_fixed - t_event), initial=0.0)))
        return counts_differ, worst

    counts_differ, worst = mismatch(0.002)
    assert counts_differ <= 1 and worst < 0.02
    coarse = mismatch(0.1)[0]
    assert coarse >= 11
    assert mismatch(0.02, "heun")[0] <= coarse / 2


@pytest.mark.slow
def test_detach_rearm_keeps_the_forward_pass_and_removes_the_growing_gradient():
    """Boomerang preset, 8 hidden, 30 Yin-Yang samples, Heun. With `detach_rearm` the
    loss is bit-identical (only the backward pass changes). Through the armed state
    the input-weight gradient is two orders of magnitude larger and grows faster than
    1/dt (the fixpoint condition lingers near zero for more steps; ≈ 12 → 79 from
    dt = 0.02 to 0.005 when this was written); detached it is ≈ 0.07 and 0.36, below
    the recurrent-weight gradient (≈ 0.2), which the armed state hardly touches."""
    from felice.datasets import yin_yang_splits

    x, y = yin_yang_splits(30, 3, 3, seed=0)["train"]
    x, y = jnp.asarray(x, jnp.float32), jnp.asarray(y)
    norms = {}
    for detach in (False, True):
        for dt in (0.02, 0.005):
            config = preset("boomerang", hidden=(8,), solver="heun", dt=dt, detach_rearm=detach)
            net = build_network(config)
            params, static = eqx.partition(net, trainable_filter(net, False))
            (loss, _), g = eqx.filter_value_and_grad(
                lambda p, c=config, s=static: loss_fn(eqx.combine(p, s), x, y, c), has_aux=True
            )(params)
            norms[detach, dt] = (float(loss), float(jnp.linalg.norm(g.w_in.weight)),
                                 float(jnp.linalg.norm(g.w_rec.weight)))
    for dt in (0.02, 0.005):
        loss, g_in, g_rec = norms[True, dt]
        assert loss == norms[False, dt][0]
        assert g_rec == pytest.approx(norms[False, dt][2], rel=1e-3)
        assert g_in < 10 * g_rec
        assert norms[False, dt][1] > 10 * g_in
    assert norms[False, 0.005][1] > 4 * norms[False, 0.02][1]


# -- any neuron: a resetting neuron written against the contract, and the synapses ----------


class _Leaky(AbstractResettingNeuron):
    """A test-only resetting neuron: τ·dV/dt = I_app + I_ext − V, V ← V_reset at V = V_th,
    held for t_ref (model units; 1 ms, 1 V, 1 nA)."""

    I_app: jax.Array
    tau: jax.Array = eqx.field(converter=jnp.asarray, default=1.0)
    V_th: jax.Array = eqx.field(converter=jnp.asarray, default=1.0)
    V_reset: jax.Array = eqx.field(converter=jnp.asarray, default=0.0)
    t_ref: jax.Array = eqx.field(converter=jnp.asarray, default=0.5)

    core_ndim: ClassVar[dict[str, int]] = {}
    unit_fields: ClassVar[tuple[str, ...]] = ()
    state_names: ClassVar[tuple[str, ...]] = ("V",)
    input_shape: ClassVar[tuple[int, ...]] = ()
    time_unit = property(lambda self: jnp.asarray(1e-3))
    voltage_unit = property(lambda self: jnp.asarray(1.0))
    current_unit = property(lambda self: jnp.asarray(1e-9))
    state_scale = property(lambda self: jnp.ones(1))
    refractory_period = property(lambda self: self.t_ref)

    def init_state(self, n_neurons: int) -> jax.Array:
        return jnp.zeros((n_neurons, 1), self.dtype)

    def dynamics(self, t: Any, y: jax.Array, args: Any = None) -> jax.Array:
        V = y[:, 0]
        dV = (self.I_app + external_current(args, V.shape, V.dtype) - V) / self.tau
        return jnp.where(refractory(args, V.shape), 0.0, dV)[:, None]

    def spike_condition(self, t: Any, y: jax.Array, args: Any = None) -> jax.Array:
        return y[:, 0] - self.V_th

    def rearm_condition(self, t: Any, y: jax.Array, args: Any = None) -> jax.Array:
        return self.spike_condition(t, y, args)

    def input_spike(self, y: jax.Array, weights: Any) -> jax.Array:
        return y + jnp.broadcast_to(jnp.asarray(weights, y.dtype), y.shape[:1])[:, None]

    def input_current(self, I: Any) -> jax.Array:
        return jnp.asarray(I, self.dtype)

    def observe(self, y: jax.Array) -> jax.Array:
        return y

    def membrane(self, y: jax.Array) -> jax.Array:
        return y[:, 0]

    def reset_spiked(self, y: jax.Array, spiked: Any) -> jax.Array:
        s = jnp.asarray(spiked, y.dtype)[:, None]
        return y * (1 - s) + self.V_reset * s


def _leaky_net(I_app, w_in, w_rec, synapse):
    n = len(I_app)
    return SpikingNetwork(_Leaky(I_app=jnp.asarray(I_app)), Connection(jnp.asarray(w_in)),
                          Connection(jnp.asarray(w_rec)), (n,), synapse=synapse)


def test_a_network_of_resetting_neurons_resets_in_both_engines():
    """Neuron 0 fires tonically (I_app = 1.5 > V_th = 1) and drives neuron 1 through an
    exponential synapse. Its spike times are analytic: the first at τ·ln(I/(I − V_th)),
    then one every t_ref + τ·ln((I − V_reset)/(I − V_th)). Both engines reset it at each
    spike and hold it for t_ref, and agree on every neuron's spike count."""
    net = _leaky_net([1.5, 0.3], np.zeros((1, 2)), [[0.0, 4.0], [0.0, 0.0]],
                     ExponentialSynapse(tau_syn=0.5, dtype=jnp.float64))
    assert net.resets and float(net.refractory_period) == 0.5
    y0 = jnp.zeros((2, 2))
    T = 10.0
    first, period = np.log(1.5 / 0.5), 0.5 + np.log(1.5 / 0.5)
    expected = first + period * np.arange(int((T - first) / period) + 1)
    assert len(expected) == 6
    events = felice.simulate(net, t1=T, y0=y0, max_spikes=16, rtol=1e-10, atol=1e-12)
    counts = np.asarray(events.spike_counts)
    assert counts[0] == 6 and counts[1] >= 2
    np.testing.assert_allclose(np.asarray(events.spike_times[0, :6]), expected, rtol=1e-6)
    dt = 1e-3
    trace = simulate_fixed(net, jnp.zeros((int(round(T / dt)), 1)), dt=dt,
                           spike_fn=FastSigmoid(), y0=y0, solver="heun")
    np.testing.assert_array_equal(np.asarray(spike_count(trace.spikes)), counts)
    t_fixed = (np.flatnonzero(np.asarray(trace.spikes[:, 0])) + 1) * dt
    # each spike is detected up to one step late, and the next period starts there
    assert np.all(np.abs(t_fixed - expected) <= (np.arange(6) + 1) * dt)
    V = np.asarray(trace.membrane[:, 0])
    k = int(round(t_fixed[0] / dt)) - 1  # the step that ends at the first spike
    assert V[k] == 0.0 and np.all(V[k : k + 499] == 0.0) and V[k + 501] > 0.0  # held, released


def test_exponential_synapse_decays_and_drives_the_neuron_analytically():
    """A kick of weight w: I_syn = w·e^{−t/τ_s}, and the neuron (τ_m = 1, no threshold
    reached) follows V = w·τ_s/(τ_s − τ_m)·(e^{−t/τ_s} − e^{−t/τ_m}); with a saturation
    the drive is I_max·tanh(I_syn/I_max)."""
    w, tau_s = 0.8, 0.5
    net = _leaky_net([0.0], [[w]], [[0.0]], ExponentialSynapse(tau_syn=tau_s, dtype=jnp.float64))
    assert net.state_names == ("V", "I_syn")
    y0 = net.init_state()
    np.testing.assert_array_equal(y0, 0.0)
    kicked = net.input_spike(y0, net.input_weights(jnp.ones(1)))
    np.testing.assert_allclose(kicked, [[0.0, w]])
    ts = np.linspace(0.0, 4.0, 9)
    ys = np.asarray(solve(net, kicked, jnp.asarray(ts)))[:, 0]
    np.testing.assert_allclose(ys[:, 1], w * np.exp(-ts / tau_s), rtol=1e-8, atol=1e-12)
    V = w * tau_s / (tau_s - 1.0) * (np.exp(-ts / tau_s) - np.exp(-ts))
    np.testing.assert_allclose(ys[:, 0], V, rtol=1e-8, atol=1e-12)
    sat = ExponentialSynapse(tau_syn=tau_s, I_syn_max=0.3, dtype=jnp.float64)
    net_sat = eqx.tree_at(lambda n: n.synapse, net, sat)
    y = jnp.asarray([[0.1, 2.0]])
    np.testing.assert_allclose(net_sat.dynamics(0.0, y),
                               [[0.3 * np.tanh(2.0 / 0.3) - 0.1, -2.0 / tau_s]], rtol=1e-12)
    circuit = sat.to_circuit(net.time_unit, net.current_unit)
    np.testing.assert_allclose([circuit["tau_syn"], circuit["I_syn_max"]], [tau_s * 1e-3, 0.3e-9])
    with pytest.raises(TypeError, match="AbstractCircuit"):
        net_sat.to_circuit()  # the test neuron has no hardware view
    with pytest.raises(ValueError, match="tau_syn"):
        ExponentialSynapse(tau_syn=0.0)


def test_dpi_synapse_jumps_by_the_short_pulse_limit_and_decays():
    """DPI: τ_syn = C_syn·U_t/(κ·I_τ); a spike of weight I_w raises I_syn by
    (I_g/I_τ)·I_w·t_pulse/τ_syn, the exact rise over a pulse (I_g/I_τ)·I_w·(1 − e^{−t_p/τ})
    to first order in t_p/τ; then I_syn decays with τ_syn."""
    C, I_tau, I_g, t_p, kappa, U_t = 1e-12, 10e-12, 200e-12, 3e-6, 0.7, 0.025
    syn = DPISynapse.from_circuit(C_syn=C, I_tau=I_tau, I_g=I_g, t_pulse=t_p, time_unit=1e-3,
                                  kappa=kappa, U_t=U_t, dtype=jnp.float64)
    tau = C * U_t / (kappa * I_tau)
    np.testing.assert_allclose(float(syn.tau_syn), tau / 1e-3, rtol=1e-12)
    circuit = syn.to_circuit(1e-3, 1e-9)
    np.testing.assert_allclose([circuit["tau_syn"], circuit["gain"], circuit["t_pulse"]],
                               [tau, I_g / I_tau, t_p], rtol=1e-12)
    I_w = 0.5
    net = _leaky_net([0.0], [[I_w]], [[0.0]], syn)
    kicked = net.input_spike(net.init_state(), net.input_weights(jnp.ones(1)))
    jump = float(kicked[0, 1])
    np.testing.assert_allclose(jump, (I_g / I_tau) * I_w * t_p / tau, rtol=1e-12)
    exact = (I_g / I_tau) * I_w * -np.expm1(-t_p / tau)
    assert abs(jump / exact - 1) < t_p / tau
    ts = np.linspace(0.0, 10.0, 6)
    ys = np.asarray(solve(net, kicked, jnp.asarray(ts)))[:, 0, 1]
    np.testing.assert_allclose(ys, jump * np.exp(-ts / float(syn.tau_syn)), rtol=1e-8)
    with pytest.raises(ValueError, match="I_tau"):
        DPISynapse.from_circuit(C_syn=C, I_tau=0.0, I_g=I_g, t_pulse=t_p, time_unit=1e-3)
