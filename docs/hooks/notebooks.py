"""MkDocs hook: list every notebook in `notebooks/` under "Notebooks" in the navigation.

`docs/notebooks` is a symbolic link to the repository's `notebooks/` folder, and
mkdocs-jupyter renders the notebooks as they are stored (they are not executed).
The list is read from the folder at build time, so that a new notebook appears in
the site without editing `mkdocs.yml`.
"""

from pathlib import Path

SECTION = "Notebooks"


def on_config(config):
    """Fill the "Notebooks" section of `nav` with `notebooks/*.ipynb`, sorted by name."""
    folder = Path(config["docs_dir"]) / "notebooks"
    # A bare path: the page title is the notebook's first heading.
    pages = [f"notebooks/{p.name}" for p in sorted(folder.glob("*.ipynb"))]
    nav = config["nav"]
    if nav is None:
        return config
    for k, item in enumerate(nav):
        if isinstance(item, dict) and SECTION in item:
            nav[k] = {SECTION: [{"Overview": "notebooks.md"}, *pages]}
            break
    else:
        nav.append({SECTION: [{"Overview": "notebooks.md"}, *pages]})
    return config
