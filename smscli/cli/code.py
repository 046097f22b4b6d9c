"""``smscli code lookup|search|list``: what a vendor's result or error code means."""

from typing import Annotated

import typer

from smscli.cli import code_render
from smscli.cli.code_render import COLUMNS, CodeNotFound
from smscli.cli.commands import CommandsOf

__all__ = ["COLUMNS", "CodeNotFound", "code_app", "register"]


def _complete_vendor(incomplete: str) -> list[str]:
    from smscli.codes import VENDORS

    return [v for v in (*VENDORS, "sandbox") if v.startswith(incomplete)]


Vendor = Annotated[
    str | None,
    typer.Option(
        "--vendor",
        metavar="VENDOR",
        help="Only this vendor: oneshot, bizppurio, netshot or bizclient (sandbox = oneshot).",
        autocompletion=_complete_vendor,
        show_default=False,
    ),
]
Json = Annotated[
    bool, typer.Option("--json", help="Print JSON Lines on stdout, one object per code.")
]

code_commands = typer.Typer()  # its sub-commands, each built only when it runs (CommandsOf)


class CodeGroup(CommandsOf):
    source = code_commands


code_app = typer.Typer(
    name="code",
    help="Look up what vendor result and error codes mean.",
    epilog=(
        "Daou's result tables are shared by bizppurio and bizclient, so a code such as "
        "4100 matches once for each."
    ),
    no_args_is_help=True,
    cls=CodeGroup,
    rich_markup_mode=None,
)


@code_commands.command(
    "lookup",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli code lookup 4100\n\n"
        "  smscli code lookup 320 --vendor oneshot\n\n"
        "\b\n  smscli code lookup 4401 --json\n\n"
        "Exit status: 0 found, 1 unknown code (the nearest known codes go to stderr), "
        "2 unknown vendor."
    ),
)
def lookup_command(
    code: Annotated[str, typer.Argument(metavar="CODE", help="The code, e.g. 4100, 320 or KAT.")],
    vendor: Vendor = None,
    json_: Json = False,
) -> None:
    """Show what a result or error code means.

    One row per vendor and table that knows the code; --vendor narrows it down.
    """
    code_render.lookup(code, vendor, json_)


@code_commands.command(
    "search",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli code search 음영\n\n"
        "  smscli code search 'powered off' --vendor bizppurio\n\n"
        "\b\n  smscli code search spam --json\n\n"
        "Exit status: 0 found, 1 nothing matched, 2 unknown vendor."
    ),
)
def search_command(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="Korean or English words to find.")],
    vendor: Vendor = None,
    json_: Json = False,
) -> None:
    """Find codes by meaning, in Korean or English.

    Matches any part of the meaning, ignoring case and spacing.
    """
    code_render.search(text, vendor, json_)


@code_commands.command(
    "list",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli code list --vendor netshot\n\n"
        "  smscli code list --json | grep '\"retryable\": true'\n\n"
        "Exit status: 0 listed, 2 unknown vendor."
    ),
)
def list_command(vendor: Vendor = None, json_: Json = False) -> None:
    """List every known code.

    Vendor by vendor, table by table, in the order of the vendors' documents.
    """
    code_render.list_all(vendor, json_)


def register(app: typer.Typer) -> None:
    """Attach ``smscli code``."""
    app.add_typer(code_app)
