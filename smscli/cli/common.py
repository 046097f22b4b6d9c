"""Option types shared by every command, the active profile for a command, and the two print
helpers the ``smscli config`` modules share (``info``, ``display``).

``--profile/-p`` and ``--config`` exist both on the root (``smscli -p prod send ...``) and
on each command (``smscli send -p prod ...``); the command's own flag wins.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

if TYPE_CHECKING:
    from smscli.config import Profile

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", "-p",
        help="Profile to use (default: $SMSCLI_PROFILE, then default_profile, then sandbox).",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file (default: $SMSCLI_CONFIG, then the platform config dir).",
        dir_okay=False,
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON Lines on stdout.")]



class BareGroup(typer.core.TyperGroup):
    """A group with ``no_args_is_help`` (give it as ``typer.Typer(cls=BareGroup, ...)``): run
    bare, it prints its help on stderr and exits 2, as click's own no-args help does, but
    without raising click's NoArgsIsHelpError, which Typer does not export."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            try:
                typer.echo(ctx.get_help(), err=True, color=ctx.color)
            except BrokenPipeError:  # a closed stderr: the help is lost, the status stays
                from smscli.cli.output import silence

                silence(sys.stderr)
            raise typer.Exit(2)
        return super().parse_args(ctx, args)


class MetavarCommand(typer.core.TyperCommand):
    """A command whose arguments show by their metavar (``typer.Argument(metavar=...)``), as
    a user reads them: one that takes several values is ``MSGID...`` in the help and
    ``{MSGID}...`` in the usage line; an optional one is wrapped in ``[...]`` in the usage.
    Give it as ``@app.command(..., cls=MetavarCommand)`` to a command with such an argument
    (tests/test_app.py checks every command that needs it has it)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if not _shown_by_metavar(param):
                pieces.extend(param.get_usage_pieces(ctx))
                continue
            piece = f"{{{param.metavar}}}" if param.required else f"[{param.metavar}]"
            pieces.append(f"{piece}..." if param.nargs != 1 else piece)
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Arguments, then options, each as its help record (as Typer lays them out)."""
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                name, text = record
                if _shown_by_metavar(param) and param.nargs != 1 and not name.endswith("..."):
                    name = f"{name}..."
                arguments.append((name, text))
            elif param.param_type_name == "option":
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _shown_by_metavar(param: Any) -> bool:
    return param.param_type_name == "argument" and bool(param.metavar)


# Set by the root callback on every run: the global --profile / --config.
_global: dict[str, Any] = {"profile": None, "config": None}


def set_global_options(profile: str | None, config: Path | None) -> None:
    _global["profile"] = profile
    _global["config"] = config


RESUME_LATEST = "latest"  # a bare --resume (see resume_argv)


def resume_argv(argv: list[str]) -> list[str]:
    """``--resume`` takes an optional RUN_ID: a bare one (last, or before another option)
    becomes ``--resume latest``, which the option parser can read."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--":
            break
        if arg == "--resume" and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out[i] = f"--resume={RESUME_LATEST}"
    return out


def choose(profile: str | None, config: Path | None) -> tuple[str | None, Path | None]:
    """Merge a command's own ``--profile``/``--config`` with the global ones."""
    return profile or _global["profile"], config or _global["config"]


def current_profile(
    profile: str | None,
    config: Path | None,
    overrides: dict[str, object] | None = None,
) -> Profile:
    """The active profile for a command, validated (a ConfigError exits 3)."""
    from smscli.config import load_profile

    name, path = choose(profile, config)
    return load_profile(name, config=path, overrides=overrides)


def info(message: str) -> None:
    """One line on stderr (the ``smscli config`` commands' notes)."""
    sys.stderr.write(message + "\n")


def display(value: Any) -> str:
    """A config value as ``smscli config`` prints it: booleans as true/false, lists as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def is_tty(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (False for a closed or fake one)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
