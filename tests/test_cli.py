"""The `felice` command line."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _atomic import record_replaces, written_atomically

import felice
from felice.cli import main


@pytest.mark.slow
def test_demo_prints_hardware_view_and_writes_a_summary_figure(tmp_path, capsys, monkeypatch):
    from PIL import Image

    from felice.demo import run_demo

    monkeypatch.chdir(tmp_path)
    replaces = record_replaces(monkeypatch)
    result = run_demo()  # the default --out: felice_demo.png in the working directory
    text = capsys.readouterr().out
    out = tmp_path / "felice_demo.png"
    assert written_atomically(replaces, out)
    assert result.path == out.resolve()
    assert text.rstrip().splitlines()[-1] == f"wrote {out.resolve()}"
    with Image.open(out) as image:  # a valid PNG of the figure's size (saved at 100 dpi)
        assert image.format == "PNG"
        assert image.size == tuple(round(v * 100) for v in result.figure.get_size_inches())
        image.verify()
    assert out.stat().st_size > 50_000
    # One row per registered circuit: I–V curves (SI), trajectory with spikes, readouts.
    axes = result.figure.axes
    assert len(axes) == 3 * len(felice.MODELS)
    assert list(result.readouts) == [cls.__name__ for cls in felice.MODELS.values()]
    for row, name in enumerate(("FHNRS", "WereRabbit", "Boomerang")):
        iv, trajectory, card = axes[3 * row: 3 * row + 3]
        assert iv.get_title() == f"{name} I–V curves" and "clamped" in iv.get_xlabel()
        assert "mV" in iv.xaxis.get_major_formatter()(0.1, 0)  # volts with SI prefixes
        assert trajectory.get_title().startswith(name)
        assert "detected spikes" in trajectory.get_legend_handles_labels()[1] or \
            "fixpoint spikes (arrival)" in trajectory.get_legend_handles_labels()[1]
        assert f"{name} readouts" in card.get_title() and "Hz" in card.texts[0].get_text()
    # Latching fixpoint spikes: one spike per input kick, none while resting.
    for name in ("WereRabbit", "Boomerang"):
        assert int(result.readouts[name]["spike_counts"].value[0]) == 3
        assert "3 fixpoint spikes" in text
    assert int(result.readouts["FHNRS"]["spike_counts"].value[0]) >= 5
    for expected in ("FHNRS", "WereRabbit", "Boomerang", "equilibrium", "stable fixpoint",
                     "71.43 µs", "energy/spike", "280 Hz"):
        assert expected in text


def test_demo_command_writes_to_out_and_rejects_a_missing_folder(tmp_path, capsys, monkeypatch):
    import felice.demo

    calls = []
    monkeypatch.setattr(felice.demo, "run_demo", lambda out: calls.append(out))
    target = str(tmp_path / "x.png")
    assert main(["demo", "--out", target]) == 0 and calls == [target]
    monkeypatch.undo()
    with pytest.raises(SystemExit):
        main(["demo", "--out", str(tmp_path / "no" / "such" / "dir.png")])
    assert "does not exist" in capsys.readouterr().err


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


@pytest.mark.slow
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


def test_iv_writes_a_figure_and_text(tmp_path, capsys, monkeypatch):
    out = tmp_path / "iv.png"
    replaces = record_replaces(monkeypatch)
    assert main(["iv", "fhnrs", "--out", str(out)]) == 0
    assert written_atomically(replaces, out)
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
