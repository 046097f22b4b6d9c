"""``smscli sim``: local vendor simulators. Each vendor's command lives in its own module
``smscli/cli/sim_<vendor>.py`` exposing ``register(sim_app)``, listed once below."""

from __future__ import annotations

import typer

sim_app = typer.Typer(
    name="sim",
    help="Run a local vendor simulator (for tests and CI; nothing is delivered).",
    epilog=(
        "Examples:\n\n"
        "  smscli sim oneshot --port 9000\n\n"
        "  smscli sim oneshot --port 0 --speed 10 --fail-rate 0.2 --seed 7 -v\n\n"
        "  smscli sim bizppurio --tls --port 0 --rate 50\n\n"
        "  smscli sim bizclient -p agent --fail-rate 0.1 -v\n\n"
        "Each simulator prints its address and a profile to paste into the config on stderr, "
        "and runs until Ctrl-C (exit 0)."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _register_vendors() -> None:
    # One line per simulator; keep imports inside this function.
    from smscli.cli import sim_bizclient, sim_bizppurio, sim_netshot, sim_oneshot

    sim_oneshot.register(sim_app)
    sim_bizppurio.register(sim_app)
    sim_netshot.register(sim_app)
    sim_bizclient.register(sim_app)


def register(app: typer.Typer) -> None:
    if not getattr(sim_app, "_smscli_vendors", False):
        sim_app._smscli_vendors = True  # type: ignore[attr-defined]
        _register_vendors()
    app.add_typer(sim_app, name="sim")
