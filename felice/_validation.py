"""Checks on user-supplied parameters and states, raising `ValueError` that names them.

Checks run on concrete values only: inside `jax.jit` or `jax.vmap` the values are
tracers and cannot be inspected, so validation happens where a model is built
from Python numbers or NumPy/JAX arrays (the usual case).
"""

from typing import Any

import jax
import numpy as np


def _concrete(x: Any) -> np.ndarray | None:
    """The value of `x` as a NumPy array, or None when it is traced."""
    if isinstance(x, jax.core.Tracer):
        return None
    try:
        return np.asarray(x)
    except (TypeError, jax.errors.TracerArrayConversionError):
        return None


def _describe(value: np.ndarray) -> str:
    if value.size == 1:
        return repr(value.reshape(()).item())
    return np.array2string(value, threshold=8)


def check_finite(name: str, x: Any) -> None:
    """Raise `ValueError` if `x` contains NaN or ±inf."""
    value = _concrete(x)
    if value is not None and not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite, got {name}={_describe(value)}")


def check_positive(name: str, x: Any, *, allow_zero: bool = False) -> None:
    """Raise `ValueError` unless `x` is finite and > 0 (≥ 0 with `allow_zero`)."""
    check_finite(name, x)
    value = _concrete(x)
    if value is None:
        return
    bad = value < 0 if allow_zero else value <= 0
    if np.any(bad):
        relation = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {relation}, got {name}={_describe(value)}")


def check_interval(name: str, x: Any, low: float, high: float) -> None:
    """Raise `ValueError` unless every value of `x` lies in the interval (low, high]."""
    check_finite(name, x)
    value = _concrete(x)
    if value is not None and np.any((value <= low) | (value > high)):
        raise ValueError(f"{name} must lie in ({low}, {high}], got {name}={_describe(value)}")


def check_n_neurons(n_neurons: Any) -> int:
    """Return `n_neurons` as an int, or raise `ValueError` if it is not a positive integer."""
    if isinstance(n_neurons, bool) or not isinstance(n_neurons, (int, np.integer)) or n_neurons < 1:
        raise ValueError(f"n_neurons must be a positive integer, got n_neurons={n_neurons!r}")
    return int(n_neurons)
