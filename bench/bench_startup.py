#!/usr/bin/env python3
"""Cold start of every smscli command as a ratio to a Typer hello world, in the same run.

    python bench/bench_startup.py [--runs 15] [--warmup 2] [--root DIR] [--python PY]

Each invocation runs in a fresh process (``python -m smscli ...``, ``PYTHONPATH`` = the tree
measured); the runs are interleaved round-robin (one run of each case per round), so load
on the machine drifts evenly over all of them. Two baselines run in the same rounds:

- ``typer hello world``: a one-command Typer app taking one ``str`` argument, run by the same
  interpreter, so with the same Typer version as smscli. Goal: every command that goes
  through Typer (``send --dry-run``, ``result list``, ``config show``, ``reserve list``,
  ``packet decode FILE``, each command's ``--help``) at most 1.1x its median.
- ``python -c pass``: the lean entry point's own invocations (``smscli --help``, ``smscli
  code lookup 4100``), answered without Typer. Goal: at most 2.0x its median.

smscli runs the way an installed one does: a script like the ``smscli`` that pip writes
(``from smscli.cli.main import main``), as the hello world is a script; ``--via module``
runs ``python -m smscli`` instead, which adds runpy's imports (about 2.5 ms).

``--root`` and ``--python`` measure another tree with another interpreter, e.g. the tree
before a change with the Typer version it pinned::

    git archive 69c9fe6 | tar -x -C /tmp/before
    python3 -m venv /tmp/venv29 && /tmp/venv29/bin/pip install 'typer==0.29.2' rich httpx \\
        cryptography tomli-w platformdirs
    python bench/bench_startup.py --root /tmp/before --python /tmp/venv29/bin/python

The children get a fresh config and data directory holding one sent and one reserved
message (so ``result list`` and ``reserve list`` open a real journal).
``PYTHONDONTWRITEBYTECODE`` is dropped, so the warm-up runs leave ``__pycache__`` as an
installed smscli has. Wall time is the figure; CPU time (user + system of the child) is
printed too, as it stays comparable when other work loads the machine.
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("send", "runs", "reserve", "mms", "result", "packet", "code", "config", "bizclient",
            "journal", "sim")
TYPER_GOAL = 1.1
FAST_GOAL = 2.0

HELLO = '''import typer

app = typer.Typer()


@app.command()
def main(name: str) -> None:
    print(f"Hello {name}")


if __name__ == "__main__":
    app()
'''


# What pip writes as the ``smscli`` console script (project.scripts), minus its shebang.
LAUNCHER = '''import sys
from smscli.cli.main import main
if __name__ == '__main__':
    sys.argv[0] = sys.argv[0].removesuffix('.exe')
    sys.exit(main())
'''


@dataclass
class Case:
    label: str
    argv: list[str]
    baseline: str = ""  # label of the case this one is divided by ("" for a baseline)
    env: dict[str, str] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, base_env: dict[str, str], cwd: Path) -> None:
        """Time one run (wall and child CPU); a failing run ends the benchmark."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**base_env, **self.env}, cwd=cwd, timeout=60)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"bench_startup: {' '.join(self.argv)} exited {proc.returncode}: "
                     f"{proc.stderr.decode(errors='replace').strip()}")
        self.times.append(elapsed)
        self.cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def build_cases(python: str, hello: Path, root: Path, launcher: Path | None) -> list[Case]:
    """Every case; smscli runs as ``python LAUNCHER`` (None: ``python -m smscli``)."""
    smscli = [python, str(launcher)] if launcher else [python, "-m", "smscli"]
    typer_path = {"SMSCLI_NO_FAST_PATH": "1"}
    cases = [
        Case("python -c pass", [python, "-c", "pass"]),
        Case("typer hello world", [python, str(hello), "World"]),
        Case("send --dry-run", [*smscli, "send", "--dry-run", "--to", "01012345678", "-m", "hi"],
             "typer hello world"),
        Case("result list", [*smscli, "result", "list"], "typer hello world"),
        Case("config show", [*smscli, "config", "show"], "typer hello world"),
        Case("reserve list", [*smscli, "reserve", "list"], "typer hello world"),
        Case("packet decode FILE", [*smscli, "packet", "decode", str(root / "samples" / "oneshot-session.hex")],
             "typer hello world"),
    ]
    cases += [Case(f"{name} --help", [*smscli, name, "--help"], "typer hello world") for name in COMMANDS]
    cases += [
        Case("--help (Typer path)", [*smscli, "--help"], "typer hello world", typer_path),
        Case("--help (lean entry point)", [*smscli, "--help"], "python -c pass"),
        Case("code lookup 4100 (lean entry point)", [*smscli, "code", "lookup", "4100"], "python -c pass"),
    ]
    return cases


def _seed(python: str, env: dict[str, str], cwd: Path) -> None:
    """One message sent to the sandbox and one reserved: a journal for the list commands."""
    for args in (["send", "--to", "01012345678", "-m", "hi"],
                 ["reserve", "--at", "2099-01-01 09:00", "--to", "01012345678", "-m", "later"]):
        proc = subprocess.run([python, "-m", "smscli", *args], capture_output=True, env=env, cwd=cwd,
                              timeout=120)
        if proc.returncode != 0:
            sys.exit(f"bench_startup: seeding `smscli {' '.join(args)}` failed: {proc.stderr.decode()}")


def _version(python: str, env: dict[str, str]) -> str:
    code = "import sys, typer; print(sys.version.split()[0], typer.__version__)"
    python_version, typer_version = subprocess.run([python, "-c", code], capture_output=True, text=True,
                                                   env=env, check=True).stdout.split()
    return f"Python {python_version}, Typer {typer_version}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs per case first (default 2)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the smscli tree to measure (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="interpreter (default: this one)")
    parser.add_argument("--via", choices=("script", "module"), default="script",
                        help="run smscli as pip's console script (default) or as python -m smscli")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    root = args.root.resolve()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        hello = tmp / "hello.py"
        hello.write_text(HELLO, encoding="utf-8")
        launcher = tmp / "smscli"
        launcher.write_text(LAUNCHER, encoding="utf-8")
        dropped = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONPATH", "COLUMNS")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_") and k not in dropped}
        env["PYTHONPATH"] = str(root)
        env["SMSCLI_CONFIG"] = str(tmp / "config.toml")
        env["SMSCLI_DATA_DIR"] = str(tmp / "data")
        _seed(args.python, env, tmp)
        cases = build_cases(args.python, hello, root, launcher if args.via == "script" else None)
        for _ in range(args.warmup):
            for case in cases:
                case.run(env, tmp)
        for case in cases:
            case.times.clear()
            case.cpu.clear()
        for _ in range(args.runs):
            for case in cases:
                case.run(env, tmp)
        versions = _version(args.python, env)

    by_label = {case.label: case for case in cases}
    print(f"{versions}; tree {root}; smscli as {'a console script' if args.via == 'script' else 'python -m smscli'}; "
          f"{args.runs} runs after {args.warmup} warm-ups, interleaved; "
          f"load average {os.getloadavg()[0]:.2f}")
    width = max(len(c.label) for c in cases)
    print(f"{'case':<{width}}  {'median ms':>9}  {'min ms':>7}  {'cpu ms':>7}  {'ratio':>5}  "
          f"{'cpu ratio':>9}  {'of':<17}  goal")
    worst: dict[str, float] = {}
    for case in cases:
        med, cpu = statistics.median(case.times), statistics.median(case.cpu)
        line = f"{case.label:<{width}}  {med * 1e3:9.1f}  {min(case.times) * 1e3:7.1f}  {cpu * 1e3:7.1f}"
        if case.baseline:
            base = by_label[case.baseline]
            ratio = med / statistics.median(base.times)
            cpu_ratio = cpu / statistics.median(base.cpu)
            goal = TYPER_GOAL if case.baseline == "typer hello world" else FAST_GOAL
            worst[case.baseline] = max(worst.get(case.baseline, 0.0), ratio)
            mark = "ok" if ratio <= goal else "OVER"
            line += f"  {ratio:5.2f}  {cpu_ratio:9.2f}  {case.baseline:<17}  <= {goal} {mark}"
        print(line)
    for baseline, ratio in worst.items():
        print(f"worst ratio to {baseline}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
