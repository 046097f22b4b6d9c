"""smscli's own fallback (대체 발송) for vendors that have no field for it (OneShot and the
sandbox: ``Vendor.falls_back`` False).

When a report says a Kakao/RCS message failed and the message carries a fallback
(``channel.fallback``, a rendered :class:`~smscli.content.Text`), smscli sends that text
once, as its own journaled message: id :func:`smscli.ids.fallback_id` of the parent's,
``Message.parent`` the parent's id, the parent's recipient, sender, tag and name. Whether
it is sent is the journal's to say, never a guess: :meth:`Journal.fallbacks_owed` lists
failed parents without a settled fallback and :meth:`Journal.claim` decides for each
(new, or unsettled: send; settled, or held by another live process: not). So a re-run, a
second ``result poll``, or a report that arrives twice never sends one twice, and a crash
between the report and the send leaves it owed, sent by the next run or poll.

When the fallback's own report arrives, the parent gets a report too: its status, with
``channel`` the fallback's type and ``fallback`` ``{"type", "status"}`` (also when the
vendor refuses the fallback: failed, status ``rejected``).

Used wherever reports arrive: the send pipeline (``--wait`` and the reports pushed while
sending, :mod:`smscli.dispatch`) and ``result poll`` (:meth:`smscli.client.Client.poll`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from smscli.ids import fallback_id
from smscli.journal_fallback import UNSETTLED
from smscli.models import DELIVERED, FAILED, QUEUED, REJECTED, Message, Report, SendResult

if TYPE_CHECKING:
    from smscli.journal import Journal
    from smscli.vendors.base import OnReports, Vendor

RECORD_EVERY = 1000  # results journaled in one transaction
PAGE = 10_000  # owed fallbacks read, claimed and sent at a time (one connection each)


def applies(vendor: Vendor) -> bool:
    """Whether smscli falls back for ``vendor``: it carries Kakao or RCS and has no
    fallback field of its own."""
    carries = getattr(vendor, "carries", frozenset({"text"}))
    return bool({"kakao", "rcs"} & set(carries)) and not getattr(vendor, "falls_back", True)


def fallback_message(parent: Sequence[Any], text: dict[str, Any]) -> Message | None:
    """The fallback of a journaled parent (a row of :meth:`Journal.fallbacks_owed`), from
    the fallback's part of its content JSON (a :class:`~smscli.content.Text` as
    :func:`smscli.content.to_json` writes it); None when that is not a text of a known
    type (not content smscli wrote: nothing to fall back to)."""
    mid, to, sender, _content, tag, name = parent[:6]
    kind, mtype, body = text.get("kind", "text"), text.get("type"), text.get("body")
    if kind != "text" or not isinstance(mtype, str) or mtype == "auto" or not isinstance(body, str):
        return None
    return Message(id=fallback_id(mid), to=to, text=body, sender=sender, type=mtype,
                   subject=text.get("subject", ""), images=tuple(map(str, text.get("images", ()))),
                   tag=tag, name=name, parent=mid)


def refused_report(parent: str, result: SendResult) -> Report:
    """The parent's report when the vendor refused its fallback: failed, with the
    fallback's type and ``rejected``."""
    return Report(message_id=parent, to=result.to, status=FAILED, code=result.code,
                  detail=result.detail, vendor=result.vendor,
                  extra={"server_id": "", "fallback_id": result.message_id}, channel=result.type,
                  fallback={"type": result.type, "status": REJECTED})


class Fallback:
    """smscli's fallback for one vendor and profile, over one journal."""

    def __init__(self, journal: Journal, vendor: Vendor, profile: str) -> None:
        self.journal = journal
        self.vendor = vendor
        self.profile = profile
        self.sent = 0  # fallbacks handed to the vendor by this instance
        # The page being sent (or last sent): fallback id -> (parent id, fallback type), so
        # that its reports find their parents without asking the journal (both never change).
        self._page: dict[str, tuple[str, str]] = {}

    @classmethod
    def for_vendor(cls, journal: Journal, vendor: Vendor, profile: str) -> Fallback | None:
        """A Fallback when smscli falls back for ``vendor`` (:func:`applies`), else None."""
        return cls(journal, vendor, profile) if applies(vendor) else None

    def parent_of(self, message_id: str) -> tuple[str, str] | None:
        """(parent id, fallback type) of a fallback of the page being sent, else None."""
        return self._page.get(message_id)

    # --- reports ------------------------------------------------------------------

    def expand(self, reports: Sequence[Report]) -> list[Report]:
        """``reports`` and, after them, a report for the parent of each final report of a
        fallback (its status, ``channel``, ``fallback``), to be stored in the same
        transaction. A re-pushed report derives the same parent report, which the journal
        drops as it drops the re-push (one per vendor, server id, message id and code)."""
        final = [r for r in reports if r.message_id and r.status in (DELIVERED, FAILED)]
        if not final:
            return list(reports)
        page = self._page
        unknown = [r.message_id for r in final if r.message_id not in page]
        parents = self.journal.parents_of(unknown) if unknown else {}
        derived = []
        for rep in final:
            hit = page.get(rep.message_id) or parents.get(rep.message_id)
            if hit is None:
                continue
            parent, kind = hit
            derived.append(Report(
                message_id=parent, to=rep.to, status=rep.status, code=rep.code, detail=rep.detail,
                vendor=rep.vendor, delivered_at=rep.delivered_at,
                extra={"server_id": str(rep.extra.get("server_id", "")), "fallback_id": rep.message_id},
                channel=kind, fallback={"type": kind, "status": rep.status}))
        return [*reports, *derived]

    def store(self, reports: Sequence[Report]) -> list[Report]:
        """Store ``reports`` and what they derive; return every newly stored report."""
        return self.journal.add_reports(self.expand(reports))

    # --- sending ------------------------------------------------------------------

    def owed(self, *, after: int = 0, limit: int | None = None) -> tuple[list[Message], int]:
        """A page (``limit``, default :data:`PAGE`) of the fallbacks the journal says are
        owed (not yet settled), and the row to go on after (0: that was the last page)."""
        limit = limit or PAGE
        out = []
        rows = self.journal.fallbacks_owed(self.profile, after=after, limit=limit)
        for row in rows:
            try:  # only the fallback's part of the channel's JSON (smscli.content.dumps)
                message = fallback_message(row, json.loads(row[3])["fallback"])
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # not content we wrote: nothing to fall back to
            if message is not None:
                out.append(message)
        return out, (rows[-1][-1] if len(rows) == limit else 0)

    def send(self, *, wait: float = 0.0, on_reports: OnReports | None = None,
             on_result: Callable[[SendResult], None] | None = None) -> int:
        """Send every owed fallback the journal's claim allows (results journaled, not
        shown), a page at a time (flat memory); ``on_reports`` stores reports pushed
        meanwhile (default :meth:`store`). Returns how many were handed to the vendor."""
        total, after = 0, 0
        while not self.vendor.stop_requested():
            messages, after = self.owed(after=after)
            handed, closed = self._send_page(messages, wait=wait, on_reports=on_reports, on_result=on_result)
            total += handed
            if not after or closed:
                break
        self.sent += total
        return total

    def _send_page(self, messages: list[Message], *, wait: float, on_reports: OnReports | None,
                   on_result: Callable[[SendResult], None] | None) -> tuple[int, bool]:
        """Claim and send one page: (how many were handed over, whether the vendor
        closed for its sending hours)."""
        from smscli.vendors.base import OutsideHours

        if not messages:
            return 0, False
        previous = self.journal.claim(messages, self.vendor.name, self.profile)
        todo = [m for m, prev in zip(messages, previous, strict=True) if prev is None or prev in UNSETTLED]
        if not todo:
            return 0, False
        results: list[SendResult] = []
        unsent: list[str] = []
        back = [0]  # given back unsent, in all

        def take(result: SendResult) -> None:
            if result.status == QUEUED:
                unsent.append(result.message_id)
                back[0] += 1
            else:
                results.append(result)
                if on_result is not None:
                    on_result(result)
            if len(results) >= RECORD_EVERY:
                flush()

        self._page = {m.id: (m.parent, m.type) for m in todo}

        def flush() -> None:
            if results:
                server_ids = {r.message_id: r.server_id for r in results if r.server_id}
                self.journal.record(results, server_ids or None)
                refused = [refused_report(self._page[r.message_id][0], r) for r in results
                           if r.status == REJECTED and r.message_id in self._page]
                if refused:  # the parent's story ends there: it says so
                    (on_reports or self.store)(refused)
                results.clear()
            if unsent:
                self.journal.unclaim(unsent)
                unsent.clear()

        def stored(reports: list[Report]) -> None:
            flush()  # answers before the reports that settle them
            if on_reports is not None:
                on_reports(reports)
            else:
                self.store(reports)

        closed = False
        try:
            self.vendor.send(iter(todo), take, on_reports=stored, wait=wait)
        except OutsideHours as hours:  # still owed: the next run or poll sends them
            unsent.extend(m.id for m in hours.unsent)
            back[0] += len(hours.unsent)
            closed = True
        finally:
            flush()
        return len(todo) - back[0], closed
