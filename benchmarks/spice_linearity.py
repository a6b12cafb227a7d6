"""Why the transistor FHN neuron uses a resistor and a wide-range OTA-C filter.

FHNRS (Ribar–Sepulchre spiking set, model units) has a linear passive
conductance and a linear low-pass filter for the slow element:

    dV/dt      = I_app − p(V) + 2·tanh(V) − 2·tanh(V_s)
    50·dV_s/dt = q(V − V_s)

with p(V) = V and q(x) = x. A single subthreshold OTA saturates at its bias
current, i.e. p(V) = m·tanh(V/m) and q(x) = m·tanh(x/m) with m = 1 for a plain
OTA and m > 1 for a wide-linear-range OTA of the same small-signal slope. This
script integrates the equations (scipy, rtol 1e-9) and reports the spike rate
per 1000 model time units at I_app = 0.5 for each variant.

Writes benchmarks/results/spice_linearity.json.
"""

import json
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

I_APP = 0.5
T_END = 4000.0


def rate(passive_m: float | None, filter_m: float | None) -> float:
    def saturating(x, m):
        return x if m is None else m * np.tanh(x / m)

    def field(t, y):
        V, V_s = y
        return [I_APP - saturating(V, passive_m) + 2 * np.tanh(V) - 2 * np.tanh(V_s),
                saturating(V - V_s, filter_m) / 50.0]

    sol = solve_ivp(field, (0.0, T_END), [I_APP + 0.1, I_APP], rtol=1e-9, atol=1e-11, max_step=0.5)
    V, t = sol.y[0], sol.t
    up = np.flatnonzero((V[:-1] < 0) & (V[1:] >= 0))
    times = t[up][t[up] > T_END / 2]
    return 1000.0 * (times.size - 1) / (times[-1] - times[0]) if times.size > 2 else 0.0


def main() -> dict:
    linear = rate(None, None)
    variants = {"linear passive and filter (FHNRS)": (None, None),
                "plain OTA passive (m = 1)": (1.0, None)}
    for m in (1.0, 2.0, 3.0, 4.0):
        variants[f"OTA-C filter with linear range m = {m:g}"] = (None, m)
    results = {}
    for name, (p, q) in variants.items():
        r = rate(p, q)
        results[name] = dict(rate_per_1000=r, change=(r - linear) / linear)
        print(f"{name:<42} {r:7.2f}  ({100 * (r - linear) / linear:+.0f} %)")
    out = Path(__file__).parent / "results" / "spice_linearity.json"
    out.write_text(json.dumps(dict(I_app=I_APP, results=results), indent=2) + "\n")
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
