"""Atomic writes survive a process killed in the middle of a write."""

import os
import signal
import subprocess
import sys
import time

import pytest

from felice._io import atomic_open, atomic_write, remove_orphans

_WRITER = """
import sys, time
from felice._io import atomic_open
with atomic_open(sys.argv[1], "w") as f:
    for i in range(10**6):
        f.write(f"row {i}\\n")
        if i == 1000:
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
"""


def test_killed_writer_leaves_old_content_and_orphan_is_removed(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_text() == "old\n"
    orphans = list(tmp_path.glob(".table.csv.*.tmp"))
    assert len(orphans) == 1 and orphans[0].stat().st_size > 0
    assert remove_orphans(tmp_path, "table.csv") == orphans
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.json"
    atomic_write(path, "{}")
    with pytest.raises(RuntimeError, match="boom"), atomic_open(path) as f:
        f.write("partial")
        raise RuntimeError("boom")
    assert path.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_write_bytes_and_bad_mode(tmp_path):
    assert atomic_write(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    with pytest.raises(ValueError, match="mode"), atomic_open(tmp_path / "c", "a"):
        pass
