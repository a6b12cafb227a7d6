"""`sweep`: evaluate metrics of a neuron model over many parameter points.

Points are solved as populations: a chunk of points is one model with one neuron per
point, so a single `felice.simulate` call integrates the whole chunk (one adaptive step
sequence shared by the chunk, instead of many lanes in lock-step under `jax.vmap`).
The per-point parameter arrays of a chunk are laid out over all visible devices with a
`NamedSharding` over the sweep axis; XLA partitions the solve and the metrics.
"""

import dataclasses
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import ArrayLike, Float

from felice._describe import describe
from felice._validation import check_positive
from felice.neuron_models import AbstractNeuron
from felice.simulation import STATUS_MESSAGES, Status, simulate
from felice.sweep._metrics import check_window
from felice.sweep._space import check_points
from felice.sweep._store import ChunkStore
from felice.sweep._table import SweepTable

Array = jax.Array
Metric = Callable[[AbstractNeuron, Any], Any]
_BYTES_PER_CHUNK = 256 * 2**20  # memory budget of one chunk's buffers


def _parse_name(model: AbstractNeuron, name: str) -> tuple[str, int | None]:
    """`"I_app"` → ("I_app", None); `"a[1]"` → ("a", 1); checks the field exists."""
    field, index = name, None
    if name.endswith("]") and "[" in name:
        field, idx = name[:-1].split("[", 1)
        try:
            index = int(idx)
        except ValueError:
            raise ValueError(f"parameter {name!r}: the element index must be an integer") from None
    values = model.param_values()
    if field not in values:
        raise ValueError(
            f"parameter {name!r} is not a field of {type(model).__name__}; "
            f"fields are {sorted(values)}"
        )
    if field in model.unit_fields:
        raise ValueError(
            f"parameter {name!r} sets the unit system of {type(model).__name__} and is one "
            "scalar per population: sweep it with one sweep per value (e.g. models built by "
            "from_circuit), or sweep the dimensionless parameters it scales"
        )
    core = model.core_ndim.get(field, 0)
    if (index is None) != (core == 0):
        raise ValueError(
            f"parameter {name!r}: {field} has {core} element axes, "
            + ("name one element, e.g. " + f"'{field}[0]'" if core else "it takes no index")
        )
    if index is not None and not 0 <= index < values[field].shape[-1]:
        raise ValueError(f"parameter {name!r}: index out of range for {field} "
                         f"with {values[field].shape[-1]} elements")
    return field, index


def chunk_model(
    model: AbstractNeuron,
    columns: Mapping[str, Float[ArrayLike, " n"] | Sequence[float]],
    n: int,
    sharding: Any = None,
) -> AbstractNeuron:
    """`model` as a population of `n` neurons with the swept parameters set per neuron.

    Args:
        model: the nominal model (scalar or per-neuron parameters of size `n`).
        columns: parameter name (`"I_app"`, `"a[1]"`) → values, shape `(n,)`.
        n: number of points (neurons).
        sharding: optional `jax.sharding.Sharding` for the per-neuron arrays.

    Raises:
        ValueError: for unknown or unit fields, or an FHNRS element time constant swept
            across 0 (whether an element is instantaneous is fixed by the model's structure).
    """
    # Every non-unit field per neuron: one compiled solve serves all sweeps of a model type.
    base = model.per_neuron(n)
    new = {k: v for k, v in base.param_values().items() if k not in model.unit_fields}
    for name, col in columns.items():
        field, index = _parse_name(model, name)
        col = jnp.asarray(col, model.dtype)
        instantaneous = getattr(model, "instantaneous", None)
        if field == "tau" and instantaneous is not None and not isinstance(col, jax.core.Tracer):
            zero = np.asarray(col) == 0
            if np.any(zero != instantaneous[index]):
                kind = "instantaneous (0)" if instantaneous[index] else "filtered (> 0)"
                raise ValueError(f"parameter {name!r}: element {index} of {type(model).__name__} "
                                 f"is {kind}; build a model with that structure instead")
        new[field] = new[field].at[:, index].set(col) if index is not None else col
    if sharding is not None:
        new = {k: jax.device_put(v, sharding) for k, v in new.items()}
    return eqx.tree_at(lambda m: [getattr(m, k) for k in new], base, list(new.values()))


def _rebuild(model: AbstractNeuron) -> AbstractNeuron:
    """`model` built again through its own constructor, which runs every parameter check."""
    accepted = inspect.signature(type(model)).parameters
    kwargs = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)
              if f.name in accepted}
    if "dtype" in accepted:
        kwargs["dtype"] = model.dtype
    return type(model)(**kwargs)


def _check_swept_values(model: AbstractNeuron, pts: Mapping[str, np.ndarray]) -> None:
    """Raise `ValueError` naming the first sweep point that the model's constructor refuses.

    The sweep writes values straight into the population, past the constructor; so the
    whole population is rebuilt once through it (C ≤ 0, g < 0, τ_syn ≤ 0, ... are refused
    there), and only when that fails is the first bad point found by bisection.
    """

    def error(lo: int, hi: int) -> ValueError | None:
        try:
            _rebuild(chunk_model(model, {k: v[lo:hi] for k, v in pts.items()}, hi - lo))
        except ValueError as e:
            return e
        return None

    n = next(iter(pts.values())).size
    if error(0, n) is None:
        return
    good, bad = 0, n  # the first `good` points pass, the first `bad` points fail
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (good, mid) if error(0, mid) else (mid, bad)
    i = bad - 1
    point = ", ".join(f"{k}={float(v[i])!r}" for k, v in pts.items())
    raise ValueError(f"sweep point {i} ({point}): {error(i, i + 1)}")


def auto_chunk_size(
    n_points: int, model: AbstractNeuron, simulate_kwargs: Mapping, devices: list
) -> int:
    """Points per chunk: a per-device target, bounded by memory, a multiple of the devices.

    The population shares one adaptive step sequence, so a larger chunk takes more
    steps while each step costs more; on CPU about 256 points per device is fastest
    (benchmarks/bench_sweep.py: 128 → 4.5 s, 256 → 4.2 s, 1024 → 5.4 s, 4096 → 9.3 s for
    10,000 FHNRS points), accelerators want wide populations (4096 per device). Per point a
    solve keeps about 16 copies of the state (stages, dense output, spike samples), its
    spike buffer and any saved trajectory; a chunk stays within 256 MiB.
    """
    n_dev = len(devices)
    per_device = 256 if devices[0].platform == "cpu" else 4096
    n_save = simulate_kwargs.get("saveat") or 0
    n_save = n_save if isinstance(n_save, int) else np.size(n_save)
    per_point = 8 * (16 * model.n_state + simulate_kwargs.get("max_spikes", 64)
                     + n_save * model.n_state + 64)
    size = min(n_points, _BYTES_PER_CHUNK // per_point, per_device * n_dev)
    return max(n_dev, -(-size // n_dev) * n_dev)


def _progress(done: int, total: int) -> None:
    bar = "#" * (25 * done // total)
    end = "\n" if done == total else ""
    print(f"\rsweep [{bar:<25}] {done}/{total} chunks", end=end, file=sys.stderr, flush=True)


def sweep(
    model: AbstractNeuron,
    points: Mapping[str, Any],
    metrics: Mapping[str, Metric],
    *,
    t1: float | None,
    y0: Callable[[AbstractNeuron, int], Array] | None = None,
    chunk_size: int | None = None,
    folder: str | Path | None = None,
    overwrite: bool = False,
    devices: list | None = None,
    progress: bool = False,
    **simulate_kwargs: Any,
) -> SweepTable:
    """Evaluate `metrics` of `model` at every point of `points`.

    Args:
        model: the nominal neuron model; parameters not swept keep its values.
        points: parameter name → values, one per point (`felice.sweep.grid`,
            `random`, `latin_hypercube`). Names are model fields (`"I_app"`) or one
            element of an element field (`"a[1]"`). Unit fields (κ, U_t, I_unit,
            C_unit of FHNRS; C, I_bias, U_t of the bistable models) are one value per
            population and are refused: run one sweep per value.
        metrics: column name → metric `fn(model, result)` returning `(n,)` values or
            a dict of them (see `felice.sweep._metrics`).
        t1: simulation end time (model units), or None to skip the simulation
            (`result` is then None: analysis-only metrics).
        y0: `fn(chunk_model, n) -> (n, n_state)` initial state (default:
            `model.init_state(n)`).
        chunk_size: points per solve (default: `auto_chunk_size`). Rounded up to a
            multiple of the device count; the last chunk is padded with copies of its
            last point, which are dropped.
        folder: results folder for resuming: each finished chunk is written there
            atomically with the configuration hash and skipped when the same sweep is
            run again. A folder of another configuration raises `ValueError`. The hash
            covers the model, points, metrics, `y0` and options by value (functions by
            their code, closure values and defaults: `felice._describe`); an option that
            cannot be described deterministically raises `ValueError`.
        overwrite: delete the results of another configuration in `folder` and start over.
        devices: JAX devices to shard each chunk over (default: all `jax.devices()`).
        progress: print a progress bar over chunks on stderr.
        **simulate_kwargs: passed to `felice.simulate` (solver, rtol, atol,
            max_spikes, inputs, ...).

    Returns:
        A `SweepTable` with the parameter columns and the metric columns, in point order.

    Raises:
        ValueError: for invalid points (each must pass the model constructor's checks;
            the message names the point index, parameter and value), parameters, metrics,
            chunk sizes, a foreign folder, or a metric's counting window `t_start` not
            before `t1`; all checked before any solve.
        RuntimeError: when a chunk's simulation failed (its status names the cause).
    """
    pts = check_points(points)
    names = list(pts)
    for name in names:
        _parse_name(model, name)
    if not metrics:
        raise ValueError("metrics must name at least one metric, got metrics={}")
    if t1 is not None:
        check_positive("t1", t1)
    for name, metric in metrics.items():
        check_window(name, metric, t1)
    if model.population_size() is not None:
        raise ValueError("model must have shared (scalar) parameters: the sweep makes the "
                         f"population, got {model.population_size()} neurons")
    _check_swept_values(model, pts)
    n_points = next(iter(pts.values())).size
    devices = list(jax.devices() if devices is None else devices)
    n_dev = len(devices)
    if chunk_size is None:
        chunk_size = auto_chunk_size(n_points, model, simulate_kwargs, devices)
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ValueError(f"chunk_size must be an integer ≥ 1, got chunk_size={chunk_size!r}")
    chunk_size = -(-int(chunk_size) // n_dev) * n_dev
    n_chunks = -(-n_points // chunk_size)
    sharding = None
    if n_dev > 1:
        sharding = NamedSharding(Mesh(np.asarray(devices), ("sweep",)), PartitionSpec("sweep"))

    store = None
    if folder is not None:
        description = describe(dict(model=model, points=pts, metrics=dict(metrics), t1=t1,
                                    y0=y0, chunk_size=chunk_size, simulate=simulate_kwargs))
        store = ChunkStore(folder, description, overwrite=overwrite)

    parts: list[dict[str, np.ndarray]] = []
    for c in range(n_chunks):
        done = store.load(c) if store is not None else None
        if done is None:
            lo, hi = c * chunk_size, min((c + 1) * chunk_size, n_points)
            idx = np.minimum(np.arange(lo, lo + chunk_size), hi - 1)  # pad with the last point
            done = _run_chunk(model, {k: v[idx] for k, v in pts.items()}, metrics, t1, y0,
                              sharding, simulate_kwargs, c)
            done = {k: v[: hi - lo] for k, v in done.items()}
            if store is not None:
                store.save(c, done)
        parts.append(done)
        if progress:
            _progress(c + 1, n_chunks)
    metric_cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return SweepTable({**pts, **metric_cols}, names)


def _run_chunk(model, cols, metrics, t1, y0, sharding, simulate_kwargs, index):
    """Metric columns of one chunk (numpy, padded length)."""
    n = next(iter(cols.values())).size
    m = chunk_model(model, cols, n, sharding)
    result = None
    if t1 is not None:
        start = m.init_state(n) if y0 is None else jnp.asarray(y0(m, n), m.dtype)
        if sharding is not None:
            start = jax.device_put(start, sharding)
        result = simulate(m, t1=t1, y0=start, **{"throw": False, **simulate_kwargs})
        status = Status(int(result.status))
        if status != Status.OK:
            raise RuntimeError(f"sweep chunk {index}: simulation failed: {STATUS_MESSAGES[status]}")
    out = {}
    for name, metric in metrics.items():
        value = metric(m, result)
        items = value.items() if isinstance(value, Mapping) else [(None, value)]
        for key, v in items:
            col = np.asarray(v)
            if col.shape != (n,):
                raise ValueError(f"metric {name!r} must return shape ({n},), got {col.shape}")
            out[name if key is None else f"{name}.{key}"] = col
    return out
