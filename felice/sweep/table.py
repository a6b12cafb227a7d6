"""`SweepTable`: parameter and metric columns of a sweep, with CSV export and import."""

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


class SweepTable:
    """A labelled table: one row per sweep point, named 1-D numpy columns.

    Attributes:
        columns: column name → array of shape `(n_points,)`, parameters first.
        parameters: names of the parameter columns.
        metrics: names of the metric columns.
    """

    def __init__(self, columns: Mapping[str, np.ndarray], parameters: Sequence[str]):
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
        """Write the table as CSV (a header row, then one row per point); returns the path.

        Floats are written with `repr` precision, so `from_csv` restores them exactly.
        The header marks parameter columns with a leading `param:`.
        """
        path = Path(path)
        names = list(self.columns)
        header = [f"param:{n}" if n in self.parameters else n for n in names]
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for row in zip(*(self.columns[n].tolist() for n in names), strict=True):
                writer.writerow([repr(x) if isinstance(x, float) else x for x in row])
        return path

    @classmethod
    def from_csv(cls, path: str | Path) -> "SweepTable":
        """Read a table written by `to_csv` (numeric columns; integers stay integers)."""
        with Path(path).open(newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            raise ValueError(f"{path} is empty: not a SweepTable CSV")
        header, body = rows[0], rows[1:]
        names = [h.removeprefix("param:") for h in header]
        params = [n for h, n in zip(header, names, strict=True) if h.startswith("param:")]
        cols = {}
        for k, name in enumerate(names):
            text = [r[k] for r in body]
            try:
                cols[name] = np.array([int(x) for x in text], dtype=np.int64)
            except ValueError:
                cols[name] = np.array([float(x) for x in text], dtype=float)
        return cls(cols, params)

    def equals(self, other: "SweepTable") -> bool:
        """True when both tables have the same columns, parameters and values (NaN = NaN)."""
        return (
            self.parameters == other.parameters
            and list(self.columns) == list(other.columns)
            and all(np.array_equal(self[k], other[k], equal_nan=True) for k in self.columns)
        )
