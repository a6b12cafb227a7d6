"""Behavioural netlists: each model's circuit equations as ngspice B-sources and capacitors.

A model with the `AbstractSpiceCircuit` capability has a template,
`circuits/<name>/behavioural.cir`, and lists the top-level instances of its
subcircuits (`behavioural_elements`) as plain data; this module validates them and
writes the deck, in SI units: node voltages in volts, branch currents in amperes,
time in seconds (a current state, like FHNRS's synaptic current, is carried as a
node voltage in units of its current unit).
"""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from jaxtyping import ArrayLike, Float

from felice.neuron_models import AbstractNeuron, AbstractSpiceCircuit, require
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
        model: an `AbstractSpiceCircuit` (every model of `felice.MODELS` that has a
            template) with one neuron.
        y0: initial state in model units, shape `(1, n_state)` or `(n_state,)`.
        t_stop: duration of the transient in s (> 0).
        rtol: ngspice's relative tolerance `reltol` (absolute tolerances scale with
            it); 1e-10 keeps trajectories within ~1e-4 of tight diffrax solves.
        n_points: the step size is at most `t_stop / n_points`.

    Raises:
        TypeError: for a model without the `AbstractSpiceCircuit` capability.
        ValueError: for several neurons, a badly shaped or non-finite `y0`,
            instance or node names that are not plain names or collide in ngspice
            (which ignores case), or non-finite parameters.
        FileNotFoundError: if the model's template is missing.
    """
    require(model, AbstractSpiceCircuit, "felice.spice.behavioural_netlist")
    top = model.behavioural_elements()  # one neuron, plain floats
    y0 = np.asarray(y0, dtype=np.float64).reshape(-1)
    if y0.shape != (model.n_state,) or not np.all(np.isfinite(y0)):
        raise ValueError(
            f"y0 must be {model.n_state} finite values ({', '.join(model.state_names)}), got {y0!r}"
        )
    if not (isinstance(n_points, int) and n_points > 0):
        raise ValueError(f"n_points must be a positive integer, got n_points={n_points!r}")
    if not t_stop > 0:
        raise ValueError(f"t_stop must be > 0 s, got t_stop={t_stop!r}")
    if len(top.state_nodes) != model.n_state or len(top.node_scale) != model.n_state:
        raise ValueError(
            f"{type(model).__name__}.behavioural_elements() must give a node and a scale per "
            f"state column ({', '.join(model.state_names)}), got {top.state_nodes} and "
            f"{top.node_scale}"
        )
    for what, names in (("element name", [e.name for e in top.elements]),
                        ("node name", top.state_nodes)):
        lowered = [spice_name(n, what=what).lower() for n in names]
        if len(set(lowered)) != len(lowered):
            raise ValueError(f"{what}s must differ in more than case for ngspice, got {names}")
    scale = np.asarray(model.state_scale, dtype=np.float64)
    node_scale = np.asarray(top.node_scale, dtype=np.float64)
    V_unit = float(model.voltage_unit)
    I_unit = float(model.current_unit)
    name = model.name
    deck = Deck(f"{name}_behavioural")
    deck.comment(f"{type(model).__name__} behavioural netlist written by felice (SI units)")
    deck.template(
        circuit_file(name, "behavioural.cir").read_text(), source=f"circuits/{name}/behavioural.cir"
    )
    for element in top.elements:
        deck.element(element.name, element.nodes, model=element.subcircuit, params=element.params)
    deck.ic(dict(zip(top.state_nodes, y0 * scale / node_scale, strict=True)))
    # Charge tolerance: a fraction of one model unit of charge (current unit × time unit).
    deck.options(
        reltol=rtol,
        abstol=rtol * 1e-2 * I_unit,
        vntol=rtol * 1e-2 * V_unit,
        chgtol=rtol * 1e-2 * I_unit * float(model.time_unit),
    )
    deck.tran(t_stop / n_points, t_stop, t_stop / n_points)
    deck.write("tran", [f"v({n})" for n in top.state_nodes])
    return BehaviouralNetlist(deck, top.state_nodes, node_scale)


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
