"""`felice spice MODEL [--level behavioural|transistor] [--compare]`."""

import sys
from pathlib import Path

from felice._io import atomic_write
from felice.neuron_models import MODELS, AbstractSpiceCircuit


def run_spice_command(
    model: str,
    *,
    level: str = "behavioural",
    compare: bool = False,
    card: str | None = None,
    out: str = ".",
    timeout: float = 600.0,
) -> int:
    """Write a netlist, or co-simulate and report; returns the exit status.

    Without `compare` the netlist (`<model>_<level>.cir`) is written to `out`.
    With it, ngspice and felice run, the numbers are printed, and
    `spice_<model>_<level>.png` and `.json` are written to `out`. Errors of
    ngspice and missing files are printed to stderr (exit status 1).

    Raises:
        ValueError: for an unknown model, a behavioural level of a model without a
            netlist, a transistor level other than fhnrs's, or a bad card
            (`felice.cli.main` prints it as a usage error, exit status 2).
    """
    import jax

    from felice.spice._runner import SpiceError

    jax.config.update("jax_enable_x64", True)  # co-simulation compares at 1e-3 and below
    name = model.lower()
    if name not in MODELS:
        raise ValueError(f"unknown model {model!r}; available: {', '.join(MODELS)}")
    if level == "behavioural" and not issubclass(MODELS[name], AbstractSpiceCircuit):
        raise ValueError(
            f"{MODELS[name].__name__} has no behavioural netlist "
            "(it is not an AbstractSpiceCircuit)"
        )
    if level == "transistor" and name != "fhnrs":
        raise ValueError(f"the transistor-level circuit exists for fhnrs only, not {model!r}")
    try:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        if level == "behavioural":
            _behavioural(name, card, folder, compare, timeout)
        else:
            _transistor(card, folder, compare, timeout)
    except (FileNotFoundError, SpiceError) as err:
        print(f"felice spice: {err}", file=sys.stderr)
        return 1
    return 0


def _behavioural(name: str, card: str | None, folder: Path, compare: bool, timeout: float) -> None:
    from felice.spice import _report as report
    from felice.spice._behavioural import behavioural_netlist
    from felice.spice._cards import model_from_card
    from felice.spice._compare_behavioural import compare_behavioural, default_scenario
    from felice.spice._paths import circuit_file

    model = model_from_card(card if card is not None else circuit_file(name, "card.toml"))
    if not compare:
        y0, t_stop = default_scenario(model)
        path = folder / f"{name}_behavioural.cir"
        atomic_write(path, behavioural_netlist(model, y0, t_stop).deck.render())
        print(f"wrote {path}")
        return
    result = compare_behavioural(model, timeout=timeout)
    label = type(model).__name__
    print(report.behavioural_text(label, result))
    stem = folder / f"spice_{name}_behavioural"
    report.write_json(report.behavioural_summary(label, result), stem.with_suffix(".json"))
    report.plot_behavioural(label, result, stem.with_suffix(".png"))
    print(f"wrote {stem}.png and {stem}.json")


def _transistor(card: str | None, folder: Path, compare: bool, timeout: float) -> None:
    import numpy as np

    from felice.spice import _report as report
    from felice.spice._compare_transistor import compare_transistor
    from felice.spice._sky130 import load_sky130_card, neuron_transient_deck

    design = load_sky130_card(card)
    if not compare:
        path = folder / "fhnrs_transistor.cir"
        atomic_write(path, neuron_transient_deck(design, [0.0], 25e-3).render())
        print(f"wrote {path}")
        return
    del timeout  # each bench has its own limit
    result = compare_transistor(design, np.linspace(-1.2e-9, 1.2e-9, 13))
    print(report.transistor_text(result))
    stem = folder / "spice_fhnrs_transistor"
    report.write_json(report.transistor_summary(result), stem.with_suffix(".json"))
    report.plot_transistor(result, stem.with_suffix(".png"))
    print(f"wrote {stem}.png and {stem}.json")
