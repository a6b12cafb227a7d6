"""felice.spice plumbing: strict netlists, the ngspice runner and its errors, raw files, cards."""

import math
import os
import re
import signal
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import unchecked

import felice
from felice.neuron_models import AbstractSpiceCircuit
from felice.spice import (
    Deck,
    NgspiceError,
    NgspiceNotFoundError,
    NgspiceTimeoutError,
    behavioural_netlist,
    check_template,
    circuit_file,
    load_card,
    load_sky130_card,
    model_from_card,
    read_raw,
    run_ngspice,
    sky130_library,
    spice_name,
    spice_number,
    spice_path,
    write_card,
)

INJECTION = "slow\n.control\nshell touch PWNED\n.endc"


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "a b", "v(x)", "x;y", "x\ny", INJECTION, "é", None, 3, "a.b", 'a"b', "a$b"]
)
def test_spice_name_rejects_anything_but_letters_digits_underscores(name):
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        spice_name(name)


def test_spice_name_accepts_plain_names():
    assert spice_name("V_slow_2") == "V_slow_2"


@pytest.mark.parametrize(
    "value", ["1e-9", "1n", True, math.nan, math.inf, -math.inf, 1j, [1.0, 2.0], None]
)
def test_spice_number_rejects_non_numeric_or_non_finite(value):
    with pytest.raises(ValueError, match="I_B"):
        spice_number(value, name="I_B")


def test_spice_number_round_trips_floats_exactly():
    for value in (1e-12, -0.3, 7.142857142857143e-05, np.float32(0.7), np.asarray([2e-9]), 3):
        text = spice_number(value, name="x")
        assert float(text) == float(np.asarray(value).reshape(()))


def test_deck_rejects_injection_in_every_field():
    deck = Deck("t")
    with pytest.raises(ValueError):
        Deck("title\n.control")
    with pytest.raises(ValueError):
        deck.element("R1\nshell", ("a", "0"), 1.0)
    with pytest.raises(ValueError):
        deck.element("R1", ("a b", "0"), 1.0)
    with pytest.raises(ValueError):
        deck.element("X1", ("a",), model="sub\n.endc")
    with pytest.raises(ValueError), unchecked():  # a str parameter: ill-typed on purpose
        deck.element("X1", ("a",), model="sub", params={"p": "1\n.control"})
    with pytest.raises(ValueError):
        deck.comment("ok\n.control")
    with pytest.raises(ValueError):
        deck.write("out\nshell", ["v(a)"])
    with pytest.raises(ValueError):
        deck.write("out", ["v(a) ; shell ls"])
    with pytest.raises(ValueError):
        deck.ic({"a\n.control": 1.0})
    with pytest.raises(ValueError):
        deck.tran(math.nan, 1.0)
    assert ".control\nset filetype=binary\nquit\n.endc" in deck.render()


def test_templates_and_paths_are_checked(tmp_path):
    with pytest.raises(ValueError, match="control"):
        check_template("R1 a 0 1\n.control\nshell ls\n.endc\n", source="t")
    with pytest.raises(ValueError, match="shell"):
        check_template("shell ls\n", source="t")
    for name in ('a "b', "a;b", "a\n.control", "a$HOME", "~a"):
        odd = tmp_path / name
        odd.write_text("* x\n")
        with pytest.raises(ValueError, match="not allowed"):
            spice_path(odd)
        with pytest.raises(ValueError, match="not allowed"):
            Deck("t").lib(odd, "tt")
    with pytest.raises(ValueError, match="library section"):
        Deck("t").lib(sky130_library(), "tt\n.control")
    with pytest.raises(ValueError, match="not an existing file"):
        spice_path(tmp_path / "missing.lib")


# The guard before issue 15: `\b` let `.control1` through, and nothing looked into includes.
_OLD_GUARD = re.compile(r"^\s*\.(control|endc|end)\b|^\s*(shell|exec)\b", re.I | re.M)


def _echo_deck(template):
    deck = Deck("t")
    deck.template(template, source="t")
    deck.element("R1", ("a", "0"), 1.0)
    deck.element("V1", ("a", "0"), 1.0)
    deck.tran(1e-6, 1e-5)
    deck.write("tran", ["v(a)"])
    return deck


def test_control_block_prefix_ran_a_command_and_is_now_refused(tmp_path, monkeypatch):
    target = tmp_path / "f"
    template = f".control1\necho owned > {target}\n.endc1\n"
    assert not _OLD_GUARD.search(template)
    with monkeypatch.context() as patch:  # the old guard, bypassed: ngspice writes the file
        patch.setattr(Deck, "template", lambda deck, text, source: deck._lines.append(text))
        run_ngspice(_echo_deck(template))
    assert target.read_text().strip() == "owned"
    target.unlink()
    with pytest.raises(ValueError, match=r"line 1: '\.control1'.*\.control block"):
        _echo_deck(template)
    assert not target.exists()


@pytest.mark.parametrize(
    "line",
    [
        ".controls",
        ".control_cal",
        " \t.CONTROL",
        ".endc1",
        "*#echo owned",  # ngspice runs `*#` comments as commands
        " *# shell ls",
        ".incfoo /etc/hosts",
        ".incl /etc/hosts",
        ".end",
        ".options interp",
        ".exec ls",
        "A1 a b model",  # XSPICE code models read files
        "N1 a b osdi_model",
        "shell ls",
        "R1 a 0 1\r.control",  # ngspice may split a lone carriage return into lines
        "R1 a 0 1\x0c.control",
    ],
)
def test_template_lines_outside_the_allow_list_are_refused(line):
    with pytest.raises(ValueError, match="template t"):
        check_template(f"* ok\nR0 a 0 1\n{line}\n", source="t")


def test_leading_continuation_line_is_refused():
    # It would extend the deck line before the template.
    with pytest.raises(ValueError, match="continuation"):
        check_template("* comment\n\n  + .control\n", source="t")
    assert check_template("R1 a 0\n+ 1\n", source="t")


def test_included_control_block_is_refused_before_ngspice_runs(tmp_path, monkeypatch):
    target = tmp_path / "f"
    control = tmp_path / "control.cir"
    control.write_text(f".control\necho owned > {target}\n.endc\n")
    library = tmp_path / "lib.spice"
    library.write_text('* corners\n.lib tt\n.include "control.cir"\n.endl tt\n')
    for template in (f".include {control}", f'.inc "{control}"', f'.lib "{library}" tt'):
        with pytest.raises(ValueError, match="only the PDK model files"):
            _echo_deck(template)
    with pytest.raises(ValueError, match=r"control\.cir line 1: '\.control'"):
        Deck("t").lib(library, "tt")
    for template in (f".include {tmp_path}/../{tmp_path.name}/lib.spice", ".include lib.spice"):
        with pytest.raises(ValueError, match="PDK|absolute"):
            _echo_deck(template)
    assert not target.exists()


# Every registered model with a behavioural netlist, found from the registry.
SPICE_MODELS = [
    name for name, cls in felice.MODELS.items() if issubclass(cls, AbstractSpiceCircuit)
]


def test_shipped_templates_and_pdk_includes_pass():
    assert {"fhnrs", "wererabbit", "boomerang"} <= set(SPICE_MODELS)
    for name in (*SPICE_MODELS, "sky130"):
        cir = "blocks.cir" if name == "sky130" else "behavioural.cir"
        text = circuit_file(name, cir).read_text()
        assert check_template(text, source=cir) == text
    library = sky130_library()
    model = library.parent / "C4M.Sky130_logic_tt_model.spice"
    check_template(f'.lib "{library}" tt\n.include {model}\n', source="t")


def test_model_element_name_injection_is_refused_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = felice.FHNRS(element_names=("fast", INJECTION))
    with pytest.raises(ValueError, match="element name"):
        behavioural_netlist(model, model.init_state(1), 1e-3)
    assert not (tmp_path / "PWNED").exists()


def test_card_with_injected_or_non_finite_values_is_refused(tmp_path):
    bad_values = [
        'I_app = "5e-10\\n.control\\nshell touch PWNED\\n.endc"',
        "I_app = nan",
        "I_app = inf",
        "I_app = true",
        'element_names = ["fast", "slow\\n.control"]',
        "I_B = [2e-9, [1.0]]",
    ]
    for line in bad_values:
        card = tmp_path / "card.toml"
        card.write_text(f'model = "fhnrs"\n[circuit]\n{line}\n')
        with pytest.raises(ValueError):
            load_card(card)
    card.write_text('model = "fhnrs"\n[circuit]\nshell = 1.0\n')
    with pytest.raises(ValueError, match="unknown keys"):
        load_card(card)
    sky = tmp_path / "sky.toml"
    good = load_sky130_card()
    sky.write_text(
        '[process]\ncorner = "tt\\n.control"\ntemperature = 27.0\n'
        f"[supply]\nV_dd = 1.8\nV_ref = 1.1\n[devices]\nW = 2e-6\nL = 2e-6\n"
        f"[neuron]\nC_mem = 1e-12\nR_passive = 7e7\nI_fast = 2e-9\nI_slow = 2e-9\n"
        f"I_filter = 1e-9\nC_filter = {good.C_filter}\n[characterisation]\nI_pair = 1e-9\n"
    )
    with pytest.raises(ValueError, match="corner"):
        load_sky130_card(sky)
    sky.write_text(
        sky.read_text()
        .replace('"tt\\n.control"', '"tt"')
        .replace("I_fast = 2e-9", "I_fast = -2e-9")
    )
    with pytest.raises(ValueError, match="I_fast"):
        load_sky130_card(sky)


@pytest.mark.parametrize("name", list(felice.MODELS))
def test_card_round_trip_rebuilds_the_model(name, tmp_path):
    # Every registered model, from its shipped card and from its from_circuit defaults.
    cls = felice.MODELS[name]
    shipped = model_from_card(circuit_file(name, "card.toml"))
    for model in (cls.from_circuit(dtype=jnp.float64), shipped):
        path = write_card(model, tmp_path / "card.toml")
        rebuilt = model_from_card(path)
        assert type(rebuilt) is cls
        expected = model.to_circuit()
        assert rebuilt.to_circuit().keys() == expected.keys()
        for key, value in expected.items():
            np.testing.assert_allclose(rebuilt.to_circuit()[key], value, rtol=1e-15, err_msg=key)
        names = {k: v for k, v in model.circuit_values().items() if isinstance(v, tuple)}
        assert {k: rebuilt.circuit_values()[k] for k in names} == names
        # Each key is commented with the model's own unit (circuit_units).
        for line in path.read_text().splitlines()[4:]:
            key, _, rest = line.partition(" = ")
            unit = cls.circuit_units[key]
            assert rest.endswith(f"  # {unit}") if unit else "#" not in rest, line


def test_card_of_a_population_or_an_unregistered_model_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="2 neurons"):
        write_card(felice.FHNRS(I_app=jnp.asarray([0.1, 0.2])), tmp_path / "card.toml")
    monkeypatch.setitem(felice.MODELS, "wererabbit", felice.Boomerang)
    with pytest.raises(ValueError, match="not the registered model 'wererabbit'"):
        write_card(felice.WereRabbit(), tmp_path / "card.toml")
    assert not (tmp_path / "card.toml").exists()


def test_netlist_and_card_of_a_non_circuit_are_refused(tmp_path):
    with unchecked():
        with pytest.raises(TypeError, match="AbstractSpiceCircuit"):
            behavioural_netlist(object(), [0.0], 1e-3)
        with pytest.raises(TypeError, match="AbstractCircuit"):
            write_card(object(), tmp_path / "card.toml")


# write_card with the fsync of its temporary file stalled: the parent kills it there.
_CARD_WRITER = """
import sys, time
import felice, felice._io
from felice.spice import write_card

def stall(fd):
    print("writing", flush=True)
    time.sleep(60)

felice._io.os.fsync = stall
write_card(felice.WereRabbit(), sys.argv[1])
"""


def test_killed_card_writer_leaves_the_old_card(tmp_path):
    path = tmp_path / "card.toml"
    path.write_text("old\n")
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(felice.__file__))}
    proc = subprocess.Popen(
        [sys.executable, "-c", _CARD_WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_text() == "old\n"
    (orphan,) = tmp_path.glob(".card.toml.*.tmp")
    assert 'model = "wererabbit"' in orphan.read_text()  # the new card, never renamed


def test_shipped_cards_load():
    for name in felice.MODELS:
        assert load_card(os.path.join("circuits", name, "card.toml"))[0] == name


# -- running ngspice --------------------------------------------------------------


def _rc_deck(t_stop=5e-3):
    deck = Deck("rc")
    deck.element("V1", ("in", "0"), 1.0)
    deck.element("R1", ("in", "out"), 1e3)
    deck.element("C1", ("out", "0"), 1e-6)
    deck.ic({"out": 0.0})
    deck.options(reltol=1e-7)
    deck.tran(1e-6, t_stop, 1e-6)
    deck.write("tran", ["v(out)", "i(v1)"])
    return deck


def test_rc_transient_matches_the_analytic_solution():
    out = run_ngspice(_rc_deck())["tran"]
    t, V = out["time"], out["v(out)"]
    assert t.size > 100 and t[-1] == pytest.approx(5e-3)
    np.testing.assert_allclose(V, 1.0 - np.exp(-t / 1e-3), atol=1e-5)
    # The source delivers the charging current (1 − V)/R; ngspice counts it negative.
    np.testing.assert_allclose(-out["i(v1)"], (1.0 - V) / 1e3, atol=1e-8)


def test_missing_ngspice_says_how_to_install(monkeypatch):
    with pytest.raises(NgspiceNotFoundError, match="apt-get install -y ngspice"):
        run_ngspice(_rc_deck(), executable="/nonexistent/ngspice")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(NgspiceNotFoundError, match="apt-get"):
        run_ngspice(_rc_deck())


def test_ngspice_failure_carries_its_own_message():
    deck = Deck("broken")
    deck.element("V1", ("a", "0"), 1.0)
    deck.element("X1", ("a", "b"), model="no_such_subcircuit")
    deck.tran(1e-6, 1e-5)
    deck.write("tran", ["v(a)"])
    with pytest.raises(NgspiceError, match="(?i)unknown subckt"):
        run_ngspice(deck)


def test_missing_vector_is_an_error():
    deck = Deck("novector")
    deck.element("V1", ("a", "0"), 1.0)
    deck.element("R1", ("a", "0"), 1.0)
    deck.tran(1e-6, 1e-5)
    deck.write("tran", ["v(nowhere)"])
    with pytest.raises(NgspiceError, match="nowhere"):
        run_ngspice(deck)


def test_timeout_stops_ngspice():
    deck = _rc_deck(t_stop=10.0)  # 10 million steps of 1 µs: far beyond the limit
    with pytest.raises(NgspiceTimeoutError, match="0.5 s"):
        run_ngspice(deck, timeout=0.5)
    for bad in (0, math.inf, math.nan, "1"):  # inf overflowed subprocess's timer
        with pytest.raises(ValueError, match="timeout"), unchecked():  # "1": ill-typed
            run_ngspice(deck, timeout=bad)


def test_ascii_raw_file_is_read(tmp_path):
    path = tmp_path / "a.raw"
    path.write_text(
        "Title: t\nDate: now\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\n"
        "No. Points: 2\nVariables:\n\t0\ttime\ttime\n\t1\tv(out)\tvoltage\nValues:\n"
        " 0\t0.0\n\t1.5e-3\n\n 1\t1e-6\n\t-2.5\n"
    )
    out = read_raw(path)
    np.testing.assert_array_equal(out["time"], [0.0, 1e-6])
    np.testing.assert_array_equal(out["v(out)"], [1.5e-3, -2.5])
