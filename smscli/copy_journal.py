"""``smscli journal copy``: every row of one journal into another, SQLite or PostgreSQL.

Streams in pages (memory stays flat), keeps ids (so idempotency keys survive the move)
and is idempotent: a row the target already holds, equal in every column, is skipped, so
a copy run again (or resumed after a kill) adds only what is missing. A message or run
whose id the target holds with *different* content is a conflict: a first pass over the
source finds them all before anything is written, and the copy is refused.

Per table: ``messages`` (with their ``events``, copied in the same transaction as the
message they belong to, replacing the one the target's trigger writes), ``reports``
(keyed as their unique index is), ``suppression``, ``phone_changes``, ``runs``,
``tokens``. ``owners`` (the live processes of the source) is not copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.errors import UsageError

if TYPE_CHECKING:
    from smscli.config_journal import JournalTarget
    from smscli.journal import Journal

PAGE = 500


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]  # what identifies a row (the target is looked up by it)
    page_by: str  # a unique column to page the source by
    conflicts: bool  # a differing row with the same key is refused (else: kept as it is)


TABLES = (
    Table("messages", ("id",), "id", True),
    Table("runs", ("id",), "id", True),
    Table("reports", ("vendor", "server_id", "message_id", "code"), "rowid", False),
    Table("suppression", ("phone",), "phone", False),
    Table("phone_changes", ("phone", "new_phone", "server_msg_id", "at"), "rowid", False),
    Table("tokens", ("key",), "key", False),
)
EVENTS = "events"


class Side:
    """One open journal's rows, read and written through its own statements (``?`` marks
    on both backends)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.location = journal.location
        self.backend = journal.backend
        self._columns: dict[str, list[str]] = {}

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.journal._query(text, params)

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction; yields a cursor (``execute``/``executemany``)."""
        return self.journal._tx()

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            self._columns[table] = self.journal.columns(table)
        return self._columns[table]


def _q(column: str) -> str:
    return f'"{column}"'


def _where_keys(table: Table, count: int) -> str:
    one = "(" + " AND ".join(f"{_q(k)} = ?" for k in table.key) + ")"
    return " OR ".join([one] * count)


@dataclass
class Counts:
    copied: int = 0
    present: int = 0
    kept: int = 0  # differing rows of tables where the target's row stays (no conflict)


class Copier:
    """Copy ``source`` into ``target`` (two :class:`Side` objects, same schema version)."""

    def __init__(self, source: Side, target: Side, page: int = PAGE) -> None:
        self.source = source
        self.target = target
        self.page = page

    def pages(self, table: Table, cols: list[str]) -> Iterator[list[tuple[Any, ...]]]:
        """The source's rows of ``table``, a page at a time, in ``page_by`` order."""
        select = ", ".join(_q(c) for c in cols)
        order = table.page_by
        last: Any = None
        while True:
            where = "" if last is None else f"WHERE {_q(order)} > ?"
            if order == "rowid":
                sql = f"SELECT {select}, rowid FROM {table.name} {where} ORDER BY rowid LIMIT {self.page}"
            else:
                sql = f"SELECT {select} FROM {table.name} {where} ORDER BY {_q(order)} LIMIT {self.page}"
            rows = self.source.query(sql, () if last is None else (last,))
            if not rows:
                return
            if order == "rowid":
                last = rows[-1][-1]
                rows = [r[:-1] for r in rows]
            else:
                last = rows[-1][cols.index(order)]
            yield rows
            if len(rows) < self.page:
                return

    def existing(self, table: Table, cols: list[str], rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        """The target's rows with the keys of ``rows``, by key."""
        idx = [cols.index(k) for k in table.key]
        found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        select = ", ".join(_q(c) for c in cols)
        for start in range(0, len(rows), 100):
            chunk = rows[start:start + 100]
            params = [row[i] for row in chunk for i in idx]
            for hit in self.target.query(f"SELECT {select} FROM {table.name} WHERE {_where_keys(table, len(chunk))}", params):
                found[tuple(hit[i] for i in idx)] = tuple(hit)
        return found

    def conflicts(self, limit: int = 5) -> list[str]:
        """First pass: the ids the target holds with other content (none: safe to copy)."""
        found: list[str] = []
        for table in TABLES:
            if not table.conflicts:
                continue
            cols = self._shared(table.name)
            idx = [cols.index(k) for k in table.key]
            for rows in self.pages(table, cols):
                there = self.existing(table, cols, rows)
                for row in rows:
                    key = tuple(row[i] for i in idx)
                    other = there.get(key)
                    if other is not None and not _same(other, tuple(row)):
                        diff = [c for c, a, b in zip(cols, row, other, strict=True) if not _equal(a, b)]
                        found.append(f"{table.name} {key[0]} ({', '.join(diff[:4])} differ)")
                        if len(found) >= limit:
                            return found
        return found

    def copy(self, progress: Callable[[str, Counts], None] | None = None) -> dict[str, Counts]:
        """Second pass: insert what the target lacks, a page per transaction."""
        result: dict[str, Counts] = {}
        for table in TABLES:
            counts = result.setdefault(table.name, Counts())
            cols = self._shared(table.name)
            idx = [cols.index(k) for k in table.key]
            insert = (
                f"INSERT INTO {table.name} ({', '.join(_q(c) for c in cols)}) "
                f"VALUES ({', '.join('?' for _ in cols)})")
            for rows in self.pages(table, cols):
                there = self.existing(table, cols, rows)
                new = []
                for row in rows:
                    other = there.get(tuple(row[i] for i in idx))
                    if other is None:
                        new.append(row)
                    elif _same(other, tuple(row)):
                        counts.present += 1
                    elif table.conflicts:  # written since the first pass
                        raise conflict_error(self.target.location, [f"{table.name} {row[idx[0]]}"],
                                             partly=True)
                    else:
                        counts.kept += 1
                if new:
                    with self.target.transaction() as cur:
                        cur.executemany(insert, new)
                        if table.name == "messages":
                            self._copy_events(cur, [row[idx[0]] for row in new])
                    counts.copied += len(new)
                if progress is not None:
                    progress(table.name, counts)
        return result

    def _copy_events(self, cur: Any, ids: list[Any]) -> None:
        """The source's events of the messages just inserted, in place of the ones the
        target's insert trigger wrote."""
        cols = self._shared(EVENTS)
        marks = ", ".join("?" for _ in ids)
        cur.execute(f"DELETE FROM {EVENTS} WHERE message_id IN ({marks})", ids)
        select = ", ".join(_q(c) for c in cols)
        rows = self.source.query(
            f"SELECT {select} FROM {EVENTS} WHERE message_id IN ({marks}) ORDER BY rowid", ids)
        if rows:
            cur.executemany((
                f"INSERT INTO {EVENTS} ({select}) VALUES ({', '.join('?' for _ in cols)})"), rows)

    def _shared(self, table: str) -> list[str]:
        """The columns both journals have (``rowid`` excluded: the target numbers its own)."""
        theirs = set(self.target.columns(table))
        return [c for c in self.source.columns(table) if c in theirs and c != "rowid"]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) < 1e-6
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))


def conflict_error(location: str, found: list[str], *, partly: bool = False) -> UsageError:
    done = ("what was copied before it stays; the copy stopped there" if partly
            else "nothing was copied")
    return UsageError(
        f"journal {location} already holds other rows under the same ids: "
        + "; ".join(found) + ("; ..." if len(found) >= 5 else "") + f" ({done})",
        hint="copy into an empty journal, or into the one this journal was copied from",
    )


@contextmanager
def side(target: JournalTarget, data_dir: Path) -> Iterator[Side]:
    """The journal ``target`` names, opened (created or upgraded) for a copy."""
    with target.open(data_dir) as journal:
        yield Side(journal)


@contextmanager
def source_side(target: JournalTarget, data_dir: Path) -> Iterator[Side]:
    """The journal to copy from: it must exist (nothing is created); a UsageError if not."""
    from smscli.journal import EmptyJournal

    journal = target.open_for_reading(data_dir)
    if isinstance(journal, EmptyJournal):
        raise UsageError(f"no journal at {target.location}: nothing to copy",
                         hint="nothing was written; a sqlite:///PATH URL names the file itself")
    with journal:
        yield Side(journal)
