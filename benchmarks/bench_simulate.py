"""Benchmark: spike counts of 1000 FHNRS neurons, felice vs scipy (and Brian2 if installed).

Problem: FHNRS spiking defaults, 1000 neurons with I_app = linspace(−0.2, 1.0), from
V = 0, T = 1000 model time units; only spike counts are needed.

Compared in one run:
- felice.simulate (Tsit5, rtol 1e-6, atol 1e-8, float64): first call (compilation
  included) and warm (best of 3);
- scipy solve_ivp RK45 on the vectorised system (rtol 1e-6, atol 1e-8) with one
  event function per neuron (what a scipy user writes to get spike times);
- scipy solve_ivp RK45 without events, spikes counted from the dense output sampled
  every 0.02 time units (cheaper, but no accurate spike times);
- Brian2, when importable (not a felice dependency);
and a tight reference: DOP853 at rtol 1e-10 with the dense output sampled every 0.01.

Writes benchmarks/results/simulate.json.

    python benchmarks/bench_simulate.py
"""

import json
import platform
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import felice  # noqa: E402

N = 1000
T = 1000.0
I_APP = np.linspace(-0.2, 1.0, N)
V_TH = 2.0


def rhs(t, y):
    V, Vs = y[:N], y[N:]
    return np.concatenate([I_APP - V + 2 * np.tanh(V) - 2 * np.tanh(Vs), (V - Vs) / 50.0])


def counts_from_dense(sol, dt):
    ts = np.arange(0.0, T + dt, dt)
    V = sol.sol(np.minimum(ts, T))[:N]
    return np.sum((V[:, :-1] < V_TH) & (V[:, 1:] >= V_TH), axis=1)


def run_felice():
    model = felice.FHNRS(I_app=I_APP, dtype=jnp.float64)

    def once():
        r = felice.simulate(model, t1=T, rtol=1e-6, atol=1e-8, max_spikes=64)
        return np.asarray(r.spike_counts.block_until_ready()), int(r.n_steps)

    t0 = time.perf_counter()
    counts, steps = once()
    first = time.perf_counter() - t0
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        once()
        warm.append(time.perf_counter() - t0)
    return counts, first, min(warm), steps


def run_scipy_events():
    events = []
    for i in range(N):
        def ev(t, y, i=i):
            return y[i] - V_TH
        ev.direction = 1
        events.append(ev)
    t0 = time.perf_counter()
    sol = solve_ivp(rhs, (0, T), np.zeros(2 * N), method="RK45", rtol=1e-6, atol=1e-8, events=events)
    wall = time.perf_counter() - t0
    return np.array([len(e) for e in sol.t_events]), wall, int(sol.t.size)


def run_scipy_dense():
    t0 = time.perf_counter()
    sol = solve_ivp(rhs, (0, T), np.zeros(2 * N), method="RK45", rtol=1e-6, atol=1e-8,
                    dense_output=True)
    counts = counts_from_dense(sol, 0.02)
    return counts, time.perf_counter() - t0


def run_reference():
    sol = solve_ivp(rhs, (0, T), np.zeros(2 * N), method="DOP853", rtol=1e-10, atol=1e-12,
                    dense_output=True)
    return counts_from_dense(sol, 0.01)


def run_brian2():
    try:
        import brian2 as b2  # noqa: F401
    except ImportError:
        return None
    eqs = """
    dV/dt = (I - V + 2*tanh(V) - 2*tanh(Vs)) / ms : 1
    dVs/dt = (V - Vs) / (50*ms) : 1
    I : 1
    """
    b2.prefs.codegen.target = "numpy"
    group = b2.NeuronGroup(N, eqs, threshold="V > 2", refractory="V > 2", method="rk4")
    group.I = I_APP
    mon = b2.SpikeMonitor(group)
    b2.defaultclock.dt = 0.01 * b2.ms
    t0 = time.perf_counter()
    b2.run(T * b2.ms)
    wall = time.perf_counter() - t0
    return np.asarray(mon.count[:]), wall


def agreement(counts, ref):
    return {"identical_counts": int(np.sum(counts == ref)), "of": N,
            "max_abs_count_difference": int(np.max(np.abs(counts - ref)))}


def main():
    ref = run_reference()
    f_counts, f_first, f_warm, f_steps = run_felice()
    s_counts, s_wall, s_steps = run_scipy_events()
    d_counts, d_wall = run_scipy_dense()
    brian = run_brian2()
    results = {
        "problem": {"model": "FHNRS spiking defaults", "n_neurons": N, "t1_model_units": T,
                    "I_app": "linspace(-0.2, 1.0)", "total_reference_spikes": int(ref.sum())},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "jax_devices": [str(d) for d in jax.devices()]},
        "versions": {"felice": felice.__version__, "jax": jax.__version__,
                     "scipy": __import__("scipy").__version__},
        "felice": {"first_call_s": f_first, "warm_s": f_warm, "steps": f_steps,
                   **agreement(f_counts, ref)},
        "scipy_rk45_events": {"wall_s": s_wall, "steps": s_steps, **agreement(s_counts, ref)},
        "scipy_rk45_dense_sampling": {"wall_s": d_wall, **agreement(d_counts, ref)},
        "brian2": None if brian is None else {"wall_s": brian[1], **agreement(brian[0], ref)},
        "ratios": {
            "scipy_events_over_felice_warm": s_wall / f_warm,
            "scipy_events_over_felice_first_call": s_wall / f_first,
            "scipy_dense_over_felice_warm": d_wall / f_warm,
            "scipy_dense_over_felice_first_call": d_wall / f_first,
        },
    }
    if brian is None:
        results["brian2_note"] = "brian2 not importable in this environment"
    out = Path(__file__).parent / "results" / "simulate.json"
    out.write_text(json.dumps(results, indent=2, allow_nan=False))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
