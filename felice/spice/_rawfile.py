"""Reading ngspice raw files (the output of the `write` command) into arrays."""

from pathlib import Path

import numpy as np


def read_raw(path: str | Path) -> dict[str, np.ndarray]:
    """The vectors of the first plot of an ngspice raw file, binary or ASCII.

    Args:
        path: a file written by ngspice's `write` command (real data: op, dc, tran).

    Returns:
        Mapping from lower-case vector name (`"time"`, `"v(node)"`, `"i(vsource)"`,
        `"v(v-sweep)"`…) to a float64 array of shape `(n_points,)`; the first entry
        is the plot's scale (time, the swept source).

    Raises:
        ValueError: if the file is not a real-valued raw file or is truncated.
    """
    data = Path(path).read_bytes()
    header: dict[str, str] = {}
    names: list[str] = []
    pos = 0
    while True:
        end = data.find(b"\n", pos)
        if end < 0:
            raise ValueError(f"{path}: raw file ends inside its header")
        line = data[pos:end].decode("latin-1").rstrip("\r")
        pos = end + 1
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "variables":
            n_vars = int(header["no. variables"])
            for _ in range(n_vars):
                end = data.find(b"\n", pos)
                fields = data[pos:end].decode("latin-1").split()
                pos = end + 1
                names.append(fields[1].lower())
        elif key in ("binary", "values"):
            break
        else:
            header[key] = value.strip()
    if "complex" in header.get("flags", "").lower():
        raise ValueError(f"{path}: complex raw files (AC analyses) are not supported")
    n_points = int(header["no. points"])
    n_vars = len(names)
    if key == "binary":
        expected = 8 * n_vars * n_points
        if len(data) - pos < expected:
            raise ValueError(
                f"{path}: raw file holds fewer than the {n_points} points it announces"
            )
        values = np.frombuffer(data, dtype="<f8", count=n_vars * n_points, offset=pos)
    else:
        tokens = data[pos:].split()
        # Each point is its index followed by n_vars values.
        numbers = [t for i, t in enumerate(tokens) if i % (n_vars + 1) != 0]
        if len(numbers) < n_vars * n_points:
            raise ValueError(
                f"{path}: raw file holds fewer than the {n_points} points it announces"
            )
        values = np.asarray(numbers[: n_vars * n_points], dtype=np.float64)
    table = values.reshape(n_points, n_vars)
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        out.setdefault(name, np.array(table[:, j]))
    return out
