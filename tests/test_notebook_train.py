"""The training notebook runs top to bottom (small settings, no Jupyter needed)."""

import json
from pathlib import Path

import matplotlib

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "train_surrogate.ipynb"


def test_training_notebook_executes(monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.setenv("FELICE_NOTEBOOK_SMALL", "1")
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] for c in code)  # stored without outputs
    namespace: dict = {}
    for cell in code:
        exec(compile("".join(cell["source"]), str(NOTEBOOK), "exec"), namespace)
    assert len(namespace["history"]) == 2
    assert namespace["path"].exists()
