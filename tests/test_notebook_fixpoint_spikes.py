"""The fixpoint-spikes notebook: latched spikes and physically consistent pipeline readouts."""

import numpy as np
from _notebooks import executes, run_notebook

NOTEBOOK = "fixpoint_spikes_pipeline.ipynb"

# Run in the notebook's kernel after its cells: what it computed, as JSON.
CHECK = """
import json
_r = np.linalg.norm(electrode_xyz[:, None, :] - neuron_xyz[None, :, :], axis=-1)  # (X, N) m
_total = np.asarray(readouts["currents"].value, float).sum(axis=-1)  # (T, N) A
_expected = _total @ (1 / (4 * np.pi * 0.3 * _r)).T  # (T, X) V
print(json.dumps({
    "expected_spikes": expected_spikes,
    "spike_counts": counts.tolist(),
    "spike_times": [[float(s) for s in row if np.isfinite(s)] for row in spike_times],
    "kick_times": (np.asarray(kicks.times) * ms).tolist(),
    "kick_targets": np.asarray(kicks.targets).tolist(),
    "duration": float(t[-1] - t[0]),
    "rates": rates.tolist(),
    "energy": energy.tolist(),
    "energy_per_spike": [float(e) if np.isfinite(e) else None for e in e_spike],
    "energy_per_spike_status": readouts["energy_per_spike"].message,
    "supply": supply.tolist(),
    "power": np.asarray(readouts["power"].value, float).tolist(),
    "field_peak": float(np.abs(phi).max()),
    "field_error": float(np.abs(phi - _expected).max() / np.abs(_expected).max()),
    "sigma": float(model.sigma), "I_bias": float(model.I_bias),
}))
"""


@executes(NOTEBOOK)
def test_fixpoint_spikes_notebook(tmp_path):
    r = run_notebook(NOTEBOOK, tmp_path, check=CHECK).check
    # Latching: one spike per arrival, none at rest (neuron 0 never spikes).
    assert r["spike_counts"] == r["expected_spikes"] == [0, 1, 2, 3, 1]
    kicks = np.asarray(r["kick_times"])
    targets = np.asarray(r["kick_targets"])
    for n, spikes in enumerate(r["spike_times"]):
        k = np.sort(kicks[targets == n])
        assert len(spikes) == k.size
        # Each spike follows its kick and comes before the next one (the arrival).
        bounds = np.append(k, r["duration"])
        assert all(bounds[i] < s < bounds[i + 1] for i, s in enumerate(spikes)), (n, spikes, k)
    # Rates in Hz and energies in J, consistent with the static supply power.
    np.testing.assert_allclose(r["rates"], np.asarray(r["spike_counts"]) / r["duration"], rtol=1e-5)
    I_supply = (1 + 2 * r["sigma"]) * r["I_bias"]
    np.testing.assert_allclose(r["supply"], I_supply, rtol=1e-6)  # 220 pA at the defaults
    np.testing.assert_allclose(r["power"], 1.8 * I_supply, rtol=1e-6)
    np.testing.assert_allclose(r["energy"], 1.8 * I_supply * r["duration"], rtol=1e-4)
    assert r["energy_per_spike"][0] is None and "undefined" in r["energy_per_spike_status"]
    np.testing.assert_allclose(r["energy_per_spike"][1:],
                               np.asarray(r["energy"][1:]) / np.asarray(r["spike_counts"][1:]),
                               rtol=1e-6)
    # The field is the point-source potential of the total currents: microvolts here.
    assert r["field_error"] < 1e-4
    assert 1e-7 < r["field_peak"] < 1e-4
