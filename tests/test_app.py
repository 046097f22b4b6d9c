"""The CLI shell: version, help, usage errors, exit codes."""

from __future__ import annotations

from smscli import __version__
from smscli.cli.app import program
from tests.conftest import run_cli


def test_version(capsys):
    assert program(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"smscli {__version__}"


def test_help_lists_examples_and_exit_codes():
    proc = run_cli("--help")
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert "Examples" in out and "Exit codes" in out


def test_unknown_command_is_usage_error():
    proc = run_cli("no-such-command")
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
