"""The journal on PostgreSQL: one journal shared by several hosts (``journal_url =
postgresql://user@host:port/db``), with the guarantees the SQLite journal gives on one.

The operations are :class:`~smscli.journal.Journal`'s, written once; this subclass
changes only what must differ:

- the connection (psycopg 3, imported only here; autocommit, each write one explicit
  transaction) and how its failures read: at open, exit 3 (:class:`JournalError`); a
  server that goes away mid-operation, exit 4 (:class:`JournalGone`). No message ever
  names the password.
- the claim: its lookup locks the known rows (``FOR UPDATE``, in id order) and new ids go
  in with one ``INSERT ... SELECT FROM unnest(...) ON CONFLICT (id) DO NOTHING RETURNING``,
  so of two hosts claiming an id at once exactly one gets it; the other sees it ``owned``.
- ``claim_scheduled``: ``FOR UPDATE SKIP LOCKED``, so hosts flushing at once split the due
  reservations instead of queueing on them.
- the send lock: ``pg_try_advisory_lock`` on a dedicated connection (it dies with the host).
- owners: processes with other data dirs on the same host are judged by their lease.
- the schema: :mod:`smscli.journal_pg_schema`, migrated under an advisory lock.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import time
import weakref
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from smscli.errors import ExitStatus, SmscliError
from smscli.journal import Journal
from smscli.journal_base import (
    LEASE_SECONDS,
    JournalError,
    JournalGone,
    JournalUnreachable,
    _chunks,
    _now_iso,
)
from smscli.journal_locks import LockTimeout
from smscli.journal_pg_schema import PG_MIGRATIONS, SCHEMA_TABLE
from smscli.journal_schema import SCHEMA_VERSION
from smscli.journal_sql import JSON_FIELD_PG, pg_params, settle_from_report, to_pg

if TYPE_CHECKING:
    import psycopg

INSTALL = "pip install 'smscli[postgres]'"
CONNECT_TIMEOUT = 10  # seconds to reach the server at open
IDLE_IN_TX = 60  # seconds the server keeps a transaction of ours open with nothing happening
# Server-side TCP keepalives of our sessions: a host that vanishes loses its advisory
# locks within about a minute instead of the kernel's two hours.
_KEEPALIVE = ("SET tcp_keepalives_idle = 20; SET tcp_keepalives_interval = 10; "
              "SET tcp_keepalives_count = 3")
# Rows per unnest statement of the claim and of the results (each array one parameter).
_BATCH_ROWS = 5000
# Statement types of the claim's unnest INSERT, in _INSERT_MESSAGE's column order.
_CLAIM_TYPES = ("text",) * 12 + ("int", "int") + ("text",) * 9 + ("int",)
_CLAIM_COLUMNS = ('id, vendor, profile, "to", type, text, subject, sender, images, file_keys, '
                  "send_at, status, attempts, held, run, owner, created_at, updated_at, "
                  "kind, content, tag, name, parent, ad")
_INSERT_CLAIMS = (
    f"INSERT INTO messages ({_CLAIM_COLUMNS}) SELECT * FROM unnest("
    + ", ".join(f"%b::{t}[]" for t in _CLAIM_TYPES)  # %b: arrays sent binary, 40% faster
    + ") ON CONFLICT (id) DO NOTHING RETURNING id"
)

# _RECORD_RESULT for a whole batch in one statement (the ids distinct), same rules.
_RECORD_RESULTS = (
    "UPDATE messages m SET status = v.status, code = v.code, detail = v.detail, "
    "server_id = CASE WHEN v.sid != '' THEN v.sid ELSE m.server_id END, updated_at = v.at "
    "FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[]) "
    "AS v(status, code, detail, sid, at, id) "
    # the ids again, as an indexed condition on messages: else the planner may hash the table
    "WHERE m.id = ANY(%b::text[]) AND m.id = v.id AND ("
    "m.status IN ('pending', 'unknown', 'rejected', 'queued', 'invalid') "
    "OR v.status IN ('delivered', 'failed') "
    "OR (m.status IN ('accepted', 'scheduled') AND v.status IN ('accepted', 'scheduled')))"
)


# SQLSTATEs: the server shutting down or restarting (the connection is gone with it) ...
_SHUTDOWN = frozenset({"57P01", "57P02", "57P03"})
# ... and waiting too long for a lock another session holds.
_BUSY = frozenset({"55P03", "40P01"})


class DriverMissing(SmscliError):
    """``journal_url`` names PostgreSQL but psycopg is not installed."""

    exit_status = ExitStatus.CONFIG


def safe_url(url: str) -> str:
    """``url`` without its password (and without options): ``postgresql://user@host:port/db``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "postgresql://?"
    user = f"{parts.username}@" if parts.username else ""
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise DriverMissing("journal_url is a PostgreSQL URL, but its driver psycopg is not installed",
                            hint=f"install it: {INSTALL}") from None
    return psycopg


def _first_line(exc: BaseException, *secrets: str | None) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text.removeprefix("connection failed: ").strip()


class PgJournal(Journal):
    """The journal in a PostgreSQL database (the tables of the connection's
    ``search_path`` schema). Open with :meth:`Journal.open` and a postgresql URL."""

    backend = "postgresql"
    _FOR_UPDATE = " ORDER BY id FOR UPDATE"
    # UPDATE OR IGNORE: skip a report whose new key another row already has
    _ADOPT = ("UPDATE reports SET message_id = ?1, matched = 1 WHERE vendor = ?2 AND server_id = ?3 "
              "AND message_id = '' AND matched = 0 AND NOT EXISTS (SELECT 1 FROM reports o "
              "WHERE o.vendor = reports.vendor AND o.server_id = reports.server_id "
              "AND o.message_id = ?1 AND o.code = reports.code)")
    _SETTLE = settle_from_report(JSON_FIELD_PG)
    _JSON_PARAM = ("({col}::jsonb ->> ?1)", "{}")
    _shared = True

    def __init__(self, conn: psycopg.Connection[Any], url: str, password: str | None,
                 data_dir: Path) -> None:
        super().__init__(conn, Path(data_dir), Path(data_dir))  # type: ignore[arg-type]
        self.path = None  # type: ignore[assignment]
        self._url = url
        self._password = password
        self._where = safe_url(url)
        self._schema = self._database = ""
        self._current = [conn]  # the connection in use (a new one after the server came back)
        self._busy_timeout = 30.0
        self._closed = False

    @property
    def location(self) -> str:
        return self._where

    readonly = False

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def connect(cls, data_dir: str | os.PathLike[str], url: str, *, password: str | None,
                create: bool, lease_seconds: float = LEASE_SECONDS,
                busy_timeout: float = 30.0) -> PgJournal | None:
        """Connect and bring the schema to this version (creating it with ``create``;
        without, None where there is no schema yet)."""
        conn = _connect(url, password)
        journal = cls(conn, url, password, Path(data_dir))
        journal.lease_seconds = lease_seconds
        # A journal nobody closes gives up its claims when collected or at exit, so the
        # other hosts need not wait for its lease.
        weakref.finalize(journal, _finish, journal._current, journal.owner, Path(data_dir))
        journal._busy_timeout = busy_timeout
        try:
            journal._session(busy_timeout)
            if not journal._setup_schema(create):
                journal.close()
                return None
        except BaseException:
            journal.close()
            raise
        return journal

    def _session(self, busy_timeout: float) -> None:
        """This session's limits: a row lock is waited for ``busy_timeout`` at most (as
        SQLite's busy timeout), a transaction left idle by a stalled process is ended by
        the server (its locks with it), and a vanished host is noticed (keepalives)."""
        psycopg = _driver()
        try:
            self._conn.execute(f"SET lock_timeout = {max(1, int(busy_timeout * 1000))}; "
                               f"SET idle_in_transaction_session_timeout = {IDLE_IN_TX * 1000}; "
                               + _KEEPALIVE)
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def _setup_schema(self, create: bool) -> bool:
        schema, database = self._query("SELECT current_schema(), current_database()")[0]
        self._schema, self._database = str(schema or ""), str(database)
        if not self._schema:
            raise JournalError(f"journal {self._where}: no schema to create the tables in",
                               hint="check the search_path of the database user")
        if not create and not self._query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_name = 'smscli_schema'"):
            return False
        with self._tx() as cur:
            # One host migrates at a time; the others wait here and then find it done.
            cur.execute("SELECT pg_advisory_xact_lock(?)", (self._key("schema"),))
            cur.execute(SCHEMA_TABLE)
            row = cur.execute("SELECT version FROM smscli_schema").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"journal {self._where} was written by a newer smscli (schema {version}, "
                    f"this one knows {SCHEMA_VERSION})", hint="upgrade smscli on this host")
            if version == SCHEMA_VERSION:
                return True
            if not create and version == 0:
                return False  # an older journal is brought up to date, as on SQLite
            while version < SCHEMA_VERSION:
                version, ddl = PG_MIGRATIONS[version]
                cur.executescript_in_tx(ddl)
            cur.execute("DELETE FROM smscli_schema")
            cur.execute("INSERT INTO smscli_schema (version, updated_at) VALUES (?, ?)",
                        (SCHEMA_VERSION, _now_iso()))
        return True

    def _key(self, *parts: str) -> int:
        """A signed 64-bit advisory-lock key for ``parts`` in this database and schema (the
        same from every host, whatever name it reaches the server by)."""
        name = "\0".join(("smscli", self._database, self._schema, *parts)).encode()
        return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)

    # --- statements -------------------------------------------------------------------

    def _error(self, exc: Exception) -> JournalError:
        text = _first_line(exc, self._password, _url_password(self._url))
        state = str(getattr(exc, "sqlstate", "") or "")
        # Lost: the server said so, or the client did (an OperationalError without a state,
        # e.g. "connection socket closed", raised before psycopg marks the connection closed).
        lost = state.startswith("08") or state in _SHUTDOWN or (not state and isinstance(exc, _driver().OperationalError))
        if self._conn.closed or self._conn.broken or lost:
            if not self._conn.closed:
                self._conn.close()  # so the next operation connects again (_reconnect)
            return JournalGone(f"the journal at {self._where} went away ({text})",
                               hint="nothing more was sent; re-run once the server is back: "
                                    "only what was not accepted is sent")
        if state in _BUSY:
            return JournalError(f"journal {self._where} is busy ({text})",
                                hint="another smscli process holds it; retry")
        return JournalError(f"journal {self._where}: {text}")

    @contextmanager
    def _tx(self) -> Iterator[_PgCursor]:  # type: ignore[override]
        psycopg = _driver()
        with self._lock:
            self._reconnect()
            try:
                with self._conn.transaction():
                    yield _PgCursor(self._conn.cursor())
            except psycopg.Error as exc:
                raise self._error(exc) from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        psycopg = _driver()
        query, numbered = to_pg(sql)
        with self._lock:
            self._reconnect()
            try:
                cur = self._conn.execute(query, pg_params(params, numbered))  # type: ignore[arg-type]
                return cur.fetchall() if cur.description is not None else []
            except psycopg.Error as exc:
                raise self._error(exc) from None

    def _reconnect(self) -> None:
        """After the connection was lost (the operation then raised :class:`JournalGone`),
        the next operation connects again: a ``result listen`` outlives a server restart.
        Still unreachable: JournalGone again."""
        if self._closed or not self._conn.closed:  # psycopg: a lost connection is closed (and broken)
            return
        try:
            conn = _connect(self._url, self._password)
        except JournalError:
            raise JournalGone(f"the journal at {self._where} went away and is not back yet",
                              hint="retry once the server is back") from None
        self._conn = conn
        self._current[:] = [conn]
        self._session(self._busy_timeout)
        if self._owner_fd is not None:  # the lock went with the old session
            self._hold_owner_lock()

    # --- owners: alive while their session holds their advisory lock -------------------

    def _register_owner(self) -> None:
        """As on SQLite, and the session holds an advisory lock named after the owner token
        for its life: a host that is killed or loses its connection lets go of it at once,
        so other hosts take its claims over without waiting for its lease."""
        registered = self._owner_fd is not None
        super()._register_owner()
        if not registered:
            self._hold_owner_lock()

    def _hold_owner_lock(self) -> None:
        with self._lock:
            try:
                self._conn.execute("SELECT pg_advisory_lock(%s)", (self._key("owner", self.owner),))
            except _driver().Error as exc:
                raise self._error(exc) from None

    def _alive_owners(self, tokens: Collection[str], cur: Any = None) -> set[str]:
        """Those the lease (or this host's lock file) says live, less those whose session
        no longer holds their advisory lock (killed, or cut off from the server)."""
        alive = super()._alive_owners(tokens, cur)

        def ask(sql: str, key: int) -> Any:
            [(answer,)] = cur.execute(sql, (key,)).fetchall() if cur is not None else self._query(sql, (key,))
            return answer

        dead: set[str] = set()
        for token in alive - {self.owner}:
            key = self._key("owner", token)
            if ask("SELECT pg_try_advisory_lock(?)", key):  # nobody holds it: that owner is gone
                ask("SELECT pg_advisory_unlock(?)", key)
                dead.add(token)
        return alive - dead

    def close(self) -> None:
        self._closed = True
        with self._lock:
            with suppress(JournalError):
                self.release()
            self._conn.close()

    # --- what differs -----------------------------------------------------------------

    def _insert_claims(self, cur: Any, rows: list[tuple[Any, ...]]) -> list[str]:
        ordered = sorted(rows, key=lambda row: row[0])  # id order: no deadlock between hosts
        taken: set[str] = set()
        for part in _chunks(ordered, _BATCH_ROWS):
            taken.update(mid for (mid,) in cur.raw.execute(_INSERT_CLAIMS, _columns(part)))
        return [row[0] for row in rows if row[0] not in taken]

    def _record_rows(self, cur: Any, rows: list[tuple[Any, ...]]) -> int:
        if len({mid for *_, mid in rows}) != len(rows):
            return super()._record_rows(cur, rows)  # an id twice: in order, one at a time
        return sum(cur.raw.execute(_RECORD_RESULTS, [*columns, columns[-1]]).rowcount
                   for columns in map(_columns, _chunks(rows, _BATCH_ROWS)))

    def claim_scheduled(self, ids: Sequence[str]) -> list[str]:
        """As :meth:`Journal.claim_scheduled`; rows another host is claiming right now are
        skipped (``FOR UPDATE SKIP LOCKED``): that host sends them."""
        now = _now_iso()
        moved: set[str] = set()
        with self._tx() as cur:
            for part in _chunks(list(ids)):
                moved.update(mid for (mid,) in cur.raw.execute(
                    "UPDATE messages SET status = 'pending', held = 0, attempts = attempts + 1, "
                    "owner = %s, updated_at = %s WHERE id IN (SELECT id FROM messages "
                    "WHERE id = ANY(%s) AND status = 'scheduled' AND held = 1 "
                    "ORDER BY id FOR UPDATE SKIP LOCKED) RETURNING id",
                    (self.owner, now, list(part))))
        return [mid for mid in dict.fromkeys(ids) if mid in moved]

    def has_table(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM information_schema.tables WHERE "
                                "table_schema = current_schema() AND table_name = ?", (name,)))

    def columns(self, table: str) -> list[str]:
        rows = self._query("SELECT column_name FROM information_schema.columns WHERE "
                           "table_schema = current_schema() AND table_name = ? "
                           "ORDER BY ordinal_position", (table,))
        return [row[0] for row in rows]

    def check_info(self) -> dict[str, Any]:
        rows = self._query("SELECT version FROM smscli_schema")
        counts = dict(self._query("SELECT status, COUNT(*) FROM messages GROUP BY status"))
        return {"backend": self.backend, "location": self.location, "reachable": True,
                "schema": int(rows[0][0]) if rows else 0, "current": SCHEMA_VERSION,
                "counts": {k: int(v) for k, v in counts.items()},
                "server": self._conn.info.server_version, "search_path": self._schema}

    def send_lock(self, profile: str, *, timeout: float | None = None, poll_interval: float = 0.05,
                  stderr: TextIO | None = None) -> AbstractContextManager[None]:
        """The profile's send lock across every host sharing this journal: a PostgreSQL
        advisory lock held by a connection of its own, so it is released when the process
        (or its host) dies. Waiting, the timeout and :class:`LockTimeout` are as in
        :func:`smscli.journal.send_lock`."""
        return self._advisory_lock(profile, timeout=timeout, poll_interval=poll_interval,
                                   stderr=stderr)

    @contextmanager
    def _advisory_lock(self, profile: str, *, timeout: float | None, poll_interval: float,
                       stderr: TextIO | None) -> Iterator[None]:
        psycopg = _driver()
        key = self._key("send", profile)
        conn = _connect(self._url, self._password)
        try:
            try:
                conn.execute(_KEEPALIVE)
                got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
                if not got:
                    who = _holder(conn, key)
                    out = stderr or sys.stderr
                    out.write(f"smscli: waiting for another smscli process sending on profile "
                              f"{profile}{who}...\n")
                    out.flush()
                    deadline = None if timeout is None else time.monotonic() + timeout
                    while not got:
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            raise LockTimeout(
                                f"another smscli process{who} is still sending on profile "
                                f"{profile} after {timeout:g} s",
                                hint="wait for it to finish, or raise the timeout")
                        time.sleep(poll_interval if left is None else min(poll_interval, left))
                        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
            except psycopg.Error as exc:
                raise self._error(exc) from None
            yield
        finally:
            conn.close()  # releases the lock with the session


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """The columns of equal-length ``rows``: the arrays of an unnest statement."""
    return [list(column) for column in zip(*rows, strict=True)]


def _finish(current: list[Any], owner: str, data_dir: Path) -> None:
    """What :meth:`PgJournal.close` does, for a journal left open: forget its owner row
    (then its lock file) and close the connection (``current[0]``). Quiet: the process is
    ending."""
    conn = current[0]
    if conn.closed:
        return
    try:
        with conn.transaction():
            conn.execute("DELETE FROM owners WHERE token = %s", (owner,))
    except Exception:  # noqa: BLE001  # gone already: its lease ends it
        pass
    else:
        with suppress(OSError):
            os.unlink(data_dir / "locks" / f"owner-{owner}.lock")
    with suppress(Exception):
        conn.close()


def _holder(conn: Any, key: int) -> str:
    """`` (pid N on HOST)`` of the session holding advisory lock ``key``, from its
    application_name ("" when it cannot be told)."""
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.classid::bigint = %s AND l.objid::bigint = %s LIMIT 1",
        ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF)).fetchone()
    name = str(row[0]) if row else ""
    if name.startswith("smscli pid "):
        return f" ({name.removeprefix('smscli ')})"
    return ""


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _connect(url: str, password: str | None) -> psycopg.Connection[Any]:
    """A connection in autocommit mode; JournalError (exit 3), password-free, when the URL
    is bad, the server cannot be reached or refuses us."""
    psycopg = _driver()
    where = safe_url(url)
    extra: dict[str, Any] = {"application_name": f"smscli pid {os.getpid()} on {socket.gethostname()}"[:63],
                             "connect_timeout": CONNECT_TIMEOUT}
    if password is not None:
        extra["password"] = password
    secret = password or _url_password(url)
    try:
        return psycopg.connect(url, autocommit=True, **extra)
    except psycopg.ProgrammingError as exc:
        raise JournalError(f"journal_url {where} is not a valid PostgreSQL URL "
                           f"({_first_line(exc, secret, url)})",
                           hint="use postgresql://user@host:port/db") from None
    except psycopg.Error as exc:
        text = _first_line(exc, secret)
        if "password" in text or "authentication" in text:
            raise JournalError(f"cannot open the journal at {where}: {text}",
                               hint="check the password (journal_password_env, the URL, "
                                    "PGPASSWORD or ~/.pgpass)") from None
        if " does not exist" in text or "permission denied" in text or "no pg_hba.conf" in text:
            raise JournalError(f"cannot open the journal at {where}: {text}",
                               hint="check journal_url's user and database") from None
        raise JournalUnreachable(f"cannot reach the journal at {where}: {text}",
                                 hint="check that the server is running and reachable; "
                                      "nothing was sent") from None


class _PgCursor:
    """A cursor inside :meth:`PgJournal._tx`: takes the journal's SQLite-spelled
    statements (``?`` marks) as :class:`~smscli.journal_sql._Cursor` does."""

    __slots__ = ("raw",)

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self.raw = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        query, numbered = to_pg(sql)
        return self.raw.execute(query, pg_params(params, numbered))  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Any) -> psycopg.Cursor[Any]:
        query, numbered = to_pg(sql)
        self.raw.executemany(query, [pg_params(row, numbered) for row in rows])  # type: ignore[arg-type]
        return self.raw

    def executescript_in_tx(self, script: str) -> None:
        self.raw.execute(script)  # type: ignore[arg-type]  # DDL: no parameters, several statements

    @property
    def rowcount(self) -> int:
        return self.raw.rowcount
