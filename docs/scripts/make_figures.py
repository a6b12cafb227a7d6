"""Regenerate the figures of the documentation site (docs/figures/*.png).

    python docs/scripts/make_figures.py            # all figures
    python docs/scripts/make_figures.py fhnrs      # only the figures whose name starts so

Each model page shows the I–V curves and phase portrait of one model preset, drawn by
the same code as `felice iv MODEL --preset NAME --out FILE.png` (float64). The text
report (classification, negative-conductance intervals, equilibria) of each preset is
written next to the figure as JSON, so that the numbers quoted in the pages can be
checked against it.
"""

import json
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)  # the presets are float64

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from felice._io import atomic_write  # noqa: E402
from felice.iv_report import run_iv  # noqa: E402

FIGURES = Path(__file__).resolve().parents[1] / "figures"

# figure name → (model, preset)
IV_FIGURES = {
    "iv_fhnrs_spiking": ("fhnrs", "spiking"),
    "iv_fhnrs_bursting": ("fhnrs", "bursting"),
    "iv_wererabbit": ("wererabbit", "default"),
    "iv_boomerang": ("boomerang", "default"),
}


def _compact(report: dict) -> dict:
    """The report without the sampled curves (kept small for the repository)."""
    out = {k: v for k, v in report.items() if k not in ("curves", "V")}
    out["negative_conductance"] = {
        name: curve["negative_conductance"] for name, curve in report["curves"].items()
    }
    return out


def main(prefixes: list[str]) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name, (model, preset) in IV_FIGURES.items():
        if prefixes and not any(name.startswith(p) or name.startswith(f"iv_{p}") for p in prefixes):
            continue
        t = time.perf_counter()
        report = run_iv(model, preset=preset, out=FIGURES / f"{name}.png")
        atomic_write(FIGURES / f"{name}.json", json.dumps(_compact(report), indent=1) + "\n")
        print(f"{name}: {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
