"""f–I sweep of FHNRS (spike counts over T = 1000 model units): felice.sweep against a
Python loop of scipy `solve_ivp` per point and against `jax.vmap` of a per-point adaptive
`diffrax.diffeqsolve`. Writes benchmarks/results/sweep.json.

The two baselines run on a random subset of the points (`--n-scipy`, `--n-vmap`) and are
extrapolated linearly to the full sweep (both cost the same per point whatever the count:
scipy solves points one after the other; vmap lanes share the step sequence of the
slowest lane, so their time per point does not fall with more lanes). Every baseline count
is compared with felice's count at the same point.

Usage: python benchmarks/bench_sweep.py [--n 10000] [--n-scipy 100] [--n-vmap 500]
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

jax.config.update("jax_enable_x64", True)

import felice  # noqa: E402

T1 = 1000.0
RTOL, ATOL = 1e-6, 1e-8
I_RANGE = (-1.2, 1.2)
REPEATS = 2  # felice and vmap: best of two (a shared machine); scipy: one pass


def felice_counts(currents, chunk_size, dtmax):
    model = felice.FHNRS(dtype=jnp.float64)
    metric = dict(count=felice.sweep.SpikeCount(0.0))
    kw = dict(t1=T1, rtol=RTOL, atol=ATOL, max_spikes=64, chunk_size=chunk_size, dtmax=dtmax)
    felice.sweep.sweep(model, {"I_app": currents[:chunk_size]}, metric, **kw)  # compile
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        table = felice.sweep.sweep(model, {"I_app": currents}, metric, **kw)
        times.append(time.perf_counter() - start)
    return table["count"], min(times)


def scipy_counts(currents):
    """Same equations written out in numpy: the default FHNRS (V, V_slow; I_syn stays 0)."""

    def rhs(t, y, I):
        V, Vs = y
        return [I - V + 2 * np.tanh(V) - 2 * np.tanh(Vs), (V - Vs) / 50.0]

    def spike(t, y, I):
        return y[0] - 2.0

    spike.direction = 1.0
    counts = []
    start = time.perf_counter()
    for I in currents:
        sol = solve_ivp(rhs, (0.0, T1), [0.0, 0.0], args=(I,), rtol=RTOL, atol=ATOL,
                        events=spike)
        counts.append(len(sol.t_events[0]))
    return np.array(counts), time.perf_counter() - start


@eqx.filter_jit
def _vmap_solve(currents):
    grid = jnp.linspace(0.0, T1, 8001)  # 0.125 time units: far finer than a spike (~5)

    def one(I):
        model = felice.FHNRS(I_app=I, instantaneous=(True, False), dtype=jnp.float64)
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(lambda t, y, _: model.dynamics(t, y[None], None)[0]),
            diffrax.Tsit5(), 0.0, T1, None, jnp.zeros(3),
            saveat=diffrax.SaveAt(ts=grid),
            stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
            max_steps=100_000,
        )
        V = sol.ys[:, 0]
        return jnp.sum((V[:-1] < 2.0) & (V[1:] >= 2.0))

    return jax.vmap(one)(currents)


def vmap_counts(currents):
    jax.block_until_ready(_vmap_solve(currents))  # compile (same shape)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        counts = jax.block_until_ready(_vmap_solve(currents))
        times.append(time.perf_counter() - start)
    return np.asarray(counts), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--n-scipy", type=int, default=100)
    parser.add_argument("--n-vmap", type=int, default=500)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sweep.json"))
    args = parser.parse_args()

    currents = np.linspace(*I_RANGE, args.n)
    chunk = args.chunk_size or felice.sweep.auto_chunk_size(
        args.n, felice.FHNRS(), {}, jax.devices())
    # dtmax=None: the same step-size control as the baselines (no step bound); the
    # default "auto" bound keeps gradients finite and is timed too.
    f_counts, f_time = felice_counts(currents, chunk, None)
    a_counts, a_time = felice_counts(currents, chunk, "auto")
    rng = np.random.default_rng(0)
    idx_s = np.sort(rng.choice(args.n, min(args.n_scipy, args.n), replace=False))
    idx_v = np.sort(rng.choice(args.n, min(args.n_vmap, args.n), replace=False))
    s_counts, s_time = scipy_counts(currents[idx_s])
    v_counts, v_time = vmap_counts(jnp.asarray(currents[idx_v]))
    s_full = s_time * args.n / idx_s.size
    v_full = v_time * args.n / idx_v.size

    result = dict(
        problem=f"FHNRS f-I sweep, I_app in {I_RANGE}, T = {T1} model units, spike counts, "
                f"tsit5/RK45 rtol={RTOL} atol={ATOL}, float64",
        n_points=args.n, chunk_size=chunk,
        felice_s=f_time, felice_dtmax_auto_s=a_time,
        counts_equal_dtmax_auto=bool(np.array_equal(a_counts, f_counts)),
        scipy_points=int(idx_s.size), scipy_s=s_time, scipy_extrapolated_s=s_full,
        vmap_points=int(idx_v.size), vmap_s=v_time, vmap_extrapolated_s=v_full,
        speedup_vs_scipy=s_full / f_time, speedup_vs_vmap=v_full / f_time,
        counts_equal_scipy=float(np.mean(s_counts == f_counts[idx_s])),
        counts_max_diff_scipy=int(np.max(np.abs(s_counts - f_counts[idx_s]))),
        counts_equal_vmap=float(np.mean(v_counts == f_counts[idx_v])),
        counts_max_diff_vmap=int(np.max(np.abs(v_counts - f_counts[idx_v]))),
        spiking_fraction=float(np.mean(f_counts > 0)),
        device=str(jax.devices()[0].device_kind), n_devices=len(jax.devices()),
        load_average_1min=os.getloadavg()[0],
        cpu_count=os.cpu_count(), machine=platform.machine(), jax=jax.__version__,
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
