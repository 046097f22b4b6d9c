"""The journal's SQL where one statement serves both backends, and the little that makes
it run on PostgreSQL too.

The statements are written once, in SQLite's spelling with ``?`` / ``?N`` parameters;
:func:`to_pg` rewrites only the parameter marks (``?`` → ``%s``, ``?N`` → ``%(pN)s``;
a ``?`` in quoted text is left alone) and doubles every literal ``%``. The few statements whose meaning needs
another spelling (triggers, ``UPDATE OR IGNORE``, JSON fields, the schema) are written twice
(:mod:`smscli.journal_pg`), rather than a translator guessing at everything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

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
# A report's raw vendor field as text: SQLite's JSON function, PostgreSQL's jsonb operator.
JSON_FIELD_SQLITE = "json_extract({col}, '$.{key}')"
JSON_FIELD_PG = "({col}::jsonb ->> '{key}')"


def settle_from_report(json_field: str = JSON_FIELD_SQLITE) -> str:
    """The statement that settles a message from its latest final report (``?1`` the
    time, ``?2`` its id), with ``json_field`` reading the raw report's fields."""
    telecom = ", ".join(f"NULLIF({json_field.format(col='r.raw', key=k)}, '')"
                        for k in ("telecom", "wapinfo", "tel_info"))
    return (
        "UPDATE messages SET (status, code, detail, updated_at, telecom) = ("
        f"SELECT r.status, r.code, r.detail, ?1, COALESCE({telecom}, messages.telecom) "
        "FROM reports r WHERE r.message_id = messages.id "
        "AND r.status IN ('delivered', 'failed') ORDER BY r.rowid DESC LIMIT 1) "
        "WHERE id = ?2 AND EXISTS (SELECT 1 FROM reports r WHERE r.message_id = messages.id "
        "AND r.status IN ('delivered', 'failed'))"
    )


_SETTLE_FROM_REPORT = settle_from_report()
_INSERT_RESULT = (
    'INSERT INTO messages (id, vendor, "to", type, status, code, detail, server_id, '
    "owner, created_at, updated_at, profile, tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)



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



_TOKEN = r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d*)|%"  # compiled on first use (re's cache), not at import


@functools.lru_cache(maxsize=512)
def to_pg(sql: str) -> tuple[str, bool]:
    """``sql`` with PostgreSQL's (psycopg's) parameter marks; the flag says they are
    numbered (pass the parameters as a mapping, :func:`pg_params`). As in SQLite, a plain
    ``?`` among numbered ones is the number after the largest so far."""
    numbered = any(m.group(1) for m in re.finditer(_TOKEN, sql) if m.group(0).startswith("?"))
    highest = 0

    def mark(match: re.Match[str]) -> str:
        nonlocal highest
        token = match.group(0)
        if token == "%":
            return "%%"
        if not token.startswith("?"):
            return token.replace("%", "%%")  # quoted: no marks in it, but psycopg reads every %
        if not numbered:
            return "%s"
        highest = max(highest, int(match.group(1))) if match.group(1) else highest + 1
        return f"%(p{highest if not match.group(1) else int(match.group(1))})s"

    return re.sub(_TOKEN, mark, sql), numbered


def pg_params(params: Sequence[Any], numbered: bool) -> Sequence[Any] | dict[str, Any]:
    """The parameters as psycopg wants them for a statement :func:`to_pg` rewrote."""
    if not numbered:
        return params
    return {f"p{i}": value for i, value in enumerate(params, 1)}
