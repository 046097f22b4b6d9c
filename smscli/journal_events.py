"""Reports, opt-outs, number changes and cached tokens: what vendors tell the journal
besides send results. Mixed into :class:`smscli.journal.Journal`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

from smscli import clock
from smscli.journal_base import Cursor, _chunks, _filters, _iso, _now_iso
from smscli.journal_history import report_telecom
from smscli.models import DELIVERED, FAILED, Report


@cache
def report_json() -> Callable[[Any], str]:
    """``json.dumps(obj, ensure_ascii=False)`` made once (a report, or two, is stored per
    message); json is imported on first use, not by a listing."""
    from smscli.fastjson import encoder

    return encoder()


class EventsMixin:
    """Vendor events (see the module docstring)."""

    # --- reports ----------------------------------------------------------------------

    def add_reports(self, reports: Sequence[Report]) -> list[Report]:
        """Store delivery reports (one transaction); return those newly stored.

        A report is stored once per (vendor, server id, message id, code): a re-pushed
        report is dropped (and not returned). ``report.extra["server_id"]`` is the vendor's
        message id, and ``extra`` is kept as the raw JSON. A report without a message id
        is matched through the server id. Matched messages become ``delivered``/``failed``;
        reports for unknown ids are still stored and returned with
        ``extra["unmatched"] = "true"``.
        """
        if not reports:
            return []
        from smscli.optout import refused

        now = _now_iso()
        dumps = report_json()
        stored: list[Report] = []
        refusals: list[Report] = []
        with self._tx() as cur:
            ids = list({r.message_id for r in reports if r.message_id})
            known: set[str] = set()
            for part in _chunks(ids):
                marks = ",".join("?" * len(part))
                known.update(
                    row[0]
                    for row in cur.execute(f"SELECT id FROM messages WHERE id IN ({marks})", part)
                )
            status_updates: list[tuple[str, ...]] = []
            for report in reports:
                server_id = str(report.extra.get("server_id", ""))
                message_id = report.message_id
                if not message_id and server_id:
                    row = cur.execute(
                        "SELECT id FROM messages WHERE vendor = ? AND server_id = ? AND server_id != ''",
                        (report.vendor, server_id),
                    ).fetchone()
                    if row:
                        message_id = row[0]
                        known.add(message_id)
                        report = replace(report, message_id=message_id)
                matched = message_id in known
                cur.execute(
                    'INSERT INTO reports (message_id, "to", status, code, detail, vendor, '
                    "delivered_at, server_id, raw, matched, received_at, channel, fallback) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (message_id, report.to, report.status, report.code, report.detail, report.vendor,
                     report.delivered_at, server_id, dumps(report.extra),
                     int(matched), now, report.channel,
                     dumps(report.fallback) if report.fallback else ""),
                )  # fmt: skip
                if cur.rowcount != 1:
                    continue
                if matched:
                    if report.status in (DELIVERED, FAILED):
                        status_updates.append(
                            (report.status, report.code, report.detail, now,
                             report_telecom(report.extra), message_id)
                        )
                    if report.status == FAILED and refused(report.vendor, report.code):
                        refusals.append(report)
                    stored.append(report)
                else:
                    stored.append(replace(report, extra={**report.extra, "unmatched": "true"}))
            if status_updates:
                cur.executemany(
                    "UPDATE messages SET status = ?1, code = ?2, detail = ?3, updated_at = ?4, "
                    "telecom = CASE WHEN ?5 != '' THEN ?5 ELSE telecom END WHERE id = ?6",
                    status_updates,
                )
            if refusals:  # the recipient refused (080): later sends skip the number
                self._suppress_refusals(cur, refusals, now)
        return stored

    @staticmethod
    def _suppress_refusals(cur: Cursor, reports: list[Report], now: str) -> None:
        """Put the numbers of reports whose code says the recipient refused on the
        opt-out list, the report's vendor and code as the source (smscli.optout)."""
        from smscli.optout import refusal_source
        from smscli.phone import normalize

        rows = []
        for report in reports:
            number = report.to
            if not number:
                found = cur.execute('SELECT "to" FROM messages WHERE id = ?', (report.message_id,)).fetchone()
                number = found[0] if found else ""
            if number:
                rows.append((normalize(number), "", refusal_source(report.vendor, report.code), now))
        cur.executemany(
            "INSERT INTO suppression (phone, deny_no, source, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(phone) DO NOTHING", rows)

    def list_reports(
        self,
        *,
        message_id: str | None = None,
        status: str | Collection[str] | None = None,
        since: datetime | str | None = None,
        vendor: str | None = None,
        limit: int | None = None,
    ) -> list[Report]:
        """Stored reports, oldest first (``since`` compares the time they were received).
        ``extra`` holds the raw vendor fields plus ``server_id``/``received_at``, and
        ``unmatched`` when no message had that id."""
        import json

        where, params = _filters(status=status, vendor=vendor)
        if message_id is not None:
            where.append("message_id = ?")
            params.append(message_id)
        if since is not None:
            where.append("received_at >= ?")
            params.append(_iso(since))
        sql = (
            'SELECT message_id, "to", status, code, detail, vendor, delivered_at, server_id, raw, '
            "matched, received_at, channel, fallback FROM reports"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY received_at, rowid"
            + (" LIMIT ?" if limit is not None else "")
        )
        if limit is not None:
            params.append(int(limit))
        out = []
        for row in self._query(sql, params):
            sid, raw, matched, received, channel, fallback = row[7:]
            try:
                extra = {str(k): str(v) for k, v in json.loads(raw).items()}
            except (ValueError, AttributeError):
                extra = {}
            extra.update(server_id=sid, received_at=received)
            if not matched:
                extra["unmatched"] = "true"
            try:
                via = {str(k): str(v) for k, v in json.loads(fallback).items()} if fallback else {}
            except (ValueError, AttributeError):
                via = {}
            out.append(Report(*row[:7], extra=extra, channel=channel or "", fallback=via))
        return out

    # --- vendor events: suppression, number changes, tokens ---------------------------

    def add_suppression(self, phone: str, deny_no: str = "", source: str = "") -> None:
        """Remember an opt-out (080 deny list): ``phone`` is never sent to again."""
        from smscli.phone import normalize

        with self._tx() as cur:
            cur.execute(
                "INSERT INTO suppression (phone, deny_no, source, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(phone) DO UPDATE SET deny_no = excluded.deny_no, "
                "source = excluded.source, at = excluded.at",
                (normalize(phone), deny_no, source, _now_iso()),
            )

    def is_suppressed(self, phone: str) -> bool:
        """Whether ``phone`` (any spelling) opted out."""
        from smscli.phone import normalize

        return bool(self._query("SELECT 1 FROM suppression WHERE phone = ?", (normalize(phone),)))

    def suppressed(self, phones: Iterable[str]) -> set[str]:
        """The normalised numbers among ``phones`` that opted out (one query per 500)."""
        from smscli.phone import normalize

        wanted = list({normalize(p) for p in phones})
        found: set[str] = set()
        for part in _chunks(wanted):
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self._query(
                    f"SELECT phone FROM suppression WHERE phone IN ({marks})", part
                )
            )
        return found

    def add_suppressions(self, phones: Iterable[str], source: str, deny_no: str = "") -> list[str]:
        """Put ``phones`` on the opt-out list in one transaction (one already there keeps
        its source and date); returns the normalised numbers that were new."""
        from smscli.phone import normalize

        now = _now_iso()
        added: list[str] = []
        with self._tx() as cur:
            for part in _chunks(list(dict.fromkeys(normalize(p) for p in phones))):
                marks = ",".join("?" * len(part))
                known = {r[0] for r in cur.execute(
                    f"SELECT phone FROM suppression WHERE phone IN ({marks})", part)}
                new = [p for p in part if p not in known]
                cur.executemany("INSERT INTO suppression (phone, deny_no, source, at) VALUES (?, ?, ?, ?) "
                                "ON CONFLICT (phone) DO NOTHING",  # another host, this very moment
                                [(p, deny_no, source, now) for p in new])
                added += new
        return added

    def remove_suppressions(self, phones: Iterable[str]) -> list[str]:
        """Take ``phones`` off the opt-out list; returns the normalised numbers removed."""
        from smscli.phone import normalize

        removed: list[str] = []
        with self._tx() as cur:
            for part in _chunks(list(dict.fromkeys(normalize(p) for p in phones))):
                marks = ",".join("?" * len(part))
                removed += [r[0] for r in cur.execute(
                    f"SELECT phone FROM suppression WHERE phone IN ({marks})", part)]
                cur.execute(f"DELETE FROM suppression WHERE phone IN ({marks})", part)
        return removed

    def iter_suppression(self) -> Iterator[dict[str, str]]:
        """The opt-out list, oldest first, a page at a time: ``phone``, ``deny_no`` (the
        080 number), ``source`` and ``at`` (when it was added)."""
        last = ("", "")
        while True:
            rows = self._query(
                "SELECT phone, deny_no, source, at FROM suppression WHERE (at, phone) > (?, ?) "
                "ORDER BY at, phone LIMIT 1000", last)
            for phone, deny_no, source, at in rows:
                yield {"phone": phone, "deny_no": deny_no, "source": source, "at": at}
            if len(rows) < 1000:
                return
            last = (rows[-1][3], rows[-1][0])

    def add_phone_change(self, phone: str, new_phone: str, server_msg_id: str = "") -> None:
        """Record a number-portability notice (``phone`` now reaches ``new_phone``)."""
        from smscli.phone import normalize

        with self._tx() as cur:
            cur.execute(
                "INSERT INTO phone_changes (phone, new_phone, server_msg_id, at) VALUES (?, ?, ?, ?)",
                (normalize(phone), normalize(new_phone), server_msg_id, _now_iso()),
            )

    def phone_change(self, phone: str) -> str | None:
        """The latest new number recorded for ``phone``, or None."""
        from smscli.phone import normalize

        rows = self._query(
            "SELECT new_phone FROM phone_changes WHERE phone = ? ORDER BY rowid DESC LIMIT 1",
            (normalize(phone),),
        )
        return rows[0][0] if rows else None

    def token_get(self, key: str) -> tuple[str, float] | None:
        """A cached access token and its expiry (Unix seconds); None if absent or expired."""
        rows = self._query("SELECT token, expires_at FROM tokens WHERE key = ?", (key,))
        if not rows or rows[0][1] <= clock.time():
            return None
        return rows[0][0], float(rows[0][1])

    def token_put(self, key: str, token: str, expires_at: float) -> None:
        """Cache an access token (a session token, never a password) until ``expires_at``."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO tokens (key, token, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at",
                (key, token, float(expires_at)),
            )

    def token_delete(self, key: str) -> None:
        """Forget a cached token (after the vendor refused it)."""
        with self._tx() as cur:
            cur.execute("DELETE FROM tokens WHERE key = ?", (key,))
