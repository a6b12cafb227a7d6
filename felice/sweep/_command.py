"""`felice sweep`: a grid sweep given on the command line, written as CSV (and a figure).

The runner of the command and the parsers of its values; the arguments themselves are
declared in `felice.cli`.
"""

import argparse
import math
from pathlib import Path

import numpy as np

from felice._io import atomic_savefig
from felice._validation import check_positive

METRICS = ("rate", "count", "regime", "regime-spikes", "regime-iv")
"""The metrics of `felice sweep --metrics`: spike rate and count in the counting window,
the regime (by the model's `spike_kind`), the regime from spikes or from the I–V curves."""
_REGIMES = ("regime", "regime-spikes", "regime-iv")


def _number(text: str, field: str) -> float:
    try:
        x = float(field)
    except ValueError:
        raise ValueError(f"--grid {text!r}: {field!r} is not a number") from None
    if not math.isfinite(x):
        raise ValueError(f"--grid {text!r}: values must be finite, got {field!r}")
    return x


def parse_axis(text: str) -> tuple[str, np.ndarray]:
    """`"I_app=-1:1:21"` (start:stop:number, inclusive) or `"a[1]=1,2,3"` → (name, values).

    Raises:
        ValueError: when the text is not `name=start:stop:n` (finite numbers, n an
            integer ≥ 1, n = 1 only with start = stop) or `name=v1,v2,...` (finite numbers);
            the message names the `--grid` value and the bad field.
    """
    name, sep, spec = text.partition("=")
    if not sep or not name.strip() or not spec.strip():
        raise ValueError(f"--grid must be NAME=START:STOP:N or NAME=V1,V2,..., got {text!r}")
    name = name.strip()
    if ":" not in spec:
        return name, np.array([_number(text, v) for v in spec.split(",")])
    fields = spec.split(":")
    if len(fields) != 3:
        raise ValueError(f"--grid {text!r}: a range is START:STOP:N (three fields), "
                         f"got {len(fields)} fields")
    start, stop = _number(text, fields[0]), _number(text, fields[1])
    try:
        n = int(fields[2])
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"--grid {text!r}: N must be an integer ≥ 1, got {fields[2]!r}")
    if n == 1 and start != stop:
        raise ValueError(f"--grid {text!r}: N = 1 holds START only; give N ≥ 2 or START = STOP")
    if not math.isfinite(stop - start):
        raise ValueError(f"--grid {text!r}: the range overflows (STOP - START is not finite)")
    return name, np.linspace(start, stop, n)


def parse_grid(texts: list[str]) -> dict[str, np.ndarray]:
    """Every `--grid` value parsed; a parameter named twice is refused (it would keep one)."""
    axes: dict[str, np.ndarray] = {}
    for text in texts:
        name, values = parse_axis(text)
        if name in axes:
            raise ValueError(f"--grid names {name!r} twice; give all its values in one --grid "
                             f"(e.g. {name}=1,2,3), got {text!r}")
        axes[name] = values
    return axes


def parse_metrics(text: str) -> list[str]:
    """`"rate,count"` → `["rate", "count"]`; each one of `METRICS`, none twice."""
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in METRICS]
    if unknown or not names:
        raise ValueError(f"--metrics must be a comma-separated list of {', '.join(METRICS)}, "
                         f"got --metrics={text!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"--metrics names a metric twice, got --metrics={text!r}")
    return names


def _check_count(flag: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{flag} must be an integer ≥ 1, got {flag}={value}")


def _check_parent(flag: str, path: str) -> None:
    parent = Path(path).parent
    if not parent.is_dir():
        raise ValueError(f"{flag}: the folder {str(parent)!r} of {path!r} does not exist")


def _check_arguments(args: argparse.Namespace) -> None:
    """Every argument of `felice sweep` checked before anything is solved."""
    check_positive("--t1", args.t1)
    check_positive("--t-start", args.t_start, allow_zero=True)
    if not args.t_start < args.t1:
        raise ValueError(f"--t-start must be < --t1 (the counting window [t_start, t1) would "
                         f"be empty), got --t-start={args.t_start}, --t1={args.t1}")
    _check_count("--max-spikes", args.max_spikes)
    _check_count("--chunk-size", args.chunk_size)
    _check_parent("--out", args.out)
    if args.folder is not None and Path(args.folder).exists() and not Path(args.folder).is_dir():
        raise ValueError(f"--folder must be a folder, got the file {args.folder!r}")
    if args.plot is not None:
        _check_parent("--plot", args.plot)
        from matplotlib.figure import Figure

        suffix = Path(args.plot).suffix.lstrip(".").lower()
        formats = Figure().canvas.get_supported_filetypes()
        if suffix not in formats:
            raise ValueError(f"--plot must end in a figure format ({', '.join(sorted(formats))}), "
                             f"got {args.plot!r}")
        if len(args.grid) > 2:
            raise ValueError(f"--plot draws one or two swept parameters, got {len(args.grid)} "
                             "--grid axes")


def run_sweep_command(args: argparse.Namespace) -> int:
    """Run `felice sweep` from parsed arguments; returns the exit status."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from felice.neuron_models import get_model
    from felice.sweep import RegimeFromIV, RegimeFromSpikes, SpikeCount, SpikeRate, grid, sweep
    from felice.sweep._plot import plot_fi_curve, plot_heatmap, plot_regime_map

    _check_arguments(args)
    axes = parse_grid(args.grid)
    names = parse_metrics(args.metrics)
    try:
        model = get_model(args.model, dtype=jnp.float64)
    except ValueError as err:
        raise ValueError(f"--model: {err}") from None
    make = {"rate": SpikeRate(args.t_start), "count": SpikeCount(args.t_start),
            "regime-spikes": RegimeFromSpikes(args.t_start), "regime-iv": RegimeFromIV()}
    # The model says what its spikes are: fixpoint spikes alone read as rest.
    make["regime"] = make["regime-iv" if model.spike_kind == "fixpoint" else "regime-spikes"]
    metrics = {m: make[m] for m in names}
    # Only I-V metrics: nothing to simulate.
    simulate = any(not isinstance(f, RegimeFromIV) for f in metrics.values())
    table = sweep(model, grid(**axes), metrics, t1=args.t1 if simulate else None,
                  chunk_size=args.chunk_size, folder=args.folder, overwrite=args.overwrite,
                  max_spikes=args.max_spikes, progress=True)
    table.to_csv(args.out)
    print(f"{len(table)} points → {args.out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        x = list(axes)
        if len(x) == 1:
            fig, _ = plot_fi_curve(table, x=x[0], y=names[0])
        elif names[0] in _REGIMES:
            fig, _ = plot_regime_map(table, x[0], x[1], column=names[0])
        else:
            fig, _ = plot_heatmap(table, x[0], x[1], names[0])
        atomic_savefig(fig, args.plot, dpi=120, bbox_inches="tight")
        print(f"figure → {Path(args.plot)}")
    return 0
