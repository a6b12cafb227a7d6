"""The sweeps notebook runs top to bottom (small settings, no Jupyter needed)."""

import json
from pathlib import Path

import matplotlib
import numpy as np

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "circuit_parameter_sweeps.ipynb"


def test_sweeps_notebook_executes(monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.setenv("FELICE_NOTEBOOK_SMALL", "1")
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] for c in code)  # stored without outputs
    namespace: dict = {}
    for cell in code:
        exec(compile("".join(cell["source"]), str(NOTEBOOK), "exec"), namespace)
    fI = namespace["fI"]
    # Rest beyond the Hopf point, spiking inside it.
    inside = np.abs(fI["I_app"]) < np.arccosh(1 / np.sqrt(0.51))
    np.testing.assert_array_equal(fI["rate"] > 0, inside)
    assert len(namespace["robust"]) == 8
