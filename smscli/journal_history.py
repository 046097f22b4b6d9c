"""The journal as a tool: filtered listings, one message's story, counts per group.

:class:`MessageFilter` is what ``result list`` / ``result stats`` / ``Client.messages``
filter by; its terms are plain indexed comparisons (``"to"``, ``tag``, ``id`` ranges,
``created_at``). Listings come in pages by keyset, as in :mod:`smscli.journal_read`;
"the newest N" first finds the N-th newest row's key (one index walk), then streams
forward from it, so memory stays flat for any N. Statistics are one ``GROUP BY``.
Mixed into :class:`smscli.journal.Journal`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from smscli.errors import SmscliError
from smscli.records import record

PAGE = 2000
TELECOM_KEYS = ("telecom", "wapinfo", "tel_info")  # OneShot, Bizppurio, BIZCLIENT report fields
# What `result stats --by` groups on: the SQL expression of each (over `messages`).
GROUPS: dict[str, str] = {
    "status": "status", "code": "code", "type": "type", "vendor": "vendor",
    "telecom": "telecom", "day": "substr(created_at, 1, 10)",
    "hour": "substr(created_at, 1, 13)", "tag": "tag",  # YYYY-MM-DDTHH, shown as YYYY-MM-DD HH:00
}
WAITING = ("queued", "pending", "accepted", "scheduled", "unknown")  # no final answer yet
# `result list`'s columns: the result object's, then what the filters select by.
LIST_FIELDS = ("message_id", "to", "status", "code", "detail", "vendor", "delivered_at",
               "type", "tag", "profile", "created_at")
_FIELD_SQL = {
    "message_id": "id", "to": '"to"', "code": "CAST(code AS TEXT)", "detail": "CAST(detail AS TEXT)",
    "delivered_at": ("COALESCE((SELECT r.delivered_at FROM reports r WHERE r.message_id = messages.id "
                     "ORDER BY r.rowid DESC LIMIT 1), '')"),
}
# Not listed by default: what `result list --json` adds for a Kakao/RCS message (the
# latest report's channel and fallback JSON; "" for plain text or without a report) and
# for a fax / call (its raw report, read for use_page / use_time / sn_result).
_LATEST = "(SELECT r.{0} FROM reports r WHERE r.message_id = messages.id ORDER BY r.rowid DESC LIMIT 1)"
CHANNEL_FIELDS = ("channel", "fallback", "raw")
_FIELD_SQL.update({f: f"CASE WHEN kind = 'text' THEN '' ELSE COALESCE({_LATEST.format(f)}, '') END"
                   for f in ("channel", "fallback")})
# a fax's / call's vendor fields (USE_PAGE, USE_TIME, SN_RESULT) are in its latest raw report
_FIELD_SQL["raw"] = f"CASE WHEN kind IN ('fax', 'voice') THEN COALESCE({_LATEST.format('raw')}, '') ELSE '' END"
FAX_VOICE_EXTRA = ("use_page", "use_time", "sn_result")  # what `result list --json` shows of "raw"
_ID_TOP = "\U0010ffff"  # sorts after every character: [prefix, prefix + _ID_TOP) is a prefix


def list_columns(fields: Sequence[str]) -> str:
    """The SQL (over ``messages``) of ``fields``, names of :data:`LIST_FIELDS`."""
    unknown = [f for f in fields if f not in LIST_FIELDS and f not in CHANNEL_FIELDS]
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    return ", ".join(_FIELD_SQL.get(f, f) for f in fields)


class UnknownMessage(SmscliError):
    """No message with that id (exit 1); the message names the nearest ids."""


def report_telecom(extra: Mapping[str, Any]) -> str:
    """The carrier a report's vendor fields name ("" when none does)."""
    for key in TELECOM_KEYS:
        value = extra.get(key)
        if value:
            return str(value)
    return ""


@record
class MessageFilter:
    """Which messages: every field given narrows the set (``None`` = any). ``since`` and
    ``until`` are ISO 8601 (Korea time, as the journal stores them): ``since`` ≤
    created < ``until``. ``id`` is an exact id, or a prefix when it ends with ``*``."""

    profile: str | None = None
    status: tuple[str, ...] | None = None
    since: str | None = None
    until: str | None = None
    to: str | None = None
    id: str | None = None
    tag: str | None = None
    type: str | None = None
    code: str | None = None
    vendor: str | None = None

    def __init__(self, profile: str | None = None, status: tuple[str, ...] | None = None, since: str | None = None,
                 until: str | None = None, to: str | None = None, id: str | None = None, tag: str | None = None,
                 type: str | None = None, code: str | None = None, vendor: str | None = None) -> None:
        self.__dict__.update(profile=profile, status=status, since=since, until=until, to=to, id=id, tag=tag,
                             type=type, code=code, vendor=vendor)

    @property
    def prefix(self) -> str | None:
        """The id prefix of ``--id PREFIX*`` (None for an exact id or none)."""
        return self.id[:-1] if self.id is not None and self.id.endswith("*") else None

    def terms(self) -> tuple[list[str], list[Any]]:
        """WHERE terms and their parameters."""
        where: list[str] = []
        params: list[Any] = []

        def add(term: str, *values: Any) -> None:
            where.append(term)
            params.extend(values)

        if self.profile is not None:
            add("profile = ?", self.profile)
        if self.status is not None:
            add(f"status IN ({','.join('?' * len(self.status))})", *self.status)
        if self.since is not None:
            add("created_at >= ?", self.since)
        if self.until is not None:
            add("created_at < ?", self.until)
        if self.to is not None:
            add('"to" = ?', self.to)
        if self.prefix is not None:
            add("id >= ? AND id < ?", self.prefix, self.prefix + _ID_TOP)
        elif self.id is not None:
            add("id = ?", self.id)
        if self.tag is not None:
            add("tag = ? AND tag != ''", self.tag)  # the second term lets the partial index serve
        if self.type is not None:
            add("type = ?", self.type)
        if self.code is not None:
            add("code = ?", self.code)
        if self.vendor is not None:
            add("vendor = ?", self.vendor)
        return where, params

    @property
    def key(self) -> tuple[str, ...]:
        """The keyset the listing pages by: ids for an id prefix (a run's ids sort by row),
        else creation time."""
        return ("id",) if self.prefix is not None else ("created_at", "rowid")


def build_filter(*, profile: str | None = None, status: str | Sequence[str] | None = None,
                 since: Any = None, until: Any = None, to: str | None = None,
                 id: str | None = None, tag: str | None = None, type: str | None = None,
                 code: str | None = None, vendor: str | None = None) -> MessageFilter:
    """A :class:`MessageFilter` from what a user gives (CLI flags or library arguments):
    states checked, times as datetimes or ``"1h"``/``"2d"``/``"YYYY-MM-DD HH:MM"``, the
    number normalised. Raises ``UsageError`` (exit 2) naming the option."""
    from smscli.errors import UsageError

    # Each import where its option needs it: a bare listing loads no phone rules (unicodedata),
    # no time parsing and no models (bench/bench_startup.py, tests/test_startup.py).
    states: tuple[str, ...] | None = None
    if status is not None:
        from smscli.models import MESSAGE_STATES

        states = (status,) if isinstance(status, str) else tuple(status)
        for state in states:
            if state not in MESSAGE_STATES:
                raise UsageError(f"--status {state!r} is not a message state",
                                 hint=f"use one of: {', '.join(sorted(MESSAGE_STATES))}")

    def when(value: Any, option: str) -> str | None:
        if value is None:
            return None
        from datetime import datetime

        from smscli import timeutil
        from smscli.journal_base import _iso

        if isinstance(value, datetime):
            return _iso(timeutil.to_kst(value))
        return _iso(timeutil.parse_since(str(value), option=option))

    if type is not None:
        from smscli.content import ALL_TYPES  # here: a list without --type needs no content model

        if type not in ALL_TYPES:
            raise UsageError(f"--type {type!r} is not a message type", hint=f"use one of: {', '.join(ALL_TYPES)}")
    for option, value in (("--to", to), ("--id", id), ("--tag", tag), ("--code", code)):
        if value is not None and not value.strip("* "):
            raise UsageError(f"{option} needs a value")
    if id is not None and "*" in id[:-1]:
        raise UsageError(f"--id {id!r}: '*' may only end a prefix", hint="e.g. --id 'run42*'")
    number = None
    if to is not None:
        from smscli import phone

        number = phone.normalize(to) or to.strip()
    return MessageFilter(profile=profile, status=states, since=when(since, "--since"),
                         until=when(until, "--until"), to=number, id=id, tag=tag, type=type,
                         code=code.strip() if code is not None else None, vendor=vendor)


class HistoryMixin:
    """Filtered listings, stories and statistics (see the module docstring)."""

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError  # Journal provides it

    def count_messages(self, flt: MessageFilter) -> int:
        """How many messages ``flt`` selects."""
        where, params = flt.terms()
        sql = "SELECT COUNT(*) FROM messages" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self._query(sql, params)[0][0])

    def iter_filtered(self, flt: MessageFilter, columns: str, *, newest: int | None = None,
                      page: int = PAGE) -> Iterator[tuple[Any, ...]]:
        """Rows of ``columns`` (SQL over ``messages``) that ``flt`` selects, oldest first
        (by :attr:`MessageFilter.key`); with ``newest``, only the newest that many."""
        for rows in self.iter_pages(flt, columns, newest=newest, page=page):
            yield from rows

    def iter_pages(self, flt: MessageFilter, columns: str, *, newest: int | None = None,
                   page: int = PAGE) -> Iterator[list[tuple[Any, ...]]]:
        """:meth:`iter_filtered` a page (a list of up to ``page`` rows) at a time."""
        from operator import itemgetter

        where, params = flt.terms()
        key = flt.key
        keys = ", ".join(key)
        marks = ", ".join("?" * len(key))
        start: tuple[Any, ...] | None = None
        if newest is not None:
            if newest <= 0:
                return
            desc = ", ".join(f"{k} DESC" for k in key)
            found = self._query(f"SELECT {keys} FROM messages"
                                + (" WHERE " + " AND ".join(where) if where else "")
                                + f" ORDER BY {desc} LIMIT 1 OFFSET ?", [*params, newest - 1])
            start = found[0] if found else None
        last: tuple[Any, ...] | None = None
        strip: Any = None
        n = len(key)
        while True:
            clause, args = list(where), list(params)
            if last is not None:
                clause.append(f"({keys}) > ({marks})")
                args.extend(last)
            elif start is not None:
                clause.append(f"({keys}) >= ({marks})")
                args.extend(start)
            sql = (f"SELECT {columns}, {keys} FROM messages"
                   + (" WHERE " + " AND ".join(clause) if clause else "")
                   + f" ORDER BY {keys} LIMIT ?")
            rows = self._query(sql, [*args, page])
            if rows:
                if strip is None:
                    width = len(rows[0]) - n
                    strip = itemgetter(*range(width)) if width > 1 else (lambda r: r[:1])
                yield list(map(strip, rows))  # the key columns off, in C
            if len(rows) < page:
                return
            last = tuple(rows[-1][-n:])

    def nearest_ids(self, message_id: str, n: int = 5) -> list[str]:
        """Up to ``n`` stored ids next to ``message_id`` in sort order: those sharing the
        longest start with it first, then the closer ones (two primary-key walks)."""
        after = [r[0] for r in self._query("SELECT id FROM messages WHERE id >= ? ORDER BY id LIMIT ?",
                                           (message_id, n))]
        before = [r[0] for r in self._query("SELECT id FROM messages WHERE id < ? ORDER BY id DESC "
                                            "LIMIT ?", (message_id, n))]

        def shared(other: str) -> int:
            size = 0
            for a, b in zip(message_id, other, strict=False):
                if a != b:
                    break
                size += 1
            return size

        ranked = [*enumerate(after), *enumerate(before)]  # (steps away in sort order, id)
        return [other for _, other in sorted(ranked, key=lambda r: (-shared(r[1]), r[0]))][:n]

    def story(self, message_id: str) -> dict[str, Any]:
        """One message's whole story (see :func:`smscli.history.story`); raises
        :class:`UnknownMessage` naming the nearest ids."""
        from smscli.history import story

        return story(self, message_id)

    def has_table(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def stats(self, flt: MessageFilter, by: str = "status") -> list[dict[str, Any]]:
        """Counts per group of the messages ``flt`` selects: ``{by: value, "count",
        "delivered", "failed", "waiting"}`` (``--by code`` adds ``vendor``: codes are a
        vendor's), largest group first (``day``/``hour`` in time order). One ``GROUP BY``
        (group, state) query; what is added up after it is one row per group and state.
        A fallback smscli sent itself (``parent`` set) is not a message of its own here:
        its Kakao/RCS message's row already holds its outcome, as one row does where the
        vendor falls back itself."""
        expr = GROUPS[by]
        where, params = flt.terms()
        where.append("parent = ''")
        heads = ["vendor", expr] if by == "code" else [expr]
        group = ", ".join(heads) if by == "status" else ", ".join([*heads, "status"])
        sql = (f"SELECT {group}, COUNT(*) FROM messages"
               + (" WHERE " + " AND ".join(where) if where else "") + f" GROUP BY {group}")
        names = ["vendor", by] if by == "code" else [by]
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in self._query(sql, params):
            key = tuple(row[:len(heads)])
            status, count = (row[0], row[1]) if by == "status" else (row[len(heads)], row[-1])
            item = groups.get(key)
            if item is None:
                item = groups[key] = {**dict(zip(names, key, strict=True)),
                                      "count": 0, "delivered": 0, "failed": 0, "waiting": 0}
            item["count"] += count
            if status in ("delivered", "failed"):
                item[status] += count
            elif status in WAITING:
                item["waiting"] += count
        out = list(groups.values())
        if by in ("day", "hour"):
            out.sort(key=lambda g: g[by])
        else:
            out.sort(key=lambda g: (-g["count"], *(str(g[n]) for n in names)))
        if by == "hour":
            for g in out:
                g["hour"] = f"{g['hour'][:10]} {g['hour'][11:13]}:00"
        return out
