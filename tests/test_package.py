"""Package layout: what `import felice` loads, and which subpackages may import which."""

import ast
import subprocess
import sys
from pathlib import Path

FELICE = Path(__file__).resolve().parents[1] / "felice"


def test_import_felice_does_not_load_matplotlib():
    # pyplot picks a GUI backend and costs a second at import: only the plotting helpers load it.
    code = "import sys, felice; print(sorted(m for m in sys.modules if m.startswith('matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (deferred imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_models_do_not_import_the_analysis():
    # The models are the bottom layer; the analysis is built on them (no hidden cycle).
    bad = {p.name: sorted(m for m in _imports(p) if m.startswith("felice.analysis"))
           for p in (FELICE / "neuron_models").glob("*.py")}
    assert not {name: modules for name, modules in bad.items() if modules}
