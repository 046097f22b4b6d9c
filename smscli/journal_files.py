"""The journal's files: opening and closing them durably, the lost-WAL guard, the check.

``smscli.journal`` keeps the messages; this module keeps the files they live in honest.
In the data dir:

- ``journal.db``: the SQLite database (WAL mode, ``synchronous = FULL``: every commit
  is fsynced to the write-ahead log before it returns, so a claim is on disk before the
  first byte of its messages goes out).
- ``journal.db-wal``, ``journal.db-shm``: SQLite's write-ahead log and its index. The
  WAL holds committed transactions that are not copied into ``journal.db`` yet.
- ``journal.db-inuse``: the marker. It exists (created and fsynced before a process's
  first write) while a WAL may hold committed data; only the last process to close the
  journal removes it, after a full checkpoint. SQLite opens ``journal.db`` silently when
  the WAL is gone, forgetting what the WAL held, so a marker without a WAL (or without
  ``journal.db``) makes :meth:`JournalFiles.open` refuse with :class:`JournalLost`.
- ``locks/journal.users``: every process with the journal open holds a shared
  ``flock``; a closer that gets it exclusively is the last one.
- ``locks/journal.gate``: held exclusively while a process opens or closes the journal,
  so a check of marker and WAL never sees another process half-way.

A data dir that cannot be written (a read-only mount) is opened read-only: reading
commands work, writing ones fail with a :class:`~smscli.journal.JournalError` naming it.

:func:`check` is ``smscli journal check``: integrity, schema, WAL state, counts.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.journal import JOURNAL_FILE, JournalError

if TYPE_CHECKING:
    import sqlite3

SYNCHRONOUS = "FULL"  # bench/bench_journal_commit.py measures it against NORMAL
MARKER_SUFFIX = "-inuse"
LOCK_DIR = "locks"  # shared with the per-profile send locks (those end in ".lock")
GATE_LOCK = "journal.gate"
USERS_LOCK = "journal.users"

# What a re-run does with messages the journal forgot (CONTRACT: vendors' de-duplication).
RESEND = (
    "OneShot, BizNetShot and BIZCLIENT answer duplicate for messages they had already "
    "accepted, so re-running is safe there; Bizppurio cannot tell and sends them again"
)
_MARKER_TEXT = (
    "smscli: a process opened this journal (pid {pid}, {when}) and has not closed it cleanly.\n"
    "While this file exists, journal.db-wal may hold committed sends that journal.db lacks:\n"
    "never delete journal.db-wal. See `smscli journal check`.\n"
)
_NOT_WRITABLE = {errno.EACCES, errno.EROFS, errno.EPERM}


class JournalLost(JournalError):
    """The marker says a WAL held committed data, and the WAL (or the journal) is gone."""

    def __init__(self, message: str, *, hint: str, kind: str) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind  # "wal": journal.db-wal missing; "journal": journal.db missing


def damaged_error(path: Path, text: str) -> JournalError:
    """The error for a journal SQLite cannot read (not a database, malformed)."""
    return JournalError(
        f"journal {path} is damaged ({text})",
        hint=f"keep it and run `smscli journal check`; if you move {path.name}* aside, "
        "smscli starts an empty journal that knows nothing that was sent, and a re-run sends "
        f"those messages again: {RESEND}",
    )


def lost_error(path: Path, kind: str) -> JournalLost:
    """The refusal for a marker whose WAL (``kind="wal"``) or journal is missing."""
    marker = path.name + MARKER_SUFFIX
    if kind == "wal":
        return JournalLost(
            f"journal {path}: its write-ahead log {path.name}-wal is missing although {marker} "
            "shows the journal was not closed cleanly, so recent sends may be forgotten; "
            "refusing to open it",
            hint=f"put {path.name}-wal back if you have it; see `smscli journal check`. "
            "Using journal.db as it is (`smscli journal check --accept-loss`) or moving it aside "
            f"makes a re-run send those messages again: {RESEND}",
            kind=kind,
        )
    return JournalLost(
        f"journal {path} is missing although {marker} shows one was in use there and not "
        "closed cleanly; refusing to start an empty one",
        hint=f"put {path.name} (and {path.name}-wal) back if you moved them; see `smscli journal "
        "check`. An empty journal knows nothing that was sent, so a re-run sends it again "
        f"(`smscli journal check --accept-loss` starts anew knowingly): {RESEND}",
        kind=kind,
    )


def readonly_error(path: Path, version: int, known: int) -> JournalError:
    """The error for a read-only journal that would need writing (creating, upgrading)."""
    if version > known:
        return JournalError(
            f"journal {path} was written by a newer smscli (schema {version}, this one knows {known})",
            hint="upgrade smscli, or point SMSCLI_DATA_DIR elsewhere",
        )
    return JournalError(
        f"journal {path} is read-only here and needs {'creating' if version == 0 else 'upgrading'} "
        f"(schema {version}, this smscli writes {known})",
        hint="make the data dir writable (SMSCLI_DATA_DIR) and run `smscli journal init`",
    )


class JournalFiles:
    """The files of one open journal: its connection, the two locks, the marker.

    Open with :meth:`open` (the gate is then held), call :meth:`prepare` before the first
    write and :meth:`opened` when set up, and :meth:`close` once (also run by a finalizer
    when the owner is collected or the interpreter exits).
    """

    def __init__(self, data_dir: Path, busy_timeout: float, path: Path | None = None) -> None:
        self.data_dir = data_dir
        self.path = path or data_dir / JOURNAL_FILE  # ``journal_url = sqlite:///PATH``: that file
        self.wal = self.path.with_name(f"{self.path.name}-wal")
        self.marker = self.path.with_name(f"{self.path.name}{MARKER_SUFFIX}")  # beside its WAL
        self.busy_timeout = busy_timeout
        self.readonly = False
        self.others = False  # another process had the journal open when this one opened it
        self.accepted_loss: str | None = None  # "wal"/"journal" when --accept-loss was used
        self.before: dict[str, Any] = {}  # what the files looked like before opening
        self.conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._gate: int | None = None
        self._users: int | None = None
        self._gate_held = False
        self._closed = False
        self._finalizer: Any = None

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        create: bool = True,
        accept_loss: bool = False,
        readonly: bool = False,
        path: Path | None = None,
    ) -> JournalFiles | None:
        """Lock, guard and connect ``<data_dir>/journal.db`` (created when missing and
        ``create``; else None for a missing data dir, and files without ``conn``, locks
        released, for a missing journal). Raises :class:`JournalLost` when the
        marker says committed data was lost (unless ``accept_loss``: then the marker goes
        and ``accepted_loss`` says what was accepted), :class:`JournalError` otherwise.
        ``readonly`` (with ``create`` false): open it read-only even where it could be
        written (a full disk: reading commands still work)."""
        files = cls(Path(data_dir), busy_timeout, path)
        if not files._make_dir(create):
            return None
        files._open_locks()
        files._lock_gate()
        try:
            files._guard(accept_loss)
            if readonly and not create:
                files.readonly = True
                if not files.path.exists():
                    files._release()
                    files._closed = True
                    return files
            elif not files._create(create):
                files._release()
                files._closed = True
                return files  # no journal.db (``conn`` None)
            files.conn = files._connect()
        except BaseException:
            files._release()
            raise
        return files

    def _make_dir(self, create: bool) -> bool:
        if self.data_dir.is_dir():
            return True
        if not create:
            return False
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise JournalError(
                f"cannot create the journal {self.path}: {exc.strerror or exc}",
                hint="check SMSCLI_DATA_DIR and its permissions",
            ) from None
        return True

    def _open_locks(self) -> None:
        lock_dir = self.data_dir / LOCK_DIR
        with contextlib.suppress(OSError):  # a read-only data dir: use the lock files if there
            lock_dir.mkdir(exist_ok=True, mode=0o700)
        self._gate = _open_lock(lock_dir / GATE_LOCK)
        self._users = _open_lock(lock_dir / USERS_LOCK)

    def _lock_gate(self) -> None:
        if self._gate is None:
            return
        if not _flock_within(self._gate, exclusive=True, timeout=self.busy_timeout):
            self._release()
            raise JournalError(
                f"journal {self.path} is busy: another smscli process kept opening or closing it "
                f"for {self.busy_timeout:g} s",
                hint="retry; a stopped (Ctrl-Z) smscli process may hold it",
            )
        self._gate_held = True

    def _guard(self, accept_loss: bool) -> None:
        """Under the gate: join the users, then refuse a journal whose WAL was lost."""
        import fcntl

        if self._users is not None:
            # Alone? (An exclusive attempt, then shared; the gate keeps closers out.)
            try:
                fcntl.flock(self._users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.others = True
            fcntl.flock(self._users, fcntl.LOCK_SH)
        db, wal, marker = _size(self.path), _size(self.wal), _size(self.marker)
        wal_mode = db is not None and _header_says_wal(self.path)
        self.before = {"journal_bytes": db, "wal_bytes": wal, "marker": marker is not None,
                       "wal_mode": wal_mode, "others": self.others}  # fmt: skip
        lost = None
        if marker is not None:
            if db is None:
                lost = "journal"
            elif wal is None and wal_mode:
                lost = "wal"
            # else: a WAL is there, or the journal never reached WAL mode: nothing lost
        if lost is None:
            return
        if not accept_loss:
            raise lost_error(self.path, lost)
        try:
            os.unlink(self.marker)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            raise JournalError(
                f"cannot remove {self.marker}: {exc.strerror or exc}",
                hint="check the data dir's permissions",
            ) from None
        self.accepted_loss = lost

    def _create(self, create: bool) -> bool:
        exists = self.path.exists()
        if not exists and not create:
            return False
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if exists and exc.errno in _NOT_WRITABLE and os.access(self.path, os.R_OK):
                self.readonly = True
                return True
            from smscli import disk

            if disk.full(exc, self.data_dir):
                raise disk.full_error(f"the journal {self.path}", self.data_dir, JournalError) from None
            raise JournalError(
                f"cannot create the journal {self.path}: {exc.strerror or exc}",
                hint="check SMSCLI_DATA_DIR and its permissions",
            ) from None
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        # The file is writable, but SQLite also creates -wal/-shm and we the marker.
        self.readonly = not os.access(self.path.parent, os.W_OK)
        return True

    def _connect(self) -> sqlite3.Connection:
        import sqlite3

        try:
            if not self.readonly:
                return sqlite3.connect(
                    str(self.path), timeout=self.busy_timeout, isolation_level=None,
                    check_same_thread=False,
                )  # fmt: skip
            return self._connect_readonly()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {self.path}: {exc}") from None

    def _connect_readonly(self) -> sqlite3.Connection:
        """``mode=ro``; where SQLite cannot create the WAL index (a read-only dir without
        ``-shm``), ``immutable=1``, which reads journal.db and its WAL as they are."""
        import sqlite3
        from urllib.parse import quote

        base = "file:" + quote(str(self.path))
        conn = sqlite3.connect(
            base + "?mode=ro", uri=True, timeout=self.busy_timeout, isolation_level=None,
            check_same_thread=False,
        )  # fmt: skip
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            # "disk I/O error": a full disk where -shm cannot grow
            if "unable to open" not in str(exc) and "disk I/O error" not in str(exc):
                return conn  # prepare() reports it (damaged, ...)
            conn.close()
        return sqlite3.connect(
            base + "?immutable=1", uri=True, isolation_level=None, check_same_thread=False
        )

    def watch(self, owner: object) -> None:
        """Close these files (checkpoint, marker) when ``owner`` is collected or at exit:
        a journal nobody closed must not leave its marker without its WAL."""
        import weakref

        self._finalizer = weakref.finalize(owner, self.close)

    def prepare(self, *, mark: bool = True) -> None:
        """Read the file (a damaged one raises ``sqlite3.DatabaseError`` here), then, when
        writable and ``mark``, put the marker in place: before anything is written."""
        assert self.conn is not None
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if mark and not self.readonly and not self.marker.exists():
            try:
                fd = os.open(self.marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    from smscli.timeutil import now_kst, to_iso

                    text = _MARKER_TEXT.format(pid=os.getpid(), when=to_iso(now_kst()))
                    os.write(fd, text.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
                _fsync_dir(self.path.parent)
            except OSError as exc:
                from smscli import disk

                if disk.full(exc, self.data_dir):
                    raise disk.full_error(f"the journal's marker {self.marker}", self.data_dir,
                                          JournalError) from None
                raise JournalError(
                    f"cannot write {self.marker}: {exc.strerror or exc}",
                    hint="check disk space and the data dir's permissions",
                ) from None

    def opened(self) -> None:
        """The journal is set up: let other processes open and close it."""
        self._unlock_gate()

    # --- closing ----------------------------------------------------------------------

    def close(self) -> bool:
        """Close the connection. The last process (the users lock is free) checkpoints the
        WAL fully and removes the marker first. Returns whether it did. Idempotent; in a
        forked child it only forgets the parent's files."""
        if self._closed:
            return False
        self._closed = True
        if self._finalizer is not None:
            self._finalizer.detach()
        if os.getpid() != self._pid:
            return False
        cleaned = False
        try:
            if not self._gate_held and self._gate is not None:
                self._gate_held = _flock_within(self._gate, exclusive=True, timeout=self.busy_timeout)
            if self._gate_held and not self.readonly and self.conn is not None:
                cleaned = self._last_close()
        finally:
            try:
                if self.conn is not None:
                    self.conn.close()  # the last connection: SQLite deletes the (empty) WAL
            finally:
                self._release()
        return cleaned

    def _last_close(self) -> bool:
        import fcntl
        import sqlite3

        if self._users is None or not self.marker.exists():
            return False
        try:  # (a failed attempt drops our shared lock: harmless, we are closing)
            fcntl.flock(self._users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # another process has it open: it removes the marker
        assert self.conn is not None
        try:
            busy, log, done = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            return False
        if busy or log != done:
            return False  # some reader not ours kept the WAL: leave the marker
        try:
            os.unlink(self.marker)
            _fsync_dir(self.path.parent)
        except OSError:
            return False
        return True

    def _unlock_gate(self) -> None:
        import fcntl

        if self._gate is not None and self._gate_held:
            fcntl.flock(self._gate, fcntl.LOCK_UN)
        self._gate_held = False

    def _release(self) -> None:
        self._unlock_gate()
        for fd in (self._users, self._gate):
            if fd is not None:
                os.close(fd)  # releases its flock
        self._users = self._gate = None


# --- helpers --------------------------------------------------------------------------


def _open_lock(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        try:
            return os.open(path, os.O_RDONLY)  # flock works on a read-only descriptor
        except OSError:
            return None


def _flock_within(fd: int, *, exclusive: bool, timeout: float) -> bool:
    import fcntl

    op = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, op)
            return True
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None
    except OSError:
        return 0  # there, but not stat-able: treat as present


def _header_says_wal(path: Path) -> bool:
    """Whether journal.db's header is an SQLite header in WAL mode (bytes 18, 19 = 2)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return len(head) == 20 and head.startswith(b"SQLite format 3\0") and head[18] == 2


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory
    finally:
        os.close(fd)


# --- smscli journal check -------------------------------------------------------------

UNANSWERED = ("pending", "unknown")


def check(
    data_dir: str | os.PathLike[str], *, schema_version: int, accept_loss: bool = False,
    busy_timeout: float = 30.0,
) -> dict[str, Any]:
    """Look at the journal without changing what it holds: ``PRAGMA integrity_check``,
    schema version, WAL and marker state, counts per message status, reports and runs.

    Returns a dict; ``status`` is ``ok``, ``absent`` (no journal yet), ``damaged``,
    ``newer`` (a newer smscli's schema) or ``lost`` (WAL or journal missing, see
    :class:`JournalLost`), and for the last three ``error`` holds the JournalError to
    raise. The last process to close it checkpoints its WAL (``checkpointed``), as any
    clean close does. ``accept_loss`` removes the marker of a lost WAL first.
    """
    import sqlite3

    path = Path(data_dir) / JOURNAL_FILE
    report: dict[str, Any] = {"path": str(path), "status": "ok", "schema_known": schema_version}
    from smscli import disk

    try:  # a full disk: read it read-only (a read-write open needs room for journal.db-shm)
        files = JournalFiles.open(
            data_dir, busy_timeout=busy_timeout, create=False, accept_loss=accept_loss,
            readonly=not accept_loss and disk.low_space(data_dir),
        )
    except JournalLost as exc:
        return {**report, "status": "lost", "lost": exc.kind, "error": exc}
    if files is None:
        return {**report, "status": "absent"}
    report.update(files.before, accepted_loss=files.accepted_loss, readonly=files.readonly)
    conn = files.conn
    if conn is None:
        return {**report, "status": "absent"}
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        try:
            files.prepare(mark=False)
            problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        report["integrity"] = problems
        if problems != ["ok"]:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            report.update(status="damaged", error=damaged_error(path, f"{problems[0]}{more}"))
        try:  # what can still be read, even of a damaged journal
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            report["schema"] = version
            report["journal_mode"] = str(conn.execute("PRAGMA journal_mode").fetchone()[0])
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            report.update(_counts(conn, tables))
        except sqlite3.DatabaseError as exc:
            report["unreadable"] = str(exc)
        else:
            if report["status"] == "ok" and version > schema_version:
                report.update(status="newer", error=readonly_error(path, version, schema_version))
    finally:
        files.opened()
        report["checkpointed"] = files.close()
    return report


def _counts(conn: sqlite3.Connection, tables: set[str]) -> dict[str, Any]:
    def count(table: str) -> int | None:
        if table not in tables:
            return None
        return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    out: dict[str, Any] = {"messages": {}, "unanswered": {}}
    if "messages" in tables:
        out["messages"] = {
            status: n
            for status, n in conn.execute(
                "SELECT status, count(*) FROM messages GROUP BY status ORDER BY status"
            )
        }
        for vendor, status, n in conn.execute(
            "SELECT vendor, status, count(*) FROM messages WHERE status IN (?, ?) "
            "GROUP BY vendor, status ORDER BY vendor, status",
            UNANSWERED,
        ):
            out["unanswered"].setdefault(vendor or "?", {})[status] = n
    out["reports"] = count("reports")
    out["runs"] = count("runs")
    out["suppression"] = count("suppression")
    return out


__all__ = [
    "RESEND",
    "SYNCHRONOUS",
    "JournalFiles",
    "JournalLost",
    "check",
    "damaged_error",
    "lost_error",
    "readonly_error",
]
