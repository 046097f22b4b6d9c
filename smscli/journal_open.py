"""Opening and closing the journal's files: :class:`JournalFiles` (its connection, the
gate and users locks, the marker; read-only where the data dir cannot be written).
See :mod:`smscli.journal_files` for the files and what each one means."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.journal import JOURNAL_FILE, JournalError
from smscli.journal_file_errors import MARKER_SUFFIX, lost_error
from smscli.journal_fileutil import (
    file_size,
    flock_within,
    fsync_dir,
    header_says_wal,
    open_lock,
)

if TYPE_CHECKING:
    import sqlite3

SYNCHRONOUS = "FULL"  # bench/bench_journal_commit.py measures it against NORMAL
LOCK_DIR = "locks"  # shared with the per-profile send locks (those end in ".lock")
GATE_LOCK = "journal.gate"
USERS_LOCK = "journal.users"
_MARKER_TEXT = (
    "smscli: a process opened this journal (pid {pid}, {when}) and has not closed it cleanly.\n"
    "While this file exists, journal.db-wal may hold committed sends that journal.db lacks:\n"
    "never delete journal.db-wal. See `smscli journal check`.\n"
)
_NOT_WRITABLE = {errno.EACCES, errno.EROFS, errno.EPERM}


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
        self._gate = open_lock(lock_dir / GATE_LOCK)
        self._users = open_lock(lock_dir / USERS_LOCK)

    def _lock_gate(self) -> None:
        if self._gate is None:
            return
        if not flock_within(self._gate, exclusive=True, timeout=self.busy_timeout):
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
        db, wal, marker = file_size(self.path), file_size(self.wal), file_size(self.marker)
        wal_mode = db is not None and header_says_wal(self.path)
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
            fsync_dir(self.path.parent)
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
                fsync_dir(self.path.parent)
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
                self._gate_held = flock_within(self._gate, exclusive=True, timeout=self.busy_timeout)
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
            fsync_dir(self.path.parent)
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
