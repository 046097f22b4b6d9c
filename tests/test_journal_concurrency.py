"""Two processes on one journal: concurrent writes, and the per-profile send lock."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smscli.journal import Journal, LockTimeout, _lock_name, send_lock
from tests.conftest import ROOT

ENV = dict(os.environ, PYTHONPATH=str(ROOT))

_WRITER = """
import os, sys, time
from smscli.journal import Journal
from smscli.models import Message, Report, SendResult
data_dir, tag, batches, go, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
print("ready", flush=True)
while not os.path.exists(go):  # start together
    time.sleep(0.001)
journal = Journal.open(data_dir, url=url or None, busy_timeout=60)
started = time.time()
other = os.path.join(os.path.dirname(go), "wrote-" + ("B" if tag == "A" else "A"))
for b in range(batches):
    if b == 1:  # this writer is under way
        open(os.path.join(os.path.dirname(go), "wrote-" + tag), "w").close()
    if b == batches // 2:  # halfway, until the other is under way too: the writes overlap
        while not os.path.exists(other):  # (however the two are scheduled)
            time.sleep(0.001)
    msgs = [Message(id=f"{tag}-{b}-{i}", to="01012345678", text="x", sender="1") for i in range(200)]
    assert journal.claim(msgs, "oneshot", tag) == [None] * 200
    shared = [Message(id=f"shared-{b}", to="01012345678", text=tag, sender="1")]
    journal.claim(shared, "oneshot", tag)
    journal.record([SendResult(m.to, "accepted", m.id, "oneshot", "sms") for m in msgs],
                   {m.id: "S" + m.id for m in msgs})
    journal.add_reports([Report(m.id, m.to, "delivered", "4100", "", "oneshot") for m in msgs[:50]])
    journal.add_reports([Report(f"shared-{b}", "010", "delivered", "4100", "", "oneshot")])
    journal.add_suppression(f"0101111{b:04d}", source=tag)
    journal.token_put("t", tag, 9e9)
print(started, time.time())
"""


def test_two_processes_write_the_journal_at_once(tmp_path, journal_url):
    """Two processes (on PostgreSQL: with a data dir each, as two hosts) write at once."""
    go = tmp_path / "go"
    batches = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path / ("data" if journal_url is None else tag)),
             tag, str(batches), str(go), journal_url or ""],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for tag in ("A", "B")
    ]
    for p in procs:
        assert p.stdout.readline().strip() == b"ready"
    go.touch()
    spans = []
    for p in procs:
        out, err = p.communicate(timeout=90)
        assert p.returncode == 0, err.decode()
        spans.append(tuple(map(float, out.split())))
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < b_end and b_start < a_end, "the writers did not overlap"
    with Journal.open(tmp_path / "data", url=journal_url) as j:
        if journal_url is None:
            assert j._query("PRAGMA integrity_check")[0][0] == "ok"
        count = lambda sql: j._query(sql)[0][0]  # noqa: E731
        assert count("SELECT count(*) FROM messages WHERE status = 'accepted'") == 2 * batches * 150
        assert count("SELECT count(*) FROM messages WHERE id LIKE 'shared-%'") == batches
        assert count("SELECT count(*) FROM reports") == 2 * batches * 50 + batches  # re-pushes once
        assert (
            count("SELECT count(*) FROM messages WHERE status = 'delivered'")
            == 2 * batches * 50 + batches
        )
        assert count("SELECT count(*) FROM suppression") == batches
        assert len(j.list_messages()) == 2 * batches * 200 + batches


_HOLDER = """
import sys
from smscli.journal import send_lock
with send_lock(sys.argv[1], sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
"""

_WAITER = """
import sys, time
from smscli.journal import send_lock
start = time.monotonic()
with send_lock(sys.argv[1], sys.argv[2]):
    print(f"got it after {time.monotonic() - start:.2f}", flush=True)
"""


def _hold(data_dir: Path, profile: str) -> subprocess.Popen[bytes]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(data_dir), profile],
        env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == b"locked"
    return holder


def test_second_sender_is_told_and_waits(tmp_path):
    holder = _hold(tmp_path, "prod")
    try:
        waiter = subprocess.Popen(
            [sys.executable, "-c", _WAITER, str(tmp_path), "prod"],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        message = b""
        while time.monotonic() < deadline and b"\n" not in message:
            message += waiter.stderr.read1(200)  # type: ignore[attr-defined]
        assert (
            message
            == (
                f"smscli: waiting for another smscli process sending on profile prod (pid {holder.pid})...\n"
            ).encode()
        )
        time.sleep(0.3)
        assert waiter.poll() is None  # still waiting
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0 and out.startswith(b"got it after")
    assert err == b""  # told once only


def test_lock_timeout(tmp_path):
    holder = _hold(tmp_path, "prod")
    try:
        err = io.StringIO()
        start = time.monotonic()
        with (
            pytest.raises(LockTimeout) as info,
            send_lock(tmp_path, "prod", timeout=0.3, stderr=err),
        ):
            pass
        assert 0.25 <= time.monotonic() - start < 5
        assert f"another smscli process (pid {holder.pid}) is still sending on profile prod" in str(
            info.value
        )
        assert err.getvalue().count("waiting for another smscli process") == 1
        # Another profile is not blocked.
        with send_lock(tmp_path, "other", timeout=0.3, stderr=err):
            pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with send_lock(tmp_path, "prod", timeout=0.3):  # free again
        pass


def test_lock_is_released_when_the_holder_dies(tmp_path):
    holder = _hold(tmp_path, "prod")
    holder.kill()
    holder.wait(timeout=30)
    with send_lock(tmp_path, "prod", timeout=5):
        pass


def test_lock_in_process_and_journal_method(tmp_path):
    with Journal.open(tmp_path) as journal, journal.send_lock("prod"):
        lock_file = tmp_path / "locks" / "prod.lock"
        assert lock_file.read_text().strip() == str(os.getpid())
        err = io.StringIO()
        with pytest.raises(LockTimeout), send_lock(tmp_path, "prod", timeout=0.1, stderr=err):
            pass
    assert lock_file.read_text() == ""


def test_lock_names_are_safe_files():
    assert _lock_name("prod") == "prod.lock"
    for profile in ("../etc/passwd", "a/b", "", ".hidden", "프로필"):
        name = _lock_name(profile)
        assert "/" not in name and not name.startswith(".") and name.endswith(".lock")
    assert _lock_name("a/b") != _lock_name("a_b")


_OPENER = """
import os, sys, time
from smscli.journal import Journal
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
Journal.open(sys.argv[1]).close()
"""


def test_many_processes_creating_the_journal_at_the_same_moment(tmp_path):
    """Switching a new file to WAL can answer SQLITE_BUSY without SQLite's busy handler;
    every process must still open the journal (this failed ~3% of opens before)."""
    for trial in range(5):
        go = tmp_path / f"go{trial}"
        procs = [
            subprocess.Popen([sys.executable, "-c", _OPENER, str(tmp_path / f"d{trial}"), str(go)],
                             env=ENV, stderr=subprocess.PIPE)
            for _ in range(8)
        ]
        time.sleep(0.3)
        go.touch()
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err.decode()
