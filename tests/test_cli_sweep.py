"""`felice sweep`: grid parsing, the CSV it writes, resuming through --folder."""

import numpy as np
import pytest

from felice.cli import main
from felice.sweep import SweepTable
from felice.sweep.command import parse_axis


def test_parse_axis():
    name, values = parse_axis("a[1]=1:2:3")
    assert name == "a[1]" and np.allclose(values, [1.0, 1.5, 2.0])
    assert np.allclose(parse_axis("I_app=-1,0.5")[1], [-1.0, 0.5])
    with pytest.raises(ValueError, match="NAME=START"):
        parse_axis("I_app")
    with pytest.raises(ValueError, match="not numbers"):
        parse_axis("I_app=a:b:3")


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
    with pytest.raises(ValueError, match="different sweep"):
        main([*args[:-4], "--t1", "400", "--out", str(tmp_path / "u.csv")])
    with pytest.raises(ValueError, match="--metrics"):
        main([*args, "--metrics", "energy"])
