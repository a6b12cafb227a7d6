"""Recording the renames of `felice._io.atomic_open`: proof that a file was written atomically."""

import os
from pathlib import Path

import felice._io


def record_replaces(monkeypatch) -> list[tuple[Path, Path]]:
    """Patch `os.replace` as `felice._io` calls it to record (source, target) pairs."""
    calls = []
    replace = os.replace

    def spy(src, dst):
        calls.append((Path(src), Path(dst)))
        replace(src, dst)

    monkeypatch.setattr(felice._io.os, "replace", spy)
    return calls


def written_atomically(calls: list[tuple[Path, Path]], path: Path) -> bool:
    """Whether `path` was put in place by renaming a `.<name>.*.tmp` file beside it."""
    path = Path(path).resolve()
    return any(
        dst.resolve() == path
        and src.parent.resolve() == path.parent
        and src.name.startswith(f".{path.name}.")
        and src.name.endswith(felice._io.TMP_SUFFIX)
        for src, dst in calls
    )
