#!/usr/bin/env python3
"""Cold start wall time of ``smscli --help`` and ``smscli code lookup 4100`` vs ``python -c pass``.

    python bench/bench_startup.py [--runs 21] [--warmup 2] [--typer] [--form module|script|both]

Every command runs in a fresh subprocess; the runs are interleaved round-robin (one run of
each command per round) so that load on the machine drifts evenly over all of them, and
each command's median is divided by the median of ``python -c pass``. Goal: ratio <= 2.0.

Two ways to start smscli (``--form``):

- ``module``: ``python -m smscli`` with ``PYTHONPATH`` = this repository.
- ``script``: a console script. The installed ``smscli`` next to the interpreter when there
  is one; otherwise one generated into a temp dir from ``[project.scripts]`` in
  pyproject.toml, with the same body pip writes, run with ``PYTHONPATH`` = this repository.

The children run as an installed smscli would: ``PYTHONDONTWRITEBYTECODE`` and
``PYTHONUNBUFFERED`` are dropped from their environment, so the warm-up runs leave
``__pycache__`` next to the sources (``pip install`` compiles them likewise);
``--no-bytecode`` keeps Python from writing them, to see the cost of compiling.

``--typer`` adds the same invocations with ``SMSCLI_NO_FAST_PATH=1`` (the full Typer app),
i.e. the start-up before the lean entry point existed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = """#!{python}
import re
import sys
from {module} import {func}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({func}())
"""


@dataclass
class Case:
    label: str
    argv: list[str]
    sink: str  # "pipe", "null" or "tty"
    env: dict[str, str] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, base_env: dict[str, str]) -> tuple[float, float]:
        """Wall time and CPU time (user + system) of one run, in seconds."""
        env = {**base_env, **self.env}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        if self.sink == "tty":
            proc = _run_on_terminal(self.argv, env)
        else:
            out = subprocess.PIPE if self.sink == "pipe" else subprocess.DEVNULL
            proc = subprocess.run(self.argv, stdout=out, stderr=subprocess.PIPE, env=env, cwd=ROOT,
                                  timeout=60)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            sys.exit(f"bench_startup: {' '.join(self.argv)} exited {proc.returncode}: "
                     f"{proc.stderr.decode(errors='replace').strip()}")
        return elapsed, cpu


def _run_on_terminal(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """Run with stdout on a 100-column pseudo-terminal, reading what it shows."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    os.close(slave)
    shown = b""
    try:
        while chunk := os.read(master, 65536):
            shown += chunk
    except OSError:  # EIO: the child closed the terminal
        pass
    finally:
        os.close(master)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    return subprocess.CompletedProcess(argv, proc.wait(timeout=60), shown, err)


def console_script(python: str, tmp: Path) -> tuple[str, str]:
    """The smscli console script to run, and where it came from."""
    installed = Path(python).parent / "smscli"
    if installed.is_file():
        return str(installed), f"installed {installed}"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    target = scripts["smscli"]
    module, func = target.split(":")
    path = tmp / "smscli"
    path.write_text(_SCRIPT.format(python=python, module=module, func=func), encoding="utf-8")
    path.chmod(0o755)
    return str(path), f"generated from pyproject ({target})"


def build_cases(python: str, forms: list[str], typer: bool, tty: bool,
                tmp: Path) -> tuple[list[Case], list[str]]:
    cases = [Case("python -c pass", [python, "-c", "pass"], "null")]
    notes = []
    starts = []
    if "module" in forms:
        starts.append(("python -m smscli", [python, "-m", "smscli"]))
    if "script" in forms:
        script, where = console_script(python, tmp)
        starts.append(("smscli", [script]))
        notes.append(f"console script: {where}")
    paths = [("", {})]
    if typer:
        paths.append((" [typer]", {"SMSCLI_NO_FAST_PATH": "1"}))
    for name, start in starts:
        for args in (["--help"], ["code", "lookup", "4100"]):
            for sink in ("pipe", "null", "tty") if tty else ("pipe", "null"):
                for suffix, env in paths:
                    target = {"pipe": "|", "null": "/dev/null", "tty": "tty"}[sink]
                    label = f"{name} {' '.join(args)} >{target}{suffix}"
                    cases.append(Case(label, [*start, *args], sink, env))
    return cases, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per command (default 21)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs per command first (default 2)")
    parser.add_argument("--form", choices=("module", "script", "both"), default="both")
    parser.add_argument("--typer", action="store_true", help="also time the full Typer path")
    parser.add_argument("--tty", action="store_true",
                        help="also with stdout on a pseudo-terminal (lookup then draws a rich table)")
    parser.add_argument("--python", default=sys.executable, help="interpreter (default: this one)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="set PYTHONDONTWRITEBYTECODE=1: compile smscli's sources on every run")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    forms = ["module", "script"] if args.form == "both" else [args.form]

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        dropped = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_") and k not in dropped}
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["SMSCLI_CONFIG"] = str(tmp / "config.toml")
        env["SMSCLI_DATA_DIR"] = str(tmp / "data")
        cases, notes = build_cases(args.python, forms, args.typer, args.tty, tmp)
        for _ in range(args.warmup):
            for case in cases:
                case.run(env)
        for _ in range(args.runs):
            for case in cases:
                wall, cpu = case.run(env)
                case.times.append(wall)
                case.cpu.append(cpu)

    base = statistics.median(cases[0].times)
    base_cpu = statistics.median(cases[0].cpu)
    version = subprocess.run([args.python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    print(f"Python {version}; {args.runs} runs after {args.warmup} warm-ups, interleaved; "
          f"bytecode {'not written' if args.no_bytecode else 'cached'}; "
          f"load average {os.getloadavg()[0]:.2f}")
    for note in notes:
        print(note)
    width = max(len(c.label) for c in cases)
    print(f"{'command':<{width}}  {'median ms':>9}  {'min ms':>7}  {'ratio':>6}  {'cpu ms':>7}  "
          f"{'cpu ratio':>9}")
    for case in cases:
        med = statistics.median(case.times)
        cpu = statistics.median(case.cpu)
        print(f"{case.label:<{width}}  {med * 1e3:9.1f}  {min(case.times) * 1e3:7.1f}  {med / base:6.2f}  "
              f"{cpu * 1e3:7.1f}  {cpu / base_cpu:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
