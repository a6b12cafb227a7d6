"""A custom circuit through every layer of felice, defined in this one file.

A Morris–Lecar-type neuron of two differential pairs in weak inversion:

    C·dV/dt   = I_app + I_ext − g_L·(V − E_L) + a_Na·σ(V − V_m) − a_K·w
    τ_w·dw/dt = σ(V − V_w) − w                       σ(x) = 1/(1 + e^{−x})

in model units: voltages in U_t/κ (one e-fold of a subthreshold current), currents
in I_unit, capacitances in C_unit, time in C_unit·(U_t/κ)/I_unit. The inward
"sodium" current is a differential pair with bias a_Na·I_unit, whose output current
a_Na·I_unit·σ(κ(V − V_m)/U_t) is the weak-inversion law; the "potassium" recovery
w ∈ (0, 1) is the output of a second pair (threshold V_w), low-pass filtered with
time constant τ_w, which switches on a current sink a_K·I_unit. The leak is an OTA
of transconductance g_L·I_unit/(U_t/κ) = κ·I_leak/(2U_t) towards E_L.

Usage: python docs/scripts/custom_circuit.py OUT_DIR   (writes custom_circuit.png/.json)
"""

import json
import sys
from pathlib import Path
from typing import Any, ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import felice
import felice.training
from felice.neuron_models import AbstractCircuit, AbstractVoltageClamp

jax.config.update("jax_enable_x64", True)


def _sigma(x):
    return jax.nn.sigmoid(x)


class MorrisLecar(AbstractCircuit, AbstractVoltageClamp):
    """Two-pair Morris–Lecar-type neuron (equations in the module docstring).

    State `(V, w)`, shape `(n_neurons, 2)`. Parameters in model units, each a scalar or
    one value per neuron; `kappa`, `U_t`, `I_unit`, `C_unit` fix the units (scalars).
    An input spike of weight q moves V by q·`kick` (model voltage units).
    """

    C: jax.Array
    g_L: jax.Array
    E_L: jax.Array
    a_Na: jax.Array
    V_m: jax.Array
    a_K: jax.Array
    V_w: jax.Array
    tau_w: jax.Array
    I_app: jax.Array
    V_th: jax.Array
    kick: jax.Array
    kappa: jax.Array
    U_t: jax.Array
    I_unit: jax.Array
    C_unit: jax.Array

    name: ClassVar[str] = "morris_lecar"
    core_ndim: ClassVar[dict[str, int]] = {}
    unit_fields: ClassVar[tuple[str, ...]] = ("kappa", "U_t", "I_unit", "C_unit")
    circuit_units: ClassVar[dict[str, str]] = dict(
        C="F", I_leak="A", E_L="V", I_Na="A", V_m="V", I_K="A", V_w="V", tau_w="s", I_app="A",
        V_th="V", kick="V", kappa="", U_t="V", time_unit="s", voltage_unit="V", current_unit="A",
    )
    # Tonic spiking for I_app ≳ 3.5 (the equilibrium loses stability); excitable below.
    presets: ClassVar[dict[str, dict[str, Any]]] = {"default": {}, "excitable": dict(I_app=2.0)}
    network_defaults: ClassVar[dict[str, Any]] = dict(I_app=2.0)
    trainable_bias: ClassVar[dict[str, tuple[float, float]]] = {"I_app": (1.0, 3.0)}
    training_preset: ClassVar[dict[str, Any]] = dict(
        dt=0.1, t_max=30.0, t_late=10.0, readout_gain=1.0, condition_scale=1.0,
        weight_std=(3.0, 3.0), weight_mean=(2.0, 1.0), w_max=10.0, tau_syn=2.0,
    )
    spike_kind: ClassVar[Literal["threshold", "fixpoint"]] = "threshold"  # V crosses V_th
    network_synapse: ClassVar[dict[str, Any] | None] = dict(kind="exponential")
    phase_window: ClassVar[tuple[tuple[float, float], tuple[float, float]] | None] = None

    def __init__(self, *, C=1.0, g_L=1.0, E_L=0.0, a_Na=8.0, V_m=4.0, a_K=8.0, V_w=3.0,
                 tau_w=20.0, I_app=4.5, V_th=5.0, kick=3.0, kappa=0.7, U_t=0.025,
                 I_unit=1e-9, C_unit=1e-12, dtype=jnp.float32):
        """Model-unit parameters (the defaults spike tonically); see the class docstring."""
        for k, v in dict(C=C, g_L=g_L, E_L=E_L, a_Na=a_Na, V_m=V_m, a_K=a_K, V_w=V_w,
                         tau_w=tau_w, I_app=I_app, V_th=V_th, kick=kick, kappa=kappa, U_t=U_t,
                         I_unit=I_unit, C_unit=C_unit).items():
            setattr(self, k, jnp.asarray(v, dtype))
        self.population_size()  # checks the per-neuron shapes

    @classmethod
    def from_circuit(cls, *, C=1e-12, I_leak=2e-9, E_L=0.0, I_Na=8e-9, V_m=4 * 0.025 / 0.7,
                     I_K=8e-9, V_w=3 * 0.025 / 0.7, tau_w=20 * 1e-12 * (0.025 / 0.7) / 1e-9,
                     I_app=4.5e-9, V_th=5 * 0.025 / 0.7, kick=3 * 0.025 / 0.7, kappa=0.7,
                     U_t=0.025, dtype=jnp.float32):
        """From SI values: C in F; bias currents I_leak, I_Na, I_K and I_app in A; E_L,
        V_m, V_w, V_th and the input kick in V; τ_w in s; κ; U_t in V. The units are
        I_unit = 1 nA, C_unit = 1 pF and U_t/κ."""
        V_unit = U_t / kappa
        t_unit = 1e-12 * V_unit / 1e-9
        return cls(C=C / 1e-12, g_L=I_leak / 2e-9, E_L=E_L / V_unit, a_Na=I_Na / 1e-9,
                   V_m=V_m / V_unit, a_K=I_K / 1e-9, V_w=V_w / V_unit, tau_w=tau_w / t_unit,
                   I_app=I_app / 1e-9, V_th=V_th / V_unit, kick=kick / V_unit, kappa=kappa,
                   U_t=U_t, I_unit=1e-9, C_unit=1e-12, dtype=dtype)

    def to_circuit(self):
        """The arguments of `from_circuit` in SI units, and the three units."""
        V, I = self.voltage_unit, self.I_unit
        return dict(C=self.C * self.C_unit, I_leak=2 * self.g_L * I, E_L=self.E_L * V,
                    I_Na=self.a_Na * I, V_m=self.V_m * V, I_K=self.a_K * I, V_w=self.V_w * V,
                    tau_w=self.tau_w * self.time_unit, I_app=self.I_app * I, V_th=self.V_th * V,
                    kick=self.kick * V, kappa=self.kappa, U_t=self.U_t, time_unit=self.time_unit,
                    voltage_unit=V, current_unit=I)

    # -- units and structure ------------------------------------------------------
    state_names = property(lambda self: ("V", "w"), doc="`(V, w)`.")
    input_shape = property(lambda self: (), doc="One input current per neuron, into V.")
    voltage_unit = property(lambda self: self.U_t / self.kappa, doc="U_t/κ in V.")
    current_unit = property(lambda self: self.I_unit, doc="I_unit in A.")
    time_unit = property(lambda self: self.C_unit * self.voltage_unit / self.I_unit,
                         doc="C_unit·(U_t/κ)/I_unit in s.")
    state_scale = property(lambda self: jnp.stack([self.voltage_unit, jnp.ones_like(self.U_t)]),
                           doc="V in volts, w dimensionless.")

    # -- dynamics -----------------------------------------------------------------
    def init_state(self, n_neurons):
        """Power-up: V = E_L, w = 0."""
        n = self.check_n_neurons(n_neurons)
        E_L = jnp.broadcast_to(self.E_L, (n,))
        return jnp.stack([E_L, jnp.zeros_like(E_L)], axis=1)

    def currents(self, y, args=None):
        """Branch currents into the membrane (model units): app, leak, na, k."""
        n = self.check_state(y)
        V, w = y[:, 0], y[:, 1]
        I_ext = felice.neuron_models.external_current(args, (n,), y.dtype)
        out = dict(app=self.I_app + I_ext, leak=-self.g_L * (V - self.E_L),
                   na=self.a_Na * _sigma(V - self.V_m), k=-self.a_K * w)
        return {k: jnp.broadcast_to(v, (n,)) for k, v in out.items()}

    def capacitive_currents(self, y, args=None):
        """C·dV/dt: every branch charges V."""
        return {"V": self.C * self.dynamics(0.0, y, args)[:, 0]}

    def branch_node(self, branch):
        """Every branch flows into the membrane V."""
        return "V"

    def dynamics(self, t, y, args=None):
        """(dV/dt, dw/dt) in model units."""
        dV = sum(self.currents(y, args).values()) / self.C
        dw = (_sigma(y[:, 0] - self.V_w) - y[:, 1]) / self.tau_w
        return jnp.stack(jnp.broadcast_arrays(dV, dw), axis=1)

    def spike_condition(self, t, y, args=None):
        """V − V_th."""
        return jnp.broadcast_to(y[:, 0] - self.V_th, y.shape[:1])

    rearm_condition = spike_condition

    def input_spike(self, y, weights):
        """V += weight·kick."""
        return y.at[:, 0].add(jnp.broadcast_to(jnp.asarray(weights, y.dtype) * self.kick, y.shape[:1]))

    def input_current(self, I):
        """A synaptic current flows into V like I_app."""
        return jnp.asarray(I, self.dtype)

    observe = lambda self, y: y[:, :1]  # noqa: E731
    membrane = lambda self, y: y[:, 0]  # noqa: E731

    def supply_currents(self, y):
        """The bias currents in A: the leak OTA, the two pairs' tails."""
        n = self.check_state(y)
        I = self.I_unit
        return {k: jnp.broadcast_to(v, (n,)) for k, v in
                dict(leak=2 * self.g_L * I, na=self.a_Na * I, k=self.a_K * I).items()}

    def mismatch(self, key, n_neurons, *, sigma_bias=0.1, sigma_kappa=0.02):
        """Log-normal biases (g_L, a_Na, a_K, I_app); κ_i = r·κ, applied in W = r·V as
        C/r and r times every voltage parameter."""
        m = self.per_neuron(n_neurons)
        kb, kk = jax.random.split(key)
        b = jnp.exp(sigma_bias * jax.random.normal(kb, (n_neurons, 4), m.dtype))
        r = 1.0 + sigma_kappa * jax.random.normal(kk, (n_neurons,), m.dtype)
        new = dict(g_L=m.g_L * b[:, 0], a_Na=m.a_Na * b[:, 1], a_K=m.a_K * b[:, 2],
                   I_app=m.I_app * b[:, 3], C=m.C / r, E_L=m.E_L * r, V_m=m.V_m * r,
                   V_w=m.V_w * r, V_th=m.V_th * r)
        return eqx.tree_at(lambda x: [getattr(x, k) for k in new], m, list(new.values()))

    # -- voltage clamp: clamp V; w (class "slow") settles to σ(V − V_w) ------------
    input_states = property(lambda self: (), doc="No input columns.")
    clamp_timescales = property(lambda self: (("slow",), (0,)), doc="w is slow.")

    def clamp_range(self, I_app=None):
        """E_L + (I − a_K)/g_L − 1 … E_L + (I + a_Na)/g_L + 1: holds every equilibrium."""
        I = self.I_app if I_app is None else jnp.asarray(I_app, self.dtype)
        return (self.E_L + (I - self.a_K) / self.g_L - 1.0,
                self.E_L + (I + self.a_Na) / self.g_L + 1.0)

    clamp_split = lambda self, y: (y[0], y[1:])  # noqa: E731

    def clamp_join(self, V, x):
        """(V, [w]) → state."""
        return jnp.concatenate([jnp.asarray(V, x.dtype)[None], x])

    def clamp_current(self, V, x):
        """Outward current g_L(V − E_L) − a_Na·σ(V − V_m) + a_K·w; residual σ(V − V_w) − w."""
        I = self.g_L * (V - self.E_L) - self.a_Na * _sigma(V - self.V_m) + self.a_K * x[0]
        return I, _sigma(V - self.V_w)[None] - x

    def clamp_starts(self, V):
        """w at its steady state: the residual is linear in w."""
        return _sigma(jnp.asarray(V, self.dtype) - self.V_w)[None, None]

    def clamp_args(self, I_app):
        """I_ext = I_app − I_app."""
        return {"I_ext": jnp.asarray(I_app, self.dtype) - self.I_app}

    def resting_state(self, n_neurons=None):
        """The equilibrium of lowest V (Newton over the clamp range by `felice.analysis`)."""
        n = n_neurons or self.population_size() or 1
        rest = felice.analysis.equilibria(self).states[..., 0, :]
        return jnp.broadcast_to(rest.reshape(-1, 2), (n, 2))


felice.register(MorrisLecar)


def main(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    f64 = jnp.float64
    model = MorrisLecar.from_circuit(dtype=f64)  # the default hardware: tonic spiking
    numbers: dict[str, Any] = {"time_unit_s": float(model.time_unit)}

    # I–V analysis: the clamp curves and the equilibria.
    lo, hi = model.clamp_range()
    V = jnp.linspace(lo, hi, 101)
    iv = felice.analysis.iv_curves(model, V)
    eq = felice.analysis.equilibria(model)
    numbers["iv_names"] = list(iv.names)
    numbers["equilibria"] = [felice.analysis.KINDS[int(k)] for k in eq.kind[: int(eq.count)]]

    # Simulation: one neuron, 300 model time units.
    result = felice.simulate(model, t1=300.0, saveat=600)
    numbers["spikes"] = int(result.spike_counts[0])

    # The pipeline: rate and energy per spike in SI units.
    readouts = felice.pipeline.Pipeline(["rate", "energy_per_spike"])(
        felice.pipeline.Emitter(model, t1=300.0, n_save=600))
    numbers["rate_Hz"] = float(readouts["rate"].value[0])
    numbers["energy_per_spike_J"] = float(readouts["energy_per_spike"].value[0])

    # A sweep over the bias current: rate against I_app.
    I_apps = np.linspace(1.0, 6.0, 11)
    table = felice.sweep.sweep(model, felice.sweep.grid(I_app=I_apps),
                               {"rate": felice.sweep.SpikeRate(t_start=100.0)}, t1=300.0)
    numbers["sweep_I_app"] = I_apps.tolist()
    numbers["sweep_rate"] = np.asarray(table["rate"]).tolist()

    # A small network trained on Yin-Yang.
    config = felice.training.preset("morris_lecar", hidden=(12,), epochs=3, batch_size=50, lr=1e-2)
    data = felice.datasets.yin_yang_splits(n_train=300, n_val=150, n_test=10, seed=0)
    before = felice.training.evaluate(felice.training.build_network(config), *data["val"], config)
    state, history = felice.training.fit(config, data["train"], data["val"], progress=False)
    numbers["accuracy_before"] = before["accuracy"]
    numbers["val_accuracy"] = [h["val_accuracy"] for h in history]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(12, 3.5))
    volt, amp = float(model.voltage_unit), float(model.current_unit)
    for k, name in enumerate(iv.names):
        ax[0].plot(np.asarray(V) * volt * 1e3, np.asarray(iv.I[k]) * amp * 1e9, label=name)
    ax[0].set(xlabel="V (mV)", ylabel="clamp current (nA)", title="I–V curves")
    ax[0].legend()
    ax[1].plot(np.asarray(result.ts) * model.time_unit * 1e3, np.asarray(result.ys[:, 0, 0]) * volt * 1e3)
    ax[1].set(xlabel="t (ms)", ylabel="V (mV)", title="simulate")
    ax[2].plot(I_apps, np.asarray(table["rate"]) / float(model.time_unit), "o-")
    ax[2].set(xlabel="I_app (nA)", ylabel="rate (Hz)", title="sweep")
    fig.tight_layout()
    fig.savefig(out / "custom_circuit.png", dpi=80)
    (out / "custom_circuit.json").write_text(json.dumps(numbers, indent=1))
    return numbers


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1))
