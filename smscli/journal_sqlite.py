"""The SQLite side of :class:`smscli.journal.Journal`: opening the file (through
:mod:`smscli.journal_open`), WAL mode and the schema's migrations, ``BEGIN IMMEDIATE``
transactions, and what SQLite's errors mean. :mod:`smscli.journal_pg` is the other side."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.journal_base import JournalError
from smscli.journal_schema import _MIGRATIONS, SCHEMA_VERSION
from smscli.journal_sql import _Cursor

if TYPE_CHECKING:
    import sqlite3

    from smscli.journal_open import JournalFiles


class SqliteMixin:
    """The SQLite backend's connection handling (see the module docstring)."""

    _conn: sqlite3.Connection
    _files: JournalFiles
    _lock: Any
    path: Path
    data_dir: Path
    backend: str

    _deferred: float | None = None  # opened for reading: the busy timeout of the setup still to do

    @classmethod
    def _open(cls, data_dir: str | os.PathLike[str], *, busy_timeout: float, create: bool = True,
              readonly: bool = False, path: Path | None = None, reading: bool = False) -> Any:
        """The journal of ``data_dir`` (None: there is none and not ``create``). ``reading``:
        for a command that only reads, the writer's setup (marker, WAL switch, a write
        transaction for the version) is left to the first write (:meth:`_tx`) when the file
        is already in WAL mode at the current schema."""
        from smscli.journal_open import JournalFiles

        files = JournalFiles.open(data_dir, busy_timeout=busy_timeout, create=create,
                                  readonly=readonly, path=path)  # refuses a lost WAL
        if files is None or files.conn is None:
            return None  # no journal (only without ``create``)
        journal = cls(files.conn, files.path, Path(data_dir))
        journal._files = files
        files.watch(journal)  # a journal nobody closes is closed cleanly at exit
        try:
            journal._setup(busy_timeout, reading=reading)
        except BaseException:
            files.close()
            raise
        files.opened()
        return journal

    @property
    def location(self) -> str:
        """Where the journal is, without any secret: its file, or the server's URL."""
        return str(self.path)

    def check_info(self) -> dict[str, Any]:
        """What ``journal check`` says of any backend: ``backend``, ``location``,
        ``reachable``, ``schema`` (its version), ``current`` (the version this smscli
        writes) and ``counts`` (messages per status)."""
        version = self._query("PRAGMA user_version")[0][0]
        counts = dict(self._query("SELECT status, COUNT(*) FROM messages GROUP BY status"))
        return {"backend": self.backend, "location": self.location, "reachable": True,
                "schema": version, "current": SCHEMA_VERSION, "counts": counts}

    def columns(self, table: str) -> list[str]:
        """The column names of one of the journal's tables, in their order."""
        return [row[1] for row in self._query(f"PRAGMA table_info({table})")]

    def _setup(self, busy_timeout: float, *, reading: bool = False) -> None:
        import sqlite3

        from smscli import journal_file_errors, journal_open

        conn = self._conn
        files = self._files
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if reading and not files.readonly and files.before.get("wal_mode"):
                # A read needs no marker (nothing is written), no WAL switch (the header says
                # WAL) and no write transaction: the version read is enough. The last closer
                # still checkpoints and removes a marker another process left (journal_open).
                files.prepare(mark=False)  # reads the file: a damaged one raises here
                if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                    self._deferred = busy_timeout
                    return
            files.prepare()  # reads the file; the marker goes down before the first write
            if files.readonly:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA_VERSION:
                    raise journal_file_errors.readonly_error(self.path, version, SCHEMA_VERSION)
                return
            mode = self._switch_to_wal(busy_timeout)
            if str(mode).lower() != "wal":
                raise JournalError(f"journal {self.path}: cannot switch to WAL mode (got {mode})")
            conn.execute(f"PRAGMA synchronous = {journal_open.SYNCHRONOUS}")
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
        from smscli import journal_file_errors

        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return journal_file_errors.damaged_error(self.path, text)
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
            if self._deferred is not None:  # opened for reading, now written: set up first
                busy_timeout, self._deferred = self._deferred, None  # (_setup's own _tx)
                try:
                    self._setup(busy_timeout)
                except BaseException:
                    self._deferred = busy_timeout  # not set up: the next write tries again
                    raise
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
            self.release()  # type: ignore[attr-defined]  # OwnersMixin's
            files = getattr(self, "_files", None)
            if files is None:
                self._conn.close()
            else:
                files.close()
