"""The I–V curves notebook runs top to bottom and prints the expected analysis."""

from _notebooks import executes, run_notebook


@executes("iv_curves.ipynb")
def test_iv_curves_notebook_runs(tmp_path):
    text = run_notebook("iv_curves.ipynb", tmp_path).text
    assert "classification: spiking" in text and "(1000, 61)" in text
    assert "slow negative conductance: [(" in text
    assert "WereRabbit ['stable focus', 'stable focus']" in text
    assert "Boomerang ['stable focus', 'saddle', 'stable focus']" in text
