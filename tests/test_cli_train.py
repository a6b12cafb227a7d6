"""`felice train yinyang`: a tiny run writes its outputs and resumes; bad arguments are named."""

import json

import pytest

from felice.cli import main

ARGS = ["train", "yinyang", "--model", "fhnrs", "--hidden", "4", "--n-train", "50",
        "--n-val", "10", "--n-test", "20", "--batch-size", "25"]


def _error(argv, capsys) -> str:
    """The message of a refused `felice` command: its ValueError, or main()'s one line on
    stderr with exit status 2 (where main() turns a subcommand's ValueError into that)."""
    try:
        status = main(argv)
    except ValueError as err:
        return str(err)
    assert status == 2
    return capsys.readouterr().err


def test_train_cli_writes_outputs_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*ARGS, "--epochs", "1", "--out", str(out)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    for name in ("config.json", "metrics.jsonl", "checkpoint/state.eqx", "hardware.json",
                 "summary.json"):
        assert (out / name).exists(), name
    hw = json.loads((out / "hardware.json").read_text())
    assert hw["model"] == "FHNRS" and hw["units"]["current"] == "A"
    assert main([*ARGS, "--epochs", "2", "--out", str(out)]) == 0  # resumes for one more epoch
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(l)["epoch"] for l in lines] == [1, 2]
    # settings outside TrainConfig are part of the run too
    more = [a if a != "50" else "60" for a in ARGS]  # --n-train 60
    message = _error([*more, "--epochs", "3", "--out", str(out)], capsys)
    assert "train data: 50 → 60 samples" in message and "another --out" in message
    message = _error([*ARGS, "--epochs", "3", "--lr-schedule", "constant", "--out", str(out)],
                     capsys)
    assert "lr_decay_steps: 4 → 0" in message
    assert [json.loads(l)["epoch"] for l in (out / "metrics.jsonl").read_text().splitlines()] \
        == [1, 2]


@pytest.mark.parametrize("flag,value,expected", [
    ("--hidden", "-3", "--hidden: hidden must be an integer >= 1, got hidden=-3"),
    ("--hidden", "0", "--hidden: hidden must be an integer >= 1, got hidden=0"),
    ("--epochs", "0", "--epochs: epochs must be an integer >= 1, got epochs=0"),
    ("--batch-size", "-5", "--batch-size: batch_size must be an integer >= 1"),
    ("--batch-size", "51", "--batch-size 51 exceeds --n-train 50"),
    ("--lr", "nan", "--lr: lr must be finite, got lr=nan"),
    ("--lr", "-0.1", "--lr: lr must be > 0, got lr=-0.1"),
    ("--n-train", "0", "--n-train must be a positive integer, got --n-train 0"),
    ("--n-val", "-1", "--n-val must be a positive integer, got --n-val -1"),
    ("--n-test", "0", "--n-test must be a positive integer, got --n-test 0"),
    ("--mismatch-bias", "nan", "--mismatch-bias: mismatch_bias must be finite"),
    ("--mismatch-kappa", "-0.1", "--mismatch-kappa: mismatch_kappa must be >= 0"),
    ("--seed", "-1", "--seed: seed must be an integer in [0, "),
])
def test_bad_train_arguments_are_named(tmp_path, capsys, flag, value, expected):
    argv = [*ARGS, flag, value, "--out", str(tmp_path / "run")]
    assert expected in _error(argv, capsys)
    assert not (tmp_path / "run").exists()  # refused before anything was written
