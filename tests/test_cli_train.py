"""`felice train yinyang`: a tiny run writes its outputs and resumes."""

import json

from felice.cli import main

ARGS = ["train", "yinyang", "--model", "fhnrs", "--hidden", "4", "--n-train", "50",
        "--n-val", "10", "--n-test", "20", "--batch-size", "25"]


def test_train_cli_writes_outputs_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*ARGS, "--epochs", "1", "--out", str(out)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    for name in ("config.json", "metrics.jsonl", "checkpoint/state.eqx", "hardware.json", "summary.json"):
        assert (out / name).exists(), name
    hw = json.loads((out / "hardware.json").read_text())
    assert hw["model"] == "FHNRS" and hw["units"]["current"] == "A"
    assert main([*ARGS, "--epochs", "2", "--out", str(out)]) == 0  # resumes for one more epoch
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(l)["epoch"] for l in lines] == [1, 2]
