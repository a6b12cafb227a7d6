"""felice.analysis: I–V curves against closed forms and independent root finding, equilibria and
classification against long simulations, vmap, plots."""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest
from conftest import solve, unchecked
from scipy.optimize import brentq

from felice import FHNRS, LIF, Boomerang, WereRabbit
from felice.analysis import (
    classify,
    equilibria,
    folds,
    iv_curves,
    negative_conductance,
    nullclines,
    vector_field,
    zero_crossings,
)

matplotlib.use("Agg")
F64 = jnp.float64
FOLD = float(np.arccosh(np.sqrt(2.0)))  # fast-curve fold of a = −2: 1 − 2 sech²V = 0
V_GRID = jnp.linspace(-3.0, 3.0, 6001, dtype=F64)
U_GRID = jnp.linspace(-0.2, 0.6, 161, dtype=F64)


# -- FHNRS: closed forms ----------------------------------------------------------------


def test_fhnrs_spiking_curves_equal_the_closed_forms():
    I_app = 0.3
    model = FHNRS(I_app=I_app, dtype=F64)
    c = iv_curves(model, V_GRID)
    V, Vr = np.asarray(V_GRID), I_app  # the equilibrium is V* = I_app
    assert c.names == ("instantaneous", "fast", "slow")
    closed = {
        "instantaneous": (V - 2 * np.tanh(Vr) + 2 * np.tanh(Vr), np.ones_like(V)),
        "fast": (V - 2 * np.tanh(V) + 2 * np.tanh(Vr), 1 - 2 / np.cosh(V) ** 2),
        "slow": (V, np.ones_like(V)),
    }
    for name, (I, G) in closed.items():
        np.testing.assert_allclose(c[name], I, atol=1e-6)
        np.testing.assert_allclose(c.conductance(name), G, atol=1e-6)
    np.testing.assert_allclose(c.steady_state, V, atol=1e-12)  # the slow curve is I = V
    (interval,) = negative_conductance(c, "fast")
    np.testing.assert_allclose(interval, (-FOLD, FOLD), atol=1e-6)
    np.testing.assert_allclose(folds(c, "fast"), [-FOLD, FOLD], atol=1e-6)
    np.testing.assert_allclose(zero_crossings(c, "slow", I_app), [I_app], atol=1e-9)
    # The fast curve crosses I_app three times: at V* and on the two outer branches.
    fast = zero_crossings(c, "fast", I_app)
    assert fast.size == 3
    np.testing.assert_allclose(np.asarray(c.model.clamp_current(fast[0], jnp.full(2, fast[0]).at[1].set(Vr))[0]),
                               I_app, atol=1e-9)


def test_fhnrs_bursting_curves_equal_the_closed_forms_at_a_given_rest():
    model = FHNRS.bursting(I_app=-1.5, dtype=F64)
    rest = jnp.asarray([-1.2, -0.9, -1.1, -1.4, 0.7], F64)  # V, V_slow, V_slow_2, V_ultraslow, I_syn
    c = iv_curves(model, V_GRID, rest=rest)
    V = np.asarray(V_GRID)
    a, d = np.array([-2.0, 2.0, -1.5, 1.5]), np.array([0.0, 0.0, -1.5, -1.5])
    x_rest = np.array([-1.2, -0.9, -1.1, -1.4])  # the fast element rests at V_rest
    held = a * np.tanh(x_rest - d)

    def closed(at_V):
        el = np.where(at_V, a * np.tanh(V[:, None] - d), held)
        return V + el.sum(axis=1)

    assert c.names == ("instantaneous", "fast", "slow", "ultraslow")
    for name, at_V in [("instantaneous", [0, 0, 0, 0]), ("fast", [1, 0, 0, 0]),
                       ("slow", [1, 1, 1, 0]), ("ultraslow", [1, 1, 1, 1])]:
        np.testing.assert_allclose(c[name], closed(np.asarray(at_V, bool)), atol=1e-6)
    # Bursting geometry: slow negative conductance around −1.5, monotone steady state.
    (slow_nc,) = negative_conductance(c, "slow")
    w = float(np.arccosh(np.sqrt(1.5)))  # 1 − 1.5 sech²(V + 1.5) = 0
    np.testing.assert_allclose(slow_nc, (-1.5 - w, -1.5 + w), atol=1e-6)
    assert negative_conductance(c, "ultraslow") == []


def test_iv_curves_of_a_population_equal_single_neurons():
    I_app = jnp.asarray([-0.4, 0.2, 0.9], F64)
    pop = iv_curves(FHNRS(I_app=I_app, dtype=F64), V_GRID)
    assert pop.I.shape == (3, 3, V_GRID.size)
    for i, I in enumerate(np.asarray(I_app)):
        single = iv_curves(FHNRS(I_app=float(I), dtype=F64), V_GRID)
        np.testing.assert_allclose(pop.I[i], single.I, atol=1e-12)


# -- bistable circuits: clamp u, v settles --------------------------------------------------


def _v_roots(model, u):
    """Every root of dv/dτ(u, ·) across the clamp starts: sign changes on a fine grid, brentq."""
    def dv(v):
        return float(model.dynamics(0.0, jnp.asarray([[u, v]], F64))[0, 1])

    grid = np.linspace(*(float(b) for b in model.clamp_starts(0.0)[[0, -1], 0]), 3001)
    vals = np.asarray(model.dynamics(0.0, jnp.stack([jnp.full(3001, u), jnp.asarray(grid)], 1))[:, 1])
    idx = np.flatnonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)
    return [brentq(dv, grid[i], grid[i + 1], xtol=1e-14) for i in idx]


@pytest.mark.slow
@pytest.mark.parametrize("cls", [WereRabbit, Boomerang])
def test_bistable_slow_curve_matches_independent_root_finding(cls):
    model = cls(dtype=F64)
    c = iv_curves(model, U_GRID)
    assert c.names == ("instantaneous", "slow")
    n = np.asarray(c.n_steady[1])
    for k in range(0, U_GRID.size, 8):
        u = float(U_GRID[k])
        roots = _v_roots(model, u)
        assert n[k] == len(roots), (u, roots)
        I_ref = sorted(-float(model.dynamics(0.0, jnp.asarray([[u, v]], F64))[0, 0]) for v in roots)
        np.testing.assert_allclose(np.asarray(c.branch_I[1, : len(roots), k]), I_ref, rtol=1e-8, atol=1e-9)
        if len(roots) != 1:
            assert np.isnan(c["slow"][k])  # never a wrong single value
    # The instantaneous curve holds v at the u > v fixpoint.
    v_rest = float(model.resting_state()[0, 1])
    y = jnp.stack([U_GRID, jnp.full_like(U_GRID, v_rest)], 1)
    np.testing.assert_allclose(c["instantaneous"], -model.dynamics(0.0, y)[:, 0], atol=1e-12)


def test_wererabbit_slow_curve_has_a_gap_and_finite_difference_conductance():
    model = WereRabbit(dtype=F64)
    c = iv_curves(model, U_GRID)
    I, G = np.asarray(c["slow"]), np.asarray(c.conductance("slow"))
    assert np.isnan(I).any() and np.isfinite(I).sum() > 100  # no steady state of v in the gap
    h = 1e-6
    up, down = (np.asarray(iv_curves(model, U_GRID + s)["slow"]) for s in (h, -h))
    fd = (up - down) / (2 * h)
    ok = np.isfinite(fd) & np.isfinite(G)
    assert ok.sum() > 100
    np.testing.assert_allclose(G[ok], fd[ok], rtol=1e-5, atol=1e-6)


# -- equilibria ---------------------------------------------------------------------------


@eqx.filter_jit
def _end_state(model, y0):
    return solve(model, y0, jnp.array([0.0, 300.0], F64), rtol=1e-10, atol=1e-12)[-1]


@pytest.mark.slow
@pytest.mark.parametrize("cls, n_saddles", [(WereRabbit, 0), (Boomerang, 1)])
def test_bistable_equilibria_are_the_end_states_of_long_simulations(cls, n_saddles):
    model = cls(dtype=F64)
    eq = equilibria(model)
    labels = eq.labels
    assert labels.count("stable focus") + labels.count("stable node") == 2
    assert labels.count("saddle") == n_saddles and len(labels) == 2 + n_saddles
    stable = np.asarray(eq.states[np.asarray(eq.stable)])
    above, below = stable[np.argmax(stable[:, 0] - stable[:, 1])], stable[np.argmin(stable[:, 0] - stable[:, 1])]
    np.testing.assert_allclose(below, above[::-1], atol=5e-3)  # mirror images (exact for WereRabbit)
    np.testing.assert_allclose(model.stable_fixpoints()[0], [above, below], atol=1e-12)
    # Long simulations from both sides of the separatrix end at the stable equilibria.
    rng = np.random.default_rng(0)
    starts = np.concatenate([above + rng.normal(0, 0.02, (4, 2)), below + rng.normal(0, 0.02, (4, 2))])
    ends = np.asarray(_end_state(model, jnp.asarray(starts)))
    dist = np.abs(ends[:, None, :] - stable[None]).max(axis=2).min(axis=1)
    assert np.all(dist < 1e-5), dist
    assert classify(model) == "bistable"
    # The clamp view agrees: the equilibria are zeros of the steady-state curve at I_app = 0.
    c = iv_curves(model, U_GRID)
    for V in zero_crossings(c, "slow", 0.0):
        assert np.abs(stable[:, 0] - V).min() < 1e-6 or n_saddles


def test_fhnrs_equilibrium_stability_matches_the_analytic_jacobian():
    I_app = np.array([-1.2, -0.5, 0.0, 0.5, 0.95])
    eq = equilibria(FHNRS(dtype=F64), I_app=I_app)
    assert np.all(np.asarray(eq.count) == 1)
    np.testing.assert_allclose(eq.states[:, 0, 0], I_app, atol=1e-12)
    for k, V in enumerate(I_app):
        # (V, V_slow) Jacobian of C dV/dt = I − V + 2 tanh V − 2 tanh V_s, 50 dV_s/dt = V − V_s.
        J = np.array([[-1 + 2 / np.cosh(V) ** 2, -2 / np.cosh(V) ** 2], [1 / 50, -1 / 50]])
        ev = np.sort_complex(np.linalg.eigvals(J))
        np.testing.assert_allclose(np.sort_complex(np.asarray(eq.eigenvalues[k, 0])), ev, atol=1e-10)
        stable = np.all(ev.real < 0)
        assert eq.labels[k][0].startswith("stable" if stable else "unstable")


# -- classification against long simulations ------------------------------------------------


@eqx.filter_jit
def _simulate_V(model, y0, t0, t1, n_save):
    """Dense V(t) of a whole population after discarding [0, t0] (one compile per model kind)."""
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(model.dynamics), diffrax.Tsit5(), 0.0, t1, 0.05, y0,
        saveat=diffrax.SaveAt(ts=jnp.linspace(t0, t1, n_save), fn=lambda t, y, args: y[:, 0]),
        stepsize_controller=diffrax.PIDController(rtol=1e-6, atol=1e-8), max_steps=1_000_000,
    )
    return sol.ys


def _spike_stats(V, V_th, dt):
    """(number of upward crossings of V_th, coefficient of variation of the inter-spike intervals)."""
    out = []
    for k in range(V.shape[1]):
        up = np.flatnonzero((V[:-1, k] < V_th) & (V[1:, k] >= V_th))
        isi = np.diff(up) * dt
        out.append((up.size, isi.std() / isi.mean() if isi.size > 1 else np.nan))
    return out


def _check_against_simulation(make, I_app, t0, t1, n_save):
    labels = classify(make(), I_app)
    bistable = [k for k, lab in enumerate(labels) if lab == "bistable"]
    # Each value from its equilibrium kicked by +0.5 in V; bistable ones also by +1e-3.
    I_all = np.concatenate([I_app, I_app[bistable]])
    model = make(I_app=jnp.asarray(I_all))
    kick = np.concatenate([np.full(len(I_app), 0.5), np.full(len(bistable), 1e-3)])
    y0 = model.equilibrium().at[:, 0].add(jnp.asarray(kick))
    V = np.asarray(_simulate_V(model, y0, t0, t1, n_save))
    stats = _spike_stats(V, float(model.V_th), (t1 - t0) / (n_save - 1))
    for k, (I, label) in enumerate(zip(I_app, labels, strict=True)):
        n, cv = stats[k]
        if label in ("rest", "excitable"):
            assert n == 0, (I, label, n)
        elif label == "spiking":
            assert n >= 5 and cv < 0.1, (I, label, n, cv)
        elif label == "bursting":
            assert n >= 5 and cv > 0.5, (I, label, n, cv)
        else:  # bistable: spikes after the large kick, rests after the small one
            small = stats[len(I_app) + bistable.index(k)]
            assert n >= 5 and small[0] == 0, (I, label, n, small)
    return labels


@pytest.mark.slow
def test_classify_fhnrs_spiking_agrees_with_simulation():
    I_app = np.linspace(-1.5, 1.5, 25)
    labels = _check_against_simulation(lambda **kw: FHNRS(dtype=F64, **kw), I_app, 1000.0, 3000.0, 20001)
    # All behaviours of the spiking set occur on this grid.
    assert {"excitable", "spiking", "bistable"} <= set(labels)


@pytest.mark.slow
def test_classify_fhnrs_bursting_agrees_with_simulation():
    # 11 values: the grid avoids −0.84 < I_app < −0.72 where the geometric rule says tonic
    # but the circuit still bursts (see docs/analysis.md).
    I_app = np.linspace(-2.5, 0.5, 11)
    labels = _check_against_simulation(lambda **kw: FHNRS.bursting(dtype=F64, **kw), I_app, 10000.0, 30000.0, 100001)
    assert {"excitable", "bursting", "spiking"} <= set(labels)


# -- sweeps ---------------------------------------------------------------------------------


def test_vmap_over_1000_slow_gains_equals_a_loop():
    model = FHNRS(dtype=F64)
    v = jnp.linspace(-3.0, 3.0, 61, dtype=F64)

    def curves(a_slow):
        return iv_curves(eqx.tree_at(lambda m: m.a, model, model.a.at[1].set(a_slow)), v).I

    gains = jnp.linspace(0.5, 3.0, 1000, dtype=F64)
    batched = jax.vmap(curves)(gains)
    assert batched.shape == (1000, 3, 61)
    for k in (0, 377, 999):
        np.testing.assert_allclose(batched[k], curves(gains[k]), atol=1e-12)
    # The slow curve's slope at rest is 1 − 2 + a_slow: negative conductance for a_slow < 1.
    G_slow = np.gradient(np.asarray(batched[:, 2]), np.asarray(v), axis=1)[:, 30]
    np.testing.assert_allclose(G_slow, 1 - 2 + np.asarray(gains), atol=5e-3)


# -- phase plane and plots -----------------------------------------------------------------


def test_fhnrs_nullclines_match_the_analytic_curves():
    model = FHNRS(I_app=0.3, dtype=F64)
    grid = vector_field(model, np.linspace(-2.5, 2.5, 301), np.linspace(-1.5, 1.5, 301), dims=("V", "V_slow"))
    V_null, slow_null = nullclines(grid)
    pts = np.concatenate(V_null)
    # dV/dt = 0: V_slow = atanh((I_app − V + 2 tanh V)/2).
    np.testing.assert_allclose(pts[:, 1], np.arctanh((0.3 - pts[:, 0] + 2 * np.tanh(pts[:, 0])) / 2), atol=2e-3)
    pts = np.concatenate(slow_null)
    np.testing.assert_allclose(pts[:, 1], pts[:, 0], atol=1e-9)  # dV_slow/dt = 0: V_slow = V


@pytest.mark.parametrize(
    "model, xr, yr, starts",
    [
        (FHNRS(I_app=0.3, dtype=F64), (-3, 3), (-2, 2), [[0.5, 0.0, 0.0]]),
        (WereRabbit(dtype=F64), (-0.1, 0.5), (-0.1, 0.5), None),
        (Boomerang(dtype=F64), (0.15, 0.4), (0.15, 0.4), None),
    ],
    ids=["fhnrs", "wererabbit", "boomerang"],
)
def test_plots_for_every_model(tmp_path, model, xr, yr, starts):
    import matplotlib.pyplot as plt

    from felice.plotting import plot_iv, plot_phase

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4))
    assert plot_iv(model, ax=a1) is a1
    assert plot_phase(model, xr, yr, starts=starts, t1=50.0, n_grid=15, ax=a2) is a2
    assert len(a1.lines) >= 2 and len(a2.lines) >= 3 + (starts is not None)
    # In SI units, reusing the equilibria: the same curves scaled to volts and amperes.
    curves = iv_curves(model, np.linspace(*(float(b) for b in model.clamp_range()), 401))
    assert plot_iv(curves, si=True, equilibria=equilibria(model), ax=a3) is a3
    V_unit, I_unit = float(model.voltage_unit), float(model.current_unit)
    for plain, si in zip(a1.lines, a3.lines, strict=True):  # curves, branches, equilibria
        np.testing.assert_allclose(np.asarray(si.get_ydata(), float),
                                   np.asarray(plain.get_ydata(), float) * I_unit)
        if si.get_label() != "applied current":  # a horizontal line across the axes
            np.testing.assert_allclose(np.asarray(si.get_xdata(), float),
                                       np.asarray(plain.get_xdata(), float) * V_unit)
    assert a3.xaxis.get_major_formatter()(0.25, 0) == "250 mV"
    labels = [t.get_text() for t in a3.get_legend().get_texts()]
    assert len(labels) == len(set(labels)) and "applied current" in labels
    with pytest.raises(ValueError, match="single neuron"):
        plot_iv(eqx.tree_at(lambda c: c.I, curves, curves.I[None]), ax=a3)
    with pytest.raises(ValueError, match="Equilibria of a single neuron"), unchecked():
        plot_iv(curves, equilibria=curves, ax=a3)
    with pytest.raises(ValueError, match="IVCurves or a AbstractNeuron"), unchecked():
        plot_iv(np.zeros(3), ax=a3)
    out = tmp_path / "plot.png"
    fig.savefig(out, dpi=60)
    plt.close(fig)
    assert out.stat().st_size > 5_000 and out.read_bytes()[:4] == b"\x89PNG"


# -- a clamp without variables (LIF) ------------------------------------------------------


def test_a_clamp_without_variables_has_one_curve_equilibria_and_a_class():
    """LIF clamps V and has no other variable: the only curve is the leak I_l(1 − e^{−V})."""
    model = LIF(I_leak=[0.8, 1.0, 1.25], I_app=0.5, dtype=F64)
    V = jnp.linspace(-2.0, 6.0, 17, dtype=F64)
    curves = iv_curves(model, V)
    assert curves.names == ("instantaneous",)
    I_l = np.array([0.8, 1.0, 1.25])[:, None]
    np.testing.assert_allclose(np.asarray(curves.steady_state), I_l * (1 - np.exp(-np.asarray(V))),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.asarray(curves.conductance("instantaneous")),
                               I_l * np.exp(-np.asarray(V)), rtol=1e-13)
    eq = equilibria(model)
    np.testing.assert_array_equal(np.asarray(eq.count), [1, 1, 1])
    np.testing.assert_allclose(np.asarray(eq.states[:, 0, 0]), -np.log(1 - 0.5 / I_l[:, 0]), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(eq.eigenvalues[:, 0, 0].real), -(I_l[:, 0] - 0.5), rtol=1e-10)
    assert eq.labels == [["stable node"]] * 3
    # Rest below the rheobase I_leak, tonic firing (no equilibrium) above it.
    assert classify(LIF(dtype=F64), jnp.array([0.5, 0.99, 1.01, 2.0])) == ["rest", "rest", "spiking", "spiking"]


# -- bad input -----------------------------------------------------------------------------


def test_bad_input_is_rejected():
    model = FHNRS(dtype=F64)
    with pytest.raises(ValueError, match="v must be"), unchecked():  # ill-typed on purpose
        iv_curves(model, jnp.zeros((2, 2)))
    with pytest.raises(ValueError, match="rest must"):
        iv_curves(model, V_GRID[:5], rest=jnp.zeros(4))
    with pytest.raises(ValueError, match="unknown curve 'ultraslow'"):
        iv_curves(model, V_GRID[:5])["ultraslow"]
    with pytest.raises(ValueError, match="n_grid"):
        equilibria(model, n_grid=1)
    with pytest.raises(ValueError, match="I_app"):
        equilibria(FHNRS(I_app=jnp.zeros(3), dtype=F64), I_app=jnp.zeros(2))
    with pytest.raises(ValueError, match="dims"):
        vector_field(model, V_GRID[:5], V_GRID[:5], dims=("V", "V"))
    with pytest.raises(ValueError, match="timescale classes"):
        FHNRS(tau=[[0.0, 50.0], [50.0, 0.0]], instantaneous=(False, False)).clamp_timescales


@pytest.mark.parametrize("cls", [WereRabbit, Boomerang])
def test_bistable_search_range_follows_the_fixpoints(cls):
    # α = I_n0/I_bias 10^3 and 10^5 times below the default move both fixpoints up by
    # ln(10^k)/β (0.44 and 0.74 V), beyond the fixed [−0.2, 0.6] V window that made
    # classify call Boomerang at α/1000 "spiking" (and found no fixpoint at α/10^5).
    for alpha in (1.29e-5, 1.29e-7):
        model = cls(alpha=alpha, dtype=F64)
        fixpoints = np.asarray(model.stable_fixpoints())[0]  # (2, 2): u > v, then u < v
        assert np.all(np.isfinite(fixpoints))
        f = np.asarray(model.dynamics(0.0, jnp.asarray(fixpoints)))
        np.testing.assert_allclose(f, 0.0, atol=1e-10)
        lo, hi = (float(b) for b in model.clamp_range())
        assert np.all((lo < fixpoints) & (fixpoints < hi))
        assert fixpoints.min() > 0.5  # really outside the old window's reach
        assert classify(model) == "bistable"
