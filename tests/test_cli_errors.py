"""`felice` usage errors: one line `felice <subcommand>: error: …` on stderr, exit status 2."""

import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from _cli import usage_error

import felice
import felice.cli
from felice.cli import main
from felice.neuron_models import AbstractCircuit


def _usage_error(capsys, argv: list[str]) -> str:
    """The stderr of `main(argv)`, checked to be a single line after exit status 2."""
    captured = usage_error(argv, capsys)
    assert captured.out == ""
    return captured.err


def test_usage_error_is_one_line_and_exit_status_2_in_a_real_process():
    root = Path(felice.__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "felice.cli", "train", "yinyang", "--hidden", "-3"],
        capture_output=True, text=True, timeout=120, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "felice train: error: argument --hidden: must be a positive integer, got '-3'"
    ]


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"felice {felice.__version__}\n"


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], "felice: error: the following arguments are required: command"),
        (["nosuch"], "felice: error: argument command: invalid choice: 'nosuch'"),
        (["train", "mnist"], "felice train: error: argument dataset: invalid choice: 'mnist'"),
        (["train", "yinyang", "--hidden", "-3"], "--hidden: must be a positive integer, got '-3'"),
        (["train", "yinyang", "--epochs", "0"], "--epochs: must be a positive integer, got '0'"),
        (["train", "yinyang", "--batch-size", "2.5"], "--batch-size: must be a positive integer"),
        (["train", "yinyang", "--n-train", "many"], "--n-train: must be a positive integer"),
        (["train", "yinyang", "--n-test", "-1"], "--n-test: must be a positive integer"),
        (["train", "yinyang", "--lr", "nan"], "--lr: must be a finite number > 0, got 'nan'"),
        (["train", "yinyang", "--mismatch-bias", "-0.1"], "--mismatch-bias: must be a finite"),
        (["train", "yinyang", "--seed", "-1"], "--seed: must be an integer >= 0, got '-1'"),
        (["spice", "fhnrs", "--timeout", "inf"], "--timeout: must be a finite number > 0"),
        (["spice", "fhnrs", "--timeout", "0"], "--timeout: must be a finite number > 0, got '0'"),
        (["spice", "fhnrs", "--level", "gate"], "felice spice: error: argument --level"),
        (["spice", "nosuch"], "felice spice: error: unknown model 'nosuch'"),
        (["spice", "boomerang", "--level", "transistor"], "felice spice: error: the transistor"),
        (["iv", "hodgkin"], "felice iv: error: unknown model"),
        (["demo", "--out", "/no/such/folder/x.png"], "felice demo: error: cannot write the figure"),
    ],
)
def test_usage_errors(capsys, argv, expected):
    assert expected in _usage_error(capsys, argv)


def test_value_errors_of_the_runners_are_usage_errors(capsys, monkeypatch):
    def refuse(args):
        raise ValueError("first line\nsecond line")

    monkeypatch.setattr(felice.sweep, "run_sweep_command", refuse)
    err = _usage_error(capsys, ["sweep", "--grid", "I_app=0:1:3"])
    assert err == "felice sweep: error: first line second line\n"
    monkeypatch.setattr(felice.cli, "_train", refuse)
    err = _usage_error(capsys, ["train", "yinyang"])
    assert err == "felice train: error: first line second line\n"


class _NoClamp(AbstractCircuit):
    """Stands in for a registered circuit without a voltage clamp (no I–V curves): the
    CLI reads its class only."""

    name: ClassVar[str] = "noclamp"


def test_iv_of_a_model_without_a_voltage_clamp_says_so(capsys, monkeypatch):
    monkeypatch.setitem(felice.MODELS, "noclamp", _NoClamp)
    err = _usage_error(capsys, ["iv", "noclamp"])
    assert err.startswith("felice iv: error: noclamp has no voltage clamp, so no I–V curves")
    assert "AbstractVoltageClamp capability" in err and "clamp_current" in err


def test_model_choices_and_help_come_from_the_registry(capsys, monkeypatch):
    monkeypatch.setitem(felice.MODELS, "noclamp", _NoClamp)
    with pytest.raises(SystemExit):
        main(["iv", "--help"])
    help_iv = " ".join(capsys.readouterr().out.split())
    assert "fhnrs, wererabbit, boomerang" in help_iv and "noclamp" not in help_iv
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    assert "noclamp" in capsys.readouterr().out
    err = _usage_error(capsys, ["train", "yinyang", "--model", "nosuch"])
    assert "invalid choice: 'nosuch'" in err and "'noclamp'" in err
