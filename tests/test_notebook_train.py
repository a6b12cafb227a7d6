"""The training notebook runs top to bottom (small settings)."""

from _notebooks import executes, run_notebook

CHECK = """
import json
print(json.dumps({"epochs": len(history), "exported": path.exists(),
                  "accuracy": float(test["accuracy"])}))
"""


@executes("train_surrogate.ipynb")
def test_training_notebook_executes(tmp_path):
    result = run_notebook("train_surrogate.ipynb", tmp_path,
                          env={"FELICE_NOTEBOOK_SMALL": "1"}, check=CHECK).check
    assert result["epochs"] == 2
    assert result["exported"]
    # a fraction of the notebook's 500 test samples (the bound 0..1 alone could not fail)
    n_right = result["accuracy"] * 500
    assert 0 <= round(n_right) <= 500 and abs(n_right - round(n_right)) < 1e-3
