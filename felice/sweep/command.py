"""`felice sweep`: a grid sweep given on the command line, written as CSV (and a figure)."""

import argparse
from pathlib import Path

import numpy as np

from felice._validation import check_positive

METRICS = ("rate", "count", "regime")


def parse_axis(text: str) -> tuple[str, np.ndarray]:
    """`"I_app=-1:1:21"` (start:stop:number, inclusive) or `"a[1]=1,2,3"` → (name, values).

    Raises:
        ValueError: when the text is not `name=start:stop:n` or `name=v1,v2,...`.
    """
    name, sep, spec = text.partition("=")
    if not sep or not name:
        raise ValueError(f"--grid must be NAME=START:STOP:N or NAME=V1,V2,..., got {text!r}")
    try:
        if ":" in spec:
            start, stop, n = spec.split(":")
            return name, np.linspace(float(start), float(stop), int(n))
        return name, np.array([float(v) for v in spec.split(",")])
    except ValueError:
        raise ValueError(f"--grid values of {name!r} are not numbers: {spec!r}") from None


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the `sweep` subcommand."""
    p = sub.add_parser("sweep", help="sweep model parameters on a grid, write a CSV table")
    p.add_argument("--model", default="fhnrs", help="fhnrs, wererabbit or boomerang")
    p.add_argument("--grid", action="append", required=True, metavar="NAME=START:STOP:N",
                   help="a swept parameter (repeat for a grid); e.g. I_app=-1.2:1.2:25, a[1]=1,2")
    p.add_argument("--t1", type=float, default=1000.0, help="simulation length (model units)")
    p.add_argument("--t-start", type=float, default=200.0,
                   help="start of the counting window (model units)")
    p.add_argument("--metrics", default="rate,count,regime", help=f"any of {','.join(METRICS)}")
    p.add_argument("--max-spikes", type=int, default=128)
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument("--folder", default=None, help="results folder: resume an interrupted sweep")
    p.add_argument("--overwrite", action="store_true", help="start over in a foreign --folder")
    p.add_argument("--out", default="sweep.csv", help="CSV table path")
    p.add_argument("--plot", default=None, help="figure path (f–I curve or regime map)")


def run_sweep_command(args: argparse.Namespace) -> int:
    """Run `felice sweep` from parsed arguments; returns the exit status."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from felice.neuron_models import get_model
    from felice.sweep import RegimeFromSpikes, SpikeCount, SpikeRate, grid, sweep
    from felice.sweep.plot import plot_fi_curve, plot_heatmap, plot_regime_map

    check_positive("--t1", args.t1)
    check_positive("--t-start", args.t_start, allow_zero=True)
    if not args.t_start < args.t1:
        raise ValueError(f"--t-start must be < --t1 (the counting window [t_start, t1) would "
                         f"be empty), got --t-start={args.t_start}, --t1={args.t1}")
    axes = dict(parse_axis(t) for t in args.grid)
    make = dict(rate=SpikeRate(args.t_start), count=SpikeCount(args.t_start),
                regime=RegimeFromSpikes(args.t_start))
    names = [m for m in args.metrics.split(",") if m]
    unknown = [m for m in names if m not in make]
    if unknown or not names:
        raise ValueError(f"--metrics must be among {METRICS}, got {args.metrics!r}")
    table = sweep(get_model(args.model, dtype=jnp.float64), grid(**axes),
                  {m: make[m] for m in names}, t1=args.t1, chunk_size=args.chunk_size,
                  folder=args.folder, overwrite=args.overwrite, max_spikes=args.max_spikes,
                  progress=True)
    table.to_csv(args.out)
    print(f"{len(table)} points → {args.out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        x = list(axes)
        if len(x) == 1:
            fig, _ = plot_fi_curve(table, x=x[0], y=names[0])
        elif names[0] == "regime":
            fig, _ = plot_regime_map(table, x[0], x[1])
        else:
            fig, _ = plot_heatmap(table, x[0], x[1], names[0])
        fig.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"figure → {Path(args.plot)}")
    return 0
