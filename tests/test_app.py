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


def test_usage_errors_are_one_line_with_a_pointer_to_help():
    for args, text in (
        (["send", "--frobnicate"], "smscli: No such option: --frobnicate (see `smscli send --help`)"),
        (["sendd"], "smscli: No such command 'sendd'. Did you mean 'send'?"),
        (["send", "--to", "01012345678", "-m", "x", "--wait", "-1"], "Invalid value for '--wait'"),
        # options given where they are not: what to do instead
        (["send", "--to", "01012345678", "-m", "x", "--debug"],
         "smscli: no such option: --debug; it goes before the command: smscli --debug COMMAND ..."),
        (["send", "--at", "2099-01-01 09:00", "--to", "01012345678", "-m", "x"],
         "smscli: no such option: --at; to send at a later time, use: smscli reserve --at WHEN ..."),
        (["result", "list", "--at", "x"], "smscli: No such option: --at"),
    ):
        proc = run_cli(*args)
        err = proc.stderr.decode().strip().splitlines()
        assert proc.returncode == 2 and len(err) == 1 and text in err[0], (args, err)


def test_a_bare_group_shows_its_help_on_stderr():
    proc = run_cli("code")
    assert proc.returncode == 2 and proc.stderr.decode().startswith("Usage: smscli code")
