"""BIZCLIENT: a batch of row dicts into one ``executemany``, as SQLAlchemy would store them.

A driver with positional parameters (SQLite, MySQL) gets the rows as tuples in the
statement's order (the table's), each value through its column type's bind processor,
without SQLAlchemy's per-row parameter processing (three quarters of the cost of an
insert). The statement and the processors are worked out once per table and set of
columns (:class:`Inserter`); values are converted a column at a time, each distinct
object once (a batch's rows share their times). Other drivers get
``conn.execute(table.insert(), rows)``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

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
