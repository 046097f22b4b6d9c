"""`smscli send --csv FILE --dry-run --json` against a bare loop doing the same checks
(csv reader + CP949 byte count + one JSON line per row), both in their own process over
the same CSV, alternating; prints rows per CPU-second of each and their ratio (goal ≥ 0.6).

    python bench/bench_dryrun_ratio.py [--rows 200000] [--rounds 3] [--stdio inherit|buffered|unbuffered]

BENCH_SMSCLI_ROOT=DIR measures another checkout with this script. ``--stdio``: both processes
with PYTHONUNBUFFERED as this one has it (inherit, the default), unset (Python's default:
stdout to a pipe is block-buffered), or set (a system call per line, for both). The ratio
depends on it: unbuffered, both loops pay the same ~1 µs per line in the kernel.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journal_fill import ROOT  # noqa: E402

BARE = r"""
import csv, json, sys
encode = json.JSONEncoder(ensure_ascii=False).encode
w = sys.stdout.write
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    rows = csv.reader(fh)
    next(rows)
    for i, (phone, name) in enumerate(rows):
        text = name + "님 안녕하세요"
        size = len(text.encode("cp949"))
        w(encode({"to": phone, "status": "valid", "message_id": f"r{i}", "vendor": "sandbox",
                  "type": "sms" if size <= 90 else "lms", "code": "", "detail": f"{size} bytes",
                  "bytes": size}) + "\n")
"""


def cpu_of(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, int]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    assert proc.stdout is not None
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: proc.stdout.read(1 << 16), b""))
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime, lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--stdio", choices=("inherit", "buffered", "unbuffered"), default="inherit")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "list.csv"
        with csv.open("w", encoding="utf-8") as fh:
            fh.write("phone,name\n")
            for i in range(args.rows):
                fh.write(f"010{i % 100_000_000:08d},고객{i}\n")
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=f"{tmp}/config.toml",
                   SMSCLI_DATA_DIR=f"{tmp}/data", SMSCLI_NO_PROGRESS="1")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached, not compiled per run
        if args.stdio == "buffered":
            env.pop("PYTHONUNBUFFERED", None)
        elif args.stdio == "unbuffered":
            env["PYTHONUNBUFFERED"] = "1"
        stdio = "unbuffered" if env.get("PYTHONUNBUFFERED") else "buffered"
        ours_cmd = [sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", "{name}님 안녕하세요",
                    "--dry-run", "--json"]
        bare_cmd = [sys.executable, "-c", BARE, str(csv)]
        ratios = []
        for round_no in range(args.rounds):
            order = [("bare", bare_cmd), ("ours", ours_cmd)]
            if round_no % 2:
                order.reverse()
            got = {name: cpu_of(cmd, env, tmp) for name, cmd in order}
            (bare_cpu, bare_lines), (ours_cpu, ours_lines) = got["bare"], got["ours"]
            assert bare_lines == ours_lines == args.rows, (bare_lines, ours_lines)
            ratios.append(bare_cpu / ours_cpu)
            print(f"round {round_no + 1}: bare {args.rows / bare_cpu:,.0f} rows/CPU-s, "
                  f"send --dry-run {args.rows / ours_cpu:,.0f} rows/CPU-s, ratio {ratios[-1]:.2f}")
    print(f"send --dry-run / bare loop, {args.rows:,} rows, stdout {stdio}: median ratio "
          f"{statistics.median(ratios):.2f} (goal ≥ 0.6)")


if __name__ == "__main__":
    main()
