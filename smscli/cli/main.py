"""The ``smscli`` entry point: answers a few hot read-only invocations without loading Typer.

- ``smscli``, ``smscli --help``, ``smscli -h``: print the root help that
  ``scripts/gen_docs.py`` pre-rendered from the Typer app into ``_help_root.txt``.
- ``smscli code lookup CODE [--vendor V] [--json]`` (any order, ``--vendor=V`` too): call
  ``smscli.cli.code_render.lookup``, as the Typer command does.

Everything else, and anything unusual (another flag, a repeated one, a global option,
a terminal narrower than the help was rendered for, ``SMSCLI_DEBUG``, shell completion),
goes to the Typer app, ``smscli.cli.app.program``, unchanged. ``SMSCLI_NO_FAST_PATH=1``
sends every invocation there. Output, errors and exit codes are the same on both paths
(tests/test_fast_path.py). Keep this module cheap: nothing but ``os`` and ``sys`` at the top.
"""

from __future__ import annotations

import os
import sys

HELP_FILE = "_help_root.txt"
HELP_COLUMNS = 80  # _help_root.txt is what click prints when the terminal is at least this wide
_OFF = ("", "0")


def main() -> None:
    """Console script: run on ``sys.argv`` and exit with the status."""
    sys.exit(run(sys.argv[1:]))


def run(argv: list[str]) -> int:
    """Answer ``argv`` on the fast path when it is one of the hot invocations, else with Typer."""
    if _fast_path_allowed():
        status = _fast(argv)
        if status is not None:
            return status
    from smscli.cli.app import program

    return program(argv)


def report_error(exc: BaseException) -> int:
    """Print the one stderr line for an error that ended a command; return its exit status."""
    from smscli.errors import ExitStatus, SmscliError

    if isinstance(exc, SmscliError):
        line, status = f"smscli: {exc}", int(exc.exit_status)
    elif isinstance(exc, KeyboardInterrupt):
        line = "smscli: interrupted; the journal is consistent, re-run to resume."
        status = int(ExitStatus.INTERRUPTED)
    else:
        line = (f"smscli: internal error: {type(exc).__name__}: {exc} "
                "(re-run with --debug for a traceback)")
        status = 70
    print(line, file=sys.stderr)
    return status


def _fast_path_allowed() -> bool:
    env = os.environ
    return (env.get("SMSCLI_NO_FAST_PATH", "") in _OFF
            and env.get("SMSCLI_DEBUG", "") in _OFF
            and "_SMSCLI_COMPLETE" not in env)


def _fast(argv: list[str]) -> int | None:
    """The exit status when the fast path answered ``argv``; None to hand it to Typer."""
    if not argv or argv in (["--help"], ["-h"]):
        return _root_help(usage_error=not argv)
    if len(argv) >= 3 and argv[0] == "code" and argv[1] == "lookup":
        parsed = _parse_lookup(argv[2:])
        if parsed is not None:
            return _lookup(*parsed)
    return None


def _root_help(*, usage_error: bool) -> int | None:
    """Like Typer: ``--help`` to stdout, exit 0; no arguments: to stderr, exit 2."""
    if _terminal_columns() < HELP_COLUMNS:
        return None
    try:
        with open(os.path.join(os.path.dirname(__file__), HELP_FILE), encoding="utf-8",
                  newline="") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError):
        return None
    stream = sys.stderr if usage_error else sys.stdout
    if not text or (not text.isascii() and not _is_utf8(stream)):
        return None
    stream.write(text)
    stream.flush()
    return 2 if usage_error else 0


def _terminal_columns() -> int:
    """The width ``shutil.get_terminal_size()`` (which click asks) reports, without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns


def _is_utf8(stream: object) -> bool:
    encoding = str(getattr(stream, "encoding", "") or "")
    return encoding.lower().replace("-", "").replace("_", "") == "utf8"


def _parse_lookup(args: list[str]) -> tuple[str, str | None, bool] | None:
    """``CODE [--vendor V | --vendor=V] [--json]`` in any order, each at most once; else None."""
    code: str | None = None
    vendor: str | None = None
    json_mode = False
    rest = iter(args)
    for arg in rest:
        if arg == "--json":
            if json_mode:
                return None
            json_mode = True
        elif arg == "--vendor" or arg.startswith("--vendor="):
            value = next(rest, None) if arg == "--vendor" else arg[len("--vendor="):]
            if vendor is not None or not value or value.startswith("-"):
                return None
            vendor = value
        elif arg.startswith("-") or code is not None:
            return None
        else:
            code = arg
    if code is None:
        return None
    return code, vendor, json_mode


def _lookup(code: str, vendor: str | None, json_mode: bool) -> int:
    """Run the lookup; end it the way ``program()`` ends a Typer command."""
    try:
        from smscli.cli.code_render import lookup

        lookup(code, vendor, json_mode)
    except KeyboardInterrupt:
        return 130  # Typer turns ^C inside a command into a silent exit 130
    except BrokenPipeError:
        _silence_stdout()  # Typer: exit 1, and no second error when stdout is flushed at exit
        return 1
    except Exception as exc:
        return report_error(exc)
    return 0


def _silence_stdout() -> None:
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
