"""``smscli sim``: local vendor simulators. Each vendor's command lives in its own module
``smscli/cli/sim_<vendor>.py`` exposing ``register(sim_app)``, listed once in ``SIMULATORS``
and imported only when that simulator runs (or ``smscli sim --help`` lists them)."""

import typer

from smscli.cli.commands import LazyGroup

# Order is the order in --help.
SIMULATORS = {
    "oneshot": "sim_oneshot",
    "bizppurio": "sim_bizppurio",
    "netshot": "sim_netshot",
    "bizclient": "sim_bizclient",
}


# Each simulator's help as `smscli sim --help` lists it, so that the list imports none of
# them (tests/test_startup.py compares it with the built commands).
SUMMARIES = {
    "oneshot": "Run a OneShot (SMTNT) server simulator on TCP until Ctrl-C.",
    "bizppurio": "Run a Bizppurio (Daou) HTTP API v3 simulator until Ctrl-C.",
    "netshot": "Run a BizNetShot (Coaintec) HTTP simulator until Ctrl-C.",
    "bizclient": "Run a stand-in BIZCLIENT agent on a database until Ctrl-C.",
}


class SimGroup(LazyGroup):
    table = SIMULATORS

    def summary(self, name: str) -> dict[str, str] | None:
        return {"help": SUMMARIES[name]} if name in SUMMARIES else None


sim_app = typer.Typer(
    name="sim",
    help="Run a local vendor simulator (for tests and CI; nothing is delivered).",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli sim oneshot --port 9000\n\n"
        "  smscli sim oneshot --port 0 --speed 10 --fail-rate 0.2 --seed 7 -v\n\n"
        "\b\n  smscli sim bizppurio --tls --port 0 --rate 50\n\n"
        "  smscli sim bizclient -p agent --fail-rate 0.1 -v\n\n"
        "Each simulator prints its address and a profile to paste into the config on stderr, "
        "and runs until Ctrl-C (exit 0)."
    ),
    no_args_is_help=True,
    cls=SimGroup,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")
