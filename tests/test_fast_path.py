"""The lean entry point answers its hot invocations exactly as the Typer app does, without Typer."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from typing import Any

import pytest

from smscli.cli import main as entry
from tests.conftest import ROOT

TYPER = {"SMSCLI_NO_FAST_PATH": "1"}
HEAVY = {"typer", "click", "rich", "pydantic", "pydantic_core", "httpx", "cryptography"}

# Answered by the fast path.
FAST = [
    ["--help"],
    ["-h"],
    [],
    ["code", "lookup", "320"],  # one vendor knows it
    ["code", "lookup", "4100"],  # bizppurio and bizclient share Daou's table
    ["code", "lookup", "4401", "--vendor", "bizppurio"],
    ["code", "lookup", "--vendor=sandbox", "320"],
    ["code", "lookup", "4100", "--json"],
    ["code", "lookup", "--json", "kat", "--vendor", "BizPpurio"],
    ["code", "lookup", "4199", "--vendor", "bizppurio"],  # unknown: nearest codes on stderr, exit 1
    ["code", "lookup", "KAX", "--json"],
    ["code", "lookup", "4100", "--vendor", "kt"],  # unknown vendor: exit 2
    ["code", "lookup", " "],  # blank code: exit 2
]
# Handed to Typer (test_lookup_arguments_the_fast_path_takes has the rest); compared too,
# so a fast path that wrongly took one would show.
FALL_THROUGH = [
    ["code", "lookup", "4100", "--vendor", "--json"],
    ["code", "lookup", "4100", "--help"],
    ["--debug", "code", "lookup", "4100"],
]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def _run(argv: list[str], extra: dict[str, str] | None = None,
         python_flags: tuple[str, ...] = ()) -> tuple[int, bytes, bytes]:
    proc = subprocess.run([sys.executable, *python_flags, "-m", "smscli", *argv], capture_output=True,
                          env=_env(extra), cwd=ROOT, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def _both_ways(cases: list[list[str]], extra: dict[str, str] | None = None
               ) -> list[tuple[tuple[int, bytes, bytes], tuple[int, bytes, bytes]]]:
    """Each case run on the fast path and on the Typer path, in parallel."""
    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 1))) as pool:
        fast = [pool.submit(_run, argv, extra) for argv in cases]
        slow = [pool.submit(_run, argv, {**(extra or {}), **TYPER}) for argv in cases]
        return [(f.result(), s.result()) for f, s in zip(fast, slow, strict=True)]


def test_fast_path_output_is_byte_identical_to_typer() -> None:
    cases = FAST + FALL_THROUGH
    results = _both_ways(cases)
    for argv, (fast, slow) in zip(cases, results, strict=True):
        assert fast == slow, argv
        assert b"Traceback" not in fast[2], argv
    by_case = {tuple(argv): fast for argv, (fast, _) in zip(cases, results, strict=True)}
    assert by_case[("--help",)][0] == 0 and by_case[("--help",)][1].startswith(b"Usage: smscli ")
    assert by_case[()] == (2, b"", by_case[("--help",)][1])
    assert by_case[("code", "lookup", "4100")] == (0, (
        "bizppurio\tsms\t4100\t전달\tdelivered\tdelivered\tno\n"
        "bizclient\tsms\t4100\t전달\tdelivered\tdelivered\tno\n").encode(), b"")
    assert by_case[("code", "lookup", "4199", "--vendor", "bizppurio")][:2] == (1, b"")
    assert by_case[("code", "lookup", "4100", "--vendor", "kt")][:2] == (2, b"")
    assert by_case[("code", "lookup", "4100", "--vendor", "kt")][2].startswith(b"smscli: unknown vendor 'kt'")
    assert by_case[("code", "lookup", " ")][0] == 2


@pytest.mark.parametrize("argv", FAST, ids=lambda argv: " ".join(argv) or "(no arguments)")
def test_fast_path_imports_nothing_heavy(argv: list[str]) -> None:
    status, _, err = _run(argv, python_flags=("-X", "importtime"))
    imported = _imported(err)
    assert "smscli" in imported and imported & HEAVY == set(), argv
    assert status in (0, 1, 2)


def test_text_lookup_starts_without_typing_dataclasses_json_or_enum() -> None:
    """The start-up goal (bench/bench_startup.py: <= 2x ``python -c pass``) leaves no room for
    these: smscli.codes, smscli.cli.output and code_render import them only under TYPE_CHECKING
    or inside the functions that need them (enum comes with smscli.errors: only on failure)."""
    status, out, err = _run(["code", "lookup", "4100"], python_flags=("-X", "importtime"))
    assert status == 0 and out
    assert _imported(err) & {"typing", "dataclasses", "inspect", "json", "re", "enum"} == set()


def test_typer_path_really_is_the_typer_path() -> None:
    _, _, err = _run(["code", "lookup", "4100"], TYPER, python_flags=("-X", "importtime"))
    assert "typer" in _imported(err)


def _imported(importtime: bytes) -> set[str]:
    """Top-level names of the modules ``python -X importtime`` reports."""
    return {line.split("|")[-1].strip().split(".")[0] for line in importtime.decode().splitlines()
            if line.startswith("import time:")}


def test_narrow_terminal_falls_through_so_help_is_wrapped_as_typer_wraps_it() -> None:
    cases = [["--help"], []]
    for argv, (fast, slow) in zip(cases, _both_ways(cases, {"COLUMNS": "60"}), strict=True):
        assert fast == slow, argv
        assert max(len(line) for line in (fast[1] or fast[2]).splitlines()) <= 58


def test_debug_environment_falls_through() -> None:
    fast, slow = _both_ways([["code", "lookup", "4199"]], {"SMSCLI_DEBUG": "1"})[0]
    assert fast == slow


def _run_tty(argv: list[str], extra: dict[str, str], columns: int) -> tuple[int, bytes, bytes]:
    """Run with stdout on a pseudo-terminal ``columns`` wide; what the terminal shows, and stderr."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = _env(extra)
    env.pop("COLUMNS", None)
    proc = subprocess.Popen([sys.executable, "-m", "smscli", *argv], stdout=slave,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        err = proc.stderr.read() if proc.stderr else b""
        status = proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.stderr:
            proc.stderr.close()
    return status, shown, err


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("columns", [100, 79])
@pytest.mark.parametrize("argv", [["--help"], ["code", "lookup", "4100"]], ids=" ".join)
def test_on_a_terminal_both_paths_show_the_same(argv: list[str], columns: int) -> None:
    fast = _run_tty(argv, {}, columns)
    slow = _run_tty(argv, TYPER, columns)
    assert fast == slow
    assert fast[0] == 0 and fast[1]


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["4100"], ("4100", None, False)),
        (["--json", "4100"], ("4100", None, True)),
        (["4100", "--vendor", "x", "--json"], ("4100", "x", True)),
        (["--vendor=x", "4100"], ("4100", "x", False)),
        ([""], ("", None, False)),
        ([], None),
        (["--json"], None),
        (["4100", "--vendor"], None),
        (["4100", "--vendor="], None),
        (["4100", "--vendor", "-x"], None),
        (["4100", "--vendor", "a", "--vendor", "b"], None),
        (["4100", "--json", "--json"], None),
        (["4100", "4401"], None),
        (["-1"], None),
        (["4100", "-h"], None),
        (["4100", "--jso"], None),
        (["--", "4100"], None),
    ],
)
def test_lookup_arguments_the_fast_path_takes(args: list[str], parsed: tuple | None) -> None:
    assert entry._parse_lookup(args) == parsed


def test_console_script_is_the_lean_entry_point() -> None:
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["smscli"]
    module, func = target.split(":")
    assert getattr(import_module(module), func) is entry.main
    assert import_module("smscli.__main__").main is entry.main


def describe(command: Any, ctx: Any) -> tuple[str, ...]:
    """A click command as the fast path's ``COVERS`` lists it: its callback, then one line per
    parameter with everything that changes what an invocation does."""
    lines = [f"callback={getattr(command.callback, '__name__', None)} "
             f"no_args_is_help={getattr(command, 'no_args_is_help', None)} "
             f"invoke_without_command={getattr(command, 'invoke_without_command', None)}"]
    for p in command.get_params(ctx):
        lines.append(" ".join((
            # sorted: click orders a help option's names as a set, by the per-process string hash
            p.param_type_name, "/".join(sorted((*p.opts, *p.secondary_opts))), f"type={p.type.name}",
            f"envvar={p.envvar}", f"callback={getattr(p.callback, '__name__', None)}",
            f"eager={p.is_eager}", f"nargs={p.nargs}", f"flag={getattr(p, 'is_flag', False)}",
            f"multiple={p.multiple}", f"required={p.required}", f"default={p.default!r}")))
    return tuple(lines)


def _typer_paths() -> tuple[Any, dict[str, Any]]:
    """The Typer commands the fast path stands in for, by path, and a root context."""
    import typer.main

    from smscli.cli.app import app

    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="smscli", **root.context_settings)
    code = root.get_command(ctx, "code")
    return ctx, {"smscli": root, "smscli code": code, "smscli code lookup": code.get_command(ctx, "lookup")}


def test_fast_path_covers_exactly_the_typer_commands_it_stands_in_for() -> None:
    ctx, paths = _typer_paths()
    described = {path: describe(command, ctx) for path, command in paths.items()}
    changed = [f"{path}: {line}" for path in described.keys() | entry.COVERS.keys()
               for line in set(described.get(path, ())) ^ set(entry.COVERS.get(path, ()))]
    assert described == entry.COVERS, (
        "The Typer commands the fast path answers changed: make smscli/cli/main.py handle the "
        "change (or hand such invocations to Typer), then update its COVERS. Differs: "
        + "; ".join(sorted(changed)))
    assert tuple(ctx.help_option_names) == entry.HELP_OPTIONS
    options = [p for p in paths["smscli code lookup"].get_params(ctx)
               if p.param_type_name == "option" and not p.is_eager]
    assert tuple(p.opts[0] for p in options if p.is_flag) == entry.LOOKUP_FLAGS
    assert tuple(p.opts[0] for p in options if not p.is_flag) == entry.LOOKUP_VALUES


def test_the_parity_check_sees_an_added_option_env_var_or_callback() -> None:
    import copy

    import typer

    ctx, paths = _typer_paths()
    lookup = paths["smscli code lookup"]
    expected = describe(lookup, ctx)
    assert expected == entry.COVERS["smscli code lookup"]

    def changed(edit: Callable[[Any], None]) -> bool:
        command = copy.copy(lookup)
        command.params = [copy.copy(p) for p in lookup.params]
        edit(command)
        return describe(command, ctx) != expected

    extra = typer.main.get_command(_one_option_app()).params[0]
    assert changed(lambda c: c.params.insert(1, extra))  # an option
    assert changed(lambda c: setattr(c.params[1], "envvar", "SMSCLI_VENDOR"))  # an env var
    assert changed(lambda c: setattr(c.params[2], "callback", lambda ctx, p, v: v))  # a callback
    assert changed(lambda c: setattr(c, "callback", lambda **kw: None))  # another command body
    assert not changed(lambda c: None)


def _one_option_app() -> Any:
    import typer

    app = typer.Typer()

    @app.command()
    def one(limit: int = typer.Option(5, "--limit")) -> None:
        """One option."""

    return app
