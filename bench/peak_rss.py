"""Peak RSS of an smscli process, read in that process (VmHWM of /proc/self/status at
exit). ``ru_maxrss`` of a child is not enough here: Linux carries the parent's high-water
mark over ``exec``, so a child of a big benchmark process (a simulator holding a million
accepted messages) reports the parent's size."""

from __future__ import annotations

import os
import sys
from pathlib import Path

WRAPPER = r"""
import atexit, os, runpy, sys
def _hwm():
    with open("/proc/self/status") as f, open(os.environ["BENCH_HWM_FILE"], "w") as out:
        out.write(next(line for line in f if line.startswith("VmHWM")).split()[1])
atexit.register(_hwm)
sys.argv = ["smscli", *sys.argv[1:]]
runpy.run_module("smscli", run_name="__main__", alter_sys=True)
"""


def command(args: list[str]) -> list[str]:
    """``python -m smscli ARGS`` that writes its peak RSS (kB) to $BENCH_HWM_FILE at exit."""
    return [sys.executable, "-c", WRAPPER, *args]


def env_for(env: dict[str, str], path: Path) -> dict[str, str]:
    return dict(env, BENCH_HWM_FILE=str(path))


def read_mb(path: Path) -> float:
    try:
        return int(path.read_text()) / 1024
    except (OSError, ValueError):
        return float("nan")


__all__ = ["command", "env_for", "read_mb", "os"]
