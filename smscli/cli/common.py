"""Option types shared by every command, and the active profile for a command.

``--profile/-p`` and ``--config`` exist both on the root (``smscli -p prod send ...``) and
on each command (``smscli send -p prod ...``); the command's own flag wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

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

# Set by the root callback on every run: the global --profile / --config.
_global: dict[str, Any] = {"profile": None, "config": None}


def set_global_options(profile: str | None, config: Path | None) -> None:
    _global["profile"] = profile
    _global["config"] = config


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


# The journal as a vendor's event sink that also tells the user (moved to the library).
from smscli.sending import EventsShown as ShownEvents  # noqa: E402, F401
