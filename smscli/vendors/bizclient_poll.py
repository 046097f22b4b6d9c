"""BIZCLIENT results: ``poll`` reads the results of the journal's unfinished messages
from BIZ_MSG and this and last month's log tables (a page of journal ids at a time; a
log without a CMID index is read once, in one streamed pass), ``collect`` those of given
ids, and ``send --wait`` waits for its own. Each finished row becomes a report through
``bizclient_results``. Mixed into :class:`smscli.vendors.bizclient.BizclientVendor`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from smscli.models import ACCEPTED, PENDING, SCHEDULED, UNKNOWN, Report
from smscli.vendors.base import OnReports
from smscli.vendors.bizclient_db import FINISHED, IN_CHUNK, BizDatabase, chunks, recent_log_names
from smscli.vendors.bizclient_results import report_from_row

UNFINISHED = (PENDING, ACCEPTED, SCHEDULED, UNKNOWN)  # journal states that may still get a result
PAGE = 5000  # unfinished ids read from the journal per page by ``poll``

PendingIds = Callable[[], Iterable[str]]


class PollMixin:
    """``poll``, ``collect`` and the wait of ``send --wait`` (see the module docstring)."""

    # -- results -------------------------------------------------------------------------

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        """Report every unfinished message whose row is finished (STATUS 2/3 in BIZ_MSG, or
        moved to this or last month's log). The agent needs no acknowledgement: ``confirm``
        changes nothing. Reports are handed over 1000 at a time.

        With the journal, the unfinished ids come a page at a time and each page is looked
        up by CMID (the key of BIZ_MSG, indexed in the agent's logs) and reported before the
        next is read: memory stays flat for any journal. A log without an index on CMID is
        read once, at the end, and its rows matched against the journal (by its key)."""
        journal = self.events if hasattr(self.events, "iter_ids") and self.pending_ids is None else None
        if journal is None:
            ids = self._pending()
            for part in chunks(self.collect(ids)):
                on_reports(list(part))
            return
        db, conn, _names, msg = self._open()
        try:
            unindexed: list[str] = []
            for page in journal.iter_ids(UNFINISHED, vendor=self.journal_vendor, profile=self.profile.name,
                                         page=PAGE):
                for part in chunks(self._collect(db, conn, msg, page, unindexed=unindexed)):
                    on_reports(list(part))
            for real in dict.fromkeys(unindexed):
                self._scan_log(db, conn, real, journal, on_reports)
        except db.sa.exc.DBAPIError as exc:
            raise db.error(exc) from None
        finally:
            conn.close()

    def _scan_log(self, db: BizDatabase, conn: Any, real: str, journal: Any, on_reports: OnReports) -> None:
        """One streamed pass over a log table without a CMID index: its rows whose CMID is
        unfinished in the journal are reported, 1000 at a time (each batch is stored before
        the next is matched, so a CMID listed twice is reported once)."""
        log = db.table(real, log=True)
        stmt = db.sa.select(*[log.c[name] for name in self._read_columns])
        rows = conn.execution_options(stream_results=True, yield_per=5000).execute(stmt)
        batch: list[Any] = []

        def match() -> None:
            wanted = journal.among([row.CMID for row in batch], UNFINISHED, vendor=self.journal_vendor)
            found: dict[str, Report] = {}
            for row in batch:
                if row.CMID in wanted and row.CMID not in found:
                    found[row.CMID] = report_from_row(row, real)
            if found:
                on_reports(list(found.values()))
            batch.clear()

        for row in rows:
            batch.append(row)
            if len(batch) >= IN_CHUNK:
                match()
        if batch:
            match()

    def _pending(self) -> list[str] | None:
        if self.pending_ids is not None:
            return list(self.pending_ids())
        lister = getattr(self.events, "list_messages", None)
        if lister is None:
            return None
        rows = lister(status=list(UNFINISHED), vendor=self.journal_vendor)
        return [r["id"] for r in rows if r.get("profile") in (None, self.profile.name)]

    def collect(self, ids: Sequence[str] | None) -> list[Report]:
        """The reports for ``ids`` that are finished (each once), or with ``ids`` None, the
        finished rows still in BIZ_MSG."""
        db, conn, _names, msg = self._open()
        try:
            return self._collect(db, conn, msg, ids)
        except db.sa.exc.DBAPIError as exc:
            raise db.error(exc) from None
        finally:
            conn.close()

    def _collect(self, db: BizDatabase, conn: Any, msg: str, ids: Sequence[str] | None, *,
                 unindexed: list[str] | None = None) -> list[Report]:
        """``unindexed``: a list to which the logs without a CMID index are added (they are
        left to the caller) instead of being read here."""
        sa = db.sa
        table = db.table(msg)
        cols = [table.c[name] for name in self._read_columns]
        reports: dict[str, Report] = {}
        if ids is None:
            for row in conn.execute(sa.select(*cols).where(table.c.STATUS.in_(FINISHED))):
                reports.setdefault(row.CMID, report_from_row(row, msg))
            return list(reports.values())
        wanted = list(dict.fromkeys(ids))
        # BIZ_MSG first, then the logs: a row the agent moves meanwhile is found in the log.
        for part in chunks(wanted):
            for row in conn.execute(sa.select(*cols).where(table.c.CMID.in_(part), table.c.STATUS.in_(FINISHED))):
                reports.setdefault(row.CMID, report_from_row(row, msg))
        remaining = set(wanted) - reports.keys()
        names = db.names(conn)
        for log_name in recent_log_names():
            real = names.log(log_name)
            if real is None or not remaining:
                continue
            if unindexed is not None and not self._indexed(db, conn, real):
                unindexed.append(real)
                continue
            log = db.table(real, log=True)
            log_cols = [log.c[name] for name in self._read_columns]
            if len(remaining) <= IN_CHUNK or self._indexed(db, conn, real):
                rows: Iterable[Any] = (row for part in chunks(sorted(remaining))
                                       for row in conn.execute(sa.select(*log_cols).where(log.c.CMID.in_(part))))
            else:  # no index on CMID: one pass over the table beats a scan per 1000 ids
                rows = conn.execution_options(stream_results=True, yield_per=5000).execute(sa.select(*log_cols))
            for row in rows:
                if row.CMID in remaining:
                    remaining.discard(row.CMID)
                    reports[row.CMID] = report_from_row(row, real)
        order = {cmid: i for i, cmid in enumerate(wanted)}
        return sorted(reports.values(), key=lambda r: order[r.message_id])

    def _indexed(self, db: BizDatabase, conn: Any, real: str) -> bool:
        if real not in self._log_indexed:
            self._log_indexed[real] = db.has_cmid_index(conn, real)
        return self._log_indexed[real]

    def _wait_reports(self, ids: list[str], on_reports: OnReports, wait: float) -> None:
        deadline = time.monotonic() + wait
        remaining = list(ids)
        while remaining:
            reports = self.collect(remaining)
            if reports:
                on_reports(reports)
                done = {r.message_id for r in reports}
                remaining = [i for i in remaining if i not in done]
            left = deadline - time.monotonic()
            if not remaining or left <= 0 or self.stop_requested():
                return
            time.sleep(min(self.poll_interval, left, 0.5))
