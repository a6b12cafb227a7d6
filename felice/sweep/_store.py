"""Resumable storage of a sweep: one atomically written file per finished chunk."""

import json
import os
from pathlib import Path

import numpy as np

from felice._describe import config_hash
from felice._io import atomic_open, remove_orphans

CONFIG_FILE = "sweep.json"


class ChunkStore:
    """A results folder: `sweep.json` (configuration and hash) and `chunk_XXXXXX.npz` files.

    Opening a folder that holds another configuration raises `ValueError` unless
    `overwrite`, which deletes its chunk files and starts over. Opening a folder
    deletes the temporary files that a killed sweep left there (`.chunk_*.npz.*.tmp`),
    so only one sweep may use a folder at a time.
    """

    def __init__(self, folder: str | os.PathLike, description: dict, *, overwrite: bool = False):
        """Open (or create) `folder` for the sweep `description` (`felice._describe.describe`)."""
        self.folder = Path(folder)
        self.hash = config_hash(description)
        self.folder.mkdir(parents=True, exist_ok=True)
        # Temporary files of writers killed earlier (one sweep per folder at a time).
        for name in (CONFIG_FILE, "chunk_*.npz"):
            remove_orphans(self.folder, name)
        config = self.folder / CONFIG_FILE
        if config.exists():
            old = json.loads(config.read_text()).get("hash")
            if old != self.hash:
                if not overwrite:
                    raise ValueError(
                        f"the results folder {self.folder} holds a different sweep "
                        f"(configuration hash {old} != {self.hash}); pass overwrite=True to "
                        "delete its results and start over, or use another folder"
                    )
                for f in self.folder.glob("chunk_*.npz"):
                    f.unlink()
        payload = json.dumps({"hash": self.hash, "config": description}, indent=1,
                             sort_keys=True, allow_nan=False).encode()
        with atomic_open(config, "wb") as f:
            f.write(payload)

    def _path(self, index: int) -> Path:
        return self.folder / f"chunk_{index:06d}.npz"

    def load(self, index: int) -> dict[str, np.ndarray] | None:
        """The metric columns of a finished chunk, or None when it is not done (or stale)."""
        path = self._path(index)
        if not path.exists():
            return None
        with np.load(path) as data:
            if str(data["__hash__"]) != self.hash:
                return None
            return {k: data[k] for k in data.files if k != "__hash__"}

    def save(self, index: int, columns: dict[str, np.ndarray]) -> None:
        """Write a finished chunk atomically with the configuration hash."""
        with atomic_open(self._path(index), "wb") as f:
            np.savez(f, __hash__=np.asarray(self.hash), **columns)
