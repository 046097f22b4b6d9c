"""Owners on each backend: when a claim's owner counts as alive (its lock file on this
host, its lease on another), what a killed one leaves behind, and lease renewal."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from smscli import clock
from smscli.journal import OWNED
from smscli.models import Message
from smscli.timeutil import now_kst
from tests.conftest import ROOT

CLAIM_AND_DIE = """
import os, signal, sys
from smscli.journal import Journal
from smscli.models import Message
journal = Journal.open(sys.argv[1], url=sys.argv[2] or None)
journal.claim([Message(id="m1", to="01012345678", text="x", sender="1")], "oneshot", "p")
print(journal.owner, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def msg(mid: str) -> Message:
    return Message(id=mid, to="01012345678", text="안녕", sender="15666639")


def owner_row(journal, token: str) -> list[tuple]:
    return journal._query("SELECT host, lease_until FROM owners WHERE token = ?", (token,))


def test_a_killed_owner_on_this_host_is_forgotten_and_its_claims_are_free(tmp_path, journal_url,
                                                                        open_journal):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    dead = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, str(tmp_path), journal_url or ""],
                          env=env, capture_output=True, text=True)
    assert dead.returncode == -signal.SIGKILL, dead.stderr
    token = dead.stdout.strip()
    lock = tmp_path / "locks" / f"owner-{token}.lock"
    assert lock.exists()
    with open_journal(tmp_path) as j:
        assert len(owner_row(j, token)) == 1  # it never said goodbye
        assert j.claim([msg("m1")], "oneshot", "p") == ["pending"]  # not OWNED: taken over
        assert owner_row(j, token) == []
        assert not lock.exists()
        assert j.get("m1")["attempts"] == 2


@pytest.mark.parametrize("host", ["", "~" * 8])  # sorting before and after any host name
def test_an_owner_on_another_host_lives_until_its_lease_ends(tmp_path, open_journal, host):
    with open_journal(tmp_path) as holder, open_journal(tmp_path) as other:
        holder.claim([msg("m1")], "oneshot", "p")
        t = clock.time() + 600
        with holder._tx() as cur:  # its row as a process on another host leaves it
            cur.execute("UPDATE owners SET host = ?, lease_until = ? WHERE token = ?",
                        (host, t, holder.owner))
        with clock.frozen(t - 0.001):
            assert other.claim([msg("m1")], "oneshot", "p") == [OWNED]
        with clock.frozen(t):  # the lease has ended: the claim is free
            assert other.claim([msg("m1")], "oneshot", "p") == ["pending"]
        assert other.get("m1")["attempts"] == 2


def test_the_lease_is_renewed_every_third_of_its_length(tmp_path, open_journal):
    with open_journal(tmp_path) as j:
        j.claim([msg("m0")], "oneshot", "p")
        (_, first), = owner_row(j, j.owner)
        assert abs(first - (clock.time() + j.lease_seconds)) < 60
        later = now_kst() + timedelta(hours=1)
        with clock.shifted(later):
            j._lease_renewed = time.monotonic() - j.lease_seconds * 0.3  # not a third yet
            j.claim([msg("m1")], "oneshot", "p")
            assert owner_row(j, j.owner)[0][1] == first
            j._lease_renewed = time.monotonic() - j.lease_seconds * 0.34
            j.claim([msg("m2")], "oneshot", "p")
            (_, renewed), = owner_row(j, j.owner)
            assert renewed > first + 3000
            assert abs(renewed - (clock.time() + j.lease_seconds)) < 60


def test_owner_lock_files_are_private(tmp_path, open_journal):
    with open_journal(tmp_path) as j:
        j.claim([msg("m1")], "oneshot", "p")
        lock = tmp_path / "locks" / f"owner-{j.owner}.lock"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "locks").stat().st_mode) == 0o700


def test_a_live_owner_on_this_host_holds_its_lock_and_its_claims(tmp_path, open_journal):
    from smscli.journal_locks import _lock_held

    with open_journal(tmp_path) as holder, open_journal(tmp_path) as other:
        holder.claim([msg("m1")], "oneshot", "p")
        assert _lock_held(tmp_path / "locks" / f"owner-{holder.owner}.lock")
        assert other.claim([msg("m1")], "oneshot", "p") == [OWNED]
        holder.release()
        assert other.claim([msg("m1")], "oneshot", "p") == ["pending"]


def test_a_release_the_journal_refuses_still_lets_go_of_the_lock(tmp_path):
    """SQLite: another process holds the journal past the busy timeout when we release:
    our row stays, but the lock file is let go, so this host sees us gone at once."""
    import sqlite3

    from smscli.journal import Journal
    from smscli.journal_locks import _lock_held

    j = Journal.open(tmp_path, busy_timeout=0.2)
    j.claim([msg("m1")], "oneshot", "p")
    lock = tmp_path / "locks" / f"owner-{j.owner}.lock"
    blocker = sqlite3.connect(tmp_path / "journal.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        j.release()  # no error: giving up is best effort
        assert not _lock_held(lock)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert owner_row(j, j.owner) != []  # the row it could not delete
    with Journal.open(tmp_path) as other:
        assert other.claim([msg("m1")], "oneshot", "p") == ["pending"]
        assert owner_row(other, j.owner) == []  # forgotten by the next claim
    j.close()


def test_an_owner_lock_file_that_cannot_be_made_is_a_clear_journal_error(tmp_path, open_journal):
    from smscli.journal import JournalError

    with open_journal(tmp_path) as j:
        lock = tmp_path / "locks" / f"owner-{j.owner}.lock"
        lock.mkdir(parents=True)  # a directory where the lock file goes
        with pytest.raises(JournalError, match=re.escape(f"cannot create the lock file {lock}: Is a directory")):
            j.claim([msg("m1")], "oneshot", "p")
        assert j.get("m1") is None
