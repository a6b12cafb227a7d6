"""The three circuit models: hardware/dimensionless agreement, fixpoints, independence, vmap, grad."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import solve
from scipy.integrate import solve_ivp
from scipy.optimize import fsolve

from felice import FHNRS, Boomerang, WereRabbit, get_model

F64 = jnp.float64


# -- circuit equations in SI units, written independently of felice -----------


def fhnrs_si(hw, n_dyn_elements):
    """C dV/dt = I_app + I_syn − g_m(V − E) − Σ s·I_B·tanh(κ(V_x − δ)/(2U_t))."""
    k, Ut = hw["kappa"], hw["U_t"]
    g_m = k * hw["I_passive"] / (2 * Ut)

    def rhs(t, y):
        V, V_x, I_syn = y[0], y[1 : 1 + n_dyn_elements], y[-1]
        V_el = np.where(hw["tau"] == 0, V, np.concatenate([[V], V_x])[: len(hw["tau"])])
        V_el = np.array([V if tau == 0 else V_x[0] for tau in hw["tau"]])
        I_el = hw["sign"] * hw["I_B"] * np.tanh(k * (V_el - hw["V_offset"]) / (2 * Ut))
        dV = (hw["I_app"] + I_syn - g_m * (V - hw["E_rev"]) - I_el.sum()) / hw["C"]
        taus = hw["tau"][hw["tau"] > 0]
        return np.concatenate([[dV], (V - V_x) / taus, [-I_syn / hw["tau_syn"]]])

    return rhs


def wererabbit_si(C, I_bias, I_n0, kappa, U_t, gamma, rho, sigma):
    def rhs(t, y):
        u, v = y
        z = np.tanh(rho * (u - v))
        du = z * I_bias - I_n0 * np.exp(kappa * v / U_t) * (z + gamma * (0.5 - u) * z) - sigma * I_bias
        dv = -z * I_bias + I_n0 * np.exp(kappa * u / U_t) * (z + gamma * (0.5 - v) * z) - sigma * I_bias
        return np.array([du, dv]) / C

    return rhs


def boomerang_si(C, I_bias, I_n0, kappa, U_t, gamma, rho, sigma):
    def rhs(t, y):
        u, v = y
        z = np.tanh(rho * (v - u))
        du = I_bias - I_n0 * np.exp(kappa * v / U_t) * (1 - gamma * (0.3 - u)) + sigma * I_bias * z
        dv = -I_bias + I_n0 * np.exp(kappa * u / U_t) * (1 + gamma * (0.3 - v)) + sigma * I_bias * z
        return np.array([du, dv]) / C

    return rhs


def _compare_with_si(model, twin, y0, t1_model, rhs_si):
    """felice (model units → SI) vs its dimensionless twin vs scipy on the SI circuit."""
    ts = jnp.linspace(0.0, t1_model, 41, dtype=F64)
    ys = np.asarray(solve(model, y0, ts))[:, 0, :]
    ys_twin = np.asarray(solve(twin, y0, ts))[:, 0, :]
    np.testing.assert_allclose(ys, ys_twin, rtol=1e-6, atol=1e-9)

    scale = np.asarray(model.state_scale)
    t_si = np.asarray(ts) * float(model.time_unit)
    y0_si = np.asarray(y0[0]) * scale
    atol = 1e-14 * np.abs(y0_si).max()
    ref = solve_ivp(rhs_si, (0, t_si[-1]), y0_si, method="DOP853", rtol=1e-11, atol=atol, t_eval=t_si)
    assert ref.success
    y_si = ys * scale
    for k in range(y_si.shape[1]):
        col_scale = np.abs(ref.y[k]).max()
        np.testing.assert_allclose(y_si[:, k], ref.y[k], rtol=1e-6, atol=1e-6 * col_scale)
    return ys


def test_fhnrs_from_circuit_matches_dimensionless_twin_and_si_circuit():
    hw = dict(
        C=1.5e-12, I_passive=0.8e-9, I_B=np.array([1.7e-9, 1.6e-9]), sign=np.array([-1.0, 1.0]),
        tau=np.array([0.0, 4e-3]), V_offset=np.array([2e-3, -1e-3]), E_rev=1e-3,
        I_app=0.4e-9, tau_syn=0.2e-3, V_th=0.1, kappa=0.65, U_t=0.026,
    )
    model = FHNRS.from_circuit(**hw, dtype=F64)
    V_unit = 2 * 0.026 / 0.65
    t_unit = 1.5e-12 * V_unit / 0.8e-9
    twin = FHNRS(
        a=(-1.7 / 0.8, 1.6 / 0.8), delta=(2e-3 / V_unit, -1e-3 / V_unit), tau=(0.0, 4e-3 / t_unit),
        g=1.0, E_rev=1e-3 / V_unit, C=1.0, I_app=0.5, tau_syn=0.2e-3 / t_unit, V_th=0.1 / V_unit,
        dtype=F64,
    )
    np.testing.assert_allclose(model.time_unit, t_unit, rtol=1e-12)
    y0 = jnp.array([[0.1, 0.0, 0.3 / 0.8]], F64)  # an initial synaptic current of 0.3 nA
    ys = _compare_with_si(model, twin, y0, 20e-3 / t_unit, fhnrs_si(hw, 1))
    assert ys[:, 0].max() > float(model.V_th)  # the transient contains spikes


@pytest.mark.parametrize("cls, rhs", [(WereRabbit, wererabbit_si), (Boomerang, boomerang_si)])
def test_bistable_from_circuit_matches_dimensionless_twin_and_si_circuit(cls, rhs):
    hw = dict(C=0.2e-12, I_bias=150e-12, I_n0=2.1e-12, kappa=0.42, U_t=0.026)
    model = cls.from_circuit(**hw, dtype=F64)
    twin = cls(alpha=2.1 / 150, beta=0.42 / 0.026, U_t=0.026, C=0.2e-12, I_bias=150e-12, dtype=F64)
    np.testing.assert_allclose(model.time_unit, 0.2e-12 / 150e-12, rtol=1e-12)
    y0 = model.input_spike(model.init_state(1), -0.3)  # kicked off the fixpoint
    d = cls._defaults
    ys = _compare_with_si(
        model, twin, y0, 15.0, rhs(**hw, gamma=d["gamma"], rho=d["rho"], sigma=d["sigma"])
    )
    assert np.ptp(ys[:, 0]) > 0.05  # a real transient, not a resting trace


def test_to_circuit_round_trip_preserves_the_dynamics():
    rng = np.random.default_rng(0)
    for model in (FHNRS.bursting(I_app=-1.0, dtype=F64), WereRabbit(dtype=F64), Boomerang(dtype=F64)):
        hw = {k: v for k, v in model.to_circuit().items() if not k.endswith("_unit")}
        again = type(model).from_circuit(**hw, dtype=F64)
        y = jnp.asarray(rng.normal(0.2, 0.3, (3, model.n_state)))
        f = model.dynamics(0.0, y) * model.state_scale / model.time_unit
        f_again = again.dynamics(0.0, y) * again.state_scale / again.time_unit
        np.testing.assert_allclose(f_again, f, rtol=1e-10)


@pytest.mark.parametrize("I_app", [-1.2, -0.3, 0.0, 0.45, 1.4])
def test_fhnrs_equilibrium_is_I_app(I_app):
    model = FHNRS(I_app=I_app, dtype=F64)
    y_star = model.equilibrium()
    np.testing.assert_allclose(y_star[0, 0], I_app, atol=1e-12)
    np.testing.assert_allclose(model.dynamics(0.0, y_star), 0.0, atol=1e-12)


def test_fhnrs_init_state_is_power_up_kept_off_the_equilibrium():
    from felice.neuron_models import START_DISTANCE

    # V* = I_app: far from 0 the power-up state; near it, START_DISTANCE off V*.
    I_app = np.array([-1.2, 0.45, -0.13, -0.03, 0.0, 0.06, 0.12])
    y0 = np.asarray(FHNRS(I_app=I_app, dtype=F64).init_state(7))
    expected = np.where(np.abs(I_app) < START_DISTANCE, I_app + START_DISTANCE, 0.0)
    np.testing.assert_allclose(y0[:, 0], expected, atol=1e-12)
    assert np.all(np.abs(y0[:, 0] - I_app) >= START_DISTANCE - 1e-12)
    np.testing.assert_array_equal(y0[:, 1:], 0.0)
    np.testing.assert_array_equal(FHNRS(g=0.0, dtype=F64).init_state(2), 0.0)


def test_fhnrs_equilibrium_for_a_heterogeneous_population():
    I_app = jnp.linspace(-1.0, 1.0, 7, dtype=F64)
    y_star = FHNRS(I_app=I_app, dtype=F64).equilibrium()
    np.testing.assert_allclose(y_star[:, 0], I_app, atol=1e-12)


def _fd_jacobian(f, y, h=1e-7):
    J = np.zeros((2, 2))
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        J[:, i] = (np.asarray(f(y + e)) - np.asarray(f(y - e))) / (2 * h)
    return J


@pytest.mark.parametrize("cls", [WereRabbit, Boomerang])
def test_bistable_models_have_two_stable_mirror_fixpoints(cls):
    model = cls(dtype=F64)
    above, below = np.asarray(model.stable_fixpoints()[0])
    assert above[0] > above[1] and below[0] < below[1]

    def f(y):
        return np.asarray(model.dynamics(0.0, jnp.asarray(y)[None]))[0]

    for fp in (above, below):
        # An independent root finder lands on the same point, and it is stable.
        np.testing.assert_allclose(fsolve(f, fp + 1e-3, xtol=1e-13), fp, atol=1e-9)
        assert np.all(np.linalg.eigvals(_fd_jacobian(f, fp)).real < 0)
    mirror_tol = 1e-10 if cls is WereRabbit else 5e-3  # Boomerang: γ breaks u ↔ v by O(γ)
    np.testing.assert_allclose(below, above[::-1], atol=mirror_tol)


def test_boomerang_asymmetry_vanishes_with_gamma():
    """The mirror defect of Boomerang's fixpoints shrinks in proportion to γ."""

    def defect(gamma):
        above, below = np.asarray(Boomerang(gamma=gamma, dtype=F64).stable_fixpoints()[0])
        return np.abs(below - above[::-1]).max()

    d1, d2 = defect(0.26), defect(0.13)
    assert 0 < d2 < 0.6 * d1


@pytest.mark.parametrize("cls", [WereRabbit, Boomerang])
def test_bistable_init_state_is_a_resting_fixpoint(cls):
    model = cls(dtype=F64)
    y0 = model.init_state(3)
    assert y0.shape == (3, 2)
    assert np.all(np.abs(np.asarray(y0[:, 0] - y0[:, 1])) > 0.05)  # far from the separatrix
    np.testing.assert_allclose(model.dynamics(0.0, y0), 0.0, atol=1e-9)
    assert np.all(np.asarray(model.spike_condition(0.0, y0)) > 0)  # "at a fixpoint"
    mirror = model.init_state(2, side=1)
    assert np.all(np.asarray(mirror[:, 0] < mirror[:, 1]))
    kicked = model.input_spike(y0, jnp.array([0.0, 0.2, -0.2]))
    np.testing.assert_allclose(kicked[0], y0[0])
    np.testing.assert_allclose(kicked[1] - y0[1], [0.1, -0.1])
    assert np.all(np.asarray(model.spike_condition(0.0, kicked[1:])) < 0)


def test_bistable_fixpoints_follow_per_neuron_parameters():
    sigma = jnp.array([0.5, 0.6, 0.7], F64)
    pop = WereRabbit(sigma=sigma, dtype=F64).init_state(3)
    for i, s in enumerate(np.asarray(sigma)):
        single = WereRabbit(sigma=float(s), dtype=F64).init_state(1)
        np.testing.assert_allclose(pop[i], single[0], atol=1e-12)


MODELS = {
    "fhnrs": lambda n: FHNRS.bursting(I_app=jnp.linspace(-2.0, 0.5, n), dtype=F64),
    "wererabbit": lambda n: WereRabbit(sigma=jnp.linspace(0.5, 0.7, n), dtype=F64),
    "boomerang": lambda n: Boomerang(alpha=jnp.linspace(0.012, 0.014, n), dtype=F64),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_neurons_are_independent(name):
    n = 4
    model = MODELS[name](n)
    y = model.init_state(n) + jnp.asarray(np.random.default_rng(1).normal(0, 0.05, (n, model.n_state)))
    s = model.n_state
    J = jax.jacfwd(lambda flat: model.dynamics(0.0, flat.reshape(n, s)).ravel())(y.ravel())
    J = np.asarray(J).reshape(n, s, n, s)
    for i in range(n):
        for j in range(n):
            if i != j:
                assert np.all(J[i, :, j, :] == 0.0), (i, j)
    assert np.any(J[0, :, 0, :] != 0.0)
    # The spike condition is per neuron too.
    G = np.asarray(jax.jacfwd(lambda flat: model.spike_condition(0.0, flat.reshape(n, s)))(y.ravel()))
    G = G.reshape(n, n, s)
    assert all(np.all(G[i, j] == 0) for i in range(n) for j in range(n) if i != j)


@pytest.mark.parametrize("name", list(MODELS))
def test_currents_sum_to_the_vector_field(name):
    model = MODELS[name](3)
    y = model.init_state(3) + 0.05
    I_ext = 0.1 if name == "fhnrs" else jnp.array([0.1, -0.05])
    args = {"I_ext": I_ext}
    f = model.dynamics(0.0, y, args)
    cur = model.currents(y, args)
    if name == "fhnrs":
        np.testing.assert_allclose(sum(cur.values()), f[:, 0] * model.C, rtol=1e-12)
        np.testing.assert_allclose(cur["app"], model.I_app + 0.1)
    else:
        np.testing.assert_allclose(sum(v for k, v in cur.items() if k.endswith("_u")), f[:, 0], rtol=1e-12)
        np.testing.assert_allclose(sum(v for k, v in cur.items() if k.endswith("_v")), f[:, 1], rtol=1e-12)
        np.testing.assert_allclose(cur["ext_v"], -0.05)


def _final_state(model, y0, t1=5.0):
    return solve(model, y0, jnp.array([0.0, t1], F64), rtol=1e-9, atol=1e-11)[-1]


@pytest.mark.parametrize(
    "make, values",
    [
        (lambda p: FHNRS(I_app=p, dtype=F64), np.linspace(-0.5, 1.0, 8)),
        (lambda p: WereRabbit(sigma=p, dtype=F64), np.linspace(0.5, 0.7, 8)),
        (lambda p: Boomerang(gamma=p, dtype=F64), np.linspace(0.2, 0.3, 8)),
    ],
)
def test_vmap_over_parameter_sets_equals_a_loop(make, values):
    y0 = jnp.asarray([[0.25, 0.2] + [0.0] * (make(0.5).n_state - 2)], F64)
    batched = jax.vmap(lambda p: _final_state(make(p), y0))(jnp.asarray(values))
    for k, p in enumerate(values):
        np.testing.assert_allclose(batched[k], _final_state(make(float(p)), y0), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "model, field, y0",
    [
        (FHNRS(I_app=0.3, dtype=F64), "a", [[0.2, 0.1, 0.2]]),
        (FHNRS(I_app=0.3, dtype=F64), "I_app", [[0.2, 0.1, 0.2]]),
        (WereRabbit(dtype=F64), "sigma", [[0.3, 0.2]]),
        (Boomerang(dtype=F64), "alpha", [[0.28, 0.24]]),
    ],
)
def test_grad_through_a_solve_matches_finite_differences(model, field, y0):
    y0 = jnp.asarray(y0, F64)
    where = lambda m: getattr(m, field)  # noqa: E731

    def loss(p):
        m = eqx.tree_at(where, model, p)
        return jnp.sum(_final_state(m, y0, 3.0) ** 2)

    p0 = where(model)
    grad = np.asarray(jax.grad(loss)(p0))
    h = 1e-6
    flat = np.asarray(p0, float).ravel()
    fd = np.zeros_like(flat)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        up = loss(jnp.asarray((flat + e).reshape(np.shape(p0))))
        down = loss(jnp.asarray((flat - e).reshape(np.shape(p0))))
        fd[i] = (up - down) / (2 * h)
    assert np.all(np.abs(fd) > 1e-6)
    np.testing.assert_allclose(grad.ravel(), fd, rtol=1e-5)


@pytest.mark.parametrize("cls", [WereRabbit, Boomerang])
def test_no_overflow_in_float32_state_box(cls):
    model = cls()
    assert model.dtype == jnp.float32
    u, v = np.meshgrid(np.linspace(-3, 3, 61), np.linspace(-3, 3, 61))
    y = jnp.asarray(np.stack([u.ravel(), v.ravel()], 1), jnp.float32)
    for out in (model.dynamics(0.0, y), model.spike_condition(0.0, y), *model.currents(y).values()):
        assert out.dtype == jnp.float32
        assert bool(jnp.all(jnp.isfinite(out)))


def test_dtypes():
    assert FHNRS().init_state(2).dtype == jnp.float32
    assert FHNRS(dtype=F64).init_state(2).dtype == F64
    assert WereRabbit().init_state(2).dtype == jnp.float32
    assert WereRabbit(dtype=F64).init_state(2).dtype == F64


def test_fhnrs_structure_and_inputs():
    burst = FHNRS.bursting()
    assert burst.state_names == ("V", "V_slow", "V_slow_2", "V_ultraslow", "I_syn")
    assert burst.element_names == ("fast", "slow", "slow_2", "ultraslow")
    y = jnp.zeros((3, 3))
    kicked = FHNRS().input_spike(y, jnp.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(kicked[:, -1], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(kicked[:, :-1], 0.0)
    assert FHNRS().observe(kicked).shape == (3, 1)
    np.testing.assert_allclose(FHNRS().spike_condition(0.0, y), -2.0)


def test_registry():
    assert isinstance(get_model("FHNRS", I_app=0.2), FHNRS)
    assert isinstance(get_model("boomerang"), Boomerang)
