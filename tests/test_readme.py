"""The README: its two set-up commands, its example and its links (issue #9)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return [b.strip() for b in re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)]


def test_exactly_two_setup_commands_demo_and_tests():
    demo, tests = _blocks("bash")
    assert "\n" not in demo and "\n" not in tests  # one command each, copy-pasteable
    assert demo.startswith("python3 -m venv .venv") and demo.endswith("&& felice demo")
    assert tests.endswith('pip install -e ".[dev,spice]" && python -m pytest -q')


def test_ci_runs_the_readme_test_command_and_the_example():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[dev,spice]" && python -m pytest -q' in ci
    assert "felice demo" in ci and "docs/scripts/readme_example.py" in ci


def test_example_is_the_script_that_made_its_figure():
    (example,) = _blocks("python")
    script = (ROOT / "docs" / "scripts" / "readme_example.py").read_text()
    body = script.split("# --- README example start ---\n")[1]
    body = body.split("# --- README example end ---")[0]
    assert example == body.strip()
    assert "docs/figures/readme_example.png" in example
    png = (ROOT / "docs" / "figures" / "readme_example.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_relative_links_and_images_exist():
    targets = re.findall(r"\]\(([^)#]+)\)", README)
    assert len(targets) >= 10
    missing = [t for t in targets if not t.startswith("http") and not (ROOT / t).exists()]
    assert not missing, missing
