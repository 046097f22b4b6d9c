"""BIZCLIENT: a batch of row dicts into one ``executemany``, as SQLAlchemy would store them.

A driver with positional parameters (SQLite, MySQL) gets the rows as tuples in the
statement's order (the table's), each value through its column type's bind processor,
without SQLAlchemy's per-row parameter processing (three quarters of the cost of an
insert). The statement and the processors are worked out once per table and set of
columns (:class:`Inserter`); values are converted a column at a time, each distinct
object once (a batch's rows share their times). Other drivers get
``conn.execute(table.insert(), rows)``.

:class:`InsertMixin` (mixed into :class:`smscli.vendors.bizclient.BizclientVendor`)
inserts a send's batch in one transaction: a CMID already in BIZ_MSG or in a recent log
is reported, never overwritten; a batch whose commit fails is :class:`CommitLost`.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable
from typing import Any

from smscli.errors import VendorError
from smscli.vendors.bizclient_db import STATUS_WORDS, WAITING, BizDatabase, FinishedLookup, chunks

Processor = Callable[[Any], Any]


class _Plan:
    """The INSERT for one table and set of columns on one dialect."""

    def __init__(self, conn: Any, table: Any, keys: list[str]) -> None:
        dialect = self.dialect = conn.dialect
        self.table = table
        compiled = table.insert().compile(dialect=dialect, column_keys=keys)
        order = list(compiled.positiontup or ())  # the table's column order
        self.direct = bool(compiled.positional) and sorted(order) == sorted(keys)
        self.sql: str = compiled.string
        self.order = order
        self.processors: list[tuple[int, Processor]] = [
            (i, proc) for i, key in enumerate(order)
            if (proc := table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
        self.pick = operator.itemgetter(*order) if len(order) > 1 else None


class Inserter:
    """Inserts batches of rows, keeping each (table, columns) statement for the next batch."""

    def __init__(self) -> None:
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def insert(self, conn: Any, table: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
        """INSERT ``rows`` (their ``keys`` columns, None where a row has none) in one executemany."""
        key = (table.name, tuple(keys))
        plan = self._plans.get(key)
        if plan is None or plan.table is not table or plan.dialect is not conn.dialect:
            plan = self._plans[key] = _Plan(conn, table, keys)
        if not plan.direct:
            conn.execute(table.insert(), [{k: r.get(k) for k in keys} for r in rows])
            return
        order = plan.order
        n = len(order)
        if plan.pick is not None and all(len(r) == n for r in rows):  # every row has every column
            values: list[Any] = list(map(plan.pick, rows))
        else:
            values = [tuple([r.get(k) for k in order]) for r in rows]
        if plan.processors and values:
            columns = list(zip(*values, strict=True))
            for i, proc in plan.processors:
                columns[i] = _converted(columns[i], proc)
            values = list(zip(*columns, strict=True))
        conn.exec_driver_sql(plan.sql, values)


def _converted(column: tuple[Any, ...], proc: Processor) -> list[Any]:
    """``proc`` of each value, called once per distinct object (by identity: equal values
    of different types or time zones may convert differently)."""
    distinct = dict(zip(map(id, column), column, strict=True))
    done = {ident: proc(value) for ident, value in distinct.items()}
    return list(map(done.__getitem__, map(id, column)))


def insert_rows(conn: Any, table: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """One batch through a fresh :class:`Inserter` (callers with many batches keep one)."""
    Inserter().insert(conn, table, keys, rows)


class CommitLost(Exception):
    """The connection failed while committing: the batch may or may not be stored."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class InsertMixin:
    """A batch of rows into BIZ_MSG (see the module docstring)."""

    # -- inserting ---------------------------------------------------------------------

    def _insert(self, db: BizDatabase, conn: Any, finished: FinishedLookup,
                rows: list[dict[str, Any]]) -> dict[str, str]:
        """Insert ``rows`` in one transaction; returns ``{cmid: why}`` for those that were
        already there (BIZ_MSG or a recent log) and so were not inserted."""
        sa = db.sa
        table = db.table(finished.msg)
        finished.before_batch(conn)
        try:
            return self._transaction(db, conn, lambda: self._insert_new(db, conn, table, finished, rows, {}))
        except sa.exc.IntegrityError:
            pass
        for _ in range(5):  # someone else inserted one of our CMIDs meanwhile: look again
            try:
                return self._transaction(db, conn, lambda: self._insert_missing(db, conn, table, finished, rows))
            except sa.exc.IntegrityError:
                continue
        raise VendorError(f"could not queue {len(rows)} messages: their CMIDs keep colliding in {table.name}",
                          hint="another program inserts the same CMIDs; retry the command")

    def _transaction(self, db: BizDatabase, conn: Any, work: Callable[[], dict[str, str]]) -> dict[str, str]:
        sa = db.sa
        trans = db.begin(conn)
        try:
            found = work()
        except BaseException as exc:
            with contextlib.suppress(sa.exc.DBAPIError):
                trans.rollback()
            if isinstance(exc, sa.exc.IntegrityError):
                raise
            if isinstance(exc, sa.exc.DBAPIError):
                raise db.error(exc) from None
            raise
        try:
            trans.commit()
        except sa.exc.DBAPIError as exc:
            raise CommitLost(exc) from None
        return found

    def _insert_missing(self, db: BizDatabase, conn: Any, table: Any, finished: FinishedLookup,
                        rows: list[dict[str, Any]]) -> dict[str, str]:
        sa = db.sa
        ids = [r["CMID"] for r in rows]
        existing = dict(conn.execute(sa.select(table.c.CMID, table.c.STATUS).where(table.c.CMID.in_(ids))).all())
        found = {cmid: f"already queued in {table.name} (STATUS {status}: {STATUS_WORDS.get(status, '?')}); "
                       "not overwritten" for cmid, status in existing.items()}
        new = [r for r in rows if r["CMID"] not in existing]
        return self._insert_new(db, conn, table, finished, new, found)

    def _insert_new(self, db: BizDatabase, conn: Any, table: Any, finished: FinishedLookup,
                    rows: list[dict[str, Any]], found: dict[str, str]) -> dict[str, str]:
        if not rows:
            return found
        sa = db.sa
        first = rows[0].keys()
        if all(map(first.__eq__, map(dict.keys, rows))):  # one shape (the usual case)
            keys = list(first)
        else:  # Kakao and FAX / PHONE rows set more columns
            keys = list(dict.fromkeys(k for row in rows for k in row))
        self._inserter.insert(conn, table, keys, rows)
        # A CMID the agent already finished would be sent twice: take it back out.
        done = finished.find(conn, [r["CMID"] for r in rows])
        if done:
            for part in chunks(sorted(done)):
                conn.execute(sa.delete(table).where(table.c.CMID.in_(part), table.c.STATUS == WAITING))
        return {**found, **done}
