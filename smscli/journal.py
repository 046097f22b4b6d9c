"""The journal: every message, result, report, opt-out, number change and cached token.

SQLite in WAL mode at ``<data_dir>/journal.db`` (mode 0600; ``synchronous=FULL``, and a
guard against a lost WAL: see :mod:`smscli.journal_files`;
a busy timeout so concurrent processes wait for each other instead of failing). Every
write is one ``BEGIN IMMEDIATE`` transaction, so two processes may write at once and a
Ctrl-C leaves the journal consistent. Passwords and keys are never stored here; message
text is (a reservation must be sendable later).

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

import json
import os
import re
import sys
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from smscli import clock
from smscli.channel_render import journal_json
from smscli.errors import ExitStatus, SmscliError, UsageError
from smscli.journal_fallback import FallbackMixin
from smscli.journal_history import HistoryMixin, report_telecom
from smscli.journal_read import ReadersMixin
from smscli.journal_runs import RunsMixin
from smscli.models import (
    ACCEPTED,
    CANCELLED,
    DELIVERED,
    DUPLICATE,
    FAILED,
    INVALID,
    PENDING,
    QUEUED,
    REJECTED,
    SCHEDULED,
    UNKNOWN,
    Message,
    Report,
    SendResult,
)

if TYPE_CHECKING:
    import sqlite3

SCHEMA_VERSION = 3
JOURNAL_FILE = "journal.db"

# A known id in one of these states is claimed again (it was never accepted) ...
RECLAIMABLE = frozenset({QUEUED, PENDING, UNKNOWN, REJECTED, INVALID})
# ... but one in these may have reached the vendor: where the vendor cannot de-duplicate it
# is held back (``HELD``) instead, unless the caller accepts the risk.
MAYBE_SENT = frozenset({PENDING, UNKNOWN})
# Pseudo-states :meth:`Journal.claim` returns besides the stored ones.
OWNED = "owned"  # another live smscli process holds the id: not claimed
HELD = "held"  # maybe handed over before, the vendor cannot tell: now ``unknown``, not claimed
LEASE_SECONDS = 120.0  # how long an owner on another host counts as alive without news
# States a late send result must not overwrite (a report or the user decided them).
FINAL = frozenset({DELIVERED, FAILED, CANCELLED})
_IN_CHUNK = 500  # ids per "IN (...)" lookup

_SCHEMA_V1 = """
CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    vendor     TEXT NOT NULL DEFAULT '',
    profile    TEXT NOT NULL DEFAULT '',
    "to"       TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT '',
    sender     TEXT NOT NULL DEFAULT '',
    images     TEXT NOT NULL DEFAULT '[]',
    file_keys  TEXT NOT NULL DEFAULT '[]',
    send_at    TEXT,
    status     TEXT NOT NULL,
    code       TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    server_id  TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    held       INTEGER NOT NULL DEFAULT 0,  -- 1: reservation kept here until `reserve flush`
    run        TEXT NOT NULL DEFAULT '',    -- the Journal instance that last claimed it
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX messages_created ON messages(created_at);
CREATE INDEX messages_due ON messages(send_at) WHERE status = 'scheduled' AND held = 1;
CREATE INDEX messages_server_id ON messages(vendor, server_id) WHERE server_id != '';
CREATE TABLE reports (
    message_id   TEXT NOT NULL DEFAULT '',
    "to"         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    code         TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '',
    vendor       TEXT NOT NULL DEFAULT '',
    delivered_at TEXT NOT NULL DEFAULT '',
    server_id    TEXT NOT NULL DEFAULT '',
    raw          TEXT NOT NULL DEFAULT '{}',
    matched      INTEGER NOT NULL DEFAULT 0,
    received_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX reports_once ON reports(vendor, server_id, message_id, code);
CREATE INDEX reports_message ON reports(message_id);
CREATE INDEX reports_received ON reports(received_at);
CREATE TABLE suppression (
    phone   TEXT PRIMARY KEY,
    deny_no TEXT NOT NULL DEFAULT '',
    source  TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL
);
CREATE TABLE phone_changes (
    phone         TEXT NOT NULL,
    new_phone     TEXT NOT NULL,
    server_msg_id TEXT NOT NULL DEFAULT '',
    at            TEXT NOT NULL
);
CREATE INDEX phone_changes_phone ON phone_changes(phone);
CREATE TABLE tokens (
    key        TEXT PRIMARY KEY,
    token      TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

# v2: runs (every send/reserve, with its input's fingerprint), owners (the live processes
# that hold claims), and each message's owner. In v1 `run` held the claiming instance.
_SCHEMA_V2 = """
ALTER TABLE messages ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE messages SET owner = run, run = '';
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    command     TEXT NOT NULL,
    profile     TEXT NOT NULL,
    vendor      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    parts       TEXT NOT NULL DEFAULT '{}',
    state       TEXT NOT NULL,               -- running | finished | interrupted | failed
    owner       TEXT NOT NULL DEFAULT '',
    rows        INTEGER NOT NULL DEFAULT 0,  -- rows read so far
    counts      TEXT NOT NULL DEFAULT '{}',  -- results per status so far
    note        TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX runs_profile ON runs(profile, started_at);
CREATE TABLE owners (
    token       TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    lease_until REAL NOT NULL
);
"""

# v3: what a message carries beyond text (``kind`` text | kakao | rcs, ``content`` its
# fields as JSON, see smscli.content.dumps), its campaign ``tag``, the recipient's ``name``
# and, for a fallback smscli sends itself, the ``parent`` it falls back for (failed Kakao/RCS
# messages are indexed for smscli.fallback); reports gain ``channel`` and ``fallback`` (JSON).
# ``telecom`` is the carrier the last report named (OneShot Telecom, Bizppurio WAPINFO,
# BIZCLIENT TEL_INFO), for ``result stats --by telecom``. ``events``: each change of a
# message's state, code or detail (and each re-claim) with its time, written by triggers
# in the transaction that makes the change (``result show``).
_SCHEMA_V3 = """
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
ALTER TABLE messages ADD COLUMN content TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN parent TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN ad INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_tag ON messages(tag, created_at) WHERE tag != '';
CREATE INDEX messages_parent ON messages(parent) WHERE parent != '';
CREATE INDEX messages_to ON messages("to", created_at);
CREATE INDEX messages_failed_channel ON messages(profile)
    WHERE kind != 'text' AND status = 'failed' AND content LIKE '%"fallback":%';
ALTER TABLE reports ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN telecom TEXT NOT NULL DEFAULT '';
CREATE TABLE events (
    message_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    state      TEXT NOT NULL,
    code       TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_message ON events(message_id);
CREATE TRIGGER events_insert AFTER INSERT ON messages BEGIN
    INSERT INTO events VALUES (new.id, new.created_at, new.status, new.code, new.detail);
END;
CREATE TRIGGER events_update AFTER UPDATE OF status, code, detail, attempts ON messages
WHEN old.status IS NOT new.status OR old.code IS NOT new.code OR old.detail IS NOT new.detail
    OR old.attempts IS NOT new.attempts BEGIN
    INSERT INTO events VALUES (new.id, new.updated_at, new.status, new.code, new.detail);
END;
CREATE TRIGGER events_delete AFTER DELETE ON messages BEGIN
    DELETE FROM events WHERE message_id = old.id;
END;
"""

# Index i upgrades a journal from user_version i to i + 1.
_MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3)

_DELIVERED_AT = (
    "(SELECT r.delivered_at FROM reports r WHERE r.message_id = messages.id "
    "ORDER BY r.rowid DESC LIMIT 1)"
)
_MESSAGE_COLUMNS = (
    'id, vendor, profile, "to", type, text, subject, sender, images, file_keys, send_at, '
    "status, code, detail, server_id, attempts, held, created_at, updated_at, " + _DELIVERED_AT
)
_INSERT_MESSAGE = (
    'INSERT INTO messages (id, vendor, profile, "to", type, text, subject, sender, images, '
    "file_keys, send_at, status, attempts, held, run, owner, created_at, updated_at, "
    "kind, content, tag, name, parent, ad) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_RECLAIM_MESSAGE = (
    'UPDATE messages SET vendor = ?, profile = ?, "to" = ?, type = ?, text = ?, subject = ?, '
    "sender = ?, images = ?, file_keys = ?, send_at = ?, status = ?, held = ?, run = ?, owner = ?, "
    "code = '', detail = '', server_id = '', attempts = attempts + 1, updated_at = ?, "
    "kind = ?, content = ?, tag = ?, name = ?, parent = ?, ad = ? WHERE id = ?"
)
# Plain comparisons, not IN (...) lists: SQLite builds a temporary table for each IN list on
# every execution, which made this hot statement 50% slower.
_RECORD_RESULT = (
    "UPDATE messages SET status = ?1, code = ?2, detail = ?3, "
    "server_id = CASE WHEN ?4 != '' THEN ?4 ELSE server_id END, updated_at = ?5 "
    "WHERE id = ?6 AND (status = 'pending' OR status = 'unknown' OR status = 'rejected' "
    "OR status = 'queued' "
    "OR status = 'invalid' OR ?1 = 'delivered' OR ?1 = 'failed' "
    "OR ((status = 'accepted' OR status = 'scheduled') AND (?1 = 'accepted' OR ?1 = 'scheduled')))"
)
_ADOPT_REPORT = (
    "UPDATE OR IGNORE reports SET message_id = ?1, matched = 1 "
    "WHERE vendor = ?2 AND server_id = ?3 AND message_id = '' AND matched = 0"
)
_SETTLE_FROM_REPORT = (
    "UPDATE messages SET (status, code, detail, updated_at, telecom) = ("
    "SELECT r.status, r.code, r.detail, ?1, COALESCE(NULLIF(json_extract(r.raw, '$.telecom'), ''), "
    "NULLIF(json_extract(r.raw, '$.wapinfo'), ''), NULLIF(json_extract(r.raw, '$.tel_info'), ''), "
    "messages.telecom) FROM reports r WHERE r.message_id = messages.id "
    "AND r.status IN ('delivered', 'failed') ORDER BY r.rowid DESC LIMIT 1) "
    "WHERE id = ?2 AND EXISTS (SELECT 1 FROM reports r WHERE r.message_id = messages.id "
    "AND r.status IN ('delivered', 'failed'))"
)
_INSERT_RESULT = (
    'INSERT OR IGNORE INTO messages (id, vendor, "to", type, status, code, detail, server_id, '
    "owner, created_at, updated_at, profile, tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class JournalError(SmscliError):
    """The journal cannot be opened or written (corrupt file, full disk, locked too long)."""

    exit_status = ExitStatus.CONFIG


class LockTimeout(SmscliError):
    """Another process kept the profile's send lock longer than the timeout."""


def _now_iso() -> str:
    from smscli.timeutil import now_kst, to_iso

    return to_iso(now_kst())


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    from smscli.timeutil import to_iso

    return to_iso(value)


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_ids(cur: _Cursor, sql: str, ids: Iterable[str], *, before: Sequence[Any] = (),
            after: Sequence[Any] = ()) -> int:
    """Run ``sql`` (``{marks}`` stands for the ``IN`` list) for ``ids``, 500 at a time, with
    ``before`` and ``after`` as the other parameters; returns the rows it changed."""
    changed = 0
    for part in _chunks(list(ids)):
        cur.execute(sql.format(marks=",".join("?" * len(part))), [*before, *part, *after])
        changed += cur.rowcount
    return changed


class Journal(RunsMixin, ReadersMixin, FallbackMixin, HistoryMixin):
    """The journal of one data dir. Open with :meth:`Journal.open`; close with
    :meth:`close` or use it as a context manager. Thread-safe (one connection, a lock).

    ``owner`` identifies this instance: an id claimed earlier through the same instance
    is reported as ``duplicate`` instead of being claimed twice (an input listing one id
    twice must not send twice).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, data_dir: Path) -> None:
        import threading

        from smscli.ids import new_id

        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.data_dir = data_dir
        self.owner = new_id()  # the token of this instance's claims (messages.owner)
        self._owner_fd: int | None = None
        self._lease_renewed = 0.0

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> Journal:
        """Open (creating or upgrading) ``<data_dir>/journal.db``.

        ``busy_timeout`` is how long a write waits for another process's transaction.
        Raises :class:`JournalError` when the file is not a journal, is from a newer
        smscli, cannot be created, or its write-ahead log was lost
        (:class:`~smscli.journal_files.JournalLost`). An existing journal in a read-only
        data dir opens read-only (writes then raise JournalError).
        """
        journal = cls._open(data_dir, busy_timeout=busy_timeout)
        assert journal is not None
        return journal

    @classmethod
    def open_for_reading(cls, data_dir: str | os.PathLike[str], *,
                         busy_timeout: float = 30.0) -> Journal | EmptyJournal:
        """The journal for a command that only reads it (``result list``, ``reserve list``,
        ``runs``, ``send --dry-run``). Creates nothing: where there is no journal (or no
        data dir) yet, an :class:`EmptyJournal`. Where the data dir can be written it opens
        as :meth:`open` does; where it cannot, or its disk is full, read-only."""
        from smscli import disk

        path = Path(data_dir)
        if os.access(path, os.W_OK) and not disk.low_space(path):
            try:
                return cls._open(path, busy_timeout=busy_timeout, create=False) or EmptyJournal()
            except JournalError:
                if os.access(path, os.W_OK) and not disk.low_space(path):
                    raise
        return cls._open(path, busy_timeout=busy_timeout, create=False, readonly=True) or EmptyJournal()

    @classmethod
    def _open(cls, data_dir: str | os.PathLike[str], *, busy_timeout: float, create: bool = True,
              readonly: bool = False) -> Journal | None:
        from smscli.journal_files import JournalFiles

        files = JournalFiles.open(data_dir, busy_timeout=busy_timeout, create=create,
                                  readonly=readonly)  # refuses a lost WAL
        if files is None or files.conn is None:
            return None  # no journal (only without ``create``)
        journal = cls(files.conn, files.path, Path(data_dir))
        journal._files = files
        files.watch(journal)  # a journal nobody closes is closed cleanly at exit
        try:
            journal._setup(busy_timeout)
        except BaseException:
            files.close()
            raise
        files.opened()
        return journal

    def _setup(self, busy_timeout: float) -> None:
        import sqlite3

        from smscli import journal_files

        conn = self._conn
        files = self._files
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            files.prepare()  # reads the file; the marker goes down before the first write
            if files.readonly:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA_VERSION:
                    raise journal_files.readonly_error(self.path, version, SCHEMA_VERSION)
                return
            mode = self._switch_to_wal(busy_timeout)
            if str(mode).lower() != "wal":
                raise JournalError(f"journal {self.path}: cannot switch to WAL mode (got {mode})")
            conn.execute(f"PRAGMA synchronous = {journal_files.SYNCHRONOUS}")
            with self._tx() as cur:
                version = cur.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise JournalError(
                        f"journal {self.path} was written by a newer smscli (schema {version}, "
                        f"this one knows {SCHEMA_VERSION})",
                        hint="upgrade smscli, or point SMSCLI_DATA_DIR elsewhere",
                    )
                for step in range(version, SCHEMA_VERSION):
                    cur.executescript_in_tx(_MIGRATIONS[step])  # type: ignore[attr-defined]
                if version < SCHEMA_VERSION:
                    cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def _switch_to_wal(self, busy_timeout: float) -> str:
        """``PRAGMA journal_mode = WAL``. Two processes creating the journal at the same
        moment can get SQLITE_BUSY here without SQLite's busy handler being called, so
        retry (within ``busy_timeout``) rather than fail."""
        import sqlite3
        import time

        deadline = time.monotonic() + busy_timeout
        delay = 0.005
        while True:
            try:
                return str(self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def _error(self, exc: Exception) -> JournalError:
        from smscli import journal_files

        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return journal_files.damaged_error(self.path, text)
        from smscli import disk

        if disk.full(exc, self.data_dir):
            return disk.full_error(f"the journal {self.path}", self.data_dir, JournalError)
        if "readonly" in text:
            return JournalError(
                f"journal {self.path} cannot be written here ({text})",
                hint="this command writes to the journal; make the data dir writable (SMSCLI_DATA_DIR)",
            )
        if "locked" in text or "busy" in text:
            return JournalError(
                f"journal {self.path} is busy ({text})",
                hint="another smscli process holds it; retry",
            )
        return JournalError(f"journal {self.path}: {text}", hint="check disk space and permissions")

    @contextmanager
    def _tx(self) -> Iterator[_Cursor]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back on any exception."""
        import sqlite3

        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from None
            try:
                yield _Cursor(self._conn.cursor())
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError):
                    raise self._error(exc) from None
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        import sqlite3

        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from None

    def close(self) -> None:
        """Release this instance's claims and close the connection (idempotent); the last
        process to close the journal checkpoints it and removes its marker (see
        :mod:`smscli.journal_files`)."""
        with self._lock:
            self.release()
            files = getattr(self, "_files", None)
            if files is None:
                self._conn.close()
            else:
                files.close()

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
        *,
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
        fresh = QUEUED if queued and status == PENDING else status
        with self._tx() as cur:
            known = self._lookup(cur, [m.id for m in msgs])
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
                        if old_status != UNKNOWN:
                            holds.append((now, m.id))
                        continue
                images = _json_list(m.images) if m.images else "[]"
                keys = _json_list(m.file_keys) if m.file_keys else "[]"
                send_at = _iso(m.send_at) if m.send_at is not None else None
                if m.channel is None:
                    kind, content = "text", ""
                else:
                    # never the sender key: the vendor reads it from the profile again
                    kind, content = m.channel.kind, journal_json(m.channel)
                if old is None:
                    inserts.append(
                        (m.id, vendor, profile, m.to, m.type, m.text, m.subject, m.sender, images,
                         keys, send_at, fresh, 1 - held, held, run, me, now, now,
                         kind, content, m.tag, m.name, m.parent, m.ad)
                    )  # fmt: skip
                    continue
                # What may have reached the vendor before stays "maybe sent" (pending).
                again = PENDING if fresh == QUEUED and old[0] in MAYBE_SENT else fresh
                updates.append(
                    (vendor, profile, m.to, m.type, m.text, m.subject, m.sender, images, keys,
                     send_at, again, held, run, me, now, kind, content, m.tag, m.name, m.parent,
                     m.ad, m.id)
                )  # fmt: skip
            if inserts:
                cur.executemany(_INSERT_MESSAGE, inserts)
            if updates:
                cur.executemany(_RECLAIM_MESSAGE, updates)
            if holds:
                cur.executemany(
                    "UPDATE messages SET status = 'unknown', detail = 'handed over earlier; "
                    "no answer was journaled', updated_at = ? WHERE id = ?",
                    holds,
                )
        return previous

    @staticmethod
    def _lookup(cur: _Cursor, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            for mid, status, owner in cur.execute(
                f"SELECT id, status, owner FROM messages WHERE id IN ({marks})", part
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
        rows = [(ACCEPTED if r.status == DUPLICATE else r.status, r.code, r.detail,
                 sids.get(r.message_id, ""), now, r.message_id) for r in todo]  # fmt: skip
        with self._tx() as cur:
            cur.executemany(_RECORD_RESULT, rows)
            self._renew_lease(cur)
            if cur.rowcount != len(todo):
                # Some ids were never claimed (or are final): store the unknown ones.
                known = self._lookup(cur, [r.message_id for r in todo])
                cur.executemany(
                    _INSERT_RESULT,
                    [(r.message_id, r.vendor, r.to, r.type, status, r.code, r.detail, sid, self.owner,
                      stamp, stamp, r.profile, r.tag)
                     for r, (status, _, _, sid, stamp, _) in zip(todo, rows, strict=True)
                     if r.message_id not in known],
                )  # fmt: skip
            self._adopt_early_reports(cur, [(r.message_id, r.vendor, sid)
                                            for r, (_, _, _, sid, _, _) in zip(todo, rows, strict=True) if sid])

    @staticmethod
    def _adopt_early_reports(cur: _Cursor, pairs: list[tuple[str, str, str]]) -> None:
        """Reports that arrived by server id before that id was recorded (a push faster than
        the send's own answer was journaled) now match their message, and settle it."""
        waiting: set[tuple[str, str]] = set()  # (vendor, server id) of reports still unmatched
        for vendor in {v for _, v, _ in pairs}:
            sids = [sid for _, v, sid in pairs if v == vendor]
            for part in _chunks(sids):  # one indexed lookup per chunk, not an UPDATE per message
                marks = ",".join("?" * len(part))
                waiting.update((vendor, row[0]) for row in cur.execute(
                    f"SELECT server_id FROM reports WHERE vendor = ? AND server_id IN ({marks}) "
                    "AND message_id = '' AND matched = 0", [vendor, *part]))
        found = [p for p in pairs if (p[1], p[2]) in waiting]
        if found:
            cur.executemany(_ADOPT_REPORT, found)
            cur.executemany(_SETTLE_FROM_REPORT, [(_now_iso(), mid) for mid, _, _ in found])

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
                "INSERT OR REPLACE INTO owners (token, host, pid, started_at, lease_until) "
                "VALUES (?, ?, ?, ?, ?)",
                (self.owner, socket.gethostname(), os.getpid(), _now_iso(), wall() + LEASE_SECONDS),
            )
        self._lease_renewed = time.monotonic()

    def _renew_lease(self, cur: _Cursor) -> None:
        if self._owner_fd is None or time.monotonic() - self._lease_renewed < LEASE_SECONDS / 3:
            return
        wall = clock.time
        cur.execute("UPDATE owners SET lease_until = ? WHERE token = ?",
                    (wall() + LEASE_SECONDS, self.owner))
        self._lease_renewed = time.monotonic()

    def _alive_owners(self, tokens: Collection[str], cur: _Cursor | None = None) -> set[str]:
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
                if owner_host != host:
                    if lease_until > now:
                        alive.add(token)
                elif _lock_held(self.data_dir / "locks" / f"owner-{token}.lock"):
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
            pass  # the lock below is what other processes test
        with suppress(OSError):
            os.unlink(self.data_dir / "locks" / f"owner-{self.owner}.lock")
        os.close(fd)


    # --- reports ----------------------------------------------------------------------

    def add_reports(self, reports: Sequence[Report]) -> list[Report]:
        """Store delivery reports (one transaction); return those newly stored.

        A report is stored once per (vendor, server id, message id, code): a re-pushed
        report is dropped (and not returned). ``report.extra["server_id"]`` is the vendor's
        message id, and ``extra`` is kept as the raw JSON. A report without a message id
        is matched through the server id. Matched messages become ``delivered``/``failed``;
        reports for unknown ids are still stored and returned with
        ``extra["unmatched"] = "true"``.
        """
        if not reports:
            return []
        from smscli.optout import refused

        now = _now_iso()
        stored: list[Report] = []
        refusals: list[Report] = []
        with self._tx() as cur:
            ids = list({r.message_id for r in reports if r.message_id})
            known: set[str] = set()
            for part in _chunks(ids):
                marks = ",".join("?" * len(part))
                known.update(
                    row[0]
                    for row in cur.execute(f"SELECT id FROM messages WHERE id IN ({marks})", part)
                )
            status_updates: list[tuple[str, ...]] = []
            for report in reports:
                server_id = str(report.extra.get("server_id", ""))
                message_id = report.message_id
                if not message_id and server_id:
                    row = cur.execute(
                        "SELECT id FROM messages WHERE vendor = ? AND server_id = ? AND server_id != ''",
                        (report.vendor, server_id),
                    ).fetchone()
                    if row:
                        message_id = row[0]
                        known.add(message_id)
                        report = replace(report, message_id=message_id)
                matched = message_id in known
                cur.execute(
                    'INSERT OR IGNORE INTO reports (message_id, "to", status, code, detail, vendor, '
                    "delivered_at, server_id, raw, matched, received_at, channel, fallback) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (message_id, report.to, report.status, report.code, report.detail, report.vendor,
                     report.delivered_at, server_id, json.dumps(report.extra, ensure_ascii=False),
                     int(matched), now, report.channel,
                     json.dumps(report.fallback, ensure_ascii=False) if report.fallback else ""),
                )  # fmt: skip
                if cur.rowcount != 1:
                    continue
                if matched:
                    if report.status in (DELIVERED, FAILED):
                        status_updates.append(
                            (report.status, report.code, report.detail, now,
                             report_telecom(report.extra), message_id)
                        )
                    if report.status == FAILED and refused(report.vendor, report.code):
                        refusals.append(report)
                    stored.append(report)
                else:
                    stored.append(replace(report, extra={**report.extra, "unmatched": "true"}))
            if status_updates:
                cur.executemany(
                    "UPDATE messages SET status = ?1, code = ?2, detail = ?3, updated_at = ?4, "
                    "telecom = CASE WHEN ?5 != '' THEN ?5 ELSE telecom END WHERE id = ?6",
                    status_updates,
                )
            if refusals:  # the recipient refused (080): later sends skip the number
                self._suppress_refusals(cur, refusals, now)
        return stored

    @staticmethod
    def _suppress_refusals(cur: _Cursor, reports: list[Report], now: str) -> None:
        """Put the numbers of reports whose code says the recipient refused on the
        opt-out list, the report's vendor and code as the source (smscli.optout)."""
        from smscli.optout import refusal_source
        from smscli.phone import normalize

        rows = []
        for report in reports:
            number = report.to
            if not number:
                found = cur.execute('SELECT "to" FROM messages WHERE id = ?', (report.message_id,)).fetchone()
                number = found[0] if found else ""
            if number:
                rows.append((normalize(number), "", refusal_source(report.vendor, report.code), now))
        cur.executemany(
            "INSERT INTO suppression (phone, deny_no, source, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(phone) DO NOTHING", rows)

    def list_reports(
        self,
        *,
        message_id: str | None = None,
        status: str | Collection[str] | None = None,
        since: datetime | str | None = None,
        vendor: str | None = None,
        limit: int | None = None,
    ) -> list[Report]:
        """Stored reports, oldest first (``since`` compares the time they were received).
        ``extra`` holds the raw vendor fields plus ``server_id``/``received_at``, and
        ``unmatched`` when no message had that id."""
        where, params = _filters(status=status, vendor=vendor)
        if message_id is not None:
            where.append("message_id = ?")
            params.append(message_id)
        if since is not None:
            where.append("received_at >= ?")
            params.append(_iso(since))
        sql = (
            'SELECT message_id, "to", status, code, detail, vendor, delivered_at, server_id, raw, '
            "matched, received_at, channel, fallback FROM reports"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY received_at, rowid"
            + (" LIMIT ?" if limit is not None else "")
        )
        if limit is not None:
            params.append(int(limit))
        out = []
        for row in self._query(sql, params):
            sid, raw, matched, received, channel, fallback = row[7:]
            try:
                extra = {str(k): str(v) for k, v in json.loads(raw).items()}
            except (ValueError, AttributeError):
                extra = {}
            extra.update(server_id=sid, received_at=received)
            if not matched:
                extra["unmatched"] = "true"
            try:
                via = {str(k): str(v) for k, v in json.loads(fallback).items()} if fallback else {}
            except (ValueError, AttributeError):
                via = {}
            out.append(Report(*row[:7], extra=extra, channel=channel or "", fallback=via))
        return out

    # --- reservations -----------------------------------------------------------------

    def due(self, now: datetime, *, profile: str | None = None) -> list[Message]:
        """Reservations held here (from :meth:`schedule`) whose ``send_at`` ≤ ``now``,
        earliest first; pass them to :meth:`claim_scheduled` before sending (a list: for
        big journals :meth:`iter_due` gives them a page at a time)."""
        return [m for page in self.iter_due(now, profile=profile) for m in page]

    def unclaim(self, ids: Sequence[str]) -> int:
        """Forget messages this instance claimed that were never handed to a vendor (the
        run stopped first): new rows still ``queued`` or ``pending`` are deleted, so nothing
        stays pending that was never sent (reclaimed ones keep their state). Returns how
        many were deleted."""
        with self._tx() as cur:
            return _by_ids(cur, "DELETE FROM messages WHERE id IN ({marks}) AND attempts = 1 "
                                "AND (status = 'pending' OR status = 'queued') AND owner = ?",
                           ids, after=[self.owner])

    def reschedule(self, ids: Sequence[str], send_at: datetime | None = None) -> None:
        """Hold messages this instance claimed and never sent as reservations (again), for
        ``send_at`` (the vendor's hours open then) or their own time; ``reserve flush``
        sends them. Messages with an answer meanwhile are left alone."""
        with self._tx() as cur:
            _by_ids(cur, "UPDATE messages SET status = 'scheduled', held = 1, "
                         "send_at = COALESCE(?, send_at), updated_at = ? WHERE id IN ({marks}) "
                         "AND owner = ? AND (status = 'pending' OR status = 'queued')",
                    ids, before=[_iso(send_at), _now_iso()], after=[self.owner])

    def postpone_due(self, now: datetime, send_at: datetime, *, profile: str | None = None) -> int:
        """Move every reservation held here and due by ``now`` to ``send_at`` (the vendor's
        hours open then); returns how many moved."""
        sql = ("UPDATE messages SET send_at = ?, updated_at = ? WHERE status = 'scheduled' "
               "AND held = 1 AND send_at <= ?")
        params: list[Any] = [_iso(send_at), _now_iso(), _iso(now)]
        if profile is not None:
            sql += " AND profile = ?"
            params.append(profile)
        with self._tx() as cur:
            return cur.execute(sql, params).rowcount

    def due_profiles(self, now: datetime) -> list[str]:
        """Profiles that have reservations held here and due by ``now``."""
        rows = self._query(
            "SELECT DISTINCT profile FROM messages WHERE status = 'scheduled' AND held = 1 "
            "AND send_at <= ? ORDER BY profile",
            (_iso(now),),
        )
        return [row[0] for row in rows]

    def claim_scheduled(self, ids: Sequence[str]) -> list[str]:
        """Move held reservations to ``pending`` (attempts + 1) before ``reserve flush``
        sends them; returns the ids moved (one cancelled meanwhile is not)."""
        now = _now_iso()
        moved = []
        with self._tx() as cur:
            for mid in ids:
                cur.execute(
                    "UPDATE messages SET status = 'pending', held = 0, attempts = attempts + 1, "
                    "owner = ?, updated_at = ? WHERE id = ? AND status = 'scheduled' AND held = 1",
                    (self.owner, now, mid),
                )
                if cur.rowcount == 1:
                    moved.append(mid)
        return moved

    def cancel(self, message_id: str) -> dict[str, Any]:
        """Cancel a ``scheduled`` message and return it (as :meth:`get`, now ``cancelled``).

        Its ``held`` is False when the vendor keeps the reservation: cancel it there
        first (``Vendor.cancel(id, server_id)``). Raises ``UsageError`` for an unknown id or
        a message in any other state.
        """
        with self._tx() as cur:
            row = cur.execute("SELECT status FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise UsageError(
                    f"no message {message_id!r} in the journal", hint="see `smscli reserve list`"
                )
            if row[0] != SCHEDULED:
                raise UsageError(
                    f"message {message_id!r} is {row[0]}; only scheduled messages can be cancelled"
                )
            cur.execute(
                "UPDATE messages SET status = 'cancelled', updated_at = ? WHERE id = ?",
                (_now_iso(), message_id),
            )
        found = self.get(message_id)
        assert found is not None
        return found

    # --- reading messages -------------------------------------------------------------

    def get(self, message_id: str) -> dict[str, Any] | None:
        """The stored message as a dict (see :meth:`list_messages`), or None."""
        rows = self._query(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,))
        return _message_dict(rows[0]) if rows else None

    def list_messages(
        self,
        status: str | Collection[str] | None = None,
        since: datetime | str | None = None,
        vendor: str | None = None,
        limit: int | None = None,
        *,
        profile: str | None = None,
    ) -> list[dict[str, Any]]:
        """Messages oldest first, filtered by state(s), creation time ≥ ``since``, vendor,
        profile; at most ``limit`` (the newest ``limit`` when given).

        Each dict has ``id, vendor, profile, to, type, text, subject, sender, images``
        (list), ``file_keys`` (list), ``send_at`` (ISO or None), ``status, code, detail,
        server_id, attempts, held`` (bool: a reservation kept locally), ``created_at,
        updated_at`` (ISO 8601, Korea time).
        """
        where, params = _filters(status=status, vendor=vendor, since=since, profile=profile)
        clause = " WHERE " + " AND ".join(where) if where else ""
        if limit is not None:
            sql = (
                f"SELECT * FROM (SELECT {_MESSAGE_COLUMNS}, rowid AS r FROM messages{clause} "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?) ORDER BY created_at, r"
            )
            params.append(int(limit))
            return [_message_dict(row[:-1]) for row in self._query(sql, params)]
        return list(self.iter_messages(status, since, vendor, profile=profile))

    # --- vendor events: suppression, number changes, tokens ---------------------------

    def add_suppression(self, phone: str, deny_no: str = "", source: str = "") -> None:
        """Remember an opt-out (080 deny list): ``phone`` is never sent to again."""
        from smscli.phone import normalize

        with self._tx() as cur:
            cur.execute(
                "INSERT INTO suppression (phone, deny_no, source, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(phone) DO UPDATE SET deny_no = excluded.deny_no, "
                "source = excluded.source, at = excluded.at",
                (normalize(phone), deny_no, source, _now_iso()),
            )

    def is_suppressed(self, phone: str) -> bool:
        """Whether ``phone`` (any spelling) opted out."""
        from smscli.phone import normalize

        return bool(self._query("SELECT 1 FROM suppression WHERE phone = ?", (normalize(phone),)))

    def suppressed(self, phones: Iterable[str]) -> set[str]:
        """The normalised numbers among ``phones`` that opted out (one query per 500)."""
        from smscli.phone import normalize

        wanted = list({normalize(p) for p in phones})
        found: set[str] = set()
        for part in _chunks(wanted):
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self._query(
                    f"SELECT phone FROM suppression WHERE phone IN ({marks})", part
                )
            )
        return found

    def add_suppressions(self, phones: Iterable[str], source: str, deny_no: str = "") -> list[str]:
        """Put ``phones`` on the opt-out list in one transaction (one already there keeps
        its source and date); returns the normalised numbers that were new."""
        from smscli.phone import normalize

        now = _now_iso()
        added: list[str] = []
        with self._tx() as cur:
            for part in _chunks(list(dict.fromkeys(normalize(p) for p in phones))):
                marks = ",".join("?" * len(part))
                known = {r[0] for r in cur.execute(
                    f"SELECT phone FROM suppression WHERE phone IN ({marks})", part)}
                new = [p for p in part if p not in known]
                cur.executemany("INSERT INTO suppression (phone, deny_no, source, at) VALUES (?, ?, ?, ?)",
                                [(p, deny_no, source, now) for p in new])
                added += new
        return added

    def remove_suppressions(self, phones: Iterable[str]) -> list[str]:
        """Take ``phones`` off the opt-out list; returns the normalised numbers removed."""
        from smscli.phone import normalize

        removed: list[str] = []
        with self._tx() as cur:
            for part in _chunks(list(dict.fromkeys(normalize(p) for p in phones))):
                marks = ",".join("?" * len(part))
                removed += [r[0] for r in cur.execute(
                    f"SELECT phone FROM suppression WHERE phone IN ({marks})", part)]
                cur.execute(f"DELETE FROM suppression WHERE phone IN ({marks})", part)
        return removed

    def iter_suppression(self) -> Iterator[dict[str, str]]:
        """The opt-out list, oldest first, a page at a time: ``phone``, ``deny_no`` (the
        080 number), ``source`` and ``at`` (when it was added)."""
        last = ("", "")
        while True:
            rows = self._query(
                "SELECT phone, deny_no, source, at FROM suppression WHERE (at, phone) > (?, ?) "
                "ORDER BY at, phone LIMIT 1000", last)
            for phone, deny_no, source, at in rows:
                yield {"phone": phone, "deny_no": deny_no, "source": source, "at": at}
            if len(rows) < 1000:
                return
            last = (rows[-1][3], rows[-1][0])

    def add_phone_change(self, phone: str, new_phone: str, server_msg_id: str = "") -> None:
        """Record a number-portability notice (``phone`` now reaches ``new_phone``)."""
        from smscli.phone import normalize

        with self._tx() as cur:
            cur.execute(
                "INSERT INTO phone_changes (phone, new_phone, server_msg_id, at) VALUES (?, ?, ?, ?)",
                (normalize(phone), normalize(new_phone), server_msg_id, _now_iso()),
            )

    def phone_change(self, phone: str) -> str | None:
        """The latest new number recorded for ``phone``, or None."""
        from smscli.phone import normalize

        rows = self._query(
            "SELECT new_phone FROM phone_changes WHERE phone = ? ORDER BY rowid DESC LIMIT 1",
            (normalize(phone),),
        )
        return rows[0][0] if rows else None

    def token_get(self, key: str) -> tuple[str, float] | None:
        """A cached access token and its expiry (Unix seconds); None if absent or expired."""
        rows = self._query("SELECT token, expires_at FROM tokens WHERE key = ?", (key,))
        if not rows or rows[0][1] <= clock.time():
            return None
        return rows[0][0], float(rows[0][1])

    def token_put(self, key: str, token: str, expires_at: float) -> None:
        """Cache an access token (a session token, never a password) until ``expires_at``."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO tokens (key, token, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at",
                (key, token, float(expires_at)),
            )

    def token_delete(self, key: str) -> None:
        """Forget a cached token (after the vendor refused it)."""
        with self._tx() as cur:
            cur.execute("DELETE FROM tokens WHERE key = ?", (key,))

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


class EmptyJournal:
    """What :meth:`Journal.open_for_reading` gives where there is no journal yet: it knows
    no message, run or opt-out, and holds no file."""

    readonly = True

    def list_messages(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return []

    def list_runs(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return []

    def iter_messages(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return iter(())

    def iter_results(self, *args: Any, **kwargs: Any) -> Iterator[tuple[Any, ...]]:
        return iter(())

    def iter_ids(self, *args: Any, **kwargs: Any) -> Iterator[list[str]]:
        return iter(())

    def report_values(self, *args: Any, **kwargs: Any) -> set[str]:
        return set()

    def get(self, message_id: str) -> None:
        return None

    def suppressed(self, phones: Iterable[str]) -> set[str]:
        return set()

    def is_suppressed(self, phone: str) -> bool:
        return False

    def iter_suppression(self) -> Iterator[dict[str, str]]:
        return iter(())

    def close(self) -> None:
        pass


class _Cursor:
    """A cursor inside :meth:`Journal._tx` (adds running a script without committing)."""

    __slots__ = ("_cur",)

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._cur.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self._cur.executemany(sql, rows)

    def executescript_in_tx(self, script: str) -> None:
        # sqlite3's executescript() commits first; run the statements one by one instead.
        for statement in _split_sql(script):
            self._cur.execute(statement)

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount


def _split_sql(script: str) -> list[str]:
    import sqlite3

    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def _filters(
    *, status: str | Collection[str] | None, vendor: str | None,
    since: datetime | str | None = None, profile: str | None = None,
) -> tuple[list[str], list[Any]]:
    """WHERE terms and their parameters: state(s), vendor, created at or after ``since``
    (messages) and profile, each when given."""
    where: list[str] = []
    params: list[Any] = []
    if status is not None:
        states = [status] if isinstance(status, str) else list(status)
        where.append(f"status IN ({','.join('?' * len(states))})")
        params.extend(states)
    if vendor is not None:
        where.append("vendor = ?")
        params.append(vendor)
    if since is not None:
        where.append("created_at >= ?")
        params.append(_iso(since))
    if profile is not None:
        where.append("profile = ?")
        params.append(profile)
    return where, params


def _message_dict(row: Sequence[Any]) -> dict[str, Any]:
    (mid, vendor, profile, to, mtype, text, subject, sender, images, keys, send_at, status, code,
     detail, server_id, attempts, held, created_at, updated_at, delivered_at) = row  # fmt: skip
    return {
        "id": mid, "vendor": vendor, "profile": profile, "to": to, "type": mtype, "text": text,
        "subject": subject, "sender": sender, "images": json.loads(images),
        "file_keys": json.loads(keys), "send_at": send_at, "status": status, "code": code,
        "detail": detail, "server_id": server_id, "attempts": attempts, "held": bool(held),
        "created_at": created_at, "updated_at": updated_at, "delivered_at": delivered_at or "",
    }  # fmt: skip


# --- the send lock --------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _lock_name(profile: str) -> str:
    safe = _SAFE_NAME.sub("_", profile) or "_"
    if safe != profile or safe.startswith("."):
        import hashlib

        safe = f"{safe.lstrip('.')[:40]}-{hashlib.sha256(profile.encode()).hexdigest()[:12]}"
    return f"{safe}.lock"


@contextmanager
def send_lock(
    data_dir: str | os.PathLike[str],
    profile: str,
    *,
    timeout: float | None = None,
    poll_interval: float = 0.05,
    stderr: TextIO | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on ``<data_dir>/locks/<profile>.lock`` (``fcntl.flock``).

    If another process holds it, say once on stderr ``smscli: waiting for another smscli
    process sending on profile X (pid N)...`` and wait; with ``timeout`` (seconds) raise
    :class:`LockTimeout` when it is not free in time. The lock is released on exit, and
    by the OS if the process dies.
    """
    import fcntl

    lock_dir = Path(data_dir) / "locks"
    path = lock_dir / _lock_name(profile)
    try:
        lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _lock_error(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            who = f" (pid {holder})" if holder else ""
            out = stderr or sys.stderr
            out.write(
                f"smscli: waiting for another smscli process sending on profile {profile}{who}...\n"
            )
            out.flush()
            if timeout is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                deadline = time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise LockTimeout(
                                f"another smscli process{who} is still sending on profile "
                                f"{profile} after {timeout:g} s",
                                hint="wait for it to finish, or raise the timeout",
                            ) from None
                        time.sleep(min(poll_interval, left))
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # a full disk (the pid needs a block): nothing was sent yet
            raise _lock_error(path, exc) from None
        try:
            yield
        finally:
            with suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _lock_error(path: Path, exc: OSError) -> JournalError:
    """A lock file that cannot be created or written: a full disk said as such."""
    from smscli import disk

    if disk.full(exc, path.parent):
        return disk.full_error(f"the lock file {path}", path.parent, JournalError)
    return JournalError(f"cannot create the lock file {path}: {exc.strerror or exc}",
                        hint="check the data dir's permissions")


def _lock_held(path: Path) -> bool:
    """Whether some process holds an flock on ``path`` (False when there is no file)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the shared lock we may have got
    return False


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


__all__ = [
    "FINAL",
    "RECLAIMABLE",
    "EmptyJournal",
    "Journal",
    "JournalError",
    "LockTimeout",
    "send_lock",
]
