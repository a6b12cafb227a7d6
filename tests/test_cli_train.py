"""`felice train yinyang`: a tiny run writes its outputs and resumes; bad arguments are named."""

import json

import pytest
from _cli import usage_error

from felice.cli import main

ARGS = ["train", "yinyang", "--model", "fhnrs", "--hidden", "4", "--n-train", "50",
        "--n-val", "10", "--n-test", "20", "--batch-size", "25"]


def _error(argv, capsys) -> str:
    """The message of a refused `felice` command: main()'s one line on stderr, exit status 2."""
    return usage_error(argv, capsys, "train").err


@pytest.mark.slow
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
    ("--hidden", "-3", "argument --hidden: must be a positive integer, got '-3'"),
    ("--hidden", "0", "argument --hidden: must be a positive integer, got '0'"),
    ("--epochs", "0", "argument --epochs: must be a positive integer, got '0'"),
    ("--batch-size", "-5", "argument --batch-size: must be a positive integer, got '-5'"),
    ("--batch-size", "51", "--batch-size 51 exceeds --n-train 50"),
    ("--lr", "nan", "argument --lr: must be a finite number > 0, got 'nan'"),
    ("--lr", "-0.1", "argument --lr: must be a finite number > 0, got '-0.1'"),
    ("--n-train", "0", "argument --n-train: must be a positive integer, got '0'"),
    ("--n-val", "-1", "argument --n-val: must be a positive integer, got '-1'"),
    ("--n-test", "0", "argument --n-test: must be a positive integer, got '0'"),
    ("--mismatch-bias", "nan", "argument --mismatch-bias: must be a finite number >= 0, got 'nan'"),
    ("--mismatch-kappa", "-0.1", "argument --mismatch-kappa: must be a finite number >= 0"),
    ("--seed", "-1", "argument --seed: must be an integer >= 0, got '-1'"),
    # passes the parser's type, refused by TrainConfig: named by its flag
    ("--seed", "3000000000", "--seed: seed must be an integer in [0, 2147483646]"),
])
def test_bad_train_arguments_are_named(tmp_path, capsys, flag, value, expected):
    argv = [*ARGS, flag, value, "--out", str(tmp_path / "run")]
    assert expected in _error(argv, capsys)
    assert not (tmp_path / "run").exists()  # refused before anything was written
