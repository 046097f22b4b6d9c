"""The property every CLI fuzz target checks, and in-process running of ``program``."""

from __future__ import annotations

import pytest
from hypothesis import event

from smscli.cli.app import program

OK_STATUSES = {0, 1, 2, 3, 4}


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """``program(argv)`` in-process: (status, stdout, stderr). A SystemExit is a failure."""
    capsys.readouterr()
    try:
        status = program(argv)
    except SystemExit as exc:  # program() must return, never exit
        out, err = capsys.readouterr()
        raise AssertionError(f"program({argv!r}) raised SystemExit({exc.code!r}); stderr: {err!r}") from None
    out, err = capsys.readouterr()
    return status, out, err


def check(status: int, out: str, err: str, argv: list[str]) -> None:
    """Exit 0-4; no traceback, no internal error; a failure (2/3/4) ends stderr with its one
    ``smscli: `` line (notes and summaries of a 0/1 may come before, e.g. packet decode's
    capture notes and the "N of M frames damaged" line)."""
    event(f"exit {status}")  # pytest --hypothesis-show-statistics: how far the inputs got
    where = f"argv={argv!r}\nstatus={status}\nstderr={err[-2000:]!r}"
    assert status in OK_STATUSES, where
    assert "Traceback" not in err and "Traceback" not in out, where
    assert "internal error" not in err, where
    if status in (2, 3, 4):
        lines = err.strip().splitlines()
        assert lines and lines[-1].startswith("smscli: "), where
