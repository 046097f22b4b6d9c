"""Streaming readers of the journal: rows come in pages, by keyset (the last row's
``(created_at, rowid)`` or ``rowid``), never by OFFSET and never all at once, so
``result list``, ``reserve list``, ``reserve flush`` and ``result poll`` stay flat in
memory whatever the journal's size.

Each page is one short query under the journal's lock; nothing is held between pages,
so a send in another thread (or process) may write meanwhile. Mixed into
:class:`smscli.journal.Journal`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smscli.journal_base import _chunks, _filters, _message_dict, from_json_list
from smscli.journal_sql import _MESSAGE_COLUMNS

if TYPE_CHECKING:
    from smscli.models import Message

PAGE = 2000  # rows per query

RESULT_COLUMNS = ("id", "to", "status", "code", "detail", "vendor", "delivered_at")


class ReadersMixin:
    """Paged readers (see the module docstring)."""

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError  # Journal provides it

    def _query_ids(self, sql: str, ids: Iterable[str], *, after: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` (``{marks}`` stands for the ``IN`` list) for ``ids`` (each
        once), 500 at a time, ``after`` the parameters that follow the list: the reading
        twin of :func:`smscli.journal_base._by_ids`."""
        for part in _chunks(list(dict.fromkeys(ids))):
            yield from self._query(sql.format(marks=",".join("?" * len(part))), [*part, *after])

    def _by_created(self, columns: str, where: list[str], params: list[Any],
                    page: int) -> Iterator[tuple[Any, ...]]:
        """Rows of ``messages`` oldest first (``ORDER BY created_at, rowid``, the
        ``messages_created`` index), one page per query."""
        base = f"SELECT {columns}, created_at, rowid FROM messages"
        last: tuple[str, int] | None = None
        while True:
            clause = list(where)
            args = list(params)
            if last is not None:
                clause.append("(created_at, rowid) > (?, ?)")
                args.extend(last)
            sql = (base + (" WHERE " + " AND ".join(clause) if clause else "")
                   + " ORDER BY created_at, rowid LIMIT ?")
            rows = self._query(sql, [*args, page])
            for row in rows:
                yield row[:-2]
            if len(rows) < page:
                return
            last = (rows[-1][-2], rows[-1][-1])

    def iter_results(self, *, status: str | Collection[str] | None = None,
                     since: datetime | str | None = None, vendor: str | None = None,
                     profile: str | None = None, page: int = PAGE) -> Iterator[tuple[Any, ...]]:
        """``(id, to, status, code, detail, vendor, delivered_at)`` (strings, "" for none)
        of each message, oldest first (the filters as :meth:`Journal.list_messages`), page
        by page."""
        from smscli.journal import _DELIVERED_AT, _filters

        where, params = _filters(status=status, vendor=vendor, since=since, profile=profile)
        return self._by_created(
            f"""id, "to", status, CAST(code AS TEXT), CAST(detail AS TEXT), vendor,
            COALESCE({_DELIVERED_AT}, '')""", where, params, page)

    def iter_messages(self, status: str | Collection[str] | None = None,
                      since: datetime | str | None = None, vendor: str | None = None, *,
                      profile: str | None = None, page: int = PAGE) -> Iterator[dict[str, Any]]:
        """:meth:`Journal.list_messages` (without ``limit``) as an iterator, page by page."""
        from smscli.journal import _MESSAGE_COLUMNS, _filters, _message_dict

        where, params = _filters(status=status, vendor=vendor, since=since, profile=profile)
        for row in self._by_created(_MESSAGE_COLUMNS, where, params, page):
            yield _message_dict(row)

    def report_values(self, vendor: str, field: str, values: Collection[str]) -> set[str]:
        """Which of ``values`` a stored report of ``vendor`` has as its raw field ``field``
        (e.g. Bizppurio's ``msgid``), asked in chunks: nothing of the rest is read into memory."""
        from smscli.journal import _chunks

        found: set[str] = set()
        template, path = self._JSON_PARAM  # type: ignore[attr-defined]
        expr = template.format(col="raw")
        for part in _chunks(list(values)):
            marks = ",".join("?" * len(part))
            found.update(row[0] for row in self._query(
                f"SELECT DISTINCT {expr} FROM reports WHERE vendor = ?2 "
                f"AND {expr} IN ({marks})", [path.format(field), vendor, *part]))
        return found

    def iter_ids(self, status: Collection[str], *, vendor: str | None = None,
                 profile: str | None = None, page: int = PAGE) -> Iterator[list[str]]:
        """The ids of messages in ``status``, a page (a list) at a time, in rowid order."""
        from smscli.journal import _filters

        where, params = _filters(status=status, vendor=vendor, profile=profile)
        last = 0
        while True:
            rows = self._query(
                "SELECT rowid, id FROM messages WHERE " + " AND ".join([*where, "rowid > ?"])
                + " ORDER BY rowid LIMIT ?", [*params, last, page])
            if rows:
                yield [mid for _, mid in rows]
            if len(rows) < page:
                return
            last = rows[-1][0]

    def among(self, ids: Sequence[str], status: Collection[str], *,
              vendor: str | None = None) -> set[str]:
        """Which of ``ids`` are messages in ``status`` (primary-key lookups, 500 at a time)."""
        states = list(status)
        sql = "SELECT id FROM messages WHERE id IN ({marks}) AND status IN (" + ",".join("?" * len(states)) + ")"
        if vendor is not None:
            sql += " AND vendor = ?"
            states.append(vendor)
        return {mid for (mid,) in self._query_ids(sql, ids, after=states)}

    def iter_due(self, now: datetime, *, profile: str | None = None,
                 page: int = PAGE) -> Iterator[list[Message]]:
        """:meth:`Journal.due` a page at a time (earliest first, ``messages_due`` index).
        The keyset is ``(send_at, rowid)``, so a page claimed (or held again) meanwhile is
        not read twice."""
        from smscli import content as content_json
        from smscli.journal import _iso
        from smscli.models import Message
        from smscli.timeutil import KST

        base = ('SELECT id, "to", text, sender, type, subject, images, file_keys, send_at, rowid, '
                "content, tag, name, parent, ad FROM messages WHERE status = 'scheduled' AND held = 1 AND send_at <= ?")
        params: list[Any] = [_iso(now)]
        if profile is not None:
            base += " AND profile = ?"
            params.append(profile)
        last: tuple[str, int] | None = None
        while True:
            sql, args = base, list(params)
            if last is not None:
                sql += " AND (send_at, rowid) > (?, ?)"
                args.extend(last)
            rows = self._query(sql + " ORDER BY send_at, rowid LIMIT ?", [*args, page])
            if rows:
                yield [
                    Message(
                        id=mid, to=to, text=text, sender=sender, type=mtype or "sms",
                        subject=subject,
                        images=tuple(from_json_list(images)),
                        file_keys=tuple(from_json_list(keys)),
                        send_at=datetime.fromisoformat(send_at).astimezone(KST) if send_at else None,
                        channel=content_json.loads(content),  # type: ignore[arg-type]
                        tag=tag, name=name, parent=parent, ad=ad,
                    )
                    for (mid, to, text, sender, mtype, subject, images, keys, send_at, _,
                         content, tag, name, parent, ad) in rows
                ]  # fmt: skip
            if len(rows) < page:
                return
            last = (rows[-1][8], rows[-1][9])

    def recipients_of(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str, str, str]]:
        """For the ids the journal holds: id → (recipient, text, vendor, status, run), as claimed."""
        rows = self._query_ids('SELECT id, "to", text, vendor, status, run FROM messages WHERE id IN ({marks})', ids)
        return {mid: (to, body, vendor, status, run) for mid, to, body, vendor, status, run in rows}

    def get(self, message_id: str) -> dict[str, Any] | None:
        """The stored message as a dict (see :meth:`list_messages`), or None."""
        rows = self._query(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,))
        return _message_dict(rows[0]) if rows else None

    def list_messages(
        self,
        status: str | Collection[str] | None = None,
        since: datetime | str | None = None,
        vendor: str | None = None,
        limit: int | None = None,
        *,
        profile: str | None = None,
    ) -> list[dict[str, Any]]:
        """Messages oldest first, filtered by state(s), creation time ≥ ``since``, vendor,
        profile; at most ``limit`` (the newest ``limit`` when given).

        Each dict has ``id, vendor, profile, to, type, text, subject, sender, images``
        (list), ``file_keys`` (list), ``send_at`` (ISO or None), ``status, code, detail,
        server_id, attempts, held`` (bool: a reservation kept locally), ``created_at,
        updated_at`` (ISO 8601, Korea time).
        """
        where, params = _filters(status=status, vendor=vendor, since=since, profile=profile)
        clause = " WHERE " + " AND ".join(where) if where else ""
        if limit is not None:
            sql = (
                f"SELECT * FROM (SELECT {_MESSAGE_COLUMNS}, rowid AS r FROM messages{clause} "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?) AS newest ORDER BY created_at, r"
            )
            params.append(int(limit))
            return [_message_dict(row[:-1]) for row in self._query(sql, params)]
        return list(self.iter_messages(status, since, vendor, profile=profile))
