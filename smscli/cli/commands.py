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


class LazyGroup(BareGroup):
    """A group whose commands are built on first use from ``table`` (command name → module
    in ``smscli.cli``). Give a subclass with its table as ``typer.Typer(cls=...)``."""

    table: ClassVar[dict[str, str]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands(self.table, self.commands, self.build)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the names alone: nothing is imported

    def build(self, name: str) -> Any:
        """The click command ``name`` of ``table``."""
        return load(self.table[name], name)


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


class RootGroup(LazyGroup):
    """``smscli`` itself."""

    table = COMMANDS


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
