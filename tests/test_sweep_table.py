"""SweepTable CSV files: atomic writes, and clear errors for anything but a complete table."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from felice.sweep import SweepTable


def _table(n):
    return SweepTable({"I_app": np.linspace(-1.0, 1.0, n), "count": np.arange(n),
                       "rate": np.arange(n) / 7.0}, ["I_app"])


def test_round_trip_has_an_end_row(tmp_path):
    path = _table(5).to_csv(tmp_path / "t.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "param:I_app,count,rate" and lines[-1] == "#end,5" and len(lines) == 7
    assert SweepTable.from_csv(path).equals(_table(5))
    assert SweepTable.from_csv(_table(0).to_csv(tmp_path / "e.csv")).equals(_table(0))


@pytest.mark.parametrize("content, message", [
    # Before the fix: extra fields were dropped, garbage read as an empty table, and a
    # truncated file read back silently as a complete one.
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a SweepTable CSV"),
    (b"\x00\x00\x00", "not a complete SweepTable CSV"),
    (b"", "is empty"),
    (b"param:x,y\r\n1,2\r\n", "end row '#end,<rows>' is missing"),
    (b"param:x,y\r\n1,2\r\n3,4\r\n#end,3\r\n", "does not match its 2 rows"),
    (b"param:x,y\r\n1,2,99\r\n#end,1\r\n", "row 1 has 3 fields but the header has 2"),
    (b"param:x,y\r\n1\r\n#end,1\r\n", "row 1 has 1 fields"),
    (b"param:x,x\r\n1,2\r\n#end,1\r\n", "distinct and non-empty"),
    (b"param:x,y\r\n1,abc\r\n#end,1\r\n", "row 1 of column 'y' is 'abc', not a number"),
])
def test_from_csv_refuses_what_is_not_a_complete_table(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        SweepTable.from_csv(path)


def test_truncated_file_is_refused(tmp_path):
    path = _table(1000).to_csv(tmp_path / "t.csv")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 3):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="complete SweepTable"):
            SweepTable.from_csv(path)


_WRITER = """
import sys
import numpy as np
from felice.sweep import SweepTable
n = 3_000_000
t = SweepTable({"I_app": np.linspace(-1.0, 1.0, n), "count": np.arange(n)}, ["I_app"])
print("ready", flush=True)
t.to_csv(sys.argv[1])
"""


def test_killed_to_csv_leaves_the_old_complete_table(tmp_path):
    path = _table(12).to_csv(tmp_path / "t.csv")
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size > 100_000 for p in tmp_path.glob(".t.csv.*.tmp")):
            assert time.monotonic() < deadline and proc.poll() is None, "the write never started"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the write
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert SweepTable.from_csv(path).equals(_table(12))
