"""The list of command groups. Add one line per module; keep imports inside ``register``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    if getattr(app, "_smscli_registered", False):
        return
    app._smscli_registered = True  # type: ignore[attr-defined]
    # Each module exposes ``register(app)``; order is the order in --help.
    from smscli.cli import sim

    sim.register(app)
