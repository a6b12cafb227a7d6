"""`felice demo`: the three circuits at a glance, in hardware units."""

from pathlib import Path

import diffrax
import jax.numpy as jnp
import numpy as np

from felice.neuron_models import FHNRS, Boomerang, NeuronModel, WereRabbit
from felice.units import CIRCUIT_UNITS, format_si


def _solve(model: NeuronModel, y0: jnp.ndarray, t1: float, n_save: int = 1500):
    """Adaptive Tsit5 solve of `model` from `y0` over [0, t1] model time units."""
    ts = jnp.linspace(0.0, t1, n_save)
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(model.dynamics),
        diffrax.Tsit5(),
        0.0,
        t1,
        0.01,
        y0,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=1e-6, atol=1e-8),
        max_steps=100_000,
    )
    return np.asarray(sol.ts), np.asarray(sol.ys)


def _describe(name: str, model: NeuronModel) -> str:
    lines = [f"{name}"]
    for key, value in model.to_circuit().items():
        value = np.asarray(value)
        unit = CIRCUIT_UNITS.get(key, "")
        text = ", ".join(format_si(v, unit) for v in value.ravel())
        lines.append(f"  {key:<13} {text}")
    return "\n".join(lines)


def run_demo(out: str | Path = "felice_demo.png") -> Path:
    """Print each model's hardware parameters and rest points; plot a trajectory of each.

    Args:
        out: path of the PNG figure to write.

    Returns:
        The path of the written figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")

    fhn = FHNRS(I_app=0.5)
    print(_describe("FHNRS (spiking defaults, I_app = 0.5)", fhn))
    V_rest = float(fhn.equilibrium()[0, 0])
    print(f"  equilibrium   V* = {V_rest:.4g} (model units) = "
          f"{format_si(V_rest * float(fhn.voltage_unit), 'V')} (unstable: the neuron spikes)\n")
    ts, ys = _solve(fhn, fhn.init_state(1), 300.0)
    t_ms = ts * float(fhn.time_unit) * 1e3
    axes[0].plot(t_ms, ys[:, 0, 0] * float(fhn.voltage_unit) * 1e3)
    axes[0].axhline(float(fhn.V_th) * float(fhn.voltage_unit) * 1e3, ls="--", c="gray", label="threshold")
    axes[0].set(xlabel="time (ms)", ylabel="V (mV)", title="FHNRS: tonic spiking")
    axes[0].legend(loc="lower right")

    for ax, cls in zip(axes[1:], (WereRabbit, Boomerang)):
        model = cls()
        fixpoints = np.asarray(model.stable_fixpoints()[0])
        print(_describe(f"{cls.__name__} (defaults)", model))
        for label, (u, v) in zip(("u > v", "u < v"), fixpoints):
            print(f"  stable fixpoint ({label}): u = {format_si(u, 'V')}, v = {format_si(v, 'V')}")
        print()
        # Start at the u > v fixpoint, kick it across the separatrix, watch it settle.
        y0 = model.input_spike(model.init_state(1), -0.4)
        ts, ys = _solve(model, y0, 60.0)
        ax.plot(ys[:, 0, 0] * 1e3, ys[:, 0, 1] * 1e3, lw=1)
        ax.plot(*(fixpoints.T * 1e3), "o", c="k", label="stable fixpoints")
        ax.plot(y0[0, 0] * 1e3, y0[0, 1] * 1e3, "x", c="r", label="after input kick")
        lim = [min(ax.get_xlim()[0], ax.get_ylim()[0]), max(ax.get_xlim()[1], ax.get_ylim()[1])]
        ax.plot(lim, lim, ":", c="gray", label="separatrix u = v")
        ax.set(xlabel="u (mV)", ylabel="v (mV)",
               title=f"{cls.__name__}: {format_si(float(ts[-1] * model.time_unit), 's')} after a kick")
        ax.legend(loc="best", fontsize=8)

    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out
