"""The send pipeline's hand-out to the vendor: :class:`Handout` claims each chunk in the
journal, yields only what is journaled and settles what needs no sending (already
accepted, held by another process, a duplicate, held as unknown) (``smscli.dispatch``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from smscli.models import (
    ACCEPTED,
    DELIVERED,
    DUPLICATE,
    FAILED,
    INVALID,
    SCHEDULED,
    UNKNOWN,
    Message,
    SendResult,
)
from smscli.timeutil import to_iso

if TYPE_CHECKING:
    from smscli.dispatch_results import ResultSink
    from smscli.journal import Journal
    from smscli.vendors.base import Vendor

# What the journal holds for a taken id: recipient, text, vendor, status, run (Journal.recipients_of).
Stored = tuple[str, str, str, str, str]


class Handout:
    """The messages for the vendor, each yielded only after it is journaled; what needs no
    sending (already accepted, held by another process, duplicates, held as unknown) is
    settled here. ``complete`` once every row was handed over or settled."""

    def __init__(self, chunks: Iterable[list[Message | SendResult]], journal: Journal,
                 vendor: Vendor, profile_name: str, sink: ResultSink, *, local_schedule: bool,
                 run_id: str, hold_unsure: bool, stop: threading.Event | None,
                 other_id: Callable[[Message], str | None] | None = None) -> None:
        self.chunks = chunks
        self.journal = journal
        self.vendor_name = vendor.name
        self.profile_name = profile_name
        self.sink = sink
        self.local_schedule = local_schedule
        self.run_id = run_id
        self.hold_unsure = hold_unsure
        # A vendor that cannot de-duplicate: journal "handed over" in small steps just
        # before the messages leave, so a kill leaves the rest known as never sent.
        self.step = 0 if vendor.dedupes or local_schedule else max(1, vendor.handoff_batch)
        self.stop = stop
        # ``--id KEY``: the other id the same message would have had (KEY alone for one
        # recipient, KEY plus the recipient for several), looked up before each claim.
        self.other_id = other_id
        self.complete = False
        self.held = 0
        self.left = 0  # claimed, then given back unsent
        self.hold_at: datetime | None = None  # outside the vendor's hours: the rest is held till then
        self.hold_why = "outside the sending hours"
        self._gen = self._messages()

    def __iter__(self) -> Iterator[Message]:
        return self._gen

    def close(self) -> None:
        self._gen.close()

    def hold_rest(self, opens_at: datetime, unsent: Sequence[Message],
                  why: str = "outside the sending hours") -> None:
        """The vendor takes nothing before ``opens_at`` (``why``): keep what it gave back,
        what was claimed but not handed over, and the rest of the input as reservations for
        then (``reserve flush`` sends them)."""
        self.sink.flush()
        self.hold_at = opens_at
        self.hold_why = why
        self._reschedule(unsent)
        self._gen.close()  # the current chunk's rest is rescheduled on the way out
        self.local_schedule, self.step = True, 0
        for _ in self._messages():
            pass

    def _reschedule(self, messages: Iterable[Message]) -> None:
        msgs = list(messages)
        assert self.hold_at is not None
        self.journal.reschedule([m.id for m in msgs], self.hold_at)
        when = to_iso(self.hold_at)
        for msg in msgs:
            self.sink(SendResult(to=msg.to, status=SCHEDULED, message_id=msg.id,
                                 vendor=self.vendor_name, type=msg.type, code="",
                                 detail=f"{self.hold_why}: held locally until {when}"),
                      record=False)

    def _stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _messages(self) -> Iterator[Message]:
        journal, sink, vendor = self.journal, self.sink, self.vendor_name
        for chunk in self.chunks:
            if self._stopped() and not self.local_schedule:
                self.left += len(chunk)
                return
            batch: list[Message] = []
            for item in chunk:
                if isinstance(item, SendResult):
                    sink(item)
                elif self.hold_at is not None:
                    batch.append(replace(item, send_at=self.hold_at))
                else:
                    batch.append(item)
            if batch and self.other_id is not None:
                batch = self._not_journaled_otherwise(batch)
            if not batch:
                continue
            if self.local_schedule:
                previous = journal.schedule(batch, vendor, self.profile_name, run=self.run_id)
            else:
                previous = journal.claim(batch, vendor, self.profile_name, run=self.run_id,
                                         queued=self.step > 0, hold_unsure=self.hold_unsure)
            sendable = [m for m, prev in zip(batch, previous, strict=True) if _to_send(prev)]
            taken = [m.id for m, prev in zip(batch, previous, strict=True) if _taken(prev)]
            stored = journal.recipients_of(taken) if taken else {}
            not_handed = {m.id: m for m in sendable}
            k = marked = 0  # sendable[k] is the next to go; sendable[:marked] are marked handed
            try:
                for msg, prev in zip(batch, previous, strict=True):
                    if not _to_send(prev):
                        self._settle(msg, prev, stored.get(msg.id))
                        continue
                    if self.local_schedule:
                        not_handed.pop(msg.id, None)
                        when = to_iso(msg.send_at) if msg.send_at else ""  # Korea time, as everywhere
                        sink(SendResult(to=msg.to, status=SCHEDULED, message_id=msg.id,
                                        vendor=vendor, type=msg.type, code="",
                                        detail=f"held locally until {when}"))
                        continue
                    if self._stopped():
                        return
                    if self.step and k >= marked:
                        marked = k + self.step
                        journal.mark_handed([m.id for m in sendable[k:marked]])
                    k += 1
                    not_handed.pop(msg.id, None)
                    yield msg
                not_handed.clear()
            finally:
                if not_handed and self.hold_at is not None:
                    self._reschedule(not_handed.values())
                elif not_handed and not self.local_schedule:
                    journal.unclaim(sorted(not_handed))
                    self.left += len(not_handed)
        self.complete = True

    def _not_journaled_otherwise(self, batch: list[Message]) -> list[Message]:
        """``batch`` less the messages journaled under their other ``--id`` form (the same
        recipient and text): ``--id alert --to A`` and then ``--id alert --to A,B`` send A
        one message. Settled there: a duplicate; handed over without an answer: held
        (another id cannot be de-duplicated by the vendor). Never handed over, or refused:
        sent under this id (a re-run under the other id finds this one the same way)."""
        assert self.other_id is not None
        others = {m.id: other for m in batch if (other := self.other_id(m)) and other != m.id}
        stored = self.journal.recipients_of(sorted(set(others.values()))) if others else {}
        keep = []
        for msg in batch:
            other = others.get(msg.id, "")
            said = under_other_id(msg, other, stored.get(other), self.vendor_name)
            if said is None:
                keep.append(msg)
                continue
            status, detail = said
            if status == UNKNOWN:
                self.held += 1
            self.sink(SendResult(to=msg.to, status=status, message_id=msg.id, vendor=self.vendor_name,
                                 type=msg.type, code="", detail=detail), record=False)
        return keep

    def _settle(self, msg: Message, prev: str | None, stored: Stored | None = None) -> None:
        """Report a message that is not sent, as the claim found it (``stored``: the
        recipient, text, vendor, status and run of the message that holds its id)."""
        from smscli.journal import HELD, OWNED

        def result(status: str, detail: str, *, record: bool = False, counted: str | None = None) -> None:
            self.sink(SendResult(to=msg.to, status=status, message_id=msg.id,
                                 vendor=self.vendor_name, type=msg.type, code="", detail=detail),
                      record=record, counted=counted)

        if prev == HELD:
            self.held += 1
            result(UNKNOWN, HELD_DETAIL, record=True)
        elif prev == OWNED:
            owner = self.journal.owner_of(msg.id) or {}
            who = f" (pid {owner['pid']})" if owner.get("pid") else ""
            result(DUPLICATE, f"being sent by another smscli process{who} under this id")
        else:
            why = "earlier in this input" if prev == DUPLICATE else f"already {prev}"
            status, detail = taken(msg.id, why, other_message(msg, stored, self.vendor_name))
            # settled by an earlier attempt of this run (a resume): the run counts it as
            # that attempt's hand-off went (a report since, delivered or failed, was accepted)
            mine = (status == DUPLICATE and prev != DUPLICATE and stored is not None
                    and stored[4] == self.run_id != "")
            result(status, detail, counted=_HANDED.get(prev, prev) if mine else None)


# A message that may have reached a vendor that cannot tell, without a journaled answer.
HELD_DETAIL = "handed over before without a journaled answer; not sent again (--resend-unknown sends it)"


def taken(message_id: str, why: str, other: str) -> tuple[str, str]:
    """(status, detail) of a message whose id a settled message holds (``why``: where it
    was found), ``other`` how that one differs (:func:`other_message`): an id is one
    message, so another message under it is a mistake, and the same one a duplicate."""
    if other:
        return INVALID, (f"not sent: its id {message_id} is taken by a message {why} {other}; "
                         "give this one an id of its own")
    return DUPLICATE, f"{why} under this id"


def under_other_id(msg: Message, other: str, found: Stored | None, vendor: str) -> tuple[str, str] | None:
    """For ``--id KEY``: (status, detail) of ``msg`` when the id ``other`` (KEY's other form)
    holds the same message, handed over; None when ``msg`` is to be sent under its own id
    (no such message, another one, or one never handed over)."""
    from smscli.journal import MAYBE_SENT, RECLAIMABLE

    if found is None or other_message(msg, found, vendor) or found[3] in RECLAIMABLE - MAYBE_SENT:
        return None
    if found[3] in MAYBE_SENT:
        return UNKNOWN, (f"handed over before under the id {other} without a journaled answer; not sent "
                         f"under this id too (the command that used {other}, with --resend-unknown, sends it)")
    return DUPLICATE, f"already {found[3]} under the id {other} (the same --id, another recipient list)"


# What a report made of an accepted message, as a run counts it: how its hand-off went.
_HANDED = {DELIVERED: ACCEPTED, FAILED: ACCEPTED}


def _taken(prev: str | None) -> bool:
    """Whether a claim found its id taken by a settled message (or one earlier in the
    input), which is then compared with it (:func:`other_message`)."""
    from smscli.journal import HELD, OWNED

    return not _to_send(prev) and prev not in (HELD, OWNED)


def other_message(msg: Message, stored: Stored | None, vendor: str) -> str:
    """How the message holding ``msg``'s id differs from it ("" when it is the same
    message: a re-run, a duplicate row): another recipient, another text, or the sandbox
    (which delivered nothing, so a real send under its id would be lost)."""
    if stored is None:
        return ""
    to, body, by, _, _ = stored
    if to != msg.to:
        return "to another recipient"
    if body != msg.text:
        return "with another text"
    if by == "sandbox" and vendor != "sandbox":
        return "on the sandbox (which delivers nothing)"
    return ""


def _to_send(prev: str | None) -> bool:
    from smscli.journal import RECLAIMABLE

    return prev is None or prev in RECLAIMABLE
