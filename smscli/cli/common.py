"""Option types shared by every command, and the active profile for a command.

``--profile/-p`` and ``--config`` exist both on the root (``smscli -p prod send ...``) and
on each command (``smscli send -p prod ...``); the command's own flag wins.
"""

from __future__ import annotations

from collections.abc import Callable
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


class ShownEvents:
    """The journal as a vendor's event sink that also tells the user (one stderr line per
    080 opt-out or number change the vendor reports)."""

    def __init__(self, journal: Any, info: Callable[[str], None]) -> None:
        self._journal = journal
        self._info = info

    def add_suppression(self, phone: str, deny_no: str = "", source: str = "") -> None:
        self._journal.add_suppression(phone, deny_no, source)
        via = f" via {deny_no}" if deny_no else ""
        self._info(f"smscli: {phone} opted out{via} (080); later sends skip it")

    def add_phone_change(self, phone: str, new_phone: str, server_msg_id: str = "") -> None:
        self._journal.add_phone_change(phone, new_phone, server_msg_id)
        self._info(f"smscli: number change reported by the vendor: {phone} → {new_phone}")

    def __getattr__(self, name: str) -> Any:  # token_get, token_put, ... go to the journal
        return getattr(self._journal, name)


class StopsWhenClosed:
    """A vendor that takes no more messages once ``out`` found stdout closed (``| head``).

    What is in flight then still gets its result journaled (``out`` drops it: made with
    ``drop_when_closed``), the rest is never handed out, and the command's final
    ``out.flush()`` raises BrokenPipeError: exit 141, the journal exact."""

    def __init__(self, vendor: Any, out: Any) -> None:
        self._vendor = vendor
        self._out = out

    def send(self, messages: Any, on_result: Any, **kwargs: Any) -> None:
        self._vendor.send(self._out.until_closed(messages), on_result, **kwargs)

    def __getattr__(self, name: str) -> Any:  # name, limits, upload, ... are the vendor's
        return getattr(self._vendor, name)
