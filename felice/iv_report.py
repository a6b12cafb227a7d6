"""`felice iv`: I–V curves, equilibria and classification of a model preset."""

import json
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
from felice.neuron_models import AbstractNeuron, AbstractVoltageClamp, model_class


def preset_model(name: str, preset: str | None = None) -> AbstractVoltageClamp:
    """The registered model `name` (case-insensitive) at its preset `preset` (None: its
    first, e.g. FHNRS "spiking"), in float64.

    Raises:
        ValueError: for an unknown model (listing the models) or preset (listing the
            presets), or a model without a voltage clamp (no I–V curves).
    """
    cls = model_class(name)
    if not issubclass(cls, AbstractVoltageClamp):  # a usage error of `felice iv`, not a bug
        members = sorted(set(AbstractVoltageClamp.__abstractmethods__)
                         - set(AbstractNeuron.__abstractmethods__))
        raise ValueError(f"{cls.name} has no voltage clamp, so no I–V curves: the I–V report "
                         f"needs a model with the AbstractVoltageClamp capability "
                         f"({', '.join(members)}); {cls.__name__} is not one")
    return cls.preset(next(iter(cls.presets)) if preset is None else preset, dtype=jnp.float64)


def _finite(x) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(x).ravel()]


def iv_report(model: AbstractVoltageClamp, n_v: int = 401) -> dict:
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
    """Print (text or JSON) the I–V report of a registered model at a preset (None: its
    first); plot the I–V curves and the phase portrait (in the model's `phase_window`)
    to `out` if given."""
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

        window = model.phase_window  # None: no phase plane, the I–V plot only
        fig, axes = plt.subplots(1, 1 if window is None else 2, squeeze=False,
                                 figsize=(5.5 if window is None else 11, 4.2), layout="constrained")
        plot_iv(model, ax=axes[0, 0])
        if window is not None:
            xr, yr = window
            start = np.asarray(model.resting_state()[0]).copy()
            start[0] += 0.1 * (xr[1] - xr[0])
            plot_phase(model, xr, yr, starts=start[None], t1=200.0, ax=axes[0, 1])
        atomic_savefig(fig, out, dpi=100)
        plt.close(fig)
        if not as_json:
            print(f"wrote {Path(out).resolve()}")
    return report
