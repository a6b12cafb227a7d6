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
    assert 0.0 <= result["accuracy"] <= 1.0
