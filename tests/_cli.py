"""Shared code of the CLI tests: run `felice.cli.main` and read back its usage error."""

import pytest

from felice.cli import main


def usage_error(argv: list[str], capsys: pytest.CaptureFixture, command: str | None = None):
    """`main(argv)` must exit with status 2 and one line on stderr; returns what it printed.

    With `command`, the line must start with `felice <command>: error: `.
    """
    capsys.readouterr()  # what earlier calls printed
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.endswith("\n"), captured.err
    if command is not None:
        assert captured.err.startswith(f"felice {command}: error: "), captured.err
    return captured
