"""The `felice` command line."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `felice` console script; returns the exit status."""
    parser = argparse.ArgumentParser(prog="felice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print the three models in hardware units and plot them")
    demo.add_argument("--out", default="felice_demo.png", help="figure path (PNG)")
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
    spice.add_argument("--timeout", type=float, default=600.0,
                       help="ngspice time limit per run (s)")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from felice.demo import run_demo

        run_demo(args.out)
    elif args.command == "spice":
        from felice.spice.command import run_spice_command

        return run_spice_command(args.model, level=args.level, compare=args.compare,
                                 card=args.card, out=args.out, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
