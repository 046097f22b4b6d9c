"""Typer app assembly and ``main()``: every SmscliError becomes one stderr line and its exit code;
output into a closed pipe ends quietly with exit 141."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from smscli import __version__
from smscli.cli.common import ConfigOpt, ProfileOpt, set_global_options
from smscli.cli.main import broken_pipe, report_error
from smscli.errors import ExitStatus, SmscliError

app = typer.Typer(
    name="smscli",
    help="Send Korean SMS/LMS/MMS through OneShot, Bizppurio, BizNetShot and BIZCLIENT, and debug them.",
    epilog=(
        "Examples:\n\n"
        "  smscli send --to 01012345678 --message 'hello'\n\n"
        "  smscli code lookup 4100\n\n"
        "  smscli packet decode capture.pcap\n\n"
        "Exit codes: 0 done, 1 rejected/partial, 2 usage or input error, 3 config or auth error, "
        "4 vendor unreachable, 70 internal error, 130 interrupted, 141 output pipe closed."
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


def _arguments_by_metavar() -> None:
    """In help, an argument with a metavar shows just that (``MSGID...``, ``[FILE|-]``):
    Typer would add its Python type (``msgids... <list[str]>``), which says nothing to a
    user. One that takes several values gets ``...`` as in the usage line."""
    from typer.core import TyperArgument

    if getattr(TyperArgument, "_smscli_metavars", False):
        return
    display_type, display_name = TyperArgument.display_type, TyperArgument._rich_display_name

    def shown_type(self, ctx):  # type: ignore[no-untyped-def]
        return "" if self.metavar else display_type(self, ctx)

    def shown_name(self):  # type: ignore[no-untyped-def]
        name = display_name(self)
        return f"{name}..." if self.metavar and self.nargs != 1 and not name.endswith("...") else name

    TyperArgument.display_type = shown_type  # type: ignore[method-assign]
    TyperArgument._rich_display_name = shown_name  # type: ignore[method-assign]
    TyperArgument._smscli_metavars = True  # type: ignore[attr-defined]


_arguments_by_metavar()


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
    _state["debug"] = debug or os.environ.get("SMSCLI_DEBUG", "") not in ("", "0")
    set_global_options(profile, config)


def _register() -> None:
    """Attach every command group. Each module adds its own commands to ``app``."""
    from smscli.cli import commands

    commands.register(app)


def program(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv``; return the exit status instead of exiting."""
    _register()
    from smscli.cli.send import resume_argv

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
    except Exception as exc:  # click usage errors and anything unexpected
        return _unexpected(exc)
    if rv == ExitStatus.INTERRUPTED:  # Typer turns Ctrl-C inside a command into a quiet 130
        return report_error(KeyboardInterrupt())
    return rv if isinstance(rv, int) else 0


def _unexpected(exc: BaseException) -> int:
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    from smscli.cli.output import silence, to_stderr

    if isinstance(exc, NoArgsIsHelpError):  # a bare group: its help, on stderr
        try:
            exc.show(file=sys.stderr)
        except BrokenPipeError:
            silence(sys.stderr)
        return int(ExitStatus.USAGE)
    if isinstance(exc, ClickException):  # one line, like every other failure
        ctx = getattr(exc, "ctx", None)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = " ".join(exc.format_message().split())
        to_stderr(f"smscli: {message}{where}")
        return int(ExitStatus.USAGE)
    if _state["debug"]:
        raise exc
    return report_error(exc)


def main() -> None:
    """Run the Typer app on ``sys.argv`` (the console script is ``smscli.cli.main:main``)."""
    from smscli.cli.main import finish

    sys.exit(finish(program(sys.argv[1:])))
