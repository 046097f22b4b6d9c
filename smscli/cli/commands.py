"""The list of command groups. Add one name per module; each exposes ``register(app)``."""

from __future__ import annotations

from importlib import import_module

import typer

# Order is the order in --help.
MODULES = (
    "send",  # send + reserve
    "runs",
    "mms",
    "result",
    "packet",
    "code",
    "config",
    "bizclient",
    "journal",
    "sim",
)


def register(app: typer.Typer) -> None:
    if getattr(app, "_smscli_registered", False):
        return
    app._smscli_registered = True  # type: ignore[attr-defined]
    for name in MODULES:
        import_module(f"smscli.cli.{name}").register(app)
