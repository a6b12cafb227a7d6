"""Every notebook in notebooks/ is stored without outputs and has an execution test."""

import importlib
from pathlib import Path

import nbformat
import pytest
from _notebooks import MARKER, notebook_paths, storage_problems


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_notebook_is_stored_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert not storage_problems(nb), f"{path.name}: clear its outputs ({storage_problems(nb)})"


def _executed_notebooks() -> set[str]:
    """Names of the notebooks marked by `@executes(...)` in the test modules."""
    names = set()
    for source in sorted(Path(__file__).parent.glob("test_*.py")):
        if "@executes(" not in source.read_text():
            continue
        module = importlib.import_module(source.stem)
        for attr in dir(module):
            fn = getattr(module, attr)
            if attr.startswith("test") and callable(fn):
                names |= {m.args[0] for m in getattr(fn, "pytestmark", []) if m.name == MARKER}
    return names


def test_every_notebook_has_an_execution_test():
    assert len(notebook_paths()) >= 4
    missing = {p.name for p in notebook_paths()} - _executed_notebooks()
    assert not missing, f"notebooks without an execution test (mark one @executes): {missing}"


def test_storage_problems_are_found():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    assert storage_problems(nb) == []
    nb.cells[0].execution_count = 3
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="2\n")]
    assert storage_problems(nb) == ["cell 0 has 1 outputs", "cell 0 has execution_count 3"]
