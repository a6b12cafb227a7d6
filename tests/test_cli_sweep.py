"""`felice sweep`: grid parsing, the CSV it writes, resuming through --folder."""

import re

import numpy as np
import pytest
from _cli import usage_error

from felice.cli import main
from felice.sweep import SweepTable, parse_axis


def _refused(argv, capsys) -> str:
    """main()'s one-line message on stderr for a refused command (exit status 2)."""
    return usage_error(argv, capsys, "sweep").err


def test_parse_axis():
    name, values = parse_axis("a[1]=1:2:3")
    assert name == "a[1]" and np.allclose(values, [1.0, 1.5, 2.0])
    assert np.allclose(parse_axis("I_app=-1,0.5")[1], [-1.0, 0.5])
    with pytest.raises(ValueError, match="NAME=START"):
        parse_axis("I_app")
    with pytest.raises(ValueError, match="'a' is not a number"):
        parse_axis("I_app=a:b:3")


@pytest.mark.parametrize("args, message", [
    # Before: "values are not numbers" (N was the culprit), or the last --grid silently won.
    (["--grid", "I_app=0:1:-5"], r"--grid 'I_app=0:1:-5': N must be an integer ≥ 1, got '-5'"),
    (["--grid", "I_app=0:1:2.5"], r"N must be an integer ≥ 1, got '2.5'"),
    (["--grid", "I_app=0:1"], r"START:STOP:N \(three fields\), got 2"),
    (["--grid", "I_app=0:1:1"], r"N = 1 holds START only"),
    (["--grid", "I_app=0,inf"], r"--grid 'I_app=0,inf': values must be finite, got 'inf'"),
    (["--grid", "I_app=-1e308:1e308:3"], r"the range overflows"),
    (["--grid", "I_app=0,x"], r"'x' is not a number"),
    (["--grid", "=1,2"], r"--grid must be NAME=START:STOP:N"),
    (["--grid", "I_app=1", "--grid", "I_app=2"], r"--grid names 'I_app' twice"),
    (["--grid", "I_app=0", "--t1", "inf"], r"--t1 must be finite, got --t1=inf"),
    (["--grid", "I_app=0", "--t1", "-5"], r"--t1 must be > 0, got --t1=-5.0"),
    (["--grid", "I_app=0", "--t-start", "nan"], r"--t-start must be finite"),
    (["--grid", "I_app=0", "--max-spikes", "0"], r"--max-spikes must be an integer ≥ 1, got "
                                                 r"--max-spikes=0"),
    (["--grid", "I_app=0", "--chunk-size", "-1"], r"--chunk-size must be an integer ≥ 1"),
    (["--grid", "I_app=0", "--metrics", "rate,energy"], r"--metrics must be .*'rate,energy'"),
    (["--grid", "I_app=0", "--metrics", "rate,rate"], r"--metrics names a metric twice"),
    (["--grid", "I_app=0", "--model", "hh"], r"--model: unknown model name 'hh'"),
    (["--grid", "I_app=0", "--out", "no/such/dir/t.csv"], r"--out: the folder 'no/such/dir'"),
    (["--grid", "I_app=0", "--plot", "t.xyz"], r"--plot must end in a figure format"),
    (["--grid", "I_app=0", "--grid", "g=1", "--grid", "C=1", "--plot", "t.png"],
     r"--plot draws one or two swept parameters, got 3"),
    (["--grid", "I_bias=0"], r"parameter 'I_bias' is not a field of FHNRS"),
    (["--grid", "C=1,-1"], r"sweep point 1 \(C=-1.0\): C must be > 0"),
])
def test_cli_sweep_refuses_bad_arguments_with_one_clear_message(args, message, tmp_path,
                                                                  monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert re.search(message, _refused(["sweep", "--t1", "300", "--t-start", "100", *args],
                                       capsys))
    assert not (tmp_path / "sweep.csv").exists()


def test_cli_sweep_argparse_errors_exit_2(capsys):
    for bad in (["--max-spikes", "many"], ["--t1", "long"]):
        with pytest.raises(SystemExit) as info:
            main(["sweep", "--grid", "I_app=0", *bad])
        assert info.value.code == 2
    assert "invalid" in capsys.readouterr().err


def test_cli_sweep_writes_a_table_and_resumes(tmp_path, capsys):
    args = ["sweep", "--grid", "I_app=-1.4,-0.5", "--grid", "a[1]=2", "--t1", "300",
            "--t-start", "100", "--chunk-size", "4", "--folder", str(tmp_path / "run"),
            "--out", str(tmp_path / "t.csv"), "--plot", str(tmp_path / "t.png")]
    assert main(args) == 0
    assert "sweep [" in capsys.readouterr().err  # the progress bar over chunks
    table = SweepTable.from_csv(tmp_path / "t.csv")
    assert table.parameters == ("I_app", "a[1]")
    assert table["count"].tolist()[0] == 0 and table["count"][1] > 0  # rest, then spiking
    assert (tmp_path / "t.png").stat().st_size > 0
    assert main(args) == 0  # resumed from the folder: the same table
    assert SweepTable.from_csv(tmp_path / "t.csv").equals(table)
    assert "different sweep" in _refused(
        [*args[:-4], "--t1", "400", "--out", str(tmp_path / "u.csv")], capsys)
    assert "--metrics" in _refused([*args, "--metrics", "energy"], capsys)


def test_cli_regime_uses_the_iv_classifier_for_bistable_models(tmp_path):
    # WereRabbit at its defaults is bistable; with σ = 0 it is not (tests/test_sweep.py).
    # Before: `regime` was always the spike classifier, which calls every point REST.
    from felice import WereRabbit
    from felice.sweep import Regime

    sigma = float(WereRabbit().sigma)
    out = tmp_path / "wr.csv"
    for metric in ("regime", "regime-iv"):
        assert main(["sweep", "--model", "wererabbit", "--grid", f"sigma=0,{sigma!r}",
                     "--metrics", metric, "--out", str(out), "--plot",
                     str(tmp_path / "wr.png")]) == 0
        table = SweepTable.from_csv(out)
        np.testing.assert_array_equal(table[metric] == Regime.BISTABLE, [False, True])


def test_sweep_plots_are_titled_by_what_was_swept():
    import matplotlib

    matplotlib.use("Agg")
    from felice.sweep import plot_fi_curve

    table = SweepTable({"sigma": np.array([0.0, 0.1]), "regime": np.array([0, 3])}, ["sigma"])
    _, ax = plot_fi_curve(table, x="sigma", y="regime")
    assert ax.get_title() == "regime against sigma"  # before: "f–I curve" whatever was swept
    assert [t.get_text() for t in ax.get_yticklabels()][3] == "bistable"
