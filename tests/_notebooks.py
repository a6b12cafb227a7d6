"""Shared code of the notebook tests: execute a notebook in a Jupyter kernel (nbclient).

Each execution test is marked `@executes("name.ipynb")` (the `notebook` marker), which
is how `test_notebooks_clean.py` checks that every notebook in notebooks/ is covered.
A test can append a *check cell*: code run in the notebook's kernel after its last
cell, which prints one JSON value; `run_notebook` returns it parsed, so a test can
assert on what the notebook computed.
"""

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
MARKER = "notebook"


def executes(name: str):
    """Mark a test as the execution test of `notebooks/<name>`."""
    if not (NOTEBOOKS / name).is_file():
        raise ValueError(f"no notebook {name!r} in {NOTEBOOKS}")
    def mark(fn):
        # Notebooks execute in a fresh kernel (a minute of compilation each): slow tests.
        return pytest.mark.slow(getattr(pytest.mark, MARKER)(name)(fn))

    return mark


def notebook_paths() -> list[Path]:
    """Every notebook in notebooks/, sorted."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def storage_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Why a notebook is not stored clean (outputs or execution counts), one entry per cell."""
    problems = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {k} has {len(cell.outputs)} outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {k} has execution_count {cell.execution_count}")
    return problems


@dataclass
class Executed:
    """An executed notebook.

    Attributes:
        nb: the notebook with its outputs.
        text: all stream output of the notebook's own cells, concatenated.
        check: the JSON value printed by the check cell (None without one).
        seconds: wall time of the execution, kernel start included.
    """

    nb: nbformat.NotebookNode
    text: str
    check: Any
    seconds: float


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """`os.environ` updated with `env` (inherited by the kernel), restored afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_notebook(
    name: str,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    check: str | None = None,
    timeout: int = 600,
) -> Executed:
    """Execute `notebooks/<name>` top to bottom in a fresh python3 kernel.

    Args:
        name: file name of the notebook in notebooks/.
        workdir: the kernel's working directory (files the notebook writes go there).
        env: extra environment variables for the kernel (e.g. FELICE_NOTEBOOK_SMALL).
        check: code of a cell run after the notebook's cells that prints one JSON value.
        timeout: seconds allowed per cell.

    The notebook must be stored clean (asserted before it runs). A cell that raises
    fails the test with nbclient's `CellExecutionError` (the traceback in the cell).
    """
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert not storage_problems(nb), f"{name} is not stored clean: {storage_problems(nb)}"
    n_own = len(nb.cells)
    if check is not None:
        nb.cells.append(nbformat.v4.new_code_cell(check))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    with _environment(env or {}):
        client.execute()
    seconds = time.perf_counter() - start
    print(f"{name}: executed in {seconds:.1f} s")  # shown by pytest -s / on failure

    def stream(cells) -> str:
        return "".join(o.get("text", "") for c in cells if c.cell_type == "code"
                       for o in c.outputs if o.get("output_type") == "stream")

    result = None
    if check is not None:
        lines = stream(nb.cells[n_own:]).strip().splitlines()
        assert lines, "the check cell printed nothing"
        result = json.loads(lines[-1])
    return Executed(nb=nb, text=stream(nb.cells[:n_own]), check=result, seconds=seconds)
