"""Running ngspice in batch mode in a temporary directory, with a timeout."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from felice._validation import check_positive
from felice.spice._netlist import Deck
from felice.spice._rawfile import read_raw

INSTALL_HINT = "sudo apt-get update && sudo apt-get install -y ngspice"
"""How to install ngspice on Debian/Ubuntu (the CI does the same, as root)."""

# ngspice reports many failures on stderr and still exits with status 0.
_FAILURE = re.compile(
    r"\berror\b|aborted|timestep too small|singular matrix|not available or has zero length"
    r"|no such vector|unknown subckt|unknown model|could not find",
    re.I,
)


class SpiceError(RuntimeError):
    """Base class of the errors raised when ngspice cannot deliver a result."""


class NgspiceNotFoundError(SpiceError):
    """The ngspice executable is not installed (or not at the given path)."""


class NgspiceError(SpiceError):
    """ngspice ran but failed; the message carries ngspice's own words."""


class NgspiceTimeoutError(SpiceError):
    """ngspice did not finish within the time limit."""


def find_ngspice(executable: str | os.PathLike | None = None) -> str:
    """The path of the ngspice executable.

    Args:
        executable: an explicit path or command name; default `ngspice` on `PATH`.

    Raises:
        NgspiceNotFoundError: if it cannot be found; the message says how to install it.
    """
    found = shutil.which(str(executable) if executable is not None else "ngspice")
    if found is None:
        where = f" at {str(executable)!r}" if executable is not None else " on PATH"
        raise NgspiceNotFoundError(f"ngspice was not found{where}. Install it with: {INSTALL_HINT}")
    return found


def run_ngspice(
    deck: Deck,
    *,
    timeout: float = 300.0,
    executable: str | os.PathLike | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Simulate `deck` with `ngspice -b` in a fresh temporary directory and read its outputs.

    The directory (deck, raw files) is removed afterwards, also on failure.
    ngspice runs with `-n` (no user `.spiceinit`) so that results do not depend
    on local configuration.

    Args:
        deck: the validated deck; its `write` commands name the outputs.
        timeout: wall-clock limit in seconds (finite, > 0).
        executable: ngspice executable (default: `ngspice` on `PATH`).

    Returns:
        For each output name of the deck (in order), the vectors of its raw file
        (see `read_raw`): arrays of shape `(n_points,)` in SI units.

    Raises:
        ValueError: if `timeout` is not a finite number > 0.
        NgspiceNotFoundError: if ngspice is not installed.
        NgspiceTimeoutError: if it runs longer than `timeout`.
        NgspiceError: if it exits with an error, reports one, or does not write
            an expected output; the message quotes ngspice's output.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise ValueError(f"timeout must be a number of seconds, got timeout={timeout!r}")
    check_positive("timeout", timeout)  # inf would overflow subprocess's timer
    if not isinstance(deck, Deck):
        raise TypeError(f"deck must be a felice.spice.Deck, got {type(deck).__name__}")
    exe = find_ngspice(executable)
    with tempfile.TemporaryDirectory(prefix="felice_spice_") as tmp:
        work = Path(tmp)
        (work / "deck.cir").write_text(deck.render())
        try:
            proc = subprocess.run(
                [exe, "-b", "-n", "deck.cir"],
                cwd=work,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise NgspiceTimeoutError(
                f"ngspice did not finish within {timeout:g} s "
                "(raise `timeout` or shorten the analysis)"
            ) from None
        messages = [line for line in proc.stderr.splitlines() if _FAILURE.search(line)]
        messages += [line for line in proc.stdout.splitlines() if _FAILURE.search(line)]
        missing = [name for name in deck.outputs if not (work / f"{name}.raw").is_file()]
        if proc.returncode != 0 or messages or missing:
            detail = "\n".join(dict.fromkeys(messages)) or _tail(proc.stderr) or _tail(proc.stdout)
            extra = f" (no output {', '.join(missing)})" if missing else ""
            raise NgspiceError(
                f"ngspice failed with exit status {proc.returncode}{extra}:\n{detail}"
            )
        return {name: read_raw(work / f"{name}.raw") for name in deck.outputs}


def _tail(text: str, n: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-n:])
