"""``smscli journal check``: :func:`check` looks at the journal's files without changing
what they hold (integrity, schema, WAL and marker state, counts)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.journal import JOURNAL_FILE
from smscli.journal_file_errors import JournalLost, damaged_error, readonly_error
from smscli.journal_open import JournalFiles

if TYPE_CHECKING:
    import sqlite3

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
