"""Hardware parameter cards: a model's circuit values in SI units, as TOML files.

A behavioural card has a `model` key (a name of `felice.MODELS`) and a
`[circuit]` table whose keys are the arguments of that model's `from_circuit`
(numbers or lists of numbers in SI units; FHNRS also takes `element_names`).
`circuits/<model>/card.toml` holds the defaults.
"""

import inspect
import os
import tomllib
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from felice._io import atomic_write
from felice.neuron_models import MODELS, AbstractNeuron
from felice.spice._netlist import spice_name, spice_number

# Keys of to_circuit() that describe the unit system, not the circuit.
_UNIT_KEYS = ("time_unit", "voltage_unit", "current_unit")
# Card entries that are names rather than numbers.
_NAME_KEYS = ("element_names",)
# FHNRS entries with one value per element (a trailing axis).
_ELEMENT_KEYS = ("I_B", "sign", "tau", "V_offset")
_UNITS = {
    "C": "F",
    "I_passive": "A",
    "I_B": "A",
    "sign": "+1 or -1",
    "tau": "s",
    "V_offset": "V",
    "E_rev": "V",
    "I_app": "A",
    "tau_syn": "s",
    "V_th": "V",
    "kappa": "",
    "U_t": "V",
    "I_bias": "A",
    "I_n0": "A",
    "gamma": "1/V",
    "rho": "1/V",
    "sigma": "",
    "atol": "",
    "rtol": "",
    "w_u": "V",
    "w_v": "V",
}


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """The TOML file at `path` as a dict (`ValueError` naming the file if it is malformed)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not a valid TOML card: {err}") from None


def check_numbers(table: dict[str, Any], *, where: str) -> dict[str, np.ndarray]:
    """Every value of `table` as a float64 array, refusing non-numeric or non-finite entries.

    Raises:
        ValueError: naming `where` and the key, for names that are not plain
            identifiers, strings, booleans, nested tables, NaN or ±inf.
    """
    out = {}
    for key, value in table.items():
        spice_name(key, what=f"key in {where}")
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ValueError(f"{where}.{key} must not be an empty list")
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise ValueError(
                    f"{where}.{key} must be a number or a list of numbers, got {value!r}"
                )
            spice_number(item, name=f"{where}.{key}")
        out[key] = np.asarray(value, dtype=np.float64)
    return out


def load_card(path: str | os.PathLike) -> tuple[str, dict[str, Any]]:
    """Read and validate a behavioural card.

    Returns:
        `(model_name, circuit)` where `circuit` maps each `from_circuit` argument
        to a float64 array (or a tuple of names for `element_names`).

    Raises:
        ValueError: for an unknown model, unknown keys, or values that are not
            finite numbers (names: letters, digits, underscores).
    """
    data = read_toml(path)
    name = data.get("model")
    if not isinstance(name, str) or name.lower() not in MODELS:
        raise ValueError(f"{path}: model must be one of {', '.join(MODELS)}, got {name!r}")
    cls = MODELS[name.lower()]
    circuit = dict(data.get("circuit", {}))
    allowed = set(inspect.signature(cls.from_circuit).parameters) - {"dtype"}
    unknown = sorted(set(circuit) - allowed)
    if unknown:
        raise ValueError(
            f"{path}: unknown keys {unknown} for {cls.__name__}; allowed: {sorted(allowed)}"
        )
    names = {}
    for key in _NAME_KEYS:
        if key in circuit:
            value = circuit.pop(key)
            if not isinstance(value, list):
                raise ValueError(f"{path}: {key} must be a list of names, got {value!r}")
            names[key] = tuple(spice_name(v, what=f"{key} entry") for v in value)
    return name.lower(), {**check_numbers(circuit, where=f"{Path(path).name}[circuit]"), **names}


def model_from_card(path: str | os.PathLike, *, dtype: Any = jnp.float64) -> AbstractNeuron:
    """The model described by the card at `path` (via `from_circuit`)."""
    name, circuit = load_card(path)
    return MODELS[name].from_circuit(**circuit, dtype=dtype)


def card_values(model: AbstractNeuron) -> dict[str, Any]:
    """A model's circuit values (SI) as plain floats/lists, ready to write as a card.

    Raises:
        ValueError: if the model has per-neuron parameters (a card is one neuron).
    """
    n = model.population_size()
    if n not in (None, 1):
        raise ValueError(f"the model has {n} neurons; a card (and a netlist) describes one neuron")
    out: dict[str, Any] = {}
    for key, value in model.to_circuit().items():
        if key in _UNIT_KEYS:
            continue
        array = np.asarray(value, dtype=np.float64)
        if array.ndim > (1 if key in _ELEMENT_KEYS else 0):
            array = array[0]  # the single neuron of a population of one
        out[key] = array.tolist()
    if hasattr(model, "element_names"):
        out["element_names"] = list(model.element_names)
    return out


def write_card(model: AbstractNeuron, path: str | os.PathLike) -> Path:
    """Write `model`'s hardware card (TOML, SI units) to `path` atomically; returns the path."""
    values = card_values(model)
    name = next(k for k, cls in MODELS.items() if type(model) is cls)
    lines = [
        f"# {type(model).__name__} hardware parameter card (SI units), written by felice.",
        f'model = "{name}"',
        "",
        "[circuit]",
    ]
    for key, value in values.items():
        if key in _NAME_KEYS:
            text = "[" + ", ".join(f'"{spice_name(v, what=key)}"' for v in value) + "]"
        elif isinstance(value, list):
            text = "[" + ", ".join(spice_number(v, name=key) for v in value) + "]"
        else:
            text = spice_number(value, name=key)
        unit = _UNITS.get(key, "")
        lines.append(f"{key} = {text}" + (f"  # {unit}" if unit else ""))
    return atomic_write(path, "\n".join(lines) + "\n")
