"""What ``PRAGMA synchronous = FULL`` costs the journal, compared with ``NORMAL``.

Claims and records 100,000 messages in chunks of 500, as the send pipeline does (one
``claim`` transaction per chunk before it is handed out, one ``record`` transaction per
chunk of answers), into a fresh journal per round; rounds alternate NORMAL and FULL so
that a machine busy with other work disturbs both alike. Prints messages/s and commits/s
of each, the median time per commit, and the FULL / NORMAL ratio of the same run.

    python bench/bench_journal_commit.py [--messages 100000] [--chunk 500] [--rounds 3] [--dir DIR]

``--dir`` puts the journals on another file system (the fsync cost is the disk's).
In WAL mode NORMAL fsyncs only at checkpoints; FULL also fsyncs the WAL at every commit,
which is what makes a commit survive a power cut or a kernel crash.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.journal import Journal  # noqa: E402
from smscli.models import Message, SendResult  # noqa: E402


def one_round(base: Path, level: str, messages: int, chunk: int, tag: str) -> tuple[float, int]:
    """Seconds for claim + record of ``messages``, and the number of commits."""
    data_dir = base / f"{tag}-{level}"
    journal = Journal.open(data_dir)
    journal._conn.execute(f"PRAGMA synchronous = {level}")  # what this bench compares
    assert journal._conn.execute("PRAGMA synchronous").fetchone()[0] == {"NORMAL": 1, "FULL": 2}[level]
    batches = [
        [Message(id=f"{tag}-{start + i}", to=f"010{start + i:08d}", text="안녕하세요", sender="15666639")
         for i in range(min(chunk, messages - start))]
        for start in range(0, messages, chunk)
    ]  # fmt: skip
    commits = 0
    started = time.perf_counter()
    for batch in batches:
        journal.claim(batch, "bizppurio", "bench")
        journal.record(
            [SendResult(m.to, "accepted", m.id, "bizppurio", "sms", server_id="S" + m.id) for m in batch],
            {m.id: "S" + m.id for m in batch},
        )
        commits += 2
    elapsed = time.perf_counter() - started
    journal.close()
    return elapsed, commits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where to put the journals")
    args = ap.parse_args()
    times: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    commits = 0
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        one_round(base, "NORMAL", 2000, args.chunk, "warmup")
        for r in range(args.rounds):
            order = ("NORMAL", "FULL") if r % 2 == 0 else ("FULL", "NORMAL")
            for level in order:
                elapsed, commits = one_round(base, level, args.messages, args.chunk, f"r{r}")
                times[level].append(elapsed)
                print(f"round {r + 1} {level:<6}: {elapsed:6.2f} s, "
                      f"{args.messages / elapsed:8,.0f} msg/s, {commits / elapsed:6,.0f} commits/s")
    med = {level: statistics.median(v) for level, v in times.items()}
    for level in ("NORMAL", "FULL"):
        print(f"{level:<6} median {med[level]:.2f} s: {args.messages / med[level]:,.0f} msg/s, "
              f"{med[level] / commits * 1000:.2f} ms per commit ({commits} commits)")
    extra = (med["FULL"] - med["NORMAL"]) / commits * 1000
    print(f"FULL / NORMAL time ratio {med['FULL'] / med['NORMAL']:.2f} "
          f"(throughput {med['NORMAL'] / med['FULL']:.2f} of NORMAL); "
          f"fsync adds {extra:.2f} ms per commit, {extra * 2 / args.chunk * 1000:.1f} µs per message")


if __name__ == "__main__":
    main()
