"""The journal: every message, result, report, opt-out, number change and cached token.

Two backends behind one interface (:meth:`Journal.open`'s ``url``):

- SQLite (the default, nothing to install): WAL mode at ``<data_dir>/journal.db`` or the
  file of ``sqlite:///PATH`` (mode 0600; ``synchronous=FULL``, and a guard against a lost
  WAL: see :mod:`smscli.journal_files` and :mod:`smscli.journal_sqlite`; a busy timeout
  so concurrent processes wait for each other instead of failing). Every write is one
  ``BEGIN IMMEDIATE`` transaction, so two processes may write at once and a Ctrl-C
  leaves the journal consistent.
- PostgreSQL (``postgresql://user@host:port/db``, :mod:`smscli.journal_pg`): one journal
  shared by several hosts, with the same guarantees across them.

The operations are written once (this module and its ``journal_*`` mixins); the SQL
differs only where it must (:mod:`smscli.journal_sql`). Passwords and keys are never
stored here; message text is (a reservation must be sendable later).

Message states: ``pending`` (journaled, maybe sent), ``accepted``, ``rejected``,
``invalid``, ``scheduled``, ``unknown``, ``delivered``, ``failed``, ``cancelled``.

The send pipeline::

    journal = Journal.open(profile.data_dir)
    with journal.send_lock(profile.name):
        previous = journal.claim(batch, vendor, profile.name)   # before the first byte
        to_send = [m for m, p in zip(batch, previous) if p is None or p in RECLAIMABLE]
        ...                                                     # others: "duplicate"
        journal.record(results, server_ids)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from smscli.journal_base import (
    FINAL,
    HELD,
    LEASE_SECONDS,
    MAYBE_SENT,
    OWNED,
    RECLAIMABLE,
    EmptyJournal,
    JournalError,
    JournalGone,
    JournalUnreachable,
    _by_ids,
    _chunks,
    _filters,
    _iso,
    _json_list,
    _message_dict,
    _now_iso,
)
from smscli.journal_events import EventsMixin
from smscli.journal_fallback import FallbackMixin
from smscli.journal_history import HistoryMixin
from smscli.journal_locks import LockTimeout, _lock_error, _lock_held, _lock_name, send_lock
from smscli.journal_owners import OwnersMixin
from smscli.journal_read import ReadersMixin
from smscli.journal_reservations import ReservationsMixin
from smscli.journal_runs import RunsMixin
from smscli.journal_schema import _SCHEMA_V1, SCHEMA_VERSION
from smscli.journal_sql import (
    _ADOPT_REPORT,
    _DELIVERED_AT,
    _INSERT_MESSAGE,
    _INSERT_RESULT,
    _MESSAGE_COLUMNS,
    _RECLAIM_MESSAGE,
    _RECORD_RESULT,
    _SETTLE_FROM_REPORT,
    _Cursor,
)
from smscli.journal_sqlite import SqliteMixin
from smscli.models import (
    ACCEPTED,
    DUPLICATE,
    PENDING,
    QUEUED,
    SCHEDULED,
    Message,
    SendResult,
)

if TYPE_CHECKING:
    import sqlite3

JOURNAL_FILE = "journal.db"
def is_pg_url(url: str | None) -> bool:
    """Whether ``url`` names a PostgreSQL journal."""
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str | None) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (None for none: ``<data_dir>/journal.db``);
    raises :class:`JournalError` (exit 3) for any other kind of URL."""
    if not url:
        return None
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url[len("sqlite://"):])
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise JournalError(f"journal_url {scheme}:... is not a journal URL",
                       hint="use sqlite:///PATH or postgresql://user@host:port/db")


class Journal(SqliteMixin, OwnersMixin, EventsMixin, ReservationsMixin, RunsMixin, ReadersMixin, FallbackMixin,
              HistoryMixin):
    """The journal of one data dir. Open with :meth:`Journal.open`; close with
    :meth:`close` or use it as a context manager. Thread-safe (one connection, a lock).

    ``owner`` identifies this instance: an id claimed earlier through the same instance
    is reported as ``duplicate`` instead of being claimed twice (an input listing one id
    twice must not send twice).
    """

    backend = "sqlite"
    _FOR_UPDATE = ""  # how the claim's lookup locks the rows it reads (SQLite: BEGIN IMMEDIATE)
    _ADOPT = _ADOPT_REPORT  # a report matched late takes its message's id (once)
    _SETTLE = _SETTLE_FROM_REPORT
    _JSON_PARAM = ("json_extract({col}, ?1)", "$.{}")  # a raw field named by parameter ?1

    def __init__(self, conn: sqlite3.Connection, path: Path, data_dir: Path) -> None:
        import threading

        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.data_dir = data_dir
        self._owner: str | None = None
        self._owner_fd: int | None = None
        self._lease_renewed = 0.0

    @property
    def owner(self) -> str:
        """The token of this instance's claims (``messages.owner``), made on first use (a
        listing makes none: no ``smscli.ids``, no clock read)."""
        if self._owner is None:
            with self._lock:
                if self._owner is None:
                    from smscli.ids import new_id

                    self._owner = new_id()
        return self._owner

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], *, url: str | None = None,
             password: str | None = None, busy_timeout: float = 30.0,
             lease_seconds: float = LEASE_SECONDS) -> Journal:
        """Open (creating or upgrading) the journal: ``<data_dir>/journal.db``, or where
        ``url`` says: ``sqlite:///PATH`` (that file; the data dir keeps the lock files) or
        ``postgresql://user@host:port/db`` (the shared journal, :mod:`smscli.journal_pg`;
        ``password`` overrides the URL's, else libpq's ``PGPASSWORD`` / ``.pgpass``).

        ``busy_timeout`` is how long a write waits for another process's transaction;
        ``lease_seconds`` how long an owner on another host counts as alive without news.
        Raises :class:`JournalError` (exit 3) when the file is not a journal, is from a
        newer smscli, cannot be created, or its write-ahead log was lost
        (:class:`~smscli.journal_files.JournalLost`), or the server cannot be reached. An
        existing journal in a read-only data dir opens read-only (writes then raise
        JournalError).
        """
        if is_pg_url(url):
            from smscli.journal_pg import PgJournal

            return PgJournal.connect(data_dir, str(url), password=password, create=True,
                                     lease_seconds=lease_seconds, busy_timeout=busy_timeout)
        journal = cls._open(data_dir, busy_timeout=busy_timeout, path=sqlite_path(url))
        assert journal is not None
        journal.lease_seconds = lease_seconds
        return journal

    @classmethod
    def open_for_reading(cls, data_dir: str | os.PathLike[str], *, url: str | None = None,
                         password: str | None = None, busy_timeout: float = 30.0,
                         lease_seconds: float = LEASE_SECONDS) -> Journal | EmptyJournal:
        """The journal for a command that only reads it (``result list``, ``reserve list``,
        ``runs``, ``send --dry-run``). Creates nothing: where there is no journal (or no
        data dir, or no schema on the server) yet, an :class:`EmptyJournal`. Where the data
        dir can be written it opens as :meth:`open` does, except that what only a writer
        needs (the marker, the WAL switch, a write transaction) waits for the first write;
        where it cannot, or its disk is full, read-only."""
        from smscli import disk

        if is_pg_url(url):
            from smscli.journal_pg import PgJournal, safe_url

            found_pg = PgJournal.connect(data_dir, str(url), password=password, create=False,
                                         lease_seconds=lease_seconds, busy_timeout=busy_timeout)
            return found_pg or EmptyJournal(safe_url(str(url)), "postgresql")
        file = sqlite_path(url)
        path = Path(data_dir)
        found: Journal | None
        if os.access(path, os.W_OK) and not disk.low_space(path):
            try:
                found = cls._open(path, busy_timeout=busy_timeout, create=False, path=file, reading=True)
            except JournalError:
                if os.access(path, os.W_OK) and not disk.low_space(path):
                    raise
            else:
                return found or EmptyJournal()
        found = cls._open(path, busy_timeout=busy_timeout, create=False, readonly=True, path=file)
        return found or EmptyJournal()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- claiming and results ---------------------------------------------------------

    def claim(
        self,
        messages: Sequence[Message],
        vendor: str,
        profile: str,
        *,
        run: str = "",
        queued: bool = False,
        hold_unsure: bool = False,
        retry: bool = False,
    ) -> list[str | None]:
        """Journal ``messages`` before they are sent; one transaction.

        New ids are stored as ``pending`` (handed over, maybe sent), or as ``queued`` with
        ``queued`` true: the caller then marks them with :meth:`mark_handed` just before
        the vendor gets them, so that a kill in between leaves them known as never sent.
        ``run`` is the run they belong to (see :meth:`start_run`).

        Returns, per message, the previous state of its id: ``None`` for a new id. A known
        id in :data:`RECLAIMABLE` is claimed again (attempts + 1) and its previous state
        returned; one in ``accepted``/``delivered``/``failed``/``scheduled``/``cancelled``
        is left alone and its state returned: do not send it. Besides:

        - ``"duplicate"``: already claimed by this instance (or twice in ``messages``),
          unless ``retry`` and its state is reclaimable;
        - :data:`OWNED`: another live smscli process holds it (see :meth:`owner_of`);
        - :data:`HELD`: with ``hold_unsure`` (a vendor that cannot de-duplicate), an id in
          :data:`MAYBE_SENT` is not claimed again but becomes ``unknown``.
        """
        return self._claim(messages, vendor, profile, PENDING, held=0, run=run, queued=queued,
                           hold_unsure=hold_unsure, retry=retry)

    def schedule(self, messages: Sequence[Message], vendor: str, profile: str, *,
                 run: str = "") -> list[str | None]:
        """Keep reservations in the journal (vendors that cannot schedule on the server):
        like :meth:`claim`, but new and reclaimed ids become ``scheduled`` (held here) until
        :meth:`due` + :meth:`claim_scheduled` hand them to ``reserve flush``."""
        return self._claim(messages, vendor, profile, SCHEDULED, held=1, run=run, queued=False,
                           hold_unsure=False, retry=False)

    def _claim(
        self,
        messages: Sequence[Message],
        vendor: str,
        profile: str,
        status: str,
        held: int,
        run: str,
        queued: bool,
        hold_unsure: bool,
        retry: bool,
    ) -> list[str | None]:
        msgs = list(messages)
        if not msgs:
            return []
        self._register_owner()
        previous: list[str | None] = [None] * len(msgs)
        now = _now_iso()
        me = self.owner
        fresh = QUEUED if queued else status
        journal_json = None
        with self._tx() as cur:
            self._renew_lease(cur)  # a long send stays alive for the other hosts
            known = self._lookup(cur, sorted({m.id for m in msgs}), lock=True)
            alive = self._alive_owners({owner for _, owner in known.values()} - {me, ""}, cur)
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[Any, ...]] = []
            holds: list[tuple[str, str]] = []
            seen: set[str] = set()
            for i, m in enumerate(msgs):
                if m.id in seen:
                    previous[i] = DUPLICATE
                    continue
                seen.add(m.id)
                old = known.get(m.id)
                if old is not None:
                    old_status, old_owner = old
                    if old_owner == me and not (retry and old_status in RECLAIMABLE):
                        previous[i] = DUPLICATE
                        continue
                    previous[i] = old_status
                    if old_status not in RECLAIMABLE:
                        continue
                    if old_owner in alive:
                        previous[i] = OWNED
                        continue
                    if hold_unsure and old_status in MAYBE_SENT and old_owner != me:
                        previous[i] = HELD
                        holds.append((now, m.id))
                        continue
                images = _json_list(m.images) if m.images else "[]"
                keys = _json_list(m.file_keys) if m.file_keys else "[]"
                send_at = _iso(m.send_at) if m.send_at is not None else None
                if m.channel is None:
                    kind, content = "text", ""
                else:
                    # never the sender key: the vendor reads it from the profile again
                    # (imported here, once: only Kakao/RCS/fax/voice have a channel)
                    if journal_json is None:
                        from smscli.channel_render import journal_json
                    kind, content = m.channel.kind, journal_json(m.channel)
                if old is None:
                    inserts.append(
                        (m.id, vendor, profile, m.to, m.type, m.text, m.subject, m.sender, images,
                         keys, send_at, fresh, 1 - held, held, run, me, now, now,
                         kind, content, m.tag, m.name, m.parent, m.ad)
                    )  # fmt: skip
                    continue
                # What may have reached the vendor before stays "maybe sent" (pending).
                again = PENDING if queued and old[0] in MAYBE_SENT else fresh
                updates.append(
                    (vendor, profile, m.to, m.type, m.text, m.subject, m.sender, images, keys,
                     send_at, again, held, run, me, now, kind, content, m.tag, m.name, m.parent,
                     m.ad, m.id)
                )  # fmt: skip
            if inserts:
                where = {m.id: i for i, m in enumerate(msgs) if previous[i] is None}
                for mid in self._insert_claims(cur, inserts):
                    previous[where[mid]] = OWNED  # another host claimed it this very moment
            if updates:
                cur.executemany(_RECLAIM_MESSAGE, updates)
            if holds:  # an unknown one keeps what it says already
                cur.executemany(
                    "UPDATE messages SET status = 'unknown', detail = 'handed over earlier; "
                    "no answer was journaled', updated_at = ? WHERE id = ? AND status = 'pending'",
                    holds,
                )
        return previous

    def _record_rows(self, cur: _Cursor, rows: list[tuple[Any, ...]]) -> int:
        """Apply ``_RECORD_RESULT`` rows, in order; returns how many messages changed."""
        cur.executemany(_RECORD_RESULT, rows)
        return cur.rowcount

    def _insert_claims(self, cur: _Cursor, rows: list[tuple[Any, ...]]) -> list[str]:
        """Insert new claims (``_INSERT_MESSAGE`` rows); returns the ids that another
        process inserted first (none on SQLite: the transaction excludes other writers)."""
        cur.executemany(_INSERT_MESSAGE, rows)
        return []

    def _lookup(self, cur: _Cursor, ids: Sequence[str], lock: bool) -> dict[str, tuple[str, str]]:
        """(status, owner) of the known ones of ``ids``; with ``lock``, their rows stay
        locked until the transaction ends (PostgreSQL: in id order, so two hosts claiming
        overlapping batches wait for each other instead of deadlocking)."""
        found: dict[str, tuple[str, str]] = {}
        tail = self._FOR_UPDATE if lock else ""
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            for mid, status, owner in cur.execute(
                f"SELECT id, status, owner FROM messages WHERE id IN ({marks}){tail}", part
            ):
                found[mid] = (status, owner)
        return found

    def mark_handed(self, ids: Sequence[str]) -> None:
        """``queued`` → ``pending``: these are about to be handed to the vendor (one
        transaction, committed before the first of them leaves)."""
        with self._tx() as cur:
            _by_ids(cur, "UPDATE messages SET status = 'pending', updated_at = ? "
                         "WHERE id IN ({marks}) AND status = 'queued'", ids, before=[_now_iso()])

    def record(
        self, results: Sequence[SendResult], server_ids: dict[str, str] | None = None
    ) -> None:
        """Store what became of sent messages (one transaction).

        Updates status/code/detail (and ``server_ids[message_id]`` when given) of each
        result's message, if the move is allowed: a message not sent yet (``queued``,
        ``pending``, ``unknown``, ``rejected``, ``invalid``) takes any result; one that was
        sent (``accepted``, ``scheduled``) takes only ``accepted``/``scheduled``/
        ``delivered``/``failed``; a ``delivered``/``failed``/``cancelled`` one only
        ``delivered``/``failed``. So an ``invalid`` row in a re-run never un-sends an
        earlier ``accepted`` message. A ``duplicate`` result is the vendor saying it already
        has the message: it is stored as ``accepted`` (with its code, detail and server id).
        A result for an id never claimed (e.g. an ``invalid`` row) is stored as a new
        message; results without an id are skipped.
        """
        now = _now_iso()
        sids = server_ids or {}
        todo = [r for r in results if r.message_id]
        if not todo:
            return
        stored = [(r, ACCEPTED if r.status == DUPLICATE else r.status, sids.get(r.message_id, ""))
                  for r in todo]  # fmt: skip
        rows = [(status, r.code, r.detail, sid, now, r.message_id) for r, status, sid in stored]
        with self._tx() as cur:
            changed = self._record_rows(cur, rows)
            self._renew_lease(cur)
            if changed != len(todo):
                # Some ids were never claimed (or are final): store the unknown ones.
                known = self._lookup(cur, [r.message_id for r in todo], lock=False)
                cur.executemany(
                    _INSERT_RESULT,
                    [(r.message_id, r.vendor, r.to, r.type, status, r.code, r.detail, sid, self.owner,
                      now, now, r.profile, r.tag)
                     for r, status, sid in stored if r.message_id not in known],
                )  # fmt: skip
            self._adopt_early_reports(cur, [(r.message_id, r.vendor, sid) for r, _, sid in stored if sid])

    def _adopt_early_reports(self, cur: _Cursor, pairs: list[tuple[str, str, str]]) -> None:
        """Reports that arrived by server id before that id was recorded (a push faster than
        the send's own answer was journaled) now match their message, and settle it."""
        by_vendor: dict[str, list[str]] = {}
        for _, vendor, sid in pairs:
            by_vendor.setdefault(vendor, []).append(sid)
        waiting: set[tuple[str, str]] = set()  # (vendor, server id) of reports still unmatched
        for vendor, sids in by_vendor.items():
            for part in _chunks(sids):  # one indexed lookup per chunk, not an UPDATE per message
                marks = ",".join("?" * len(part))
                waiting.update((vendor, sid) for (sid,) in cur.execute(
                    f"SELECT server_id FROM reports WHERE vendor = ? AND server_id IN ({marks}) "
                    "AND message_id = '' AND matched = 0", [vendor, *part]))
        found = [p for p in pairs if (p[1], p[2]) in waiting]
        if found:
            cur.executemany(self._ADOPT, found)
            cur.executemany(self._SETTLE, [(_now_iso(), mid) for mid, _, _ in found])

    # --- the send lock ----------------------------------------------------------------

    def send_lock(
        self,
        profile: str,
        *,
        timeout: float | None = None,
        poll_interval: float = 0.05,
        stderr: TextIO | None = None,
    ) -> AbstractContextManager[None]:
        """See :func:`send_lock`; the lock file lives in this journal's data dir."""
        return send_lock(
            self.data_dir, profile, timeout=timeout, poll_interval=poll_interval, stderr=stderr
        )


__all__ = [
    "FINAL",
    "HELD",
    "JOURNAL_FILE",
    "LEASE_SECONDS",
    "OWNED",
    "RECLAIMABLE",
    "SCHEMA_VERSION",
    "EmptyJournal",
    "Journal",
    "JournalError",
    "JournalGone",
    "JournalUnreachable",
    "LockTimeout",
    "send_lock",
]
# Re-exported for the modules and tests that import them from here.
_REEXPORTED = (_SCHEMA_V1, _DELIVERED_AT, _MESSAGE_COLUMNS, _chunks, _filters, _iso, _message_dict,
               _lock_error, _lock_held, _lock_name, _Cursor)

