"""Manifest and results files: strict JSON (no NaN/Infinity tokens), reproducible runs.

Host conversion happens only here. Non-finite numbers are written as the strings
"inf", "-inf" and "nan" so that any strict JSON parser reads the files.
"""

import dataclasses
import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from felice._describe import config_hash, describe
from felice._io import atomic_write
from felice.neuron_models import AbstractCircuit
from felice.pipeline._emitter import Emitter
from felice.pipeline._field import Field
from felice.pipeline._pipeline import Pipeline
from felice.pipeline._readout import Readout, Readouts

FORMAT = "felice-pipeline-results/1"
_NONFINITE = {"inf": np.inf, "-inf": -np.inf, "nan": np.nan}


def to_json(x: Any) -> Any:
    """`x` as plain JSON values: arrays to nested lists, non-finite floats to strings.

    Anything else (functions, equinox modules) is `felice._describe.describe`d, which
    raises `ValueError` for an object with no deterministic description.
    """
    if isinstance(x, dict):
        return {str(k): to_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_json(v) for v in x]
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if np.isnan(v):
            return "nan"
        return v if np.isfinite(v) else ("inf" if v > 0 else "-inf")
    if eqx.is_array(x) or isinstance(x, np.ndarray):
        a = np.asarray(x)
        if a.dtype == bool:
            return a.tolist()
        if np.issubdtype(a.dtype, np.integer):
            return a.astype(int).tolist()
        return to_json(a.astype(float).tolist()) if a.ndim else to_json(float(a))
    return describe(x)  # functions by their code, modules by their fields; never a repr


def _from_json(x: Any) -> Any:
    if isinstance(x, list):
        return [_from_json(v) for v in x]
    if isinstance(x, str):
        return _NONFINITE[x]
    return x


def dumps(obj: Any) -> str:
    """Strict JSON text of `obj` (raises ValueError if a NaN or inf slipped through)."""
    return json.dumps(to_json(obj), indent=1, allow_nan=False, sort_keys=False)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("felice", "jax", "jaxlib", "equinox", "diffrax", "optimistix", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _module_fields(obj: Any) -> dict[str, Any]:
    """The dataclass fields of an equinox module (arrays and static settings)."""
    out: dict[str, Any] = {"type": type(obj).__name__}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = _module_fields(value) if isinstance(value, eqx.Module) else value
    return out


def _field_description(field: Field | None) -> dict[str, Any] | None:
    if field is None:
        return None
    return {**_module_fields(field), "unit": field.unit}


def manifest(pipeline: Pipeline, emitter: Emitter, *, seed: int | None = None) -> dict[str, Any]:
    """Everything needed to reproduce a run, as JSON-ready values.

    Contents: the model (class, hardware parameters in SI units with their units
    (`circuit_units`; None for a model that is not an `AbstractCircuit`), its parameters), the supply voltage, the simulation settings and
    inputs, the field and probes, the seed, package versions, and `config_hash`:
    the SHA-256 of all of that except the versions.

    Args:
        pipeline: the pipeline that produced (or will produce) the readouts.
        emitter: the emitter it ran.
        seed: the random seed of the run, if any (e.g. of a mismatch draw).
    """
    model = emitter.model
    hardware = None
    if isinstance(model, AbstractCircuit):
        units = type(model).circuit_units
        hardware = {k: {"value": v, "unit": units.get(k, "")} for k, v in model.to_circuit().items()}
    config = {
        "model": {
            "class": type(model).__name__,
            "hardware_SI": hardware,
            "parameters": _module_fields(model),
        },
        "supply": {"V_dd": {"value": pipeline.source.V_dd, "unit": "V"}},
        "simulation": {
            **emitter.settings(),
            "seconds_per_time_unit": model.time_unit,
            "y0": emitter.y0,
            "inputs": [_module_fields(i) if isinstance(i, eqx.Module) else i
                       for i in emitter.inputs],
        },
        "field": _field_description(pipeline.field),
        "field_input": pipeline.field_input,
        "probes": list(pipeline.probe.names),
        "seed": seed,
    }
    config = to_json(config)
    return {**config, "versions": _versions(), "config_hash": config_hash(config)}


def save_results(path: str | Path, readouts: Readouts, manifest: dict[str, Any]) -> Path:
    """Write readouts and manifest to one strict-JSON file; returns its path.

    Values are written as Python floats (exact for float32 and float64) with their
    dtype and shape, so `load_results` returns identical arrays. The file is
    written atomically (`felice._io.atomic_write`: temporary file, fsync, rename), so
    an interruption never leaves a half-written file.
    """
    path = Path(path)
    data = {
        "format": FORMAT,
        "manifest": manifest,
        "readouts": {
            name: {
                "value": r.value, "unit": r.unit, "status": int(r.status),
                "labels": list(r.labels),
                "dtype": str(np.asarray(r.value).dtype), "shape": list(np.shape(r.value)),
            }
            for name, r in readouts.items.items()
        },
    }
    return atomic_write(path, dumps(data))


def load_results(path: str | Path) -> tuple[Readouts, dict[str, Any]]:
    """Read a file written by `save_results`: `(readouts, manifest)`.

    Raises:
        ValueError: if the file is not a felice pipeline results file.
    """
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a felice pipeline results file (format {FORMAT})")
    items = {}
    for name, r in data["readouts"].items():
        value = np.asarray(_from_json(r["value"]), dtype=r["dtype"]).reshape(r["shape"])
        items[name] = Readout(value=jnp.asarray(value), unit=r["unit"], name=name,
                              status=jnp.asarray(r["status"], jnp.int32),
                              labels=tuple(r.get("labels", ())))
    return Readouts(tuple(items.values())), data["manifest"]
