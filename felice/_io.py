"""Atomic file writes: a file is either its old content or its complete new content.

Every file felice writes (results, checkpoints, manifests, netlists, figures) goes
through `atomic_open`, so that a process killed at any moment never leaves a
truncated file that would later be read back as complete.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

TMP_SUFFIX = ".tmp"


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; on success it replaces `path`.

    The temporary file (`.<name>.<random>.tmp` in the same folder, so the rename
    cannot cross file systems) is flushed and fsynced, then renamed over `path` with
    `os.replace`, which is atomic. If the block raises, the temporary file is
    removed and `path` is left as it was.

    Args:
        path: the file to write; its folder must exist.
        mode: "w" (text, the default) or "wb" (binary).
        **kwargs: passed to `open` (e.g. `newline=""`, `encoding`).

    Raises:
        ValueError: for a mode other than "w" or "wb".
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got mode={mode!r}")
    path = Path(path)
    if mode == "w":
        kwargs.setdefault("encoding", "utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically; return the path."""
    with atomic_open(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def atomic_savefig(fig: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """`fig.savefig` through `atomic_open`; the format is read from the file's suffix."""
    path = Path(path)
    kwargs.setdefault("format", path.suffix.lstrip(".") or "png")
    with atomic_open(path, "wb") as f:
        fig.savefig(f, **kwargs)
    return path


def remove_orphans(folder: str | os.PathLike, name: str) -> list[Path]:
    """Delete temporary files `.<name>.*.tmp` that a killed `atomic_open` left in `folder`.

    Only call this where no other process may be writing `name` at the same time.
    Returns the paths removed.
    """
    removed = []
    for tmp in Path(folder).glob(f".{name}.*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed
