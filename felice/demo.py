"""`felice demo`: the registered circuits at a glance, in hardware units.

Prints each circuit's hardware parameters and rest points and a readout table, and
draws a one-page summary: per circuit of `felice.MODELS` (one row each, in registry
order) its I–V curves in volts and amperes, a trajectory with its detected spikes
marked, and its pipeline readouts. What a row shows follows the circuit's own
knowledge: its `"demo"` preset (else `"default"`) and its `spike_kind`.
"""

from pathlib import Path
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from felice._io import atomic_savefig
from felice.analysis import Equilibria, IVCurves, equilibria, iv_curves
from felice.inputs import SpikeTrain
from felice.neuron_models import MODELS, AbstractCircuit, AbstractVoltageClamp
from felice.pipeline import V_DD_DEFAULT, Emitter, Pipeline, Readouts
from felice.units import format_si

# One pipeline for every circuit: the same readouts whatever neuron is inside.
_PIPELINE = Pipeline(["time", "voltage", "spike_times", "spike_counts", "rate", "energy",
                      "energy_per_spike", "peak_voltage", "supply_current", "power"])

# Input kicks of the bistable circuits (model time units: 1 ms at the defaults): each moves
# the neuron across the separatrix u = v; it spikes once when it arrives at the other
# fixpoint (about 40 ms later) and then rests without spiking again.
_KICK_TIMES = (10.0, 70.0, 130.0)
_KICK_WEIGHTS = (-0.4, 0.4, -0.4)
_T1 = {"fixpoint": 200.0, "threshold": 300.0}  # model time units, by spike kind
_N_SAVE = 1500
_N_V = 201  # clamp voltages per I–V curve
# The demo's programs run for milliseconds and are compiled once: skip most of XLA's
# optimisation passes, which would take longer than the runs they speed up.
_FAST_COMPILE = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}


class DemoResult(NamedTuple):
    """What `run_demo` produced.

    Attributes:
        path: absolute path of the written figure.
        figure: the matplotlib Figure (closed: not shown, but its axes can be inspected);
            one row per registered circuit (FHNRS, WereRabbit, Boomerang, ...) × 3 axes
            (I–V curves, trajectory, readouts).
        readouts: the pipeline `Readouts` of each circuit, by class name.
    """

    path: Path
    figure: Any
    readouts: dict[str, Readouts]


def _analyse(
    model: AbstractCircuit, v: Float[Array, " n_v"] | None, inputs: tuple, t1: float
) -> tuple[Equilibria | None, IVCurves | None, Readouts]:
    """Equilibria, I–V curves over `v` (model units) and pipeline readouts of one circuit.

    A circuit with fixpoint spikes starts at (and its I–V curves hold v at) its stable
    fixpoint with u > v; one with threshold spikes starts at `init_state`. Without a
    voltage clamp (`v` None) there are no equilibria or curves. `inputs` and `t1` (model
    time units) go to the `Emitter`.
    """
    eq = curves = y0 = None
    if v is not None:
        eq = equilibria(model)
        rest = None
        if model.spike_kind == "fixpoint":
            states = eq.states
            ok = eq.stable & (states[:, 0] > states[:, 1] + 1e-3)
            y0 = states[jnp.argmax(ok)][None]
            rest = y0[0]
        curves = iv_curves(model, v, rest=rest)
    readouts = _PIPELINE(Emitter(model, t1=t1, y0=y0, inputs=inputs, n_save=_N_SAVE))
    return eq, curves, readouts


def _compile_fast(fn, *args):
    """`fn(*args)` as one program compiled with `_FAST_COMPILE` (arrays traced, the rest static)."""
    dynamic, static = eqx.partition(args, eqx.is_array)
    out_static = {}

    def arrays_only(dynamic):
        out, out_static["tree"] = eqx.partition(fn(*eqx.combine(dynamic, static)), eqx.is_array)
        return out

    out = jax.jit(arrays_only, compiler_options=_FAST_COMPILE)(dynamic)
    return eqx.combine(out, out_static["tree"])


def _readout_table(rows: dict[str, Readouts]) -> str:
    """Spikes, rate, energy per spike, supply power and peak node voltages, one line per model."""
    lines = [f"{'model':<11} {'spikes':>6} {'rate':>10} {'energy/spike':>13} {'power':>10}"
             "  peak voltages", "-" * 76]
    for name, r in rows.items():
        peaks = ", ".join(format_si(v, "V") for v in np.asarray(r["peak_voltage"].value[0]))
        lines.append(
            f"{name:<11} {int(r['spike_counts'].value[0]):>6} "
            f"{format_si(float(r['rate'].value[0]), 'Hz'):>10} "
            f"{format_si(float(r['energy_per_spike'].value[0]), 'J'):>13} "
            f"{format_si(float(np.mean(r['power'].value[:, 0])), 'W'):>10}  {peaks}"
        )
    return "\n".join(lines)


def _describe(name: str, model: AbstractCircuit) -> str:
    """The model's hardware view (`to_circuit`), one SI-formatted parameter per line
    (units: the class's `circuit_units`)."""
    lines = [f"{name}"]
    units = type(model).circuit_units
    for key, value in model.to_circuit().items():
        value = np.asarray(value)
        unit = units.get(key, "")
        text = ", ".join(format_si(v, unit) for v in value.ravel())
        lines.append(f"  {key:<13} {text}")
    return "\n".join(lines)


def _stable_pair(eq: Equilibria) -> np.ndarray:
    """The two stable fixpoints (u > v first, then u < v) of a bistable circuit, `(2, 2)` in V.

    Raises:
        ValueError: if the circuit does not have one stable fixpoint on each side of u = v.
    """
    states = np.asarray(eq.states)
    stable = np.asarray(eq.stable) & (np.abs(states[:, 0] - states[:, 1]) > 1e-3)
    pair = []
    for side in (states[:, 0] > states[:, 1], states[:, 0] < states[:, 1]):
        found = np.flatnonzero(stable & side)
        if found.size == 0:
            raise ValueError(f"no stable fixpoint on each side of u = v: {eq.labels}")
        pair.append(states[found[0]])
    return np.stack(pair)


def _readout_card(ax, name: str, r: Readouts) -> None:
    """The readouts of one model as text on an empty Axes."""
    duration = float(r["time"].value[-1] - r["time"].value[0])
    rows = [
        ("spikes", f"{int(r['spike_counts'].value[0])} in {format_si(duration, 's')}"),
        ("rate", format_si(float(r["rate"].value[0]), "Hz")),
        ("supply current", format_si(float(np.mean(r["supply_current"].value[:, 0])), "A")),
        ("supply power", format_si(float(np.mean(r["power"].value[:, 0])), "W")),
        ("energy", format_si(float(r["energy"].value[0]), "J")),
        ("energy / spike", format_si(float(r["energy_per_spike"].value[0]), "J")),
        ("peak voltage", ", ".join(format_si(v, "V")
                                   for v in np.asarray(r["peak_voltage"].value[0]))),
    ]
    text = "\n".join(f"{k:<15} {v}" for k, v in rows)
    ax.set_axis_off()
    ax.set_title(f"{name} readouts (V_dd = {format_si(V_DD_DEFAULT, 'V')})")
    ax.text(0.02, 0.95, text, family="monospace", fontsize=9.5, va="top", transform=ax.transAxes)


def _spike_times(r: Readouts) -> np.ndarray:
    """Spike times of neuron 0 in s (padding dropped)."""
    st = np.asarray(r["spike_times"].value[0])
    return st[np.isfinite(st)]


def _preset(cls: type[AbstractCircuit]) -> tuple[str, str]:
    """The preset the demo shows (`"demo"` where the circuit has one) and its label."""
    name = "demo" if "demo" in cls.presets else "default"
    settings = ", ".join(f"{k} = {v}" for k, v in cls.presets[name].items())
    return name, f"{cls.__name__} ({name} preset{': ' + settings if settings else ''})"


def _row(cls: type[AbstractCircuit], axes) -> Readouts:
    """Print one circuit and draw its row (I–V curves, trajectory, readouts); its readouts.

    Threshold spikes: the preset runs unperturbed for 300 model time units. Fixpoint
    spikes: three input kicks across the separatrix u = v in 200 model time units.
    """
    from felice.plotting import plot_iv, si_ticks

    name = cls.__name__
    preset, label = _preset(cls)
    model = cls.preset(preset)
    fixpoint = model.spike_kind == "fixpoint"
    clamp = isinstance(model, AbstractVoltageClamp)
    v = jnp.linspace(*model.clamp_range(), _N_V) if clamp else None
    inputs = (SpikeTrain(_KICK_TIMES, 0, _KICK_WEIGHTS),) if fixpoint else ()
    eq, curves, r = _compile_fast(_analyse, model, v, inputs, _T1[model.spike_kind])
    spikes = _spike_times(r)
    unit = float(model.time_unit)
    print(_describe(label, model))
    if fixpoint:
        for side, (u, w) in zip(("u > v", "u < v"), _stable_pair(eq), strict=True):
            print(f"  stable fixpoint ({side}): u = {format_si(u, 'V')}, v = {format_si(w, 'V')}")
        print(f"  input kicks at {', '.join(format_si(t * unit, 's') for t in _KICK_TIMES)}: "
              f"{spikes.size} fixpoint spikes at {', '.join(format_si(t, 's') for t in spikes)}\n")
    elif clamp and int(eq.count) == 0:
        print(f"  no equilibrium: the drive exceeds every resting current, so the neuron spikes "
              f"({spikes.size} spikes)\n")
    elif clamp:
        V_star = float(model.clamp_split(eq.states[0])[0])
        print(f"  equilibrium   {model.state_names[0]}* = {V_star:.4g} (model units) = "
              f"{format_si(V_star * float(model.voltage_unit), 'V')} ({eq.labels[0]}: the neuron "
              f"{'spikes' if not bool(eq.stable[0]) else 'rests'})\n")
    else:
        print()
    if clamp:
        plot_iv(curves, si=True, equilibria=eq, ax=axes[0])
    else:
        axes[0].set_axis_off()
        axes[0].set_title(f"{name}: no voltage clamp (no I–V curves)")
    ax = axes[1]
    ts, V = np.asarray(r["time"].value), np.asarray(r["voltage"].value[:, 0])
    for k in range(V.shape[1]):
        ax.plot(ts, V[:, k], lw=1.2, label=model.state_names[k])
    at_spikes = np.interp(spikes, ts, V[:, 0])
    if fixpoint:
        for k, t in enumerate(_KICK_TIMES):
            ax.axvline(t * unit, ls=":", c="gray", label="input kick" if k == 0 else None)
        ax.plot(spikes, at_spikes, "v", c="C3", ms=9, label="fixpoint spikes (arrival)")
        ax.set(title=f"{name}: {len(_KICK_TIMES)} kicks across u = v, {spikes.size} spikes",
               ylabel="node voltage")
    else:
        if spikes.size:  # a threshold crossing: the voltage at the spikes is the threshold
            ax.axhline(float(np.mean(at_spikes)), ls="--", c="gray", label="threshold")
        ax.plot(spikes, at_spikes, "v", c="C3", ms=8, label="detected spikes")
        ax.set(title=f"{name}: {spikes.size} threshold spikes", ylabel="membrane V")
    si_ticks(ax, "s", "V")
    ax.set_xlabel("time")
    ax.legend(loc="lower right", fontsize=8, ncols=2 if fixpoint else 1)
    _readout_card(axes[2], name, r)
    return r


def run_demo(out: str | Path = "felice_demo.png") -> DemoResult:
    """Print every registered circuit in hardware units, run them through one readout
    pipeline (supply V_dd = 1.8 V), print a readout table and write a one-page summary figure.

    Each circuit runs its `"demo"` preset (else `"default"`). A circuit with threshold
    spikes runs unperturbed: FHNRS spikes tonically at I_app = 0.5. One with fixpoint
    spikes (WereRabbit, Boomerang) starts at its u > v fixpoint and receives three input
    kicks (at 10, 70 and 130 model time units, i.e. ms) that move it across the
    separatrix u = v; each arrival at the other fixpoint is one spike, and a resting
    neuron does not spike again. The figure has one row per circuit: I–V curves (V, A;
    equilibria marked), the trajectory in V against time in s with the spikes marked,
    and the readouts.

    Args:
        out: path of the figure (PNG; the format follows the suffix); its folder must exist.

    Returns:
        A `DemoResult`: the absolute path, the (closed) Figure with 3 axes per circuit,
        the readouts.

    Raises:
        ValueError: if the folder of `out` does not exist.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out).expanduser().resolve()
    if not out.parent.is_dir():
        raise ValueError(f"cannot write the figure: folder {out.parent} does not exist")
    classes = list(MODELS.values())
    fig, axes = plt.subplots(len(classes), 3, figsize=(16, 12.5 / 3 * len(classes)),
                             layout="constrained", squeeze=False,
                             gridspec_kw=dict(width_ratios=(1.15, 1.5, 0.85)))
    readouts = {cls.__name__: _row(cls, row) for cls, row in zip(classes, axes, strict=True)}
    print(f"Readouts (one pipeline for all {len(classes)}; supply power = "
          f"{format_si(V_DD_DEFAULT, 'V')} × bias currents):")
    print(_readout_table(readouts) + "\n")
    fig.suptitle(f"felice: {len(classes)} analog neuron circuits in SI units — I–V curves, "
                 "spikes, readouts")
    atomic_savefig(fig, out, dpi=100)
    plt.close(fig)
    print(f"wrote {out}")
    return DemoResult(path=out, figure=fig, readouts=readouts)
