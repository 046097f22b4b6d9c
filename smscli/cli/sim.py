"""``smscli sim ...``: local vendor simulators (minimal group; each simulator adds its command)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from smscli.cli import sim_netshot

    sim_app = typer.Typer(help="Run local vendor simulators (loopback by default).", no_args_is_help=True)
    sim_netshot.register(sim_app)
    app.add_typer(sim_app, name="sim")
