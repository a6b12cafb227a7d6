"""The custom-circuit tutorial script (docs/scripts/custom_circuit.py) runs every layer of
felice on a circuit defined outside the package, and leaves felice's source tree unchanged."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "scripts" / "custom_circuit.py"


def _tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_custom_circuit_tutorial_runs_every_layer(tmp_path):
    before = _tree_hashes(ROOT / "felice")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "out")], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=900)
    assert _tree_hashes(ROOT / "felice") == before
    assert run.returncode == 0, run.stderr[-3000:]
    numbers = json.loads((tmp_path / "out" / "custom_circuit.json").read_text())
    assert (tmp_path / "out" / "custom_circuit.png").stat().st_size > 10_000
    assert numbers["iv_names"] == ["instantaneous", "slow"]
    assert numbers["equilibria"] and numbers["spikes"] >= 3
    # The rate of the pipeline is the simulation's spike count over its duration (s).
    np.testing.assert_allclose(numbers["rate_Hz"], numbers["spikes"] / (300 * numbers["time_unit_s"]),
                               rtol=1e-12)
    assert 0 < numbers["energy_per_spike_J"] < 1e-9
    rate = np.asarray(numbers["sweep_rate"])
    assert rate[0] == 0 and rate[-1] > 0  # excitable at low bias, tonic at high
    assert len(numbers["val_accuracy"]) == 3
    assert max(numbers["val_accuracy"]) > max(numbers["accuracy_before"], 0.45)
