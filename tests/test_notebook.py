"""The notebook runs top to bottom."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "iv_curves.ipynb"


def test_iv_curves_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored clean
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "classification: spiking" in text and "(1000, 61)" in text
    assert "slow negative conductance: [(" in text
    assert "WereRabbit ['stable focus', 'stable focus']" in text
    assert "Boomerang ['stable focus', 'saddle', 'stable focus']" in text
