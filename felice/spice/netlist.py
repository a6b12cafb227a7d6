"""ngspice decks built only from validated pieces.

A netlist is executable: ngspice's `.control` blocks can run shell commands. So
nothing user-supplied is pasted into a deck as text. Numbers go in as finite
floats formatted here, names must match `[A-Za-z0-9_]+`, paths must exist and
use a conservative character set, and circuit templates are files shipped in
`circuits/` that may not contain control blocks of their own.
"""

import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

_NAME = re.compile(r"[A-Za-z0-9_]+")
_PATH = re.compile(r"[A-Za-z0-9_./+@-]+")
# Lines a template must not contain: they would run commands or change the deck's end.
_FORBIDDEN_IN_TEMPLATE = re.compile(r"^\s*\.(control|endc|end)\b|^\s*(shell|exec)\b", re.I | re.M)


def spice_name(name: object, *, what: str = "name") -> str:
    """`name` if it is a non-empty string of letters, digits and underscores.

    Args:
        name: the candidate node, element, parameter or vector name.
        what: what the name is, for the error message.

    Raises:
        ValueError: for anything else (spaces, newlines, dots, quotes, non-strings…).
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{what} must be a non-empty string of letters, digits and underscores, got {name!r}"
        )
    return name


def spice_number(value: object, *, name: str) -> str:
    """A finite real number formatted for ngspice (shortest round-trip form, SI base units).

    Args:
        value: a Python or NumPy real scalar, or a size-1 array.
        name: the parameter's name, for the error message.

    Raises:
        ValueError: for strings, booleans, complex or non-finite values, or arrays of size ≠ 1.
    """
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{name} must be a finite real number, got {name}={value!r}")
    if not isinstance(value, numbers.Real):
        try:
            array = np.asarray(value)
        except Exception:
            raise ValueError(f"{name} must be a finite real number, got {name}={value!r}") from None
        if array.size != 1 or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
            raise ValueError(f"{name} must be a finite real number, got {name}={value!r}")
        value = array.reshape(()).item()
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {name}={number!r}")
    return repr(number)


def spice_path(path: str | os.PathLike) -> str:
    """An existing file's absolute path, quoted for `.include`/`.lib`.

    Raises:
        ValueError: if the file does not exist or its path contains characters
            outside `[A-Za-z0-9_./+@-]` (spaces, quotes, newlines…).
    """
    resolved = Path(path).resolve()
    text = str(resolved)
    if not _PATH.fullmatch(text):
        raise ValueError(f"path {text!r} contains characters that are not allowed in a netlist")
    if not resolved.is_file():
        raise ValueError(f"path {text!r} is not an existing file")
    return f'"{text}"'


def check_template(text: str, *, source: str) -> str:
    """`text` of a circuit template, refused if it holds control blocks or shell commands."""
    match = _FORBIDDEN_IN_TEMPLATE.search(text)
    if match:
        raise ValueError(f"template {source} must not contain {match.group(0).strip()!r}")
    return text


class Deck:
    """An ngspice input deck assembled from validated lines.

    Circuit lines and `.control` commands are kept apart; `render()` joins them
    as title, circuit, one `.control` block (ending in `quit`) and `.end`.

    Example:
        >>> deck = Deck("rc")
        >>> deck.element("R1", ("a", "0"), 1e3)
        >>> deck.tran(1e-6, 1e-3)
        >>> deck.write("out", ["v(a)"])
    """

    def __init__(self, title: str):
        """Start a deck whose first (title) line is `title` (a name)."""
        self._lines = [spice_name(title, what="title")]
        self._control: list[str] = []
        self.outputs: list[str] = []
        """Names of the raw files (without `.raw`) the control block writes, in order."""

    # -- circuit ------------------------------------------------------------------

    def comment(self, text: str) -> None:
        """A comment line; `text` may not contain line breaks."""
        if not isinstance(text, str) or any(
            c in text for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
        ):
            raise ValueError(f"comment must be a single line of text, got {text!r}")
        self._lines.append(f"* {text}")

    def lib(self, path: str | os.PathLike, section: str) -> None:
        """`.lib "<path>" <section>` (a model library and its corner)."""
        self._lines.append(f".lib {spice_path(path)} {spice_name(section, what='library section')}")

    def template(self, text: str, *, source: str) -> None:
        """Insert a circuit template (subcircuit definitions) read from `circuits/`."""
        self._lines.append(check_template(text, source=source).rstrip("\n"))

    def options(self, **values: float) -> None:
        """`.options name=value ...` with numeric values."""
        parts = [
            f"{spice_name(k, what='option')}={spice_number(v, name=k)}" for k, v in values.items()
        ]
        self._lines.append(".options " + " ".join(parts))

    def temperature(self, celsius: float) -> None:
        """`.temp` in °C."""
        self._lines.append(f".temp {spice_number(celsius, name='temperature')}")

    def element(
        self,
        name: str,
        nodes: Sequence[str],
        value: float | None = None,
        *,
        model: str | None = None,
        params: Mapping[str, float] | None = None,
    ) -> None:
        """One element or instance line: `name nodes [model] [value] [k=v ...]`.

        Args:
            name: element name; its first letter is its kind (R, C, V, I, G, X, M…).
            nodes: node names ("0" is ground).
            value: the element's value (R in Ω, C in F, V in V, I in A, G in S), if any.
            model: a model or subcircuit name, if any.
            params: instance parameters (numbers).
        """
        parts = [spice_name(name, what="element name")]
        parts += [spice_name(n, what="node name") for n in nodes]
        if model is not None:
            parts.append(spice_name(model, what="model name"))
        if value is not None:
            parts.append(spice_number(value, name=name))
        for key, v in (params or {}).items():
            parts.append(f"{spice_name(key, what='parameter name')}={spice_number(v, name=key)}")
        self._lines.append(" ".join(parts))

    def ic(self, voltages: Mapping[str, float]) -> None:
        """`.ic v(node)=value ...`: initial node voltages for the transient."""
        parts = [
            f"v({spice_name(n, what='node name')})={spice_number(v, name=n)}"
            for n, v in voltages.items()
        ]
        if parts:
            self._lines.append(".ic " + " ".join(parts))

    # -- control --------------------------------------------------------------------

    def tran(self, t_step: float, t_stop: float, t_max: float | None = None) -> None:
        """Transient analysis from the DC operating point (with `.ic` nodes held) to `t_stop` s."""
        args = [spice_number(t_step, name="t_step"), spice_number(t_stop, name="t_stop")]
        if t_max is not None:
            args += ["0", spice_number(t_max, name="t_max")]
        self._control.append("tran " + " ".join(args))

    def dc(self, source: str, start: float, stop: float, step: float) -> None:
        """DC sweep of a voltage or current source."""
        self._control.append(
            f"dc {spice_name(source, what='source name')} {spice_number(start, name='start')} "
            f"{spice_number(stop, name='stop')} {spice_number(step, name='step')}"
        )

    def write(self, name: str, vectors: Iterable[str]) -> str:
        """Write the vectors of the last analysis to `<name>.raw`; returns the file name.

        Args:
            name: output name (a name; the runner reads `<name>.raw`).
            vectors: `v(node)` or `i(source)` entries.
        """
        parts = []
        for vec in vectors:
            match = (
                re.fullmatch(r"([vi])\(([A-Za-z0-9_.]+)\)", vec) if isinstance(vec, str) else None
            )
            if not match or not all(_NAME.fullmatch(p) for p in match.group(2).split(".")):
                raise ValueError(
                    f"vector must be v(node) or i(source) with plain names, got {vec!r}"
                )
            parts.append(vec)
        if not parts:
            raise ValueError("write needs at least one vector")
        spice_name(name, what="output name")
        if name in self.outputs:
            raise ValueError(f"output name {name!r} is written twice")
        self.outputs.append(name)
        self._control.append(f"write {name}.raw " + " ".join(parts))
        return f"{name}.raw"

    def render(self) -> str:
        """The deck as text."""
        control = [".control", "set filetype=binary", *self._control, "quit", ".endc"]
        return "\n".join([*self._lines, *control, ".end", ""])
