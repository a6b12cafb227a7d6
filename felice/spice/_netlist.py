"""ngspice decks built only from validated pieces.

A netlist is executable: ngspice's `.control` blocks (and `*#` comment lines) run
commands, and with `set unixcom` any word is a shell command. So nothing
user-supplied is pasted into a deck as text. Numbers go in as finite floats
formatted here, names must match `[A-Za-z0-9_]+`, paths must exist and use a
conservative character set, and circuit templates and model libraries pass an
allow-list of dot-commands and element kinds, line by line and through every file
they include.
"""

import functools
import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

_NAME = re.compile(r"[A-Za-z0-9_]+")
_PATH_CHARS = r"[A-Za-z0-9_./+@-]+"
_PATH = re.compile(_PATH_CHARS)
# Anything but printable ASCII, tabs and line feeds: ngspice and Python may split such
# lines differently (a lone carriage return, a form feed…).
_ODD_CHARACTER = re.compile(r"[^\t\n\x20-\x7e]")
# Lines that are not blank, plain comments (`*#` is a command) or continuations (`+`,
# arguments only); ngspice ignores leading blanks: " .control" opens a block.
_STATEMENT = re.compile(r"^[ \t]*(?:[^ \t\n*+]|\*#).*", re.M)
# A continuation before any statement would extend the line before the text.
_LEADING_CONTINUATION = re.compile(r"(?:[ \t]*(?:\*(?!#).*)?\n)*[ \t]*\+")
# Dot-commands a template may use, compared exactly: ngspice matches commands by
# prefix (`.control1` opens a control block, `.incfoo` includes a file).
_TEMPLATE_COMMANDS = frozenset({".subckt", ".ends", ".param", ".func", ".model"})
# A model library may also hold `.lib <section>` … `.endl` sections.
_LIBRARY_COMMANDS = _TEMPLATE_COMMANDS | {".endl"}
# Element kinds (first letter) allowed: Berkeley devices, subcircuits, controlled and
# behavioural sources. XSPICE code models (A) read files, OSDI devices (N) load code.
_ELEMENT_KINDS = frozenset("bcdefghijklmqrvx")
_INCLUDE = re.compile(
    rf'\.(?P<command>include|inc|lib)\s+(?P<quote>"?)(?P<path>{_PATH_CHARS})(?P=quote)'
    r"(?:\s+(?P<section>[A-Za-z0-9_]+))?",
    re.I,
)


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


def _check_lines(text: str, *, source: str, library: bool, folder: Path | None) -> list[Path]:
    """Refuse any line of `text` outside the allow-list; return the files it includes.

    Args:
        text: a template (`library=False`) or a model library file (`library=True`).
        source: where `text` comes from, for the error messages.
        library: allow `.lib <section>` … `.endl` sections.
        folder: where relative include paths are resolved (ngspice resolves them
            beside the including file); None refuses relative paths.
    """
    text = text.replace("\r\n", "\n")
    odd = _ODD_CHARACTER.search(text)
    if odd:
        number = text.count("\n", 0, odd.start()) + 1
        raise ValueError(
            f"{source} line {number} holds {odd.group()!r}: only printable ASCII, tabs and "
            "line breaks are allowed (ngspice may split other characters into lines)"
        )
    if _LEADING_CONTINUATION.match(text):
        raise ValueError(f"{source} may not begin with a continuation line ('+')")
    includes = []
    for match in _STATEMENT.finditer(text):
        line = match.group().strip()
        token = line.split()[0].lower()
        why = None
        if line.startswith("*#"):
            why = "ngspice runs a '*#' comment as a control command"
        elif token.startswith((".control", ".endc")):
            why = "ngspice opens or closes a .control block on this prefix (its commands run)"
        elif token.startswith((".inc", ".lib")):
            if not (library and token == ".lib" and _NAME.fullmatch(line[4:].strip())):
                why = _include(line, token, folder, includes)  # else a section header `.lib tt`
        elif token.startswith("."):
            allowed = _LIBRARY_COMMANDS if library else _TEMPLATE_COMMANDS
            if token not in allowed:
                why = f"{token} is not one of {', '.join(sorted(allowed))}"
        elif not (_NAME.fullmatch(token) and token[0] in _ELEMENT_KINDS):
            why = (
                f"elements are named [A-Za-z0-9_]+, of a kind in {''.join(sorted(_ELEMENT_KINDS))}"
            )
        if why:
            number = text.count("\n", 0, match.start()) + 1
            raise ValueError(f"{source} line {number}: {line!r} is not allowed: {why}")
    return includes


def _include(line: str, token: str, folder: Path | None, includes: list[Path]) -> str | None:
    """Append the file an `.include`/`.lib` line names to `includes`, or say what is wrong."""
    match = _INCLUDE.fullmatch(line)
    command = match and match["command"].lower()
    if not match or command != token[1:] or (command == "lib") != bool(match["section"]):
        return 'expected .include "<path>" or .lib "<path>" <section>'
    path = Path(match["path"])
    if not path.is_absolute():
        if folder is None:
            return "the included path must be absolute"
        path = folder / path
    includes.append(path.resolve())
    return None


@functools.lru_cache(maxsize=64)
def _library_includes(path: Path, mtime_ns: int, size: int) -> tuple[Path, ...]:
    """The files a model library includes, once it is checked (cached until it changes)."""
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(f"model library {path} is not ASCII text") from None
    return tuple(_check_lines(text, source=str(path), library=True, folder=path.parent))


def _check_libraries(paths: Iterable[Path], *, within: Sequence[Path] | None) -> None:
    """Check model libraries and everything they include, recursively.

    Args:
        paths: resolved library files.
        within: folders every file must lie in (None: anywhere).

    Raises:
        ValueError: for a missing file, one outside `within`, or a line outside the allow-list.
    """
    pending, seen = list(paths), set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        if within is not None and not any(path.is_relative_to(root) for root in within):
            raise ValueError(
                f"{path} may not be included: only the PDK model files "
                f"({', '.join(map(str, within)) or 'not installed'}) may"
            )
        spice_path(path)
        stat = path.stat()
        pending += _library_includes(path, stat.st_mtime_ns, stat.st_size)


def _pdk_folders() -> tuple[Path, ...]:
    """The folders of the process model files felice ships with (none if not installed)."""
    from felice.spice._paths import sky130_library  # paths imports this module

    try:
        return (sky130_library().resolve().parent,)
    except FileNotFoundError:
        return ()


def check_template(text: str, *, source: str) -> str:
    """`text` of a circuit template, if every line passes the template allow-list.

    Allowed: comments (`*`, but not `*#`, which ngspice runs), continuation lines,
    elements of the kinds in `_ELEMENT_KINDS`, the dot-commands `_TEMPLATE_COMMANDS`,
    and `.include`/`.lib` of the package's PDK model files (absolute paths), which are
    checked with the library allow-list through every file they include.

    Raises:
        ValueError: naming the source, line and reason, for anything else
            (`.control`, `.controls`, `.endc1`, `.end`, `.option`, XSPICE `A` elements…).
    """
    includes = _check_lines(text, source=f"template {source}", library=False, folder=None)
    _check_libraries(includes, within=_pdk_folders())
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
        """`.lib "<path>" <section>` (a model library and its corner).

        The library and every file it includes must pass the library allow-list
        (see `check_template`; `.lib <section>` … `.endl` allowed too).
        """
        _check_libraries([Path(path).resolve()], within=None)
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
