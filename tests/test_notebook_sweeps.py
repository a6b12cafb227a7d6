"""The sweeps notebook runs top to bottom (small settings)."""

import numpy as np
from _notebooks import executes, run_notebook

CHECK = """
import json
print(json.dumps({"I_app": np.asarray(fI["I_app"], float).tolist(),
                  "rate": np.asarray(fI["rate"], float).tolist(), "n_robust": len(robust)}))
"""


@executes("circuit_parameter_sweeps.ipynb")
def test_sweeps_notebook_executes(tmp_path):
    result = run_notebook("circuit_parameter_sweeps.ipynb", tmp_path,
                          env={"FELICE_NOTEBOOK_SMALL": "1"}, check=CHECK).check
    # Rest beyond the Hopf point, spiking inside it.
    inside = np.abs(result["I_app"]) < np.arccosh(1 / np.sqrt(0.51))
    np.testing.assert_array_equal(np.asarray(result["rate"]) > 0, inside)
    assert result["n_robust"] == 8
