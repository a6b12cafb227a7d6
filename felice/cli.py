"""The `felice` command line."""

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


def _parser() -> argparse.ArgumentParser:
    from felice import __version__

    parser = _Parser(prog="felice", description=__doc__)
    parser.add_argument("--version", action="version", version=f"felice {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="print the three models in hardware units and write a one-page summary figure"
    )
    demo.add_argument("--out", default="felice_demo.png",
                      help="figure path (PNG; default felice_demo.png in the current folder)")
    spice = sub.add_parser(
        "spice", help="write a model's ngspice netlist; with --compare, co-simulate"
    )
    spice.add_argument("model", help="fhnrs, wererabbit or boomerang")
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
    train.add_argument("--model", choices=["fhnrs", "wererabbit", "boomerang"], default="fhnrs")
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
    from felice.sweep import add_parser as add_sweep

    add_sweep(sub)
    iv = sub.add_parser("iv", help="I-V curves, equilibria and classification of a model")
    iv.add_argument("model", help="model name: fhnrs, wererabbit or boomerang")
    iv.add_argument("--preset", default=None, help="parameter preset (fhnrs: spiking, bursting)")
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
