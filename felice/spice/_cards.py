"""Hardware parameter cards: a model's circuit values in SI units, as TOML files.

A behavioural card has a `model` key (a name of `felice.MODELS`) and a
`[circuit]` table whose keys are the arguments of that model's `from_circuit`
(numbers or lists of numbers in SI units, or lists of names such as FHNRS's
`element_names`), each commented with its unit from the model's `circuit_units`.
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
from felice.neuron_models import MODELS, AbstractCircuit, model_class, require
from felice.spice._netlist import spice_name, spice_number


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
        to a float64 array, or a tuple of names for a list of strings.

    Raises:
        ValueError: for an unknown model, unknown keys, or values that are not
            finite numbers or lists of names (letters, digits, underscores).
    """
    data = read_toml(path)
    name = data.get("model")
    if not isinstance(name, str):
        raise ValueError(f"{path}: model must be the name of a registered model, got {name!r}")
    try:
        cls = model_class(name)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    circuit = dict(data.get("circuit", {}))
    allowed = set(inspect.signature(cls.from_circuit).parameters) - {"dtype"}
    unknown = sorted(set(circuit) - allowed)
    if unknown:
        raise ValueError(
            f"{path}: unknown keys {unknown} for {cls.__name__}; allowed: {sorted(allowed)}"
        )
    names = {}
    for key, value in list(circuit.items()):
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            names[key] = tuple(spice_name(v, what=f"{key} entry") for v in circuit.pop(key))
    return cls.name, {**check_numbers(circuit, where=f"{Path(path).name}[circuit]"), **names}


def model_from_card(path: str | os.PathLike, *, dtype: Any = jnp.float64) -> AbstractCircuit:
    """The model described by the card at `path` (via `from_circuit`)."""
    name, circuit = load_card(path)
    return model_class(name).from_circuit(**circuit, dtype=dtype)


def card_values(model: AbstractCircuit) -> dict[str, Any]:
    """A circuit's values of one neuron (SI) as plain floats, lists and lists of names,
    ready to write as a card (see `AbstractCircuit.circuit_values`).

    Raises:
        TypeError: for a model without the `AbstractCircuit` capability.
        ValueError: if the model has per-neuron parameters (a card is one neuron).
    """
    require(model, AbstractCircuit, "felice.spice.card_values")
    return {
        key: list(value) if isinstance(value, tuple) else value.tolist()
        for key, value in model.circuit_values().items()
    }


def write_card(model: AbstractCircuit, path: str | os.PathLike) -> Path:
    """Write `model`'s hardware card (TOML, SI units) to `path` atomically; returns the path.

    Raises:
        TypeError: for a model without the `AbstractCircuit` capability.
        ValueError: for an unregistered model (a card names its model), several neurons,
            or names and numbers that a card cannot hold.
    """
    values = card_values(model)
    name = type(model).name
    if MODELS.get(name) is not type(model):
        raise ValueError(
            f"{type(model).__name__} is not the registered model {name!r}; register it "
            "(felice.neuron_models.register) so that its card can be read back"
        )
    lines = [
        f"# {type(model).__name__} hardware parameter card (SI units), written by felice.",
        f'model = "{name}"',
        "",
        "[circuit]",
    ]
    for key, value in values.items():
        spice_name(key, what="card key")
        if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
            text = "[" + ", ".join(f'"{spice_name(v, what=key)}"' for v in value) + "]"
        elif isinstance(value, list):
            text = "[" + ", ".join(_number(v, key) for v in value) + "]"
        else:
            text = _number(value, key)
        unit = model.circuit_units.get(key, "")
        lines.append(f"{key} = {text}" + (f"  # {unit}" if unit else ""))
    return atomic_write(path, "\n".join(lines) + "\n")


def _number(value: Any, key: str) -> str:
    """A number of a card; nested lists (more than one core axis) are refused."""
    if isinstance(value, list):
        raise ValueError(f"{key}: a card holds numbers or lists of numbers, got {value!r}")
    return spice_number(value, name=key)
