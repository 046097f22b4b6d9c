"""The OneShot unlimited send (bench_send_oneshot.py, case 2) of this tree against an
earlier revision, alternating in one run, as a ratio: what a change costs end to end.

    python bench/bench_send_vs_revision.py --base d6940c0 [--rounds 5] [--rows 20000]

The base revision is exported with `git archive` to a temporary directory; both trees
talk to the same simulator code (this tree's). Reports the median server-side rate of
each and their ratio (this tree / base).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_send_oneshot import run  # noqa: E402


def export(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=20_000)
    args = ap.parse_args()
    rates: dict[str, list[float]] = {"base": [], "this": []}
    with tempfile.TemporaryDirectory() as tmp:
        base = export(args.base, Path(tmp) / "base")
        for i in range(args.rounds):
            order = [("base", base), ("this", ROOT)] if i % 2 == 0 else [("this", ROOT), ("base", base)]
            for label, root in order:
                work = Path(tmp) / f"{label}-{i}"
                work.mkdir()
                rates[label].append(run(args.rows, 0, work, f"{label} #{i + 1}", root))
    base_rate, this_rate = (statistics.median(rates[k]) for k in ("base", "this"))
    print(f"median server-side rate: base {args.base} {base_rate:,.0f} msg/s, this tree "
          f"{this_rate:,.0f} msg/s; ratio {this_rate / base_rate:.2f}")


if __name__ == "__main__":
    main()
