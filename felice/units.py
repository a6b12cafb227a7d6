"""Formatting of SI quantities for people to read."""

import math

from jaxtyping import ArrayLike, Float

_PREFIXES = [(1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M")]


def format_si(value: Float[ArrayLike, ""], unit: str, digits: int = 4) -> str:
    """`value` with an SI prefix, e.g. `format_si(7.14e-5, "s") == "71.43 µs"`.

    Args:
        value: a finite or non-finite real number in base units.
        unit: the unit symbol (V, A, s, F, J, W, ...), or "" for a plain number; a
            reciprocal unit ("1/V", "/V") takes no prefix.
        digits: significant digits.
    """
    value = float(value)
    if value == 0 or not math.isfinite(value) or not unit or unit.startswith(("/", "1/")):
        return f"{value:.{digits}g} {unit}".rstrip()
    scale, prefix = _PREFIXES[0]
    for s, p in _PREFIXES:
        if abs(value) >= s * (1 - 1e-6):  # float32 inputs sit just below a power of ten
            scale, prefix = s, p
    return f"{value / scale:.{digits}g} {prefix}{unit}"
