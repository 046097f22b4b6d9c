"""Start-up: no command imports pydantic or another command's module, the lazy groups list
every command, and smscli uses no private Typer API (bench/bench_startup.py times it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import typer.core
import typer.main

from smscli.cli.app import app, program
from smscli.cli.commands import COMMANDS, LazyGroup
from smscli.cli.common import BareGroup, MetavarCommand
from smscli.cli.sim import SIMULATORS
from tests.conftest import ROOT, run_cli

SAMPLE = str(ROOT / "samples" / "oneshot-session.hex")
# Never imported by these invocations: pydantic (Typer 0.29 and later build a pydantic
# TypeAdapter per parameter), and libraries none of them use.
NEVER = {"pydantic", "pydantic_core", "httpx", "httpcore", "rich", "cryptography", "asyncio",
         "sqlalchemy", "pymysql", "ssl",
         # imported where they are used, never at start-up: hashlib loads OpenSSL (an id or a
         # run is hashed only when sending), tomllib only when a config file exists (none
         # here), zoneinfo (and sysconfig under it) only for a date before 1989 (smscli.clock)
         "hashlib", "_hashlib", "tomllib", "zoneinfo", "sysconfig", "platformdirs"}
# Every Typer invocation imports these smscli.cli modules; the rest only where listed.
SHELL = {"smscli.cli", "smscli.cli.main", "smscli.cli.app", "smscli.cli.commands",
         "smscli.cli.common", "smscli.cli.output"}
# The --kakao-* options every simulator that carries Kakao shares (one definition).
SIM_SHARED = {"smscli.cli.sim_kakao"}
SEND = {"smscli.cli.send", "smscli.cli.send_media"}  # send's fax/voice flags: a helper of its own
USES = {"send": SEND, "reserve": SEND, "code": {"smscli.cli.code_render"}}  # (sim: listed from summaries)

CASES: list[tuple[list[str], set[str]]] = [
    (["send", "--dry-run", "--to", "01012345678", "-m", "hi"], {*SEND, "smscli.cli.send_content"}),  # run, not --help
    (["result", "list"], {"smscli.cli.result", "smscli.cli.result_list"}),
    (["config", "show"], {"smscli.cli.config"}),
    (["reserve", "list"], {"smscli.cli.reserve", *SEND}),
    (["packet", "decode", SAMPLE], {"smscli.cli.packet"}),
    (["sim", "oneshot", "--help"], {"smscli.cli.sim", "smscli.cli.sim_oneshot", *SIM_SHARED}),
    (["--help"], set()),  # the list of commands from commands.SUMMARIES: none is imported
    *(([name, "--help"], {f"smscli.cli.{module}", *USES.get(name, set())})
      for name, module in COMMANDS.items()),
]

_PROBE = ("import sys\n"
          "from smscli.cli.main import run\n"
          "status = run(sys.argv[1:])\n"
          "sys.stdout.flush()\n"
          "loaded = sorted(sys.modules)\n"
          "records = getattr(sys.modules.get('smscli.records'), 'RECORDS', [])\n"
          "generated = sorted(f'{c.__module__}.{c.__qualname__}' for name in loaded if name.startswith('smscli')\n"
          "                   for c in vars(sys.modules[name]).values()\n"
          "                   if isinstance(c, type) and c.__module__ == name and '__dataclass_fields__' in vars(c)\n"
          "                   and c not in records)\n"
          "print('\\nDATACLASSES', *generated, file=sys.stderr)\n"
          "print('\\nMODULES', status, *loaded, file=sys.stderr)\n")


def _modules_after(argv: list[str]) -> tuple[int, set[str], list[str]]:
    """The exit status, the modules imported and the classes built by ``@dataclass``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SMSCLI_NO_FAST_PATH": "1"}
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, env=env, cwd=ROOT,
                          timeout=60)
    *_, generated, last = (line.split() for line in proc.stderr.decode().splitlines() if line.strip())
    assert last[0] == "MODULES" and generated[0] == "DATACLASSES", proc.stderr.decode()
    return int(last[1]), set(last[2:]), generated[1:]


def test_each_command_imports_its_own_module_and_no_pydantic() -> None:
    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 1))) as pool:
        results = list(pool.map(_modules_after, [argv for argv, _ in CASES]))
    for (argv, own), (status, modules, generated) in zip(CASES, results, strict=True):
        assert status == 0, argv
        assert {m.split(".")[0] for m in modules} & NEVER == set(), argv
        cli = {m for m in modules if m.startswith("smscli.cli.") or m == "smscli.cli"}
        assert cli - SHELL == own, argv
        # @dataclass compiles six methods per class at import: what every command loads is
        # an @record (smscli.records); the OneShot protocol's messages are still dataclasses
        assert [c for c in generated if not c.startswith("smscli.protocol.")] == [], argv


# What a bare `result list` leaves alone: the number rules (and unicodedata under them), time
# parsing and json load only for --to, --since/--until and --json; ids only for a claim.
LISTING_LEAVES = {"smscli.phone", "smscli.text", "unicodedata", "json", "smscli.ids", "smscli.timeutil",
                  "smscli.content"}


def test_a_bare_listing_loads_only_what_it_reads(isolated_env) -> None:
    assert run_cli("send", "--to", "01012345678", "-m", "hi").returncode == 0  # a journal to read
    assert run_cli("reserve", "--at", "2099-01-01 09:00", "--to", "01012345678", "-m", "later").returncode == 0
    status, modules, _ = _modules_after(["result", "list"])
    assert status == 0
    assert modules & LISTING_LEAVES == set()
    status, modules, _ = _modules_after(["reserve", "list"])  # no images: their "[]" read without json
    assert status == 0 and "json" not in modules
    assert "journal.db-inuse" not in {p.name for p in (isolated_env / "data").iterdir()}  # no marker
    status, modules, _ = _modules_after(["result", "list", "--to", "01012345678", "--since", "1h", "--json"])
    assert status == 0 and {"smscli.phone", "smscli.timeutil", "json"} <= modules  # the options' own


# What a dry run to --to numbers leaves alone: the csv module (only a CSV is read with it),
# json (only --json prints it; the journal's JSON is not written), time parsing (--at) and,
# for ASCII text, the CP949 codec (ASCII is one byte a character in CP949).
DRY_RUN_LEAVES = {"csv", "json", "smscli.timeutil", "encodings.cp949"}


def test_a_dry_run_to_numbers_loads_only_what_it_uses() -> None:
    status, modules, _ = _modules_after(["send", "--dry-run", "--to", "01012345678", "-m", "hi"])
    assert status == 0
    assert modules & DRY_RUN_LEAVES == set()
    status, modules, _ = _modules_after(["send", "--dry-run", "--to", "01012345678", "-m", "hi", "--json"])
    assert status == 0 and "json" in modules


def _commands_listed(text: str) -> list[str]:
    section = text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  (\S+)", section, re.M)


@pytest.mark.parametrize(("argv", "names"), [([], list(COMMANDS)), (["sim"], list(SIMULATORS))],
                         ids=["smscli", "sim"])
def test_help_of_a_lazy_group_lists_every_command_in_order(argv: list[str], names: list[str],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert program([*argv, "--help"]) == 0
    assert _commands_listed(capsys.readouterr().out) == names


def _tree() -> list[tuple[str, Any]]:
    """Every command and group of the app, by path (each group loads all its commands)."""
    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="smscli", **root.context_settings)
    found, todo = [], [("smscli", root)]
    while todo:
        path, command = todo.pop(0)
        found.append((path, command))
        if hasattr(command, "list_commands"):
            todo += [(f"{path} {name}", command.get_command(ctx, name)) for name in command.list_commands(ctx)]
    return found


def test_groups_and_commands_use_the_classes_their_help_needs() -> None:
    tree = _tree()
    assert len(tree) > len(COMMANDS) + 20
    for path, command in tree:
        if getattr(command, "no_args_is_help", False):
            assert isinstance(command, BareGroup), path  # bare: help on stderr, exit 2
        if isinstance(command, LazyGroup):
            assert list(command.commands) == list(command.table), path
        shown = [p for p in command.params if p.param_type_name == "argument" and p.metavar]
        if any(p.nargs != 1 or p.metavar.startswith("[") for p in shown):
            assert isinstance(command, MetavarCommand), path  # MSGID..., [FILE|-]


def test_lazy_groups_list_their_commands_as_the_built_commands_would() -> None:
    """A LazyGroup's --help lists its commands from summaries (the root's SUMMARIES, a
    CommandsOf group's registrations) without building them: the same text, at any width."""
    groups = [(path, command) for path, command in _tree() if isinstance(command, LazyGroup)]
    assert {"smscli", "smscli result", "smscli config", "smscli sim"} <= {path for path, _ in groups}
    for path, group in groups:
        for width in (40, 80, 200):
            ctx = group.context_class(group, info_name=path.split()[-1], terminal_width=width,
                                      max_content_width=width)
            quick, built = ctx.make_formatter(), ctx.make_formatter()
            group.format_commands(ctx, quick)
            typer.core.TyperGroup.format_commands(group, ctx, built)  # each command built
            assert quick.getvalue() == built.getvalue(), (path, width)


def test_every_bare_group_prints_its_help_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    groups = [path for path, command in _tree() if getattr(command, "no_args_is_help", False)]
    assert "smscli" in groups and "smscli sim" in groups and "smscli reserve" in groups
    for path in groups:
        assert program(path.split()[1:]) == 2, path
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.startswith(f"Usage: {path} "), path


def test_no_private_typer_api() -> None:
    """No ``typer._click`` or other underscore module of Typer, no underscore attribute of
    a Typer object (click's own public names, reached through Typer, are fine)."""
    underscore = r"(?!__\w+__)_\w"  # dunders such as __version__ are public
    private = re.compile(rf"\btyper\.(\w+\.)*{underscore}|from typer(\.\w+)* import [^\n]*\b{underscore}|"
                         rf"\b(Typer\w*|typer)\.{underscore}")
    sources = [*(ROOT / "smscli").rglob("*.py"), *(ROOT / "scripts").glob("*.py"),
               *(ROOT / "bench").glob("*.py"), *(ROOT / "tests").rglob("*.py")]
    offenders = []
    for path in sources:
        if path.name == "test_startup.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if private.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


_GC_PROBE = ("import atexit, gc, sys\n"
             "import smscli.cli.common as common\n"
             "from smscli.cli import main\n"
             "seen, set_global_options = [], common.set_global_options\n"
             "def spy(*args):\n"
             "    seen.append(f'{gc.isenabled()}/{gc.get_freeze_count() > 0}')\n"
             "    set_global_options(*args)\n"
             "common.set_global_options = spy\n"
             "atexit.register(lambda: print('\\nGC', *seen, file=sys.stderr))\n"
             "sys.argv = ['smscli', *sys.argv[1:]]\n"
             "main.main()\n")


def test_the_console_script_collects_garbage_again_when_the_command_runs() -> None:
    """main() pauses the collector for the start-up; the root callback (before any command
    runs) turns it back on, what the start-up built frozen out of its reach."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SMSCLI_NO_FAST_PATH": "1"}
    proc = subprocess.run([sys.executable, "-c", _GC_PROBE, "code", "lookup", "4100"], capture_output=True,
                          env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode().split()[-2:] == ["GC", "True/True"]
