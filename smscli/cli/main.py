"""The ``smscli`` entry point: answers a few hot read-only invocations without loading Typer.

- ``smscli``, ``smscli --help``, ``smscli -h``: print the root help that
  ``scripts/gen_docs.py`` pre-rendered from the Typer app into ``_help_root.txt``.
- ``smscli code lookup CODE [--vendor V] [--json]`` (any order, ``--vendor=V`` too): call
  ``smscli.cli.code_render.lookup``, as the Typer command does.

Everything else, and anything unusual (another flag, a repeated one, a global option,
a terminal narrower than the help was rendered for, ``SMSCLI_DEBUG``, shell completion),
goes to the Typer app, ``smscli.cli.app.program``, unchanged. ``SMSCLI_NO_FAST_PATH=1``
sends every invocation there. Output, errors and exit codes are the same on both paths
(tests/test_fast_path.py). What it stands in for is listed in ``COVERS`` and checked against
the Typer command tree, so an option, env var or callback added there cannot be missed
here. Keep this module cheap: nothing but ``os`` and ``sys`` at the top.

Output into a closed pipe (``smscli ... | head``) ends the process quietly with exit 141 on
both paths: BrokenPipeError is caught here and in ``program()``, stdout is pointed at
/dev/null (so Python's flush at exit cannot fail again) and nothing is printed. SIGPIPE
keeps Python's default (ignored): a signal could kill a send between two journal writes.
"""

from __future__ import annotations

import gc
import os
import sys

HELP_FILE = "_help_root.txt"
HELP_COLUMNS = 80  # _help_root.txt is what click prints when the terminal is at least this wide
_OFF = ("", "0")
HELP_OPTIONS = ("-h", "--help")  # the root's help option names
LOOKUP_FLAGS = ("--json",)  # the options of `code lookup` the fast path reads; anything else: Typer
LOOKUP_VALUES = ("--vendor",)

# What the fast path stands in for: the parameters and callbacks of the Typer commands on
# its two paths (``smscli``, ``smscli code`` and ``smscli code lookup``), one line each as
# tests/test_fast_path.py describes them. An option, argument, env var or callback added
# there fails that test until the fast path handles it (or hands it to Typer) and this
# table says so. The root help text itself is generated (gen_docs.py), never copied here.
COVERS = {
    "smscli": (
        "callback=_root no_args_is_help=True invoke_without_command=False",
        "option --profile/-p type=str envvar=None callback=None eager=False nargs=1 flag=False multiple=False required=False default=None",
        "option --config type=file envvar=None callback=None eager=False nargs=1 flag=False multiple=False required=False default=None",
        "option --version/-V type=boolean envvar=None callback=_version eager=True nargs=1 flag=True multiple=False required=False default=None",
        "option --debug type=boolean envvar=None callback=None eager=False nargs=1 flag=True multiple=False required=False default=False",
        "option --help/-h type=boolean envvar=None callback=show_help eager=True nargs=1 flag=True multiple=False required=False default=None",
    ),
    "smscli code": (
        "callback=None no_args_is_help=True invoke_without_command=False",
        "option --help/-h type=boolean envvar=None callback=show_help eager=True nargs=1 flag=True multiple=False required=False default=None",
    ),
    "smscli code lookup": (
        "callback=lookup_command no_args_is_help=False invoke_without_command=None",
        "argument code type=str envvar=None callback=None eager=False nargs=1 flag=False multiple=False required=True default=None",
        "option --vendor type=str envvar=None callback=None eager=False nargs=1 flag=False multiple=False required=False default=None",
        "option --json type=boolean envvar=None callback=None eager=False nargs=1 flag=True multiple=False required=False default=False",
        "option --help/-h type=boolean envvar=None callback=show_help eager=True nargs=1 flag=True multiple=False required=False default=None",
    ),
}


def main() -> None:
    """Console script: run on ``sys.argv`` and exit with the status."""
    pause_gc()  # until the command runs (resume_gc in smscli.cli.app._root)
    sys.exit(finish(run(sys.argv[1:])))


def run(argv: list[str]) -> int:
    """Answer ``argv`` on the fast path when it is one of the hot invocations, else with Typer."""
    try:
        if _fast_path_allowed():
            status = _fast(argv)
            if status is not None:
                return status
        from smscli.cli.app import program

        return program(argv)
    except BrokenPipeError:
        return broken_pipe()
    except OSError as exc:  # the root help into a full disk (`smscli --help > /dev/full`)
        if not _no_space(exc):
            raise
        return report_error(exc)


_gc_paused = [False]  # pause_gc turned the cyclic garbage collector off


def pause_gc() -> None:
    """Turn the cyclic garbage collector off for the start-up of a process that runs one
    command (``main``). Importing Typer and the command's modules and building its click
    command allocate tens of thousands of objects that live as long as the process
    (modules, classes, functions, parameters) and make no garbage: the collector would
    walk them some 40 times during the start-up and once more at exit, for nothing."""
    if gc.isenabled():
        gc.disable()
        _gc_paused[0] = True


def resume_gc() -> None:
    """The command is about to run: turn the collector back on if pause_gc turned it off,
    after moving what the start-up made out of its reach (``gc.freeze``; it is freed, if
    ever, by reference counting). The command itself (a send of a large CSV, ``result
    listen``) runs with the collector as any Python program does. About 9 ms less CPU for
    ``send --dry-run``, 5 ms for ``send --help`` (bench/bench_startup.py), most of it the
    collection at exit."""
    if _gc_paused[0]:
        _gc_paused[0] = False
        gc.freeze()
        gc.enable()


def finish(status: int) -> int:
    """Flush stdout and stderr before exiting: output still buffered that finds a closed pipe
    only now also exits 141 quietly (Python's own flush at exit would print "Exception
    ignored ... BrokenPipeError" and exit 120)."""
    try:
        if not _flushed(sys.stdout, full_raises=True):
            status = broken_pipe()
    except OSError as exc:  # output still buffered did not fit on the disk
        _silence(sys.stdout)
        status = report_error(exc)
    _flushed(sys.stderr)
    return status


def broken_pipe() -> int:
    """Output went to a closed pipe: silence stdout, say nothing; the exit status (141).

    What stdout still buffers goes out first if it can (the closed pipe may be stderr's)."""
    from smscli.errors import ExitStatus

    _flushed(sys.stdout)
    _silence(sys.stdout)
    _flushed(sys.stderr)
    return int(ExitStatus.BROKEN_PIPE)


def _flushed(stream: object, *, full_raises: bool = False) -> bool:
    """Flush ``stream``; False (and the stream silenced) when it is a closed pipe. A full
    disk raises its OSError with ``full_raises``; other failures are left to Python."""
    try:
        stream.flush()  # type: ignore[attr-defined]
    except BrokenPipeError:
        _silence(stream)
        return False
    except OSError as exc:
        if full_raises and _no_space(exc):
            raise
    except (ValueError, AttributeError):
        pass
    return True


def _no_space(exc: BaseException) -> bool:
    import errno

    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def report_error(exc: BaseException) -> int:
    """Print the one stderr line for an error that ended a command; return its exit status."""
    from smscli.cli.output import to_stderr
    from smscli.errors import ExitStatus, SmscliError

    if isinstance(exc, SmscliError):
        line, status = f"smscli: {exc}", int(exc.exit_status)
    elif _no_space(exc):  # a write nobody expected to fail: the output into a full disk
        where = getattr(exc, "filename", None)
        if where is None:  # stdout: what it still buffers cannot go out either (nor fail twice)
            _silence(sys.stdout)
        line = f"smscli: cannot write {where or 'the output (stdout)'}: no space left on the device"
        status = int(ExitStatus.CONFIG)
    elif isinstance(exc, KeyboardInterrupt):
        line = "smscli: interrupted; the journal is consistent."  # (a send says what to resume itself)
        status = int(ExitStatus.INTERRUPTED)
    else:
        line = (f"smscli: internal error: {type(exc).__name__}: {exc} "
                "(re-run with --debug for a traceback)")
        status = int(ExitStatus.INTERNAL)
    to_stderr(line)  # dropped when stderr is a closed pipe: the status still tells
    return status


def _fast_path_allowed() -> bool:
    env = os.environ
    return (env.get("SMSCLI_NO_FAST_PATH", "") in _OFF
            and env.get("SMSCLI_DEBUG", "") in _OFF
            and "_SMSCLI_COMPLETE" not in env)


def _fast(argv: list[str]) -> int | None:
    """The exit status when the fast path answered ``argv``; None to hand it to Typer."""
    if not argv or (len(argv) == 1 and argv[0] in HELP_OPTIONS):
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
    if not usage_error:
        stream.write(text)  # a closed stdout: BrokenPipeError, exit 141 (run)
        stream.flush()
        return 0
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:  # a closed stderr: the help is lost, the status stays
        _silence(stream)
    return 2


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
    (flag,), (option,) = LOOKUP_FLAGS, LOOKUP_VALUES
    for arg in rest:
        if arg == flag:
            if json_mode:
                return None
            json_mode = True
        elif arg == option or arg.startswith(f"{option}="):
            value = next(rest, None) if arg == option else arg[len(option) + 1:]
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
        return broken_pipe()
    except Exception as exc:
        return report_error(exc)
    return 0


def _silence(stream: object) -> None:
    from smscli.cli.output import silence

    silence(stream)
