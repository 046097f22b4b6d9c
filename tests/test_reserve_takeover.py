"""A ``reserve flush`` killed after it claimed a page (scheduled → pending) and before any
answer was journaled: the next flush takes the page over once its owner is gone, and sends
each message once (a vendor that de-duplicates by id), or holds it as unknown (one that
cannot)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta

from smscli.cli.app import program

CLAIM_AND_DIE = """
import os, signal, sys
from smscli.journal import Journal
journal = Journal.open(os.environ["SMSCLI_DATA_DIR"])
assert journal.claim_scheduled(sys.argv[1:]) == sys.argv[1:]
os.kill(os.getpid(), signal.SIGKILL)
"""


def _reserve_and_kill_a_flush(capsys, clock_at) -> tuple[list[str], datetime]:
    now = datetime(2026, 11, 23, 10, 0)
    clock_at(now)
    at = now + timedelta(hours=1)
    assert program(["reserve", "--at", f"{at:%Y-%m-%d %H:%M}", "--to", "01011112222,01033334444",
                    "-m", "later", "--json"]) == 0
    ids = [json.loads(line)["message_id"] for line in capsys.readouterr().out.splitlines()]
    clock_at(at + timedelta(minutes=1))
    dead = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, *ids], env=os.environ.copy())
    assert dead.returncode == -signal.SIGKILL
    return ids, at


def _states(capsys) -> dict[str, str]:
    assert program(["result", "list", "--json"]) == 0
    return {r["message_id"]: r["status"] for r in map(json.loads, capsys.readouterr().out.splitlines())}


def test_a_dead_flush_is_taken_over_and_each_message_sent_once(smscli_oneshot_sim, clock_at, capsys) -> None:
    ids, _ = _reserve_and_kill_a_flush(capsys, clock_at)
    assert set(_states(capsys).values()) == {"pending"}
    assert program(["reserve", "flush", "--json"]) == 0
    flushed = {r["message_id"]: r["status"] for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert flushed == dict.fromkeys(ids, "accepted")
    assert sorted(a.to for a in smscli_oneshot_sim.wait_accepted(2)) == ["01011112222", "01033334444"]
    assert program(["reserve", "flush", "--json"]) == 0  # nothing left: nothing again
    assert capsys.readouterr().out == ""
    assert len(smscli_oneshot_sim.accepted) == 2


def test_where_the_vendor_cannot_tell_a_dead_flush_s_page_becomes_unknown(tmp_path, journal_url,
                                                                         open_journal) -> None:
    """On either backend: the claim of a killed process (its lock or lease gone) is taken
    over as ``unknown`` with ``hold_unsure``, and nothing is due any more."""
    from smscli import clock
    from smscli.models import Message
    from smscli.timeutil import now_kst

    data_dir = tmp_path / "data"
    with open_journal(data_dir) as journal:
        journal.schedule([Message(id=f"b{i}", to="01011112222", text="x", sender="0212345678",
                                  send_at=now_kst() - timedelta(minutes=1)) for i in (1, 2)],
                         "bizppurio", "p")
    env = {**os.environ, "SMSCLI_DATA_DIR": str(data_dir), "SMSCLI_JOURNAL_URL": journal_url or ""}
    script = CLAIM_AND_DIE.replace('Journal.open(os.environ["SMSCLI_DATA_DIR"])',
                                   'Journal.open(os.environ["SMSCLI_DATA_DIR"], '
                                   'url=os.environ["SMSCLI_JOURNAL_URL"] or None, lease_seconds=1)')
    dead = subprocess.run([sys.executable, "-c", script, "b1", "b2"], env=env)
    assert dead.returncode == -signal.SIGKILL
    with clock.shifted(now_kst() + timedelta(seconds=5)), open_journal(data_dir) as journal:
        assert journal.take_over_reservations(now_kst(), profile="p", hold_unsure=True) == 2
        assert [journal.get(i)["status"] for i in ("b1", "b2")] == ["unknown", "unknown"]
        assert journal.due(now_kst()) == []
        assert journal.take_over_reservations(now_kst(), profile="p", hold_unsure=True) == 0
