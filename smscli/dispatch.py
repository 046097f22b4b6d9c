"""The send pipeline: input rows → validated Messages → journal → vendor → results.

Every message is committed to the journal (``pending``) before it is handed to the
vendor, in chunks pulled lazily, so memory stays flat for a million rows and a crash
at any point leaves a journal from which a re-run sends each message exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smscli import ids, phone, text
from smscli.errors import ExitStatus, UsageError
from smscli.models import (
    DUPLICATE,
    INVALID,
    OK_STATUSES,
    SCHEDULED,
    Message,
    Report,
    SendResult,
)

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.journal import Journal
    from smscli.recipients import Row
    from smscli.vendors.base import Vendor

CLAIM_CHUNK = 500  # messages journaled per transaction before they are handed out
RECORD_EVERY = 0.2  # seconds between journal commits of results
# A message id the journal knows in one of these states is not sent again.
NOT_AGAIN = frozenset({"accepted", "delivered", "failed", "scheduled", "cancelled", DUPLICATE})


@dataclass(frozen=True)
class SendOptions:
    template: str
    sender: str
    subject: str = ""
    type: str = "auto"
    images: tuple[Path, ...] = ()
    id_key: str | None = None
    single_recipient: bool = False  # --id KEY used as is (else KEY plus the recipient)
    send_at: datetime | None = None
    dry_run: bool = False
    wait: float = 0.0
    allow_unicode: bool = False
    ignore_optout: bool = False


@dataclass
class Summary:
    """Counts per status; decides the exit code."""

    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)  # warnings for the user, said once

    def add(self, status: str) -> None:
        self.counts[status] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def exit_status(self) -> ExitStatus:
        bad = sum(n for s, n in self.counts.items() if s not in OK_STATUSES and s != "valid")
        return ExitStatus.REJECTED if bad else ExitStatus.OK

    def line(self, verb: str = "sent") -> str:
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items(), key=lambda kv: -kv[1]))
        secs = time.monotonic() - self.started
        return f"{verb} {self.total}: {parts or 'nothing'} ({secs:.1f} s)"


class Prepared:
    """Turns an input row into a Message or an ``invalid`` result (no I/O)."""

    def __init__(self, opts: SendOptions, vendor_name: str, limits) -> None:
        self.opts = opts
        self.vendor_name = vendor_name
        self.limits = limits
        self.template = text.compile_template(opts.template)
        self.over_sms = 0  # messages past the SMS size (the server decides their type)

    def __call__(self, row: Row) -> Message | SendResult:
        to = row.phone or ""
        mid = ""
        try:
            mid = self._message_id(row)
            if row.error:
                raise text.InvalidInput(row.error)
            to = phone.validate_recipient(to)
            body = self.template.render(row.vars)
            mtype = self.choose_type(body)
            if self.limits.server_decides_type and text.byte_length(body) > self.limits.sms_bytes:
                self.over_sms += 1
        except text.InvalidInput as exc:
            return SendResult(to=to, status=INVALID, message_id=mid, vendor=self.vendor_name,
                              type="", code="", detail=str(exc))
        return Message(
            id=mid,
            to=to,
            text=body,
            sender=self.opts.sender,
            type=mtype,  # type: ignore[arg-type]
            subject=self.opts.subject,
            images=tuple(str(p) for p in self.opts.images),
            send_at=self.opts.send_at,
        )

    def _message_id(self, row: Row) -> str:
        if row.id:
            problem = ids.id_problem(row.id)
            if problem:
                raise text.InvalidInput(f"bad id {row.id!r}: {problem}")
            return row.id
        if self.opts.id_key:
            if self.opts.single_recipient:
                return self.opts.id_key
            return ids.derive_id(self.opts.id_key, phone.normalize(row.phone or ""))
        return ids.new_id()

    def choose_type(self, body: str) -> str:
        if not body.strip():
            raise text.InvalidInput("empty message")
        if self.opts.allow_unicode:  # count what CP949 cannot carry as 2 bytes each
            for ch in set(text.unencodable(body)):
                body = body.replace(ch, "??")
        return text.choose_type(
            body,
            images=self.opts.images,
            requested=self.opts.type,
            sms_bytes=self.limits.sms_bytes,
            lms_bytes=self.limits.lms_bytes,
            subject=self.opts.subject,
        )


class ResultSink:
    """Collects results from the vendor, writes them to the journal in batches and
    passes them on for output. ``flush()`` must run on every exit path."""

    def __init__(self, journal: Journal, summary: Summary, emit: Callable[[SendResult], None],
                 *, hold: bool = False) -> None:
        self.journal = journal
        self.summary = summary
        self.emit = emit
        self.hold = hold  # --wait: keep results to update them with reports
        self.held: dict[str, SendResult] = {}
        self._pending: list[SendResult] = []
        self._last = time.monotonic()

    def __call__(self, result: SendResult) -> None:
        self._pending.append(result)
        if self.hold:
            self.held[result.message_id] = result
        else:
            self.summary.add(result.status)
            self.emit(result)
        now = time.monotonic()
        if now - self._last >= RECORD_EVERY or len(self._pending) >= 1000:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            server_ids = {r.message_id: r.server_id for r in self._pending if r.server_id}
            self.journal.record(self._pending, server_ids or None)
            self._pending = []
        self._last = time.monotonic()

    def reports(self, reports: list[Report]) -> None:
        """Store reports (before the vendor acknowledges them); update held results."""
        self.flush()
        self.journal.add_reports(reports)
        for rep in reports:
            held = self.held.get(rep.message_id)
            if held is not None:
                self.held[rep.message_id] = replace(held, status=rep.status, code=rep.code,
                                                    detail=rep.detail)

    def release(self) -> None:
        """Emit held results (after --wait)."""
        for result in self.held.values():
            self.summary.add(result.status)
            self.emit(result)
        self.held.clear()


def run_send(
    profile: Profile,
    rows: Iterable[Row],
    opts: SendOptions,
    *,
    emit: Callable[[SendResult | dict], None],
    journal: Journal,
    vendor: Vendor,
    on_progress: Callable[[SendResult], None] | None = None,
) -> Summary:
    """Send (or schedule locally, or dry-run) every row; return the summary."""
    summary = Summary()
    prepare = Prepared(opts, vendor.name, vendor.limits)
    if not prepare.template.names:  # the same text for everyone: one error, not one per row
        try:
            prepare.choose_type(opts.template)
        except text.InvalidInput as exc:
            raise UsageError(f"message: {exc}", hint="nothing was sent") from None
    chunks = _prepared_chunks(prepare, rows, journal, opts.ignore_optout)
    if opts.images:
        from smscli.images import check_for_vendor

        check_for_vendor(opts.images, vendor.limits, vendor.name)

    if opts.dry_run:
        for chunk in chunks:
            for item in chunk:
                if isinstance(item, SendResult):
                    summary.add(item.status)
                    emit(item)
                else:
                    summary.add("valid")
                    emit(_dry_run_object(item, vendor.name))
        summary.notes.extend(_type_notes(prepare, opts, vendor))
        return summary

    def output(result: SendResult) -> None:
        emit(result)
        if on_progress:
            on_progress(result)

    local_schedule = opts.send_at is not None and not vendor.can_schedule
    sink = ResultSink(journal, summary, output, hold=opts.wait > 0 and not local_schedule)
    with journal.send_lock(profile.name):
        claimed = _claimed(chunks, journal, vendor.name, profile.name, sink, local_schedule)
        stream: Iterator[Message] = claimed
        try:
            if local_schedule:
                for _ in stream:  # _claimed schedules locally and reports `scheduled`
                    pass
            else:
                file_keys = _upload_once(vendor, opts.images)
                if file_keys:
                    stream = (replace(m, file_keys=file_keys) for m in stream)
                vendor.send(stream, sink, on_reports=sink.reports, wait=opts.wait)
        finally:
            claimed.close()  # a stop before the end forgets what was journaled but never handed out
            sink.flush()
            sink.release()
    summary.notes.extend(_type_notes(prepare, opts, vendor))
    return summary


def _type_notes(prepare: Prepared, opts: SendOptions, vendor: Vendor) -> list[str]:
    """What the user should know when the server, not smscli, picks SMS or LMS."""
    if not vendor.limits.server_decides_type:
        return []
    limit, notes = vendor.limits.sms_bytes, []
    if opts.type in ("sms", "lms"):
        notes.append(f"{vendor.name} picks SMS or LMS itself (LMS over {limit} bytes); "
                     f"--type {opts.type} is not sent")
    if prepare.over_sms:
        notes.append(f"{prepare.over_sms} message(s) are over {limit} bytes: "
                     f"{vendor.name} sends them as LMS")
    return notes


def _prepared_chunks(prepare: Prepared, rows: Iterable[Row], journal: Journal,
                     ignore_optout: bool) -> Iterator[list[Message | SendResult]]:
    """Prepared rows in chunks, with numbers on the 080 opt-out list made ``invalid``."""

    def optout(chunk: list[Message | SendResult]) -> list[Message | SendResult]:
        if ignore_optout:
            return chunk
        blocked = journal.suppressed([m.to for m in chunk if isinstance(m, Message)])
        if not blocked:
            return chunk
        return [
            SendResult(to=m.to, status=INVALID, message_id=m.id, vendor=prepare.vendor_name,
                       type=m.type, detail="opted out (080); --ignore-optout sends anyway")
            if isinstance(m, Message) and m.to in blocked else m
            for m in chunk
        ]

    chunk: list[Message | SendResult] = []
    for row in rows:
        chunk.append(prepare(row))
        if len(chunk) >= CLAIM_CHUNK:
            yield optout(chunk)
            chunk = []
    if chunk:
        yield optout(chunk)


def _claimed(
    chunks: Iterable[list[Message | SendResult]],
    journal: Journal,
    vendor_name: str,
    profile_name: str,
    sink: ResultSink,
    local_schedule: bool,
) -> Iterator[Message]:
    """Yield messages only after they are journaled; settle duplicates and invalid rows."""
    for chunk in chunks:
        batch: list[Message] = []
        for item in chunk:
            if isinstance(item, SendResult):
                sink(item)
            else:
                batch.append(item)
        if not batch:
            continue
        if local_schedule:
            previous = journal.schedule(batch, vendor_name, profile_name)
        else:
            previous = journal.claim(batch, vendor_name, profile_name)
        not_handed = {m.id for m, prev in zip(batch, previous, strict=True) if prev is None}
        try:
            for msg, prev in zip(batch, previous, strict=True):
                if prev in NOT_AGAIN:
                    why = "earlier in this input" if prev == DUPLICATE else f"already {prev}"
                    sink(SendResult(to=msg.to, status=DUPLICATE, message_id=msg.id,
                                    vendor=vendor_name, type=msg.type, code="",
                                    detail=f"{why} under this id"))
                elif local_schedule:
                    when = msg.send_at.isoformat() if msg.send_at else ""
                    sink(SendResult(to=msg.to, status=SCHEDULED, message_id=msg.id,
                                    vendor=vendor_name, type=msg.type, code="",
                                    detail=f"held locally until {when}"))
                else:
                    not_handed.discard(msg.id)
                    yield msg
            not_handed.clear()
        finally:
            if not_handed and not local_schedule:
                journal.unclaim(sorted(not_handed))


def _upload_once(vendor: Vendor, images: Sequence[Path]) -> tuple[str, ...]:
    if not images or not vendor.can_upload:
        return ()
    return tuple(vendor.upload(list(images)))


def _dry_run_object(msg: Message, vendor: str) -> dict[str, object]:
    return {
        "to": msg.to,
        "status": "valid",
        "message_id": msg.id,
        "vendor": vendor,
        "type": msg.type,
        "code": "",
        "detail": f"{text.byte_length(msg.text)} bytes",
        "bytes": text.byte_length(msg.text),
    }


def send_due(profile: Profile, journal: Journal, vendor: Vendor, now: datetime,
             emit: Callable[[SendResult], None]) -> Summary:
    """`reserve flush`: send locally scheduled messages that are due."""
    summary = Summary()
    sink = ResultSink(journal, summary, emit)
    with journal.send_lock(profile.name):
        due = journal.due(now, profile=profile.name)
        moved = set(journal.claim_scheduled([m.id for m in due]))  # scheduled → pending
        due = [m for m in due if m.id in moved]
        if not due:
            return summary
        try:
            vendor.send(iter(due), sink)
        finally:
            sink.flush()
    return summary


def ensure_sender(sender: str | None) -> str:
    if not sender:
        raise UsageError("no sender number", hint="pass --from NUMBER or set `sender` in the profile")
    try:
        return phone.validate_sender(sender)
    except text.InvalidInput as exc:
        raise UsageError(f"bad sender number: {exc}") from None

