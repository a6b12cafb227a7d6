"""`SweepTable`: parameter and metric columns of a sweep, with CSV export and import."""

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from jaxtyping import ArrayLike

from felice._io import atomic_open

_END = "#end"  # first field of the last row; the second is the number of rows


def _column(path: str | Path, name: str, text: list[str]) -> np.ndarray:
    """A CSV column as int64 when every entry is an integer, else float64."""
    try:
        return np.array([int(x) for x in text], dtype=np.int64)
    except ValueError:
        pass
    out = np.empty(len(text))
    for i, x in enumerate(text):
        try:
            out[i] = float(x)
        except ValueError:
            raise ValueError(f"{path}: row {i + 1} of column {name!r} is {x!r}, not a number"
                             ) from None
    return out


class SweepTable:
    """A labelled table: one row per sweep point, named 1-D numpy columns.

    Attributes:
        columns: column name → array of shape `(n_points,)`, parameters first.
        parameters: names of the parameter columns.
        metrics: names of the metric columns.
    """

    def __init__(self, columns: Mapping[str, ArrayLike | Sequence[float]], parameters: Sequence[str]):
        """Build from columns of equal length; `parameters` names the parameter columns.

        Raises:
            ValueError: unequal column lengths, non-1-D columns, or unknown parameter names.
        """
        cols = {str(k): np.asarray(v) for k, v in columns.items()}
        lengths = {k: v.shape for k, v in cols.items()}
        if any(v.ndim != 1 for v in cols.values()) or len({s[0] for s in lengths.values()}) > 1:
            raise ValueError(f"columns must be 1-D arrays of equal length, got shapes {lengths}")
        missing = [p for p in parameters if p not in cols]
        if missing:
            raise ValueError(f"parameters {missing} are not columns; columns are {list(cols)}")
        self.columns = cols
        self.parameters = tuple(parameters)
        self.metrics = tuple(k for k in cols if k not in self.parameters)

    def __len__(self) -> int:
        return next(iter(self.columns.values())).shape[0] if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns are {list(self.columns)}")
        return self.columns[name]

    def __repr__(self) -> str:
        return (f"SweepTable({len(self)} points, parameters={list(self.parameters)}, "
                f"metrics={list(self.metrics)})")

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as CSV (a header row, one row per point, an end row); returns the path.

        Floats are written with `repr` precision, so `from_csv` restores them exactly.
        The header marks parameter columns with a leading `param:`; the last row is
        `#end,<number of rows>`, so that `from_csv` refuses a truncated file. The file is
        written atomically (`felice._io.atomic_open`): a writer killed midway leaves the
        old file as it was.
        """
        path = Path(path)
        names = list(self.columns)
        header = [f"param:{n}" if n in self.parameters else n for n in names]
        with atomic_open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for row in zip(*(self.columns[n].tolist() for n in names), strict=True):
                writer.writerow([repr(x) if isinstance(x, float) else x for x in row])
            writer.writerow([_END, len(self)])
        return path

    @classmethod
    def from_csv(cls, path: str | Path) -> "SweepTable":
        """Read a table written by `to_csv` (numeric columns; integers stay integers).

        Raises:
            ValueError: when the file is not a complete SweepTable CSV: not UTF-8 text, no
                header, duplicate or empty column names, a row whose number of fields
                differs from the header's, a value that is not a number, or a missing or
                wrong end row (a truncated file).
        """
        try:
            with Path(path).open(newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
        except (UnicodeDecodeError, csv.Error) as err:
            raise ValueError(f"{path} is not a SweepTable CSV: {err}") from None
        if not rows or not rows[0]:
            raise ValueError(f"{path} is empty: not a SweepTable CSV")
        header, body = rows[0], rows[1:]
        if not body or body[-1][:1] != [_END]:
            raise ValueError(f"{path} is not a complete SweepTable CSV: its end row "
                             f"'{_END},<rows>' is missing (a truncated file?)")
        end, body = body[-1], body[:-1]
        if end != [_END, str(len(body))]:
            raise ValueError(f"{path} is not a complete SweepTable CSV: its end row {end} does "
                             f"not match its {len(body)} rows (a truncated file?)")
        names = [h.removeprefix("param:") for h in header]
        if "" in names or len(set(names)) != len(names):
            raise ValueError(f"{path}: column names must be distinct and non-empty, got {header}")
        for i, row in enumerate(body):
            if len(row) != len(header):
                raise ValueError(f"{path}: row {i + 1} has {len(row)} fields but the header "
                                 f"has {len(header)}")
        params = [n for h, n in zip(header, names, strict=True) if h.startswith("param:")]
        cols = {}
        for k, name in enumerate(names):
            cols[name] = _column(path, name, [r[k] for r in body])
        return cls(cols, params)

    def equals(self, other: "SweepTable") -> bool:
        """True when both tables have the same columns, parameters and values (NaN = NaN)."""
        return (
            self.parameters == other.parameters
            and list(self.columns) == list(other.columns)
            and all(np.array_equal(self[k], other[k], equal_nan=True) for k in self.columns)
        )
