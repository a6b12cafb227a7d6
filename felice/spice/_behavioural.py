"""Behavioural netlists: each model's circuit equations as ngspice B-sources and capacitors.

The templates are `circuits/<model>/behavioural.cir`; this module writes the top
level from a model's hardware view (`to_circuit()`), in SI units: node voltages
in volts, branch currents in amperes, time in seconds. FHNRS's synaptic current
is carried as the voltage of node `isyn` in units of its current unit.
"""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from jaxtyping import ArrayLike, Float

from felice.neuron_models import FHNRS, AbstractNeuron, Boomerang, WereRabbit
from felice.spice._cards import card_values
from felice.spice._netlist import Deck, spice_name
from felice.spice._paths import circuit_file
from felice.spice._runner import run_ngspice


class BehaviouralNetlist(NamedTuple):
    """A behavioural deck and how its nodes map onto the model's state columns.

    Attributes:
        deck: the ngspice deck (transient, output `tran`).
        nodes: the node holding each state column, in the model's column order.
        node_scale: SI value of one volt on each node, shape `(n_state,)`
            (1 for voltages; the current unit for FHNRS's `isyn`).
    """

    deck: Deck
    nodes: tuple[str, ...]
    node_scale: np.ndarray


def behavioural_netlist(
    model: AbstractNeuron,
    y0: Float[ArrayLike, "1 n_state"] | Float[ArrayLike, " n_state"] | Sequence[Sequence[float]],
    t_stop: float,
    *,
    rtol: float = 1e-10,
    n_points: int = 2000,
) -> BehaviouralNetlist:
    """The behavioural deck of a single-neuron model, simulated from `y0` for `t_stop` seconds.

    Args:
        model: an `FHNRS`, `WereRabbit` or `Boomerang` with one neuron.
        y0: initial state in model units, shape `(1, n_state)` or `(n_state,)`.
        t_stop: duration of the transient in s (> 0).
        rtol: ngspice's relative tolerance `reltol` (absolute tolerances scale with
            it); 1e-10 keeps trajectories within ~1e-4 of tight diffrax solves.
        n_points: the step size is at most `t_stop / n_points`.

    Raises:
        ValueError: for other models, several neurons, a badly shaped or
            non-finite `y0`, element names that are not plain names, or
            non-finite parameters.
    """
    values = card_values(model)  # one neuron, plain floats
    y0 = np.asarray(y0, dtype=np.float64).reshape(-1)
    if y0.shape != (model.n_state,) or not np.all(np.isfinite(y0)):
        raise ValueError(
            f"y0 must be {model.n_state} finite values ({', '.join(model.state_names)}), got {y0!r}"
        )
    if not (isinstance(n_points, int) and n_points > 0):
        raise ValueError(f"n_points must be a positive integer, got n_points={n_points!r}")
    if not t_stop > 0:
        raise ValueError(f"t_stop must be > 0 s, got t_stop={t_stop!r}")
    scale = np.asarray(model.state_scale, dtype=np.float64)
    V_unit = float(model.voltage_unit)
    I_unit = float(model.current_unit)
    name = type(model).__name__.lower()
    deck = Deck(f"{name}_behavioural")
    deck.comment(f"{type(model).__name__} behavioural netlist written by felice (SI units)")
    deck.template(
        circuit_file(name, "behavioural.cir").read_text(), source=f"circuits/{name}/behavioural.cir"
    )

    if isinstance(model, FHNRS):
        nodes, node_scale = _fhnrs_top_level(deck, model, values)
    elif isinstance(model, (WereRabbit, Boomerang)):
        circuit = {
            k: values[k] for k in ("C", "I_bias", "I_n0", "kappa", "U_t", "gamma", "rho", "sigma")
        }
        deck.element("Xneuron", ("u", "v"), model=name, params=circuit)
        nodes, node_scale = ("u", "v"), np.ones(2)
    else:
        raise ValueError(f"no behavioural netlist for {type(model).__name__}")

    deck.ic(dict(zip(nodes, y0 * scale / node_scale, strict=True)))
    C_typ = float(np.max(values["C"]))
    deck.options(
        reltol=rtol,
        abstol=rtol * 1e-2 * I_unit,
        vntol=rtol * 1e-2 * V_unit,
        chgtol=rtol * 1e-2 * C_typ * V_unit,
    )
    deck.tran(t_stop / n_points, t_stop, t_stop / n_points)
    deck.write("tran", [f"v({n})" for n in nodes])
    return BehaviouralNetlist(deck, nodes, node_scale)


def _fhnrs_top_level(deck: Deck, model: FHNRS, values: dict) -> tuple[tuple[str, ...], np.ndarray]:
    names = [spice_name(n, what="element name") for n in model.element_names]
    lowered = [n.lower() for n in names]
    if len(set(lowered)) != len(lowered):
        raise ValueError(f"element names must differ in more than case for ngspice, got {names}")
    kappa, U_t, C = values["kappa"], values["U_t"], values["C"]
    I_unit = float(model.current_unit)
    deck.element(
        "Xmembrane",
        ("v",),
        model="fhnrs_membrane",
        params=dict(
            C=C,
            I_passive=values["I_passive"],
            E_rev=values["E_rev"],
            I_app=values["I_app"],
            kappa=kappa,
            U_t=U_t,
        ),
    )
    nodes = ["v"]
    for k, (el, inst) in enumerate(zip(names, model.instantaneous, strict=True)):
        node_in = "v"
        if not inst:
            node_in = f"v_{el}"
            nodes.append(node_in)
            deck.element(
                f"Xfilter_{el}",
                ("v", node_in),
                model="fhnrs_filter",
                params=dict(tau=values["tau"][k], C_filter=C),
            )
        deck.element(
            f"Xel_{el}",
            ("v", node_in),
            model="fhnrs_element",
            params=dict(
                I_B=values["I_B"][k],
                sgn_x=values["sign"][k],
                V_offset=values["V_offset"][k],
                kappa=kappa,
                U_t=U_t,
            ),
        )
    deck.element(
        "Xsynapse",
        ("v", "isyn"),
        model="fhnrs_synapse",
        params=dict(tau_syn=values["tau_syn"], I_unit=I_unit, C_syn=C),
    )
    nodes.append("isyn")
    node_scale = np.ones(len(nodes))
    node_scale[-1] = I_unit
    return tuple(nodes), node_scale


def simulate_behavioural(
    model: AbstractNeuron,
    y0: Float[ArrayLike, "1 n_state"] | Float[ArrayLike, " n_state"] | Sequence[Sequence[float]],
    t_stop: float,
    *,
    rtol: float = 1e-10,
    timeout: float = 120.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the behavioural netlist in ngspice.

    Args:
        model, y0, t_stop, rtol: as for `behavioural_netlist` (t_stop in s).
        timeout: ngspice time limit in s.

    Returns:
        `(t, y)`: ngspice's time points in s, shape `(n_t,)`, and the state in SI
        units (V; A for a current), shape `(n_t, n_state)`.
    """
    net = behavioural_netlist(model, y0, t_stop, rtol=rtol)
    out = run_ngspice(net.deck, timeout=timeout)["tran"]
    pairs = zip(net.nodes, net.node_scale, strict=True)
    y = np.stack([out[f"v({n})"] * s for n, s in pairs], axis=1)
    return out["time"], y
