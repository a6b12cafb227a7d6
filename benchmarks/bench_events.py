"""Evaluate a trained network with the event-based engine and the fixed-step simulator.

Trains (or resumes) an FHNRS Yin-Yang network with `felice.training.fit`, then
classifies the test split twice: with the differentiable fixed-step simulation used
in training and with `felice.simulate` (adaptive, exact spike and input times).
Writes benchmarks/results/train_events.json with both accuracies, their difference
and the fraction of samples on which the two predict the same class.

    python benchmarks/bench_events.py [--epochs 4] [--hidden 100] [--out DIR]
"""

import argparse
import json
import time
from pathlib import Path

from felice.datasets import yin_yang_splits
from felice.training import evaluate, evaluate_events, fit, preset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--out", default="benchmarks/results/train_runs/fhnrs_events")
    args = parser.parse_args()
    config = preset("fhnrs", hidden=(args.hidden,), epochs=args.epochs)
    data = yin_yang_splits(5000, 1000, 1000, seed=0)
    state, history = fit(config, data["train"], data["val"], Path(args.out), progress=False)
    fixed = evaluate(state.network, *data["test"], config)
    t0 = time.perf_counter()
    events = evaluate_events(state.network, *data["test"], config)
    wall = time.perf_counter() - t0
    result = {
        "model": "fhnrs", "hidden": args.hidden, "epochs": len(history),
        "test_accuracy_fixed_step": fixed["accuracy"],
        "test_accuracy_event_engine": events["accuracy"],
        "accuracy_difference_event_minus_fixed": events["accuracy"] - fixed["accuracy"],
        "same_prediction_fraction": events["agreement"],
        "event_evaluation_wall_s": wall,
        "n_test": len(data["test"][0]),
    }
    out = Path(__file__).parent / "results" / "train_events.json"
    out.write_text(json.dumps(result, indent=2, allow_nan=False))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
