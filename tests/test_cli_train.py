"""`felice train yinyang`: a tiny run writes its outputs and resumes; bad arguments are named."""

import json

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
