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
