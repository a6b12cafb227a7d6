"""`felice iv`: I–V curves, equilibria and classification of a model preset."""

import json
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from felice._io import atomic_savefig
from felice.analysis import (
    classify,
    equilibria,
    folds,
    iv_curves,
    negative_conductance,
    zero_crossings,
)
from felice.neuron_models import FHNRS, MODELS, AbstractNeuron, Boomerang, WereRabbit

PRESETS: dict[str, dict[str, Callable[[], AbstractNeuron]]] = {
    "fhnrs": {
        "spiking": lambda: FHNRS(I_app=0.3, dtype=jnp.float64),
        "bursting": lambda: FHNRS.bursting(I_app=-1.5, dtype=jnp.float64),
    },
    "wererabbit": {"default": lambda: WereRabbit(dtype=jnp.float64)},
    "boomerang": {"default": lambda: Boomerang(dtype=jnp.float64)},
}
"""Named parameter sets per model (the first is the default): FHNRS spiking at I_app = 0.3 and
bursting at I_app = −1.5 (Ribar & Sepulchre), the bistable circuits at their defaults."""

# Phase-portrait windows (model units) per model name.
_WINDOWS = {"fhnrs": ((-3.0, 3.0), (-3.0, 3.0)), "wererabbit": ((-0.1, 0.5), (-0.1, 0.5)),
            "boomerang": ((0.15, 0.4), (0.15, 0.4))}


def preset_model(name: str, preset: str | None = None) -> AbstractNeuron:
    """The model `name` (case-insensitive) with parameter preset `preset` (None: the first).

    Raises:
        ValueError: for an unknown model (listing the models) or preset (listing the presets).
    """
    key = str(name).lower()
    if key not in MODELS:
        raise ValueError(f"unknown model name {name!r}; available models: {', '.join(MODELS)}")
    presets = PRESETS[key]
    if preset is None:
        preset = next(iter(presets))
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r} for {key}; available presets: {', '.join(presets)}")
    return presets[preset]()


def _finite(x) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(x).ravel()]


def iv_report(model: AbstractNeuron, n_v: int = 401) -> dict:
    """Curves, conductances, their readings, the equilibria and the class of a single-neuron model.

    Returns:
        A JSON-ready dict (model units; NaN written as null).
    """
    lo, hi = (float(b) for b in model.clamp_range())
    curves = iv_curves(model, np.linspace(lo, hi, n_v))
    eq = equilibria(model)
    out = {
        "model": type(model).__name__,
        "clamped": model.state_names[0],
        "V": _finite(curves.V),
        "curves": {},
        "equilibria": [
            {"state": _finite(eq.states[k]), "label": label,
             "eigenvalues": [[float(np.real(z)), float(np.imag(z))] for z in np.asarray(eq.eigenvalues[k])]}
            for k, label in enumerate(eq.labels)
        ],
        "classification": classify(model),
    }
    for name in curves.names:
        out["curves"][name] = {
            "I": _finite(curves[name]),
            "dI_dV": _finite(curves.conductance(name)),
            "negative_conductance": negative_conductance(curves, name),
            "folds": folds(curves, name).tolist(),
        }
    V_eq = [s["state"][0] for s in out["equilibria"]]
    I_eq = float(model.clamp_current(*model.clamp_split(eq.states[0]))[0]) if V_eq else 0.0
    out["steady_state_zero_crossings"] = zero_crossings(curves, curves.names[-1], I_eq).tolist()
    return out


def run_iv(name: str, *, preset: str | None = None, out: str | Path | None = None,
           as_json: bool = False) -> dict:
    """Print (text or JSON) the I–V report of a model preset; plot it to `out` if given."""
    model = preset_model(name, preset)
    report = iv_report(model)
    if as_json:
        print(json.dumps(report))
    else:
        print(f"{report['model']} (clamp {report['clamped']}): {report['classification']}")
        for k, curve in report["curves"].items():
            nc = ", ".join(f"[{a:.4g}, {b:.4g}]" for a, b in curve["negative_conductance"]) or "none"
            print(f"  {k:<13} negative conductance: {nc}")
        for e in report["equilibria"]:
            print(f"  equilibrium {', '.join(f'{v:.4g}' for v in e['state'])}: {e['label']}")
    if out is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from felice.plotting import plot_iv, plot_phase

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
        plot_iv(model, ax=a1)
        xr, yr = _WINDOWS[str(name).lower()]
        rest = np.asarray(model.resting_state()[0])
        start = rest.copy()
        start[0] += 0.1 * (xr[1] - xr[0])
        plot_phase(model, xr, yr, starts=start[None], t1=200.0, ax=a2)
        atomic_savefig(fig, out, dpi=100)
        plt.close(fig)
        if not as_json:
            print(f"wrote {Path(out).resolve()}")
    return report
