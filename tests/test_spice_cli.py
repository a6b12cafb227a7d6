"""`felice spice MODEL [--level behavioural|transistor] [--compare]`."""

import json

import pytest
from _atomic import record_replaces, written_atomically

from felice.cli import main


def test_spice_writes_a_behavioural_netlist(tmp_path, capsys, monkeypatch):
    replaces = record_replaces(monkeypatch)
    assert main(["spice", "wererabbit", "--out", str(tmp_path)]) == 0
    assert written_atomically(replaces, tmp_path / "wererabbit_behavioural.cir")
    text = (tmp_path / "wererabbit_behavioural.cir").read_text()
    assert ".subckt wererabbit u v" in text and "Xneuron u v wererabbit" in text
    assert "wrote" in capsys.readouterr().out


def test_spice_compare_reports_errors_and_writes_figure(tmp_path, capsys, monkeypatch):
    replaces = record_replaces(monkeypatch)
    assert main(["spice", "fhnrs", "--compare", "--out", str(tmp_path)]) == 0
    for suffix in (".json", ".png"):
        assert written_atomically(replaces, tmp_path / f"spice_fhnrs_behavioural{suffix}")
    out = capsys.readouterr().out
    assert "max |ngspice − felice| / peak" in out
    summary = json.loads((tmp_path / "spice_fhnrs_behavioural.json").read_text())
    assert max(summary["max_relative_error"].values()) <= 1e-3
    assert len(summary["events_s"]) >= 1
    assert (tmp_path / "spice_fhnrs_behavioural.png").read_bytes()[:4] == b"\x89PNG"


def test_spice_writes_the_transistor_netlist(tmp_path, monkeypatch):
    replaces = record_replaces(monkeypatch)
    assert main(["spice", "fhnrs", "--level", "transistor", "--out", str(tmp_path)]) == 0
    assert written_atomically(replaces, tmp_path / "fhnrs_transistor.cir")
    text = (tmp_path / "fhnrs_transistor.cir").read_text()
    assert ".lib " in text and "C4M.Sky130_logic_lib.spice" in text
    assert "Xn0 v0 vs0 vref vdd felice_fhn_neuron" in text


def test_spice_errors_are_clear(tmp_path, capsys, monkeypatch):
    # Bad inputs are usage errors: one line, exit status 2; ngspice's failures exit with 1.
    card = tmp_path / "bad.toml"
    card.write_text('model = "fhnrs"\n[circuit]\nI_app = nan\n')
    for argv, expected in (
        (["wererabbit", "--level", "transistor"], "fhnrs only"),
        (["nosuch"], "unknown model"),
        (["fhnrs", "--card", str(card)], "I_app"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(["spice", *argv, "--out", str(tmp_path)])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.startswith("felice spice: error: ")
        assert expected in err and err.count("\n") == 1
    monkeypatch.setenv("PATH", "")
    assert main(["spice", "fhnrs", "--compare", "--out", str(tmp_path)]) == 1
    assert "apt-get install -y ngspice" in capsys.readouterr().err
