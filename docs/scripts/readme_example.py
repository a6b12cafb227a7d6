"""The README's example, verbatim: an f–I curve of 200 FHNRS neurons built from hardware values.

Run from the repository root: `python docs/scripts/readme_example.py` writes
docs/figures/readme_example.png. tests/test_readme.py checks that the README shows this code.
"""

# --- README example start ---
import jax.numpy as jnp
import matplotlib.pyplot as plt

import felice

# 200 FHNRS neurons from hardware values: 1 pF membrane, 1 nA OTAs, one applied current each
I_app = jnp.linspace(-1.5e-9, 1.5e-9, 200)                      # A
model = felice.FHNRS.from_circuit(C=1e-12, I_passive=1e-9, I_app=I_app)
result = felice.simulate(model, t1=1000.0, saveat=400)          # model time units
t_spike = result.spike_times * model.time_unit                  # (200, max_spikes) s, +inf padded
T, t_start = 1000.0 * model.time_unit, 200.0 * model.time_unit  # s; skip the start-up transient
rate_hz = jnp.sum(jnp.isfinite(t_spike) & (t_spike > t_start), axis=1) / (T - t_start)
V = result.ys[:, :, 0] * model.voltage_unit                     # (400 times, 200 neurons) V
on = I_app[rate_hz > 0]
print(f"time unit {float(model.time_unit) * 1e6:.1f} µs; spiking from {float(on.min()) * 1e9:.2f} "
      f"to {float(on.max()) * 1e9:.2f} nA at up to {float(rate_hz.max()):.0f} Hz")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
ax0.plot(I_app * 1e9, rate_hz)
ax0.set(xlabel="applied current (nA)", ylabel="spike rate (Hz)", title="f–I curve")
n = 120
ax1.plot(result.ts * model.time_unit * 1e3, V[:, n] * 1e3)
ax1.plot(t_spike[n] * 1e3, jnp.full(t_spike.shape[1], model.V_th * model.voltage_unit * 1e3), "k|")
ax1.set(xlabel="time (ms)", ylabel="V (mV)", title=f"{float(I_app[n]) * 1e9:.2f} nA, spikes marked")
fig.savefig("docs/figures/readme_example.png", dpi=110)
# --- README example end ---
