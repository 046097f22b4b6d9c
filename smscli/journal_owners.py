"""Owners: which live process holds a claim. Each :class:`~smscli.journal.Journal`
instance that claims is an owner (a token); on its own host it holds
``locks/owner-<token>.lock`` for its life, and in ``owners`` it has a row (host, pid, a
lease that other hosts read). Mixed into :class:`smscli.journal.Journal`."""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from contextlib import suppress
from pathlib import Path
from typing import Any

from smscli import clock
from smscli.journal_base import LEASE_SECONDS, Cursor, JournalError, _chunks, _now_iso
from smscli.journal_locks import _lock_error, _lock_held


class OwnersMixin:
    """Owner registration, leases and liveness (see the module docstring)."""

    owner: str
    data_dir: Path
    _owner_fd: int | None
    _lease_renewed: float
    lease_seconds: float = LEASE_SECONDS
    _shared = False  # True where processes with other data dirs share the journal

    # --- owners: which live process holds a claim ----------------------------------------

    def _register_owner(self) -> None:
        """Before the first claim: hold ``locks/owner-<token>.lock`` for this instance's
        life (other processes on this host test it to see whether we are alive) and say
        who we are in ``owners`` (host, pid, a lease for other hosts)."""
        if self._owner_fd is not None:
            return
        import fcntl
        import socket

        lock_dir = self.data_dir / "locks"
        path = lock_dir / f"owner-{self.owner}.lock"
        try:
            lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise _lock_error(path, exc) from None
        self._owner_fd = fd
        wall = clock.time
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO owners (token, host, pid, started_at, lease_until) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (token) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
                "started_at = excluded.started_at, lease_until = excluded.lease_until",
                (self.owner, socket.gethostname(), os.getpid(), _now_iso(), wall() + self.lease_seconds),
            )
        self._lease_renewed = time.monotonic()

    def _renew_lease(self, cur: Cursor) -> None:
        if self._owner_fd is None or time.monotonic() - self._lease_renewed < self.lease_seconds / 3:
            return
        wall = clock.time
        cur.execute("UPDATE owners SET lease_until = ? WHERE token = ?",
                    (wall() + self.lease_seconds, self.owner))
        self._lease_renewed = time.monotonic()

    def _alive_owners(self, tokens: Collection[str], cur: Cursor | None = None) -> set[str]:
        """Which of ``tokens`` (instances) still live: on this host, the one whose lock file
        is held; on another host, the one whose lease has not run out. Inside a write
        transaction (``cur``) the dead ones of this host are forgotten."""
        if not tokens:
            return set()
        import socket

        host, now, alive, gone = socket.gethostname(), clock.time(), set(), []
        for part in _chunks(list(tokens)):
            marks = ",".join("?" * len(part))
            sql = f"SELECT token, host, lease_until FROM owners WHERE token IN ({marks})"
            rows = cur.execute(sql, part).fetchall() if cur is not None else self._query(sql, part)
            for token, owner_host, lease_until in rows:
                lock = self.data_dir / "locks" / f"owner-{token}.lock"
                if owner_host != host or (self._shared and not lock.exists()):
                    # another host, or (a shared journal) another data dir on this one
                    if lease_until > now:
                        alive.add(token)
                elif _lock_held(lock):
                    alive.add(token)
                else:
                    gone.append(token)
        for token in gone if cur is not None else ():  # killed: forget it (its claims are free)
            cur.execute("DELETE FROM owners WHERE token = ?", (token,))
            with suppress(OSError):
                os.unlink(self.data_dir / "locks" / f"owner-{token}.lock")
        return alive

    def owner_of(self, message_id: str) -> dict[str, Any] | None:
        """The process holding ``message_id``'s claim: ``{"host", "pid", "run"}``, or None."""
        rows = self._query(
            "SELECT o.host, o.pid, m.run FROM messages m JOIN owners o ON o.token = m.owner "
            "WHERE m.id = ?",
            (message_id,),
        )
        return {"host": rows[0][0], "pid": rows[0][1], "run": rows[0][2]} if rows else None

    def release(self) -> None:
        """Give up this instance's claims (after its send is over): other processes may
        then claim what it left unanswered. Idempotent; also done by :meth:`close`."""
        fd, self._owner_fd = self._owner_fd, None
        if fd is None:
            return
        import sqlite3

        try:
            with self._tx() as cur:
                cur.execute("DELETE FROM owners WHERE token = ?", (self.owner,))
        except (JournalError, sqlite3.Error):
            # Our row stays: the lock file stays too (released below), so a later process
            # in this data dir sees us gone at once; another host waits for our lease.
            os.close(fd)
            return
        with suppress(OSError):
            os.unlink(self.data_dir / "locks" / f"owner-{self.owner}.lock")
        os.close(fd)

