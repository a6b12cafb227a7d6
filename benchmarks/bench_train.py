"""Yin-Yang training benchmark for the circuit networks.

Trains each model on Yin-Yang (5000 train / 1000 validation / 1000 test by
default), reports test accuracy, epochs and wall time (on this machine: 2 CPU
cores; Adam with a cosine learning-rate decay over the whole run), and the
test accuracy of the trained network evaluated under device mismatch
(per-neuron bias currents ×exp(0.1·ξ), κ ×(1 + 0.02·ξ'), 5 draws).
Also evaluates the trained network on a finer grid (dt/2, same method) and, for
the first `--event-samples` test samples, in the event-based engine
(`felice.training.evaluate_events`): a network that only works at its training
dt has learnt the discretisation rather than the circuit.
Runs are resumable: each run trains in `--work/<name>/` with checkpoints.

    python benchmarks/bench_train.py    # epochs fhnrs=40, wererabbit=25, boomerang=25,
                                        # lif=20, dpi=20; hidden fhnrs=200, wererabbit=80,
                                        # boomerang=80, lif=60, dpi=60
    python benchmarks/bench_train.py --models lif --n-train 1000 --epochs lif=5
    python benchmarks/bench_train.py --models fhnrs boomerang &
    python benchmarks/bench_train.py --models wererabbit
    python benchmarks/bench_train.py --models fhnrs --hidden fhnrs=100 --train-mismatch 0.1

Each run is stored under the name "<model>-<hidden>" ("+mismatch" when trained
under mismatch). Only the models named in `--models` are (re)trained; the other
entries of the output file are kept (it is re-read before each write, so runs of
different models may go in parallel). A finished model's work folder makes a rerun skip
its training; delete it to train afresh.

Writes benchmarks/results/train.json.
"""

import argparse
import dataclasses
import json
import os
import platform
import time
from pathlib import Path

import jax
import numpy as np

from felice import MODELS
from felice.datasets import yin_yang_splits
from felice.training import evaluate, evaluate_events, evaluate_mismatch, fit, preset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--epochs", nargs="+", help="model=epochs pairs",
                        default=["fhnrs=40", "wererabbit=25", "boomerang=25", "lif=20", "dpi=20"])
    parser.add_argument("--hidden", nargs="+", default=["fhnrs=200", "wererabbit=80",
                                                        "boomerang=80", "lif=60", "dpi=60"])
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-val", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--work", default="benchmarks/results/train_runs")
    parser.add_argument("--out", default="benchmarks/results/train.json")
    parser.add_argument("--train-mismatch", type=float, default=0.0,
                        help="train under device mismatch: σ of the bias currents (σ_κ = "
                             "this/5), fresh each step")
    parser.add_argument("--event-samples", type=int, default=1000,
                        help="test samples evaluated in the event-based engine (0: skip)")
    args = parser.parse_args()
    epochs = {k: int(v) for k, v in (e.split("=") for e in args.epochs)}
    hidden = {k: int(v) for k, v in (e.split("=") for e in args.hidden)}

    data = yin_yang_splits(args.n_train, args.n_val, args.n_test, seed=0)
    out = Path(args.out)
    machine = {"cpu_cores": os.cpu_count(), "platform": platform.platform(), "jax": jax.__version__}
    for model in args.models:
        config = preset(model, hidden=(hidden[model],), epochs=epochs[model],
                        mismatch_bias=args.train_mismatch, mismatch_kappa=args.train_mismatch / 5,
                        ).with_cosine_decay(args.n_train)
        name = f"{model}-{hidden[model]}" + ("+mismatch" if args.train_mismatch > 0 else "")
        try:
            state, history = fit(config, data["train"], data["val"], Path(args.work) / name)
        except FloatingPointError as err:  # recorded, not hidden: the run diverged
            save(out, name, {"config": config.to_json(), "failed": str(err),
                             "data": {"n_train": args.n_train, "n_val": args.n_val,
                                      "n_test": args.n_test}}, machine, args)
            print(f"{name}: FAILED: {err}")
            continue
        wall = sum(h["wall_s"] for h in history)  # per-epoch durations
        test = evaluate(state.network, *data["test"], config)
        mism = evaluate_mismatch(state.network, *data["test"], config,
                                 sigma_bias=0.1, sigma_kappa=0.02, n_draws=5)
        half = dataclasses.replace(config, dt=config.dt / 2)
        test_half = evaluate(state.network, *data["test"], half)
        events = None
        if args.event_samples > 0:
            n_ev = min(args.event_samples, len(data["test"][0]))
            t_ev = time.perf_counter()
            events = evaluate_events(state.network, data["test"][0][:n_ev],
                                     data["test"][1][:n_ev], config)
            events.update(n_samples=n_ev, wall_s=round(time.perf_counter() - t_ev, 1))
        save(out, name, {
            "config": config.to_json(),
            "data": {"n_train": args.n_train, "n_val": args.n_val, "n_test": args.n_test},
            "epochs": len(history),
            "train_wall_s": round(wall, 1),
            "test_accuracy": test["accuracy"],
            "test_loss": test["loss"],
            "val_accuracy_per_epoch": [h.get("val_accuracy") for h in history],
            "mismatch": {"sigma_bias": 0.1, "sigma_kappa": 0.02,
                         "test_accuracy_mean": float(np.mean(mism)),
                         "test_accuracy_min": float(np.min(mism)), "draws": mism},
            "test_accuracy_dt_half": test_half["accuracy"],
            "event_engine": events,
        }, machine, args)
        print(f"{name}: test accuracy {test['accuracy']:.4f}, under mismatch "
              f"{np.mean(mism):.4f} (min {np.min(mism):.4f}), at dt/2 {test_half['accuracy']:.4f}, "
              f"event engine {events}, {len(history)} epochs, {wall:.0f} s")


def save(out: Path, model: str, entry: dict, machine: dict, args: argparse.Namespace) -> None:
    """Set this model's entry in `out`, re-reading the file first so that runs of other
    models (in parallel or earlier) keep theirs; written to a temporary file and renamed."""
    results = json.loads(out.read_text()) if out.exists() else {}
    results.setdefault("models", {})[model] = entry
    results["machine"] = machine
    # the data of the earlier entries (an entry that differs has its own "data")
    results.setdefault("data", {"n_train": args.n_train, "n_val": args.n_val,
                                "n_test": args.n_test})
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, allow_nan=False))
    os.replace(tmp, out)

if __name__ == "__main__":
    main()
