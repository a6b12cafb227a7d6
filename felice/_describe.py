"""Deterministic descriptions of configurations and their SHA-256 (sweep resume, manifests).

A description is strict JSON that depends only on what determines a result: numbers,
strings and array values; equinox modules by their type and every field (array leaves
and static settings alike); Python functions by their code (bytecode, constants and
names, recursively), closure values, defaults and bound object. Memory addresses never
enter it: an object that cannot be described deterministically raises `ValueError`
instead, since hashing its `repr` would make every run look new (or two different
functions look the same).
"""

import dataclasses
import enum
import functools
import hashlib
import json
import math
import os
import sys
import types
from collections.abc import Mapping
from typing import Any

import equinox as eqx
import jaxtyping
import numpy as np


def config_hash(config: Any) -> str:
    """SHA-256 of the canonical strict JSON of `describe(config)` (sorted keys)."""
    text = json.dumps(describe(config), sort_keys=True, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def describe(obj: Any) -> Any:
    """A strict-JSON description of `obj` that is equal for objects giving equal results.

    Non-finite floats become the strings "nan", "inf" and "-inf"; arrays become
    `{"array": dtype, "shape": [...], "data": [...]}`; functions become
    `{"function": "module.qualname", "sha256": ...}` (the hash of their code, closure,
    defaults and bound object).

    Raises:
        ValueError: for an object with no deterministic description (e.g. a plain
            `object()`, a generator, an open file).
    """
    return _describe(obj, ())


def _name(x: Any) -> str:
    return f"{getattr(x, '__module__', None)}.{getattr(x, '__qualname__', type(x).__qualname__)}"


def _number(x: Any) -> Any:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (complex, np.complexfloating)):
        return [_number(x.real), _number(x.imag)]
    v = float(x)
    if math.isnan(v):
        return "nan"
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def _digest(description: Any) -> str:
    text = json.dumps(description, sort_keys=True, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _const(c: Any, stack: tuple) -> Any:
    """A code object's constant (code objects, literals and tuples of them)."""
    if isinstance(c, types.CodeType):
        return _code(c, stack)
    if isinstance(c, bytes):
        return {"bytes": c.hex()}
    if c is Ellipsis:
        return {"ellipsis": True}
    if isinstance(c, (tuple, frozenset)):
        items = [_const(x, stack) for x in c]
        return items if isinstance(c, tuple) else {"frozenset": sorted(map(json.dumps, items))}
    return _describe(c, stack)


def _code(co: types.CodeType, stack: tuple) -> dict[str, Any]:
    """What a code object computes: bytecode with its constants and names (no line numbers)."""
    return {"code": co.co_code.hex(), "consts": [_const(c, stack) for c in co.co_consts],
            "names": list(co.co_names), "varnames": list(co.co_varnames),
            "freevars": list(co.co_freevars), "argcount": co.co_argcount,
            "kwonlyargcount": co.co_kwonlyargcount, "flags": co.co_flags}


_JAXTYPING = os.path.dirname(jaxtyping.__file__) + os.sep


def _function(fn: types.FunctionType, stack: tuple) -> dict[str, Any]:
    # jaxtyping's run-time checks (its import hook, as in the test suite) wrap functions
    # without changing what they compute: describe the function they check.
    while fn.__code__.co_filename.startswith(_JAXTYPING) and isinstance(
        getattr(fn, "__wrapped__", None), types.FunctionType
    ):
        fn = fn.__wrapped__
    cells = []
    for cell in fn.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # a variable not yet assigned
            cells.append({"empty_cell": True})
            continue
        cells.append(_describe(contents, stack))
    full = {"code": _code(fn.__code__, stack), "closure": cells,
            "defaults": _describe(fn.__defaults__, stack),
            "kwdefaults": _describe(fn.__kwdefaults__, stack)}
    return {"function": _name(fn), "sha256": _digest(full)}


def _resolves(obj: Any) -> bool:
    """Whether `obj` is the object its module and qualified name import (a library callable)."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    target: Any = module
    for part in str(getattr(obj, "__qualname__", "<")).split("."):
        target = getattr(target, part, None)
    return module is not None and target is obj


def _describe(obj: Any, stack: tuple) -> Any:
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, int, float, complex, np.number, np.bool_)):
        return _number(obj)
    if isinstance(obj, enum.Enum):
        return {"enum": _name(type(obj)), "name": obj.name}
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.dtype):
        return {"dtype": str(obj)}
    if isinstance(obj, type):
        return {"type": _name(obj)}
    if eqx.is_array(obj) or isinstance(obj, np.ndarray):
        try:
            a = np.asarray(obj)
        except Exception:  # a tracer: no value to describe
            raise ValueError(f"cannot describe a traced array {obj!r}: pass concrete values"
                             ) from None
        return {"array": str(a.dtype), "shape": list(a.shape),
                "data": [_number(x) for x in a.ravel().tolist()]}
    if any(obj is s for s in stack):
        return {"cycle": _name(type(obj))}
    stack = (*stack, obj)
    if isinstance(obj, Mapping):
        return {str(k): _describe(v, stack) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_describe(x, stack) for x in obj]
    if isinstance(obj, (set, frozenset)):
        return {"set": sorted(json.dumps(_describe(x, stack), sort_keys=True) for x in obj)}
    if isinstance(obj, eqx.Module) or (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
        fields = {f.name: _describe(getattr(obj, f.name), stack) for f in dataclasses.fields(obj)}
        return {"module": _name(type(obj)), "fields": fields, **_call(type(obj), stack)}
    if isinstance(obj, types.FunctionType):
        return _function(obj, stack)
    if isinstance(obj, types.MethodType):
        return {"method": _describe(obj.__func__, stack), "self": _describe(obj.__self__, stack)}
    if isinstance(obj, functools.partial):
        return {"partial": _describe(obj.func, stack), "args": _describe(obj.args, stack),
                "keywords": _describe(obj.keywords, stack)}
    if callable(obj) and isinstance(getattr(obj, "__wrapped__", None), types.FunctionType):
        return {"wrapper": _name(type(obj)), "wrapped": _describe(obj.__wrapped__, stack)}
    if callable(obj) and _resolves(obj):
        return {"ref": _name(obj)}  # a builtin or compiled library function, e.g. np.add
    if callable(obj) and hasattr(obj, "__dict__"):
        return {"object": _name(type(obj)), "state": _describe(vars(obj), stack),
                **_call(type(obj), stack)}
    raise ValueError(
        f"cannot describe {obj!r} (type {type(obj).__qualname__}) deterministically for the "
        "configuration hash (its repr holds a memory address or is not its value): use "
        "numbers, strings, arrays, functions or equinox modules"
    )


def _call(cls: type, stack: tuple) -> dict[str, Any]:
    """The code of a class's own `__call__` (a callable object's result depends on it)."""
    call = next((c.__dict__["__call__"] for c in cls.__mro__ if "__call__" in c.__dict__), None)
    call = getattr(call, "__wrapped__", call)
    if isinstance(call, types.FunctionType):
        return {"call": _function(call, stack)}
    return {}
