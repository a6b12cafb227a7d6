"""The `felice` command line.

All arguments are declared here; the subcommands' runners (`felice.demo.run_demo`,
`felice.spice.run_spice_command`, `felice.sweep.run_sweep_command`,
`felice.iv_report.run_iv`, training) take the parsed values. Model names come from
the registry `felice.MODELS`.
"""

import argparse
import functools
import sys
from collections.abc import Callable
from typing import NoReturn

from felice._validation import check_positive

USAGE_ERROR = 2
"""Exit status of a usage error (argparse's): bad arguments or values."""


def _usage_error(prog: str, message: str) -> NoReturn:
    """Print `<prog>: error: <message>` as one line on stderr and exit with status 2."""
    print(f"{prog}: error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(USAGE_ERROR)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage lines); subparsers inherit it."""

    def error(self, message: str) -> NoReturn:
        _usage_error(self.prog, message)


def _checked(convert: Callable[[str], float], check: Callable, what: str) -> Callable[[str], float]:
    """An argparse type: `convert` the text, then `check("value", value)` (a felice check)."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
            check("value", value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


_non_negative = functools.partial(check_positive, allow_zero=True)
_positive_int = _checked(int, check_positive, "a positive integer")
_non_negative_int = _checked(int, _non_negative, "an integer >= 0")
_positive_float = _checked(float, check_positive, "a finite number > 0")
_non_negative_float = _checked(float, _non_negative, "a finite number >= 0")


def _model_help(what: str = "model name", capability: type | None = None) -> str:
    """Help text naming the registered models (those with `capability`, if given)."""
    from felice.neuron_models import MODELS

    names = [n for n, cls in MODELS.items() if capability is None or issubclass(cls, capability)]
    return f"{what}: {', '.join(names)} (felice.MODELS)"


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    """The `sweep` subcommand (runner: `felice.sweep.run_sweep_command`)."""
    from felice.sweep import METRICS

    p = sub.add_parser("sweep", help="sweep model parameters on a grid, write a CSV table")
    p.add_argument("--model", default="fhnrs", help=_model_help())
    p.add_argument("--grid", action="append", required=True, metavar="NAME=START:STOP:N",
                   help="a swept parameter (repeat for a grid); e.g. I_app=-1.2:1.2:25, a[1]=1,2")
    p.add_argument("--t1", type=float, default=1000.0, help="simulation length (model units)")
    p.add_argument("--t-start", type=float, default=200.0,
                   help="start of the counting window (model units)")
    p.add_argument("--metrics", default="rate,count,regime",
                   help=f"any of {','.join(METRICS)}; regime-spikes classifies the simulated "
                        "spikes, regime-iv the I-V curves and equilibria (no simulation); "
                        "regime is regime-iv for circuits with fixpoint spikes (bistable: "
                        "their spikes alone read as rest, e.g. wererabbit, boomerang), "
                        "regime-spikes for threshold spikes (e.g. fhnrs)")
    p.add_argument("--max-spikes", type=int, default=128)
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument("--folder", default=None, help="results folder: resume an interrupted sweep")
    p.add_argument("--overwrite", action="store_true", help="start over in a foreign --folder")
    p.add_argument("--out", default="sweep.csv", help="CSV table path")
    p.add_argument("--plot", default=None, help="figure path (f–I curve or regime map)")


def _parser() -> argparse.ArgumentParser:
    from felice import __version__
    from felice.neuron_models import MODELS, AbstractVoltageClamp

    parser = _Parser(prog="felice", description=__doc__)
    parser.add_argument("--version", action="version", version=f"felice {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="print the registered circuits in hardware units and write a one-page "
                     "summary figure"
    )
    demo.add_argument("--out", default="felice_demo.png",
                      help="figure path (PNG; default felice_demo.png in the current folder)")
    spice = sub.add_parser(
        "spice", help="write a model's ngspice netlist; with --compare, co-simulate"
    )
    spice.add_argument("model", help=_model_help())
    spice.add_argument("--level", choices=("behavioural", "transistor"), default="behavioural",
                       help="behavioural B-sources, or the sky130 transistor circuit (fhnrs)")
    spice.add_argument("--compare", action="store_true",
                       help="run ngspice and felice, print the comparison, write a figure and JSON")
    spice.add_argument("--card", default=None, help="parameter card (TOML); default from circuits/")
    spice.add_argument("--out", default=".", help="output folder")
    spice.add_argument("--timeout", type=_positive_float, default=600.0,
                       help="ngspice time limit per run (s)")
    train = sub.add_parser("train", help="train a circuit network on a data set")
    train.add_argument("dataset", choices=["yinyang"], help="the data set")
    train.add_argument("--model", choices=tuple(MODELS), default="fhnrs", help=_model_help())
    train.add_argument("--hidden", type=_positive_int, default=60, help="hidden neurons")
    train.add_argument("--epochs", type=_positive_int, default=10)
    train.add_argument("--batch-size", type=_positive_int, default=50)
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="Adam learning rate (default: the model's preset)")
    train.add_argument("--lr-schedule", choices=["cosine", "constant"], default="cosine",
                       help="cosine: decay to lr/20 over the run (recomputed when a run is "
                            "resumed with more epochs)")
    train.add_argument("--readout", choices=["max", "mean", "count", "ttfs"], default=None,
                       help="default: the model's preset (max for fhnrs, mean for the others)")
    train.add_argument("--n-train", type=_positive_int, default=5000)
    train.add_argument("--n-val", type=_positive_int, default=1000)
    train.add_argument("--n-test", type=_positive_int, default=1000)
    train.add_argument("--mismatch-bias", type=_non_negative_float, default=0.0,
                       help="train under per-neuron bias-current mismatch (log-normal sigma)")
    train.add_argument("--mismatch-kappa", type=_non_negative_float, default=0.0,
                       help="train under per-neuron kappa mismatch (relative sigma)")
    train.add_argument("--seed", type=_non_negative_int, default=0)
    train.add_argument("--out", default="felice_train",
                       help="output folder: config, metrics.jsonl, checkpoint/ "
                            "(resumed if present), hardware.json")
    _add_sweep(sub)
    iv = sub.add_parser("iv", help="I-V curves, equilibria and classification of a model")
    iv.add_argument("model", help=_model_help("a model with a voltage clamp", AbstractVoltageClamp))
    iv.add_argument("--preset", default=None,
                    help="parameter preset (the model's `presets`; default: its first)")
    iv.add_argument("--out", default=None, help="write the I-V plot and phase portrait here (PNG)")
    iv.add_argument("--json", action="store_true", help="print the curves and results as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `felice` console script; returns the exit status.

    A usage error (a bad argument, or a `ValueError` of the subcommand's runner) is
    one line `felice <subcommand>: error: <message>` on stderr and `SystemExit(2)`.
    """
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ValueError as err:
        _usage_error(f"felice {args.command}", str(err))


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from felice.demo import run_demo

        run_demo(args.out)
    elif args.command == "spice":
        from felice.spice import run_spice_command

        return run_spice_command(args.model, level=args.level, compare=args.compare,
                                 card=args.card, out=args.out, timeout=args.timeout)
    elif args.command == "train":
        return _train(args)
    elif args.command == "sweep":
        from felice.sweep import run_sweep_command

        return run_sweep_command(args)
    elif args.command == "iv":
        import jax

        jax.config.update("jax_enable_x64", True)  # the presets are float64: this process only
        from felice.iv_report import run_iv

        run_iv(args.model, preset=args.preset, out=args.out, as_json=args.json)
    return 0


def _train(args: argparse.Namespace) -> int:
    """`felice train yinyang`: train, evaluate on the test split, export in SI units."""
    import json
    from pathlib import Path

    from felice._io import atomic_write, remove_orphans
    from felice.datasets import yin_yang_splits
    from felice.training import evaluate, export_hardware, fit, preset

    chosen = {k: v for k, v in (("lr", args.lr), ("readout", args.readout)) if v is not None}
    try:
        config = preset(args.model, hidden=(args.hidden,), epochs=args.epochs,
                        batch_size=args.batch_size,
                        mismatch_bias=args.mismatch_bias, mismatch_kappa=args.mismatch_kappa,
                        seed=args.seed, **chosen)
    except ValueError as err:  # "<setting> must ...": name the argument that set it
        setting = str(err).split(" ", 1)[0]
        if setting not in vars(args) or setting == "model":
            raise
        raise ValueError(f"--{setting.replace('_', '-')}: {err}") from None
    if args.batch_size > args.n_train:
        raise ValueError(f"--batch-size {args.batch_size} exceeds --n-train {args.n_train}: "
                         "an epoch needs at least one full batch")
    if args.lr_schedule == "cosine":
        config = config.with_cosine_decay(args.n_train)
    data = yin_yang_splits(args.n_train, args.n_val, args.n_test, seed=args.seed)
    out = Path(args.out)
    state, history = fit(config, data["train"], data["val"], out)
    for name in ("hardware.json", "summary.json"):
        remove_orphans(out, name)  # left by a killed run of this folder
    test = evaluate(state.network, *data["test"], config)
    export_hardware(state.network, out / "hardware.json")
    summary = {"model": args.model, "epochs": len(history), "test_accuracy": test["accuracy"],
               "test_loss": test["loss"]}
    atomic_write(out / "summary.json", json.dumps(summary, indent=1, allow_nan=False))
    print(f"{args.model}: test accuracy {test['accuracy']:.4f} after {len(history)} epochs; "
          f"results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
