"""The `felice` command line."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `felice` console script; returns the exit status."""
    parser = argparse.ArgumentParser(prog="felice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print the three models in hardware units and plot them")
    demo.add_argument("--out", default="felice_demo.png", help="figure path (PNG)")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from felice.demo import run_demo

        run_demo(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
