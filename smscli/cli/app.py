"""Typer app assembly and ``main()``: every SmscliError becomes one stderr line and its exit code;
output into a closed pipe ends quietly with exit 141."""

import os
import sys
from typing import Annotated

import typer

from smscli import __version__
from smscli.cli.commands import RootGroup
from smscli.cli.common import ConfigOpt, ProfileOpt, resume_argv, set_global_options
from smscli.cli.main import broken_pipe, report_error, resume_gc
from smscli.errors import ExitStatus, SmscliError

app = typer.Typer(
    name="smscli",
    help="Send Korean SMS/LMS/MMS through OneShot, Bizppurio, BizNetShot and BIZCLIENT, and debug them.",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli send --to 01012345678 --message 'hello'\n\n"
        "  smscli code lookup 4100\n\n"
        "\b\n  smscli packet decode capture.pcap\n\n"
        "Exit codes: 0 done, 1 rejected/partial, 2 usage or input error, 3 config or auth error, "
        "4 vendor unreachable, 70 internal error, 130 interrupted, 141 output pipe closed."
    ),
    no_args_is_help=True,
    cls=RootGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smscli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    version: Annotated[
        bool | None,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    resume_gc()  # the command is found and built: the start-up is over (smscli.cli.main.pause_gc)
    _state["debug"] = debug or os.environ.get("SMSCLI_DEBUG", "") not in ("", "0")
    set_global_options(profile, config)


def program(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv``; return the exit status instead of exiting."""
    argv = resume_argv(sys.argv[1:] if argv is None else argv)
    streams = sys.stdout, sys.stderr
    try:
        rv = app(args=argv, prog_name="smscli", standalone_mode=False)
    except BrokenPipeError:  # raised outside Typer's own handler
        return broken_pipe()
    except SystemExit as exc:
        # Typer answers EPIPE (in a command, in --help) with sys.exit(1) from its handler,
        # after wrapping sys.stdout/sys.stderr: undo that, and exit 141 instead.
        if not isinstance(exc.__context__, BrokenPipeError):
            raise
        sys.stdout, sys.stderr = streams
        return broken_pipe()
    except SmscliError as err:
        if _state["debug"]:
            import traceback

            traceback.print_exc()
        return report_error(err)
    except KeyboardInterrupt as exc:
        return report_error(exc)
    except typer.Exit as exc:
        rv = exc.exit_code or 0
    except typer.Abort:
        return report_error(KeyboardInterrupt())
    except typer.TyperException as exc:  # usage errors: one line, like every other failure
        return _usage_error(exc)
    except Exception as exc:  # anything unexpected
        if _state["debug"]:
            raise
        return report_error(exc)
    if rv == ExitStatus.INTERRUPTED:  # Typer turns Ctrl-C inside a command into a quiet 130
        return report_error(KeyboardInterrupt())
    return rv if isinstance(rv, int) else 0


def _usage_error(exc: typer.TyperException) -> int:
    from smscli.cli.output import to_stderr

    ctx = getattr(exc, "ctx", None)  # set on usage errors
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    message = " ".join(exc.format_message().split())
    option = getattr(exc, "option_name", None)  # an option the command does not have
    hint = (_MISPLACED.get((ctx.info_name, option)) or _MISPLACED.get((None, option))) if ctx else None
    if hint:
        message = f"no such option: {option}; {hint}"
    to_stderr(f"smscli: {message}{where}")
    return int(ExitStatus.USAGE)


# Options users give to a command (None: any) that has them elsewhere: what to do instead.
_MISPLACED = {
    (None, "--debug"): "it goes before the command: smscli --debug COMMAND ...",
    ("send", "--at"): "to send at a later time, use: smscli reserve --at WHEN ...",
}


def main() -> None:
    """Run the Typer app on ``sys.argv`` (the console script is ``smscli.cli.main:main``)."""
    from smscli.cli.main import finish

    sys.exit(finish(program(sys.argv[1:])))
