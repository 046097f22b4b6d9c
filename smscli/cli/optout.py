"""`smscli optout list|add|remove|import|export`: the 080 opt-out list (smscli.optout)."""

import sys
from typing import Annotated

import typer

from smscli.cli.commands import CommandsOf
from smscli.cli.common import ConfigOpt, JsonOpt, MetavarCommand, ProfileOpt

EXAMPLES = """Examples:

\b
  smscli optout list
  smscli optout add 010-1234-5678 01022223333
  smscli optout remove 01012345678
  smscli optout import refused.txt        # one number a line, or a CSV with a phone column
  smscli optout export > optouts.csv
"""

optout_commands = typer.Typer()  # its sub-commands, each built only when it runs (CommandsOf)


class OptoutGroup(CommandsOf):
    source = optout_commands


optout_app = typer.Typer(
    name="optout",
    help="The 080 opt-out list: numbers every send skips (unless --ignore-optout).",
    epilog=EXAMPLES,
    no_args_is_help=True,
    cls=OptoutGroup,
)
NumbersArg = Annotated[list[str], typer.Argument(metavar="NUMBER...", help="Phone numbers (any spelling).")]
COLUMNS = ["number", "080 number", "source", "date"]
CSV_FIELDS = ["phone", "deny_no", "source", "at"]


def register(app: typer.Typer) -> None:
    app.add_typer(optout_app)


def _client(profile, config):
    from smscli.cli.common import choose
    from smscli.client import Client

    name, path = choose(profile, config)
    return Client(name, config=path)


@optout_commands.command("list")
def list_(json_: JsonOpt = False, profile: ProfileOpt = None, config: ConfigOpt = None) -> None:
    """List the opted-out numbers: number, 080 number, source and date, oldest first."""
    from smscli.cli.output import Output

    out = Output(json_, columns=COLUMNS)
    shown = 0
    for item in _client(profile, config).optouts():
        shown += 1
        if json_:
            out.emit(item.to_json())
        else:
            out.emit({"number": item.phone, "080 number": item.deny_no, "source": item.source,
                      "date": item.at[:19].replace("T", " ")})
    out.flush()
    if not shown and out.is_tty(sys.stderr):
        out.info("no opted-out numbers")


@optout_commands.command("add", cls=MetavarCommand)
def add(numbers: NumbersArg, json_: JsonOpt = False, profile: ProfileOpt = None,
        config: ConfigOpt = None) -> None:
    """Put numbers on the opt-out list (source `manual`)."""
    from smscli.optout import checked_numbers

    wanted = checked_numbers(numbers)
    added = set(_client(profile, config).add_optouts(wanted))
    _report(wanted, added, ("added", "already listed"), json_)


@optout_commands.command("remove", cls=MetavarCommand)
def remove(numbers: NumbersArg, json_: JsonOpt = False, profile: ProfileOpt = None,
           config: ConfigOpt = None) -> None:
    """Take numbers off the opt-out list: later sends reach them again."""
    from smscli.phone import normalize

    wanted = list(dict.fromkeys(normalize(n) for n in numbers))
    removed = set(_client(profile, config).remove_optouts(wanted))
    _report(wanted, removed, ("removed", "not listed"), json_)


def _report(numbers: list[str], done: set[str], words: tuple[str, str], json_: bool) -> None:
    from smscli.cli.output import Output

    out = Output(json_, columns=["number", "status"])
    for number in dict.fromkeys(numbers):
        status = words[0] if number in done else words[1]
        out.emit({"phone": number, "status": status} if json_ else {"number": number, "status": status})
    out.flush()
    out.info(f"{words[0]} {len(done)}; {len(set(numbers)) - len(done)} {words[1]}")


@optout_commands.command("import")
def import_(
    file: Annotated[str, typer.Argument(metavar="FILE", help="One number a line, or a CSV with a phone column and maybe deny_no, as export writes ('-' = stdin).")],
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add every number of FILE to the opt-out list (source `import FILE`); a bad number
    stops it with its line, before anything is added."""
    from smscli.cli.output import Output
    from smscli.errors import UsageError
    from smscli.optout import checked_numbers, read_numbers

    name = "stdin" if file == "-" else file
    try:
        stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        entries = list(read_numbers(stream, name))
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    finally:
        if file != "-":
            stream.close()
    numbers = checked_numbers([(line, number) for line, number, _ in entries], name)
    by_deny_no: dict[str, list[str]] = {}
    for number, (_, _, deny_no) in zip(numbers, entries, strict=True):
        by_deny_no.setdefault(deny_no, []).append(number)
    client = _client(profile, config)
    added = [n for deny_no, group in by_deny_no.items()
             for n in client.add_optouts(group, source=f"import {name}", deny_no=deny_no)]
    distinct = len(set(numbers))
    if json_:
        Output(True).emit({"file": name, "numbers": distinct, "added": len(added),
                           "already_listed": distinct - len(added)})
    Output(False).info(f"imported {distinct} number(s) from {name}: {len(added)} added, "
                       f"{distinct - len(added)} already listed")


@optout_commands.command("export")
def export(json_: JsonOpt = False, profile: ProfileOpt = None, config: ConfigOpt = None) -> None:
    """Write the opt-out list to stdout as CSV (phone,deny_no,source,at; `--json`: JSON Lines)."""
    import csv

    from smscli.cli.output import Output

    client = _client(profile, config)
    if json_:
        out = Output(True)
        for item in client.optouts():
            out.emit(item.to_json())
        out.flush()
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for item in client.optouts():
        writer.writerow([item.phone, item.deny_no, item.source, item.at])
    sys.stdout.flush()
