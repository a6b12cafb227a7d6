"""`felice spice MODEL [--level behavioural|transistor] [--compare]`."""

import json

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
    assert main(["spice", "wererabbit", "--level", "transistor", "--out", str(tmp_path)]) == 1
    assert "fhnrs only" in capsys.readouterr().err
    assert main(["spice", "nosuch", "--out", str(tmp_path)]) == 1
    assert "unknown model" in capsys.readouterr().err
    card = tmp_path / "bad.toml"
    card.write_text('model = "fhnrs"\n[circuit]\nI_app = nan\n')
    assert main(["spice", "fhnrs", "--card", str(card), "--out", str(tmp_path)]) == 1
    assert "I_app" in capsys.readouterr().err
    monkeypatch.setenv("PATH", "")
    assert main(["spice", "fhnrs", "--compare", "--out", str(tmp_path)]) == 1
    assert "apt-get install -y ngspice" in capsys.readouterr().err
