"""`felice demo`: the three circuits at a glance, in hardware units."""

from pathlib import Path

import numpy as np

from felice.neuron_models import FHNRS, Boomerang, NeuronModel, WereRabbit
from felice.pipeline import Emitter, Pipeline, Readouts
from felice.units import CIRCUIT_UNITS, format_si

# One pipeline for the three circuits: the same readouts whatever neuron is inside.
_PIPELINE = Pipeline(["time", "voltage", "spike_counts", "rate", "energy_per_spike",
                      "peak_voltage"])


def _readout_table(rows: dict[str, Readouts]) -> str:
    """Rates, energy per spike and peak node voltages of each model, one line each."""
    lines = [f"{'model':<11} {'spikes':>6} {'rate':>10} {'energy/spike':>13}  peak voltages",
             "-" * 64]
    for name, r in rows.items():
        peaks = ", ".join(format_si(v, "V") for v in np.asarray(r["peak_voltage"].value[0]))
        lines.append(
            f"{name:<11} {int(r['spike_counts'].value[0]):>6} "
            f"{format_si(float(r['rate'].value[0]), 'Hz'):>10} "
            f"{format_si(float(r['energy_per_spike'].value[0]), 'J'):>13}  {peaks}"
        )
    return "\n".join(lines)


def _describe(name: str, model: NeuronModel) -> str:
    lines = [f"{name}"]
    for key, value in model.to_circuit().items():
        value = np.asarray(value)
        unit = CIRCUIT_UNITS.get(key, "")
        text = ", ".join(format_si(v, unit) for v in value.ravel())
        lines.append(f"  {key:<13} {text}")
    return "\n".join(lines)


def run_demo(out: str | Path = "felice_demo.png") -> Path:
    """Print each model's hardware parameters and rest points, run the three through one
    readout pipeline (supply V_dd = 1.8 V), print a readout table and plot a trajectory of each.

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
    readouts = {"FHNRS": _PIPELINE(Emitter(fhn, t1=300.0, n_save=1500))}
    r = readouts["FHNRS"]
    axes[0].plot(np.asarray(r["time"].value) * 1e3, np.asarray(r["voltage"].value[:, 0, 0]) * 1e3)
    V_th_mV = float(fhn.V_th) * float(fhn.voltage_unit) * 1e3
    axes[0].axhline(V_th_mV, ls="--", c="gray", label="threshold")
    axes[0].set(xlabel="time (ms)", ylabel="V (mV)", title="FHNRS: tonic spiking")
    axes[0].legend(loc="lower right")

    for ax, cls in zip(axes[1:], (WereRabbit, Boomerang), strict=True):
        model = cls()
        fixpoints = np.asarray(model.stable_fixpoints()[0])
        print(_describe(f"{cls.__name__} (defaults)", model))
        for label, (u, v) in zip(("u > v", "u < v"), fixpoints, strict=True):
            print(f"  stable fixpoint ({label}): u = {format_si(u, 'V')}, v = {format_si(v, 'V')}")
        print()
        # Start at the u > v fixpoint, kick it across the separatrix, watch it settle.
        y0 = model.input_spike(model.init_state(1), -0.4)
        r = readouts[cls.__name__] = _PIPELINE(Emitter(model, t1=60.0, y0=y0, n_save=1500))
        uv = np.asarray(r["voltage"].value[:, 0])
        ax.plot(uv[:, 0] * 1e3, uv[:, 1] * 1e3, lw=1)
        ax.plot(*(fixpoints.T * 1e3), "o", c="k", label="stable fixpoints")
        ax.plot(y0[0, 0] * 1e3, y0[0, 1] * 1e3, "x", c="r", label="after input kick")
        lim = [min(ax.get_xlim()[0], ax.get_ylim()[0]), max(ax.get_xlim()[1], ax.get_ylim()[1])]
        ax.plot(lim, lim, ":", c="gray", label="separatrix u = v")
        duration = format_si(float(r["time"].value[-1]), "s")
        ax.set(xlabel="u (mV)", ylabel="v (mV)", title=f"{cls.__name__}: {duration} after a kick")
        ax.legend(loc="best", fontsize=8)

    print("Readouts (one pipeline for all three; supply power = 1.8 V × bias currents):")
    print(_readout_table(readouts) + "\n")
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out
