"""The `felice` command line."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `felice` console script; returns the exit status."""
    parser = argparse.ArgumentParser(prog="felice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print the three models in hardware units and plot them")
    demo.add_argument("--out", default="felice_demo.png", help="figure path (PNG)")
    iv = sub.add_parser("iv", help="I-V curves, equilibria and classification of a model")
    iv.add_argument("model", help="model name: fhnrs, wererabbit or boomerang")
    iv.add_argument("--preset", default=None, help="parameter preset (fhnrs: spiking, bursting)")
    iv.add_argument("--out", default=None, help="write the I-V plot and phase portrait here (PNG)")
    iv.add_argument("--json", action="store_true", help="print the curves and results as JSON")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from felice.demo import run_demo

        run_demo(args.out)
    elif args.command == "iv":
        import jax

        jax.config.update("jax_enable_x64", True)  # the presets are float64: this process only
        from felice.iv_report import run_iv

        try:
            run_iv(args.model, preset=args.preset, out=args.out, as_json=args.json)
        except ValueError as err:
            parser.error(str(err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
