"""The `felice` command line."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from felice.cli import main


def test_demo_prints_hardware_view_and_writes_a_figure(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.stat().st_size > 10_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for expected in ("FHNRS", "WereRabbit", "Boomerang", "equilibrium", "stable fixpoint", "71.43 µs"):
        assert expected in text


def test_console_script_is_installed():
    # The script sits next to the interpreter of the environment felice is installed in.
    beside = Path(sys.executable).parent / "felice"
    exe = str(beside) if beside.exists() else shutil.which("felice")
    assert exe is not None, "the felice console script is not installed"
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "demo" in result.stdout


def test_unknown_command_fails():
    with pytest.raises(SystemExit):
        main(["nosuchcommand"])


@pytest.mark.parametrize("model, preset, label", [
    ("fhnrs", "spiking", "spiking"), ("fhnrs", "bursting", "bursting"),
    ("wererabbit", None, "bistable"), ("Boomerang", None, "bistable"),
])
def test_iv_prints_json_for_every_model(capsys, model, preset, label):
    import json

    argv = ["iv", model, "--json"] + (["--preset", preset] if preset else [])
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["classification"] == label
    assert report["curves"] and report["equilibria"]
    V = report["V"]
    for curve in report["curves"].values():
        assert len(curve["I"]) == len(V)


def test_iv_writes_a_figure_and_text(tmp_path, capsys):
    out = tmp_path / "iv.png"
    assert main(["iv", "fhnrs", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "spiking" in text and "negative conductance" in text
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"


def test_iv_unknown_model_or_preset_lists_the_choices(capsys):
    with pytest.raises(SystemExit):
        main(["iv", "hodgkin"])
    err = capsys.readouterr().err
    assert "fhnrs" in err and "wererabbit" in err and "boomerang" in err
    with pytest.raises(SystemExit):
        main(["iv", "fhnrs", "--preset", "nope"])
    assert "spiking" in capsys.readouterr().err
