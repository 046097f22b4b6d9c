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

This module is the entry and re-exports the names of :mod:`smscli.journal_open`
(:class:`JournalFiles`), :mod:`smscli.journal_file_errors` (the refusals),
:mod:`smscli.journal_check` (:func:`check`); :mod:`smscli.journal_fileutil` holds the
file helpers.
"""


from smscli.journal_check import UNANSWERED, check
from smscli.journal_file_errors import (
    MARKER_SUFFIX,
    RESEND,
    JournalLost,
    damaged_error,
    lost_error,
    readonly_error,
)
from smscli.journal_open import GATE_LOCK, LOCK_DIR, SYNCHRONOUS, USERS_LOCK, JournalFiles

__all__ = [
    "GATE_LOCK",
    "LOCK_DIR",
    "MARKER_SUFFIX",
    "RESEND",
    "SYNCHRONOUS",
    "UNANSWERED",
    "USERS_LOCK",
    "JournalFiles",
    "JournalLost",
    "check",
    "damaged_error",
    "lost_error",
    "readonly_error",
]
