"""The documentation: docstrings of the public API, the API reference pages, the site's files.

Fast and without mkdocs: the site itself is built by `mkdocs build --strict` in CI.
"""

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import felice

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = DOCS / "api"

# A docstring "says the shape or unit" when it contains one of these.
SHAPE_OR_UNIT = re.compile(
    r"shape|`\(|\(n_|\(\*|scalar|elementwise|same shape|"
    r"model (time |voltage |current )?units?|units of|\bunits?\b|"
    r"\bin (V|A|s|F|Hz|J|W|m|S/m|/V|1/V)\b|\b(V|A|s|F|Hz|J|W|pA|nA|mV|ms)\b|"
    r"volts?|amperes?|seconds?|dimensionless",
    re.IGNORECASE,
)


def _public_modules() -> list[str]:
    names = ["felice"]
    for info in pkgutil.walk_packages(felice.__path__, "felice."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


MODULES = _public_modules()
# Every module, private ones included: where constants are assigned and documented.
ALL_MODULES = ["felice", *(i.name for i in pkgutil.walk_packages(felice.__path__, "felice."))]
TOP_LEVEL = [m for m in MODULES if m.count(".") <= 1]


def _defined_here(module, obj) -> bool:
    return getattr(obj, "__module__", None) == module.__name__


def _public_names(module) -> list[str]:
    """`__all__`, else the functions and classes the module defines without a leading `_`."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and _defined_here(module, obj)
    ]


def _attribute_docstrings(module_name: str) -> dict[str, str]:
    """Module-level `NAME = ...` followed by a string literal (an attribute docstring)."""
    spec = importlib.util.find_spec(module_name)
    tree = ast.parse(Path(spec.origin).read_text())
    docs = {}
    for node, after in zip(tree.body, tree.body[1:], strict=False):
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        if (
            targets
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            for target in targets:
                docs[target] = after.value.value
    return docs


def _constant_docstring(name: str, obj) -> str:
    """The attribute docstring of a constant, from whichever module assigns it."""
    for module_name in ALL_MODULES:
        module = importlib.import_module(module_name)
        if getattr(module, name, None) is not obj:
            continue
        docs = _attribute_docstrings(module_name)
        if name in docs:
            return docs[name]
    return ""


def _unwrap(member):
    """The function behind a class attribute (method, property, equinox wrapper), or None."""
    if isinstance(member, property):
        return member.fget
    if isinstance(member, (staticmethod, classmethod)):
        return member.__func__
    member = getattr(member, "method", member)  # equinox's wrapped methods
    return member if inspect.isfunction(member) else None


def _public_methods(cls):
    """(name, function) of the methods and properties that `cls` itself defines."""
    for name, member in vars(cls).items():
        if name.startswith("_") and name != "__call__":
            continue
        fn = _unwrap(member)
        if fn is not None:
            yield name, fn


def _own_doc(obj) -> str:
    """The object's own docstring (not inherited, unlike `inspect.getdoc`)."""
    return (obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__) or ""


def _callables():
    """Every public function and method of the package, once, by qualified name."""
    seen = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                seen.setdefault(id(obj), (f"{obj.__module__}.{obj.__qualname__}", obj))
            elif inspect.isclass(obj) and obj.__module__.startswith("felice"):
                for _, fn in _public_methods(obj):
                    seen.setdefault(id(fn), (f"{obj.__module__}.{fn.__qualname__}", fn))
    return sorted(seen.values(), key=lambda item: item[0])


CALLABLES = _callables()


@pytest.mark.parametrize("module_name", MODULES)
def test_public_names_have_docstrings(module_name):
    module = importlib.import_module(module_name)
    assert (module.__doc__ or "").strip(), f"{module_name} has no module docstring"
    missing = []
    for name in _public_names(module):
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = _own_doc(obj)
        elif inspect.isfunction(getattr(obj, "__wrapped__", None)):  # e.g. eqx.filter_jit
            doc = obj.__wrapped__.__doc__ or ""
        else:
            doc = _constant_docstring(name, obj)
        if not doc.strip():
            missing.append(name)
        if inspect.isclass(obj) and _defined_here(module, obj):
            missing += [
                f"{name}.{m}" for m, fn in _public_methods(obj) if not (fn.__doc__ or "").strip()
            ]
    assert not missing, f"{module_name}: public names without a docstring: {missing}"


def _takes_or_returns_arrays(fn) -> bool:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    annotations = [p.annotation for p in signature.parameters.values()]
    annotations.append(signature.return_annotation)
    annotations = [a for a in annotations if a is not inspect.Signature.empty]
    text = " ".join(a if isinstance(a, str) else repr(a) for a in annotations)
    return "Array" in text or "ndarray" in text


def test_array_docstrings_say_shapes_or_units():
    """A function or method with array arguments or results says their shape or unit."""
    missing = [
        name
        for name, fn in CALLABLES
        if _takes_or_returns_arrays(fn)
        and not SHAPE_OR_UNIT.search(fn.__doc__ or "")
    ]
    assert not missing, f"docstrings without a shape or unit: {missing}"


def test_shape_check_can_fail():
    def documented(x):
        """Mean over the neurons, shape `(n_neurons,)`."""

    def undocumented(x):
        """Mean over the neurons."""

    assert SHAPE_OR_UNIT.search(documented.__doc__)
    assert not SHAPE_OR_UNIT.search(undocumented.__doc__)


# -- the API reference pages ---------------------------------------------------------


def _directives() -> list[tuple[str, str, list[str] | None | bool]]:
    """(page, module, members) of every `::: module` block; members None: all public names."""
    out = []
    for page in sorted(API.glob("*.md")):
        lines = page.read_text().splitlines()
        for k, line in enumerate(lines):
            match = re.match(r"^::: ([\w.]+)\s*$", line)
            if not match:
                continue
            members: list[str] | None | bool = None
            j = k + 1
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                option = lines[j].strip()
                if option == "members: false":
                    members = False
                elif option == "members:":
                    members = []
                elif isinstance(members, list) and option.startswith("- "):
                    members.append(option[2:].strip())
                j += 1
            out.append((page.name, match.group(1), members))
    return out


DIRECTIVES = _directives()


def _documented_objects() -> dict[int, str]:
    documented = {}
    for page, module_name, members in DIRECTIVES:
        module = importlib.import_module(module_name)
        if members is False:
            continue
        names = _public_names(module) if members is None else members
        for name in names:
            assert hasattr(module, name), f"{page}: {module_name} has no member {name!r}"
            documented[id(getattr(module, name))] = f"{page}: {module_name}.{name}"
    return documented


@pytest.mark.parametrize("module_name", TOP_LEVEL)
def test_every_public_module_has_an_api_page(module_name):
    pages = [page for page, module, _ in DIRECTIVES if module == module_name]
    assert pages, f"no page in docs/api references `::: {module_name}`"


def test_every_public_function_and_class_is_in_the_api_reference():
    documented = _documented_objects()
    missing = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if id(obj) not in documented:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public functions and classes not in docs/api: {sorted(set(missing))}"


def test_api_pages_are_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in API.glob("*.md"):
        assert f"api/{page.name}" in nav, f"docs/api/{page.name} is not in the mkdocs.yml nav"


# -- pages, figures and notebooks -----------------------------------------------------


def test_every_page_is_in_the_nav():
    # The notebooks hook adds the notebooks' overview page with the notebooks.
    nav = (ROOT / "mkdocs.yml").read_text() + (DOCS / "hooks" / "notebooks.py").read_text()
    pages = [p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")]
    pages = [p for p in pages if not p.startswith(("notebooks/", "scripts/", "hooks/"))]
    missing = [p for p in pages if p not in nav]
    assert not missing, f"pages not in the mkdocs.yml nav: {missing}"


PAGES = sorted(
    p.relative_to(DOCS).as_posix()
    for p in DOCS.rglob("*.md")
    if not p.relative_to(DOCS).as_posix().startswith("notebooks/")
)


@pytest.mark.parametrize("page", PAGES)
def test_images_and_links_exist(page):
    text = (DOCS / page).read_text()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        path = (DOCS / page).parent.joinpath(target).resolve()
        assert path.exists(), f"{page}: broken link {target}"


@pytest.mark.parametrize("name", list(felice.MODELS))
def test_every_registered_model_has_a_page_in_the_models_index(name):
    """Registering a circuit makes its page docs/models/<name>.md and its row in the
    models index (a link to the page) required."""
    page = DOCS / "models" / f"{name}.md"
    assert page.is_file(), f"registered model {name!r} has no page docs/models/{name}.md"
    assert f"models/{name}.md" in (ROOT / "mkdocs.yml").read_text(), f"{name}.md not in the nav"
    index = (DOCS / "models" / "index.md").read_text()
    rows = [line for line in index.splitlines() if line.startswith("|") and f"({name}.md)" in line]
    assert rows, f"docs/models/index.md has no table row linking {name}.md"
    assert f"`{felice.MODELS[name].__name__}`" in rows[0], f"the row of {name}.md names no class"


@pytest.mark.parametrize("model", ["fhnrs", "wererabbit", "boomerang"])
def test_model_pages_show_an_iv_figure(model):
    text = (DOCS / "models" / f"{model}.md").read_text()
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert any("iv_" in f for f in figures), f"models/{model}.md shows no I-V figure"
    script = (DOCS / "scripts" / "make_figures.py").read_text()
    for figure in figures:
        if "iv_" in figure:
            assert Path(figure).stem in script, f"{figure}: not made by make_figures.py"


def test_notebook_hook_lists_every_notebook():
    spec = importlib.util.spec_from_file_location("notebooks_hook", DOCS / "hooks" / "notebooks.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    config = {"docs_dir": str(DOCS), "nav": [{"Home": "index.md"}, {"Notebooks": []}]}
    nav = hook.on_config(config)["nav"]
    listed = set(nav[1]["Notebooks"][1:])
    expected = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert expected and listed == expected
    assert (DOCS / "notebooks").resolve() == (ROOT / "notebooks").resolve()
