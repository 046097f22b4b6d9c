"""The command groups, loaded lazily: a module is imported only when its command runs.

``COMMANDS`` maps each top-level command to the module ``smscli.cli.<module>`` whose
``register(app)`` adds it (and only it) to a Typer app; ``smscli sim`` has its own table
(``smscli.cli.sim.SIMULATORS``). A ``LazyGroup`` knows its commands' names without
importing anything: ``smscli send ...`` imports ``smscli.cli.send`` alone, while a group's
``--help`` (or shell completion, or ``scripts/gen_docs.py``) loads all of its commands to
list them. Within a group, a ``CommandsOf`` group builds only the sub-command that runs
(Typer would build every sub-command of a group, each option of each, to run one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from functools import cache
from typing import Any, ClassVar

import typer
import typer.core
import typer.main

from smscli.cli.common import BareGroup

# Order is the order in --help.
COMMANDS = {
    "send": "send",
    "runs": "runs",
    "reserve": "reserve",
    "mms": "mms",
    "result": "result",
    "optout": "optout",
    "packet": "packet",
    "code": "code",
    "config": "config",
    "bizclient": "bizclient",
    "journal": "journal",
    "sim": "sim",
}


# The help of each command as `smscli --help` lists it (its first paragraph: click shortens
# it to the width), so that the list builds no command: each would be imported and built
# with all its options. tests/test_startup.py compares it with the built commands.
SUMMARIES = {
    "send": "Send SMS/LMS/MMS, Kakao AlimTalk/FriendTalk, RCS, a fax or a voice call to one or many recipients.",
    "runs": "List recent send/reserve runs: counts, finished or not.",
    "reserve": "Schedule a send for later; list, cancel and flush reservations.",
    "mms": "Upload MMS images.",
    "result": "Collect, confirm, list and receive delivery reports.",
    "optout": "The 080 opt-out list: numbers every send skips (unless --ignore-optout).",
    "packet": "Encode and decode OneShot wire frames (raw bytes, hex, base64, pcap captures).",
    "code": "Look up what vendor result and error codes mean.",
    "config": "Create, inspect and change profiles (vendor, host, credentials...).",
    "bizclient": "BIZCLIENT (Daou's table agent): create the BIZ_MSG / BIZ_LOG_YYYYMM tables.",
    "journal": "The journal (what was sent, to send each message once): init, check, copy.",
    "sim": "Run a local vendor simulator (for tests and CI; nothing is delivered).",
}


class LazyGroup(BareGroup):
    """A group whose commands are built on first use from ``table`` (command name → module
    in ``smscli.cli``). Give a subclass with its table as ``typer.Typer(cls=...)``. Its
    ``--help`` lists them by :meth:`summary` where that knows one, without building them."""

    table: ClassVar[dict[str, str]] = {}
    _summarising = False

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands(self.table, self.commands, self.build)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the names alone: nothing is imported

    def build(self, name: str) -> Any:
        """The click command ``name`` of ``table``."""
        return load(self.table[name], name)

    def summary(self, name: str) -> dict[str, Any] | None:
        """What the help's list of commands reads of command ``name`` (``help``,
        ``short_help``, ``hidden``, ``deprecated``), or None to build it for that."""
        return None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        self._summarising = True  # get_command gives stand-ins carrying the summaries
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._summarising = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._summarising and cmd_name in self.table:
            known = self.summary(cmd_name)
            if known is not None:
                return _stand_in(cmd_name, **known)
        return super().get_command(ctx, cmd_name)


class CommandsOf(LazyGroup):
    """A group whose commands are the ones registered on ``source``, a Typer app that is
    never run itself (``@source.command("name", ...)``, each with its name), built one at
    a time: ``smscli result list`` builds ``list`` alone, not the group's other commands
    and their options. Give a subclass with its ``source`` as ``typer.Typer(cls=...)`` to
    the group's own app, which registers no commands (its callback stays on it)."""

    source: ClassVar[typer.Typer]

    def __init__(self, **attrs: Any) -> None:
        self.table = dict.fromkeys(_names(self.source), "")
        super().__init__(**attrs)

    def build(self, name: str) -> Any:
        return build_one(self.source, name)

    def summary(self, name: str) -> dict[str, Any] | None:
        """From the registration (as Typer makes a command's help of it)."""
        import inspect

        for info in self.source.registered_commands:
            if info.name == name:
                text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
                return {"help": text, "short_help": info.short_help, "hidden": info.hidden,
                        "deprecated": info.deprecated}
        return None


class RootGroup(LazyGroup):
    """``smscli`` itself."""

    table = COMMANDS

    def summary(self, name: str) -> dict[str, Any] | None:
        return {"help": SUMMARIES[name]} if name in SUMMARIES else None


class _LazyCommands(MutableMapping):  # type: ignore[type-arg]
    """``TyperGroup.commands`` whose values are built from a table when looked up."""

    def __init__(self, table: dict[str, str], given: MutableMapping[str, Any],
                 build: Callable[[str], Any]) -> None:
        self._table = table
        self._given = dict(given)
        self._build = build

    def __getitem__(self, name: str) -> Any:
        if name in self._given:
            return self._given[name]
        if name in self._table:
            return self._build(name)
        raise KeyError(name)

    def __setitem__(self, name: str, command: Any) -> None:
        self._given[name] = command

    def __delitem__(self, name: str) -> None:
        del self._given[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._table
        yield from (name for name in self._given if name not in self._table)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return name in self._table or name in self._given


@cache
def load(module_name: str, name: str) -> Any:
    """The click command ``name`` that ``smscli.cli.<module_name>`` registers on a Typer app
    of its own (click commands are reusable: each is built once per process)."""
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    # __import__, not importlib.import_module: the latter bypasses what `python -X importtime`
    # reports, and the module's own imports would not show there.
    module = __import__(f"smscli.cli.{module_name}", fromlist=["register"])
    module.register(holder)
    return typer.main.get_group(holder).commands[name]


@cache
def _stand_in(name: str, **summary: Any) -> Any:
    """A command that only says what it is (the help's list of commands reads no more)."""
    return typer.core.TyperCommand(name, **summary)


@cache
def build_one(source: typer.Typer, name: str) -> Any:
    """The click command ``name`` registered on ``source``, built without the others."""
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    holder.registered_commands = [info for info in source.registered_commands if info.name == name]
    return typer.main.get_group(holder).commands[name]


def _names(source: typer.Typer) -> list[str]:
    names = [info.name for info in source.registered_commands]
    if None in names:
        raise TypeError("a command of a CommandsOf group needs its name: @source.command(\"name\", ...)")
    return names  # type: ignore[return-value]
