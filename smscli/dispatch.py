"""The send pipeline: input rows → validated Messages → journal → vendor → results.

Every message is committed to the journal before it is handed to the vendor, in chunks
pulled lazily, so memory stays flat for a million rows and a crash at any point leaves a
journal from which a re-run (or ``--resume``) sends each message exactly once: a vendor
that de-duplicates (OneShot, BizNetShot, BIZCLIENT) answers "duplicate" for what it has;
for one that cannot (Bizppurio) each message is marked as handed over just before it
leaves, and one handed over without a journaled answer is held as ``unknown``, never
re-sent blindly (``--resend-unknown`` takes the risk).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import field, replace
from datetime import datetime
from json.encoder import encode_basestring  # json.dumps(ensure_ascii=False)'s: a JSON string
from pathlib import Path
from typing import TYPE_CHECKING

from smscli import advertising, campaign, ids, phone, text
from smscli.errors import ExitStatus, UsageError
from smscli.fallback import Fallback
from smscli.models import (
    ACCEPTED,
    DUPLICATE,
    INVALID,
    OK_STATUSES,
    QUEUED,
    SCHEDULED,
    UNKNOWN,
    Encoded,
    Message,
    Report,
    SendResult,
)
from smscli.records import record
from smscli.timeutil import to_iso
from smscli.vendors.base import OutsideHours

if TYPE_CHECKING:
    from smscli.abroad import AbroadLimits
    from smscli.config import Profile
    from smscli.content import Channel
    from smscli.journal import Journal
    from smscli.recipients import Row
    from smscli.vendors.base import Vendor

CLAIM_CHUNK = 500  # messages journaled per transaction before they are handed out
RECORD_EVERY = 0.2  # seconds between journal commits of results


@record
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
    run_id: str = ""  # fresh ids derive from it (smscli.runs); "" = none recorded
    resend_unknown: bool = False  # also re-send what may have reached a non-deduplicating vendor
    tag: str = ""  # the campaign tag (a CSV `tag` column wins per row; smscli.campaign)
    ad: int = 0  # Message.ad: 1 advertising (not at night), 2 with the recipients' night consent
    channel: Channel | None = None  # Kakao/RCS content (sender key resolved); None: SMS/LMS/MMS
    attachments: tuple[Path, ...] = ()  # MMS audio/video (ma3/k3g): sent after the images

    def __init__(self, template: str, sender: str, subject: str = "", type: str = "auto",
                 images: tuple[Path, ...] = (), id_key: str | None = None, single_recipient: bool = False,
                 send_at: datetime | None = None, dry_run: bool = False, wait: float = 0.0,
                 allow_unicode: bool = False, ignore_optout: bool = False, run_id: str = "",
                 resend_unknown: bool = False, tag: str = "", ad: int = 0, channel: Channel | None = None,
                 attachments: tuple[Path, ...] = ()) -> None:
        self.__dict__.update(template=template, sender=sender, subject=subject, type=type, images=images,
                             id_key=id_key, single_recipient=single_recipient, send_at=send_at,
                             dry_run=dry_run, wait=wait, allow_unicode=allow_unicode,
                             ignore_optout=ignore_optout, run_id=run_id, resend_unknown=resend_unknown,
                             tag=tag, ad=ad, channel=channel, attachments=attachments)


@record(frozen=False)
class Summary:
    """Counts per status; decides the exit code."""

    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)  # warnings for the user, said once
    complete: bool = True  # every row was read and handed over (or settled without sending)
    left: int = 0  # rows never handed over (a stop, an error)
    held: int = 0  # maybe handed over before, the vendor cannot tell: reported unknown

    def __init__(self, counts: Counter[str] | None = None, started: float | None = None,
                 notes: list[str] | None = None, complete: bool = True, left: int = 0, held: int = 0) -> None:
        self.counts = Counter() if counts is None else counts
        self.started = time.monotonic() if started is None else started
        self.notes = [] if notes is None else notes
        self.complete, self.left, self.held = complete, left, held

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
        left = f"; {self.left} not handed over" if self.left else ""
        return f"{verb} {self.total}: {parts or 'nothing'}{left} ({secs:.1f} s)"


class Prepared:
    """Turns an input row into a Message or an ``invalid`` result (no I/O)."""

    def __init__(self, opts: SendOptions, vendor_name: str, limits, abroad: AbroadLimits | None = None,
                 *, profile: str = "") -> None:
        """``profile``: the profile the results of rows that are not sent are filed under."""
        self.opts = opts
        self.profile = profile
        self.vendor_name = vendor_name
        self.limits = limits
        self.abroad = abroad  # Vendor.abroad: what it sends outside Korea (None: nothing)
        self.template = text.compile_template(opts.template)
        self.render = None
        if opts.channel is not None:
            from smscli.channel_render import ChannelRender

            self.render = ChannelRender(opts.channel, allow_unicode=opts.allow_unicode)
        self.over_sms = 0  # messages past the SMS size (the server decides their type)
        self.position = 0  # rows seen: the next row's position in the input
        self._run_id = opts.run_id  # (read once per row)
        self._files = (*opts.images, *opts.attachments)  # what the type depends on
        self._images = tuple(str(p) for p in self._files)  # every Message's images
        # Type by size alone (auto, no files, no subject): what choose_type_sized says, without it.
        self._by_size = ((opts.type or "auto").strip().lower() == "auto" and not self._files
                         and not opts.subject and not opts.allow_unicode)
        # Read once, not per row: what every row's checks and Message take from opts.
        self._by_position = bool(self._run_id) and not opts.id_key  # a row without id: run id + position
        self._abroad_ok = abroad is not None
        self._plain = abroad is None and not opts.allow_unicode and not limits.server_decides_type
        self._tag, self._sender, self._subject, self._send_at, self._ad = (
            opts.tag, opts.sender, opts.subject, opts.send_at, opts.ad)

    def __call__(self, row: Row) -> Message | SendResult:
        to = row.phone or ""
        mid = ""
        position = self.position
        self.position = position + 1
        try:
            if self._by_position and not row.id:
                mid = ids.run_message_id(self._run_id, position)
            else:
                mid = self._message_id(row, position)
            if row.error:
                raise text.InvalidInput(row.error)
            try:
                to = phone.validate_recipient(to, abroad=self._abroad_ok)
            except phone.Abroad as exc:
                raise _abroad_said(exc) from None
            tag, name = campaign.tag_and_name(self.vendor_name, row.vars, self._tag)
            if self.render is not None:
                return self._channel_message(mid, to, row, tag, name)
            body = self.template.render(row.vars)
            if self._plain:  # in Korea, CP949 only, smscli picks the type (most sends)
                mtype, size = self._type_and_size(body)
            else:
                if self.abroad is not None and phone.is_international(to):
                    mtype, size = self.abroad_type(body)
                else:
                    mtype, size = self._type_and_size(body)
                if self.opts.allow_unicode:  # sized with "??" for what CP949 lacks; vendors count 1
                    size = text.byte_length(body)
                if self.limits.server_decides_type and size > self.limits.sms_bytes:
                    self.over_sms += 1
        except text.InvalidInput as exc:
            kind = self.opts.channel.type if self.opts.channel is not None else ""
            return SendResult(to=to, status=INVALID, message_id=mid, vendor=self.vendor_name,
                              type=kind, code="", detail=str(exc), profile=self.profile,
                              tag=(row.vars.get(campaign.TAG_COLUMN) or "").strip() or self._tag)
        # Message's fields in their order (keywords cost 0.8 µs a row)
        return Message(mid, to, body, self._sender, mtype, self._subject, self._images, (), self._send_at,
                       size, None, tag, name, "", self._ad)

    def abroad_type(self, body: str) -> tuple[str, int]:
        """(sms|lms by the vendor's international table, CP949 size) of a message abroad."""
        from smscli import abroad

        assert self.abroad is not None
        if not self.opts.allow_unicode:
            bad = text.unencodable(body)
            if bad:
                raise text.InvalidInput(f"message has characters CP949 cannot carry: {text.describe_chars(bad)}; "
                                        "remove or replace them (--allow-unicode sends them as they are)")
        kind = abroad.choose(self.abroad, body, requested=self.opts.type, subject=self.opts.subject,
                             images=self.opts.images)
        return kind, text.byte_length(body)

    def _channel_message(self, mid: str, to: str, row: Row, tag: str, name: str) -> Message:
        """A Kakao/RCS message (raises ``text.InvalidInput`` for an ``invalid`` row)."""
        assert self.render is not None
        channel = self.render.render(row.vars, to)
        if self.abroad is not None and phone.is_international(to):
            from smscli import abroad

            assert self.opts.channel is not None
            channel = abroad.channel_abroad(self.abroad, channel, self.opts.channel)
        return Message(id=mid, to=to, text=channel.body, sender=self.opts.sender, type=channel.type,
                       send_at=self.opts.send_at, size=text.byte_length(channel.body),
                       channel=channel, tag=tag, name=name, ad=self.opts.ad,
                       # an RCS MMS image: journaled with the message, so a later flush uploads it
                       images=tuple(str(p) for p in getattr(channel, "images", ())))

    def _message_id(self, row: Row, position: int) -> str:
        if row.id:
            problem = ids.id_problem(row.id)
            if problem:
                raise text.InvalidInput(f"bad id {row.id!r}: {problem}")
            return row.id
        if self.opts.id_key:
            if self.opts.single_recipient:
                return self.opts.id_key
            return ids.derive_id(self.opts.id_key, phone.normalize(row.phone or ""))
        if self._run_id:
            return ids.run_message_id(self._run_id, position)
        return ids.new_id()

    def choose_type(self, body: str) -> str:
        return self._type_and_size(body)[0]

    def _type_and_size(self, body: str) -> tuple[str, int]:
        """The message type and the CP949 size of ``body`` (encoded once)."""
        if not body.strip():
            raise text.InvalidInput("empty message")
        if self._by_size:
            try:
                size = len(body.encode("cp949"))
            except UnicodeEncodeError:
                pass  # choose_type_sized says which characters
            else:
                limits = self.limits
                if size <= limits.sms_bytes:
                    return "sms", size
                if size <= limits.lms_bytes:
                    return "lms", size
        if self.opts.allow_unicode:  # count what CP949 cannot carry as 2 bytes each
            for ch in set(text.unencodable(body)):
                body = body.replace(ch, "??")
        return text.choose_type_sized(
            body,
            images=self._files,
            requested=self.opts.type,
            sms_bytes=self.limits.sms_bytes,
            lms_bytes=self.limits.lms_bytes,
            subject=self.opts.subject,
        )


def _abroad_said(exc: phone.Abroad) -> phone.Abroad:
    """A number outside Korea for a vendor that does not send there: which vendors do."""
    from smscli.vendors.registry import abroad_vendors

    names = abroad_vendors()
    exc.reason = (f"{exc.reason}: only {' and '.join(names)} sends abroad" if names
                  else f"{exc.reason}: no vendor sends abroad")
    return exc


class ResultSink:
    """Collects results from the vendor, writes them to the journal in batches and
    passes them on for output. ``flush()`` must run on every exit path."""

    def __init__(self, journal: Journal, summary: Summary, emit: Callable[[SendResult], None],
                 *, hold: bool = False, progress: Callable[[Counter[str]], None] | None = None,
                 give_back: Callable[[list[str]], object] | None = None) -> None:
        self.journal = journal
        # What the vendor gives back unsent: a claim is forgotten, a reservation held again.
        self.give_back = give_back or journal.unclaim
        self.summary = summary
        self.emit = emit
        self.hold = hold  # --wait: keep results to update them with reports
        self.held: dict[str, SendResult] = {}
        self.seen: Counter[str] = Counter()  # results so far, for the run's progress
        self.progress = progress
        self._pending: list[SendResult] = []
        self._unsent: list[str] = []
        self._last = time.monotonic()
        self.fallback: Fallback | None = None  # smscli's own fallback (smscli.fallback)

    def __call__(self, result: SendResult, *, record: bool = True) -> None:
        """Take one result; ``record`` false for what the pipeline settled itself (an id
        already accepted, held by another process...): the journal has it right already."""
        if result.status == QUEUED:  # the vendor gave it back unsent: forget the claim
            self._unsent.append(result.message_id)
            self.summary.left += 1
            return
        self.seen[result.status] += 1
        if record:
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
            if self.progress is not None:
                self.progress(self.seen)
        if self._unsent:
            self.give_back(self._unsent)
            self._unsent = []
        self._last = time.monotonic()

    def reports(self, reports: list[Report]) -> None:
        """Store reports (before the vendor acknowledges them); update held results."""
        self.flush()
        if self.fallback is not None:  # a fallback's report also settles its parent
            reports = self.fallback.expand(reports)
        self.journal.add_reports(reports)
        for rep in reports:
            held = self.held.get(rep.message_id)
            if held is not None:
                self.held[rep.message_id] = replace(held, status=rep.status, code=rep.code,
                                                    detail=rep.detail, channel=rep.channel or held.channel,
                                                    fallback=rep.fallback or held.fallback)

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
    stop: threading.Event | None = None,
) -> Summary:
    """Send (or schedule locally, or dry-run) every row; return the summary.

    With ``opts.run_id`` the run (already recorded with :meth:`Journal.start_run` or
    adopted for a resume) gets its progress and final state journaled. ``stop`` set (the
    first Ctrl-C): no further message is handed over; those in flight get their answers.
    """
    summary = Summary()
    rows = iter(rows)
    prepare = Prepared(opts, vendor.name, vendor.limits, getattr(vendor, "abroad", None), profile=profile.name)
    # (Kakao/RCS content that is the same for every row was checked by smscli.sending.run_job)
    if prepare.render is None and not prepare.template.names:  # the same text for everyone: one error, not one per row
        try:
            prepare.choose_type(opts.template)
        except text.InvalidInput as exc:
            if not _fits_abroad(prepare, opts.template):
                raise Refused(f"message: {exc}", hint="nothing was sent") from None
    chunks = _prepared_chunks(prepare, rows, journal, opts.ignore_optout)
    if opts.images:
        from smscli.images import check_for_vendor

        check_for_vendor(opts.images, vendor.limits, vendor.name)

    if opts.dry_run:
        counts, name, abroad = summary.counts, vendor.name, prepare.abroad
        valid = 0  # counted here, added once
        try:
            for chunk in chunks:
                for item in chunk:
                    if isinstance(item, SendResult):
                        counts[item.status] += 1
                        emit(item)
                        continue
                    valid += 1
                    if valid == 1:
                        counts.setdefault("valid", 0)  # its place among the statuses (ties in the summary)
                    if abroad is None and item.channel is None and not item.images and item.size >= 0:
                        emit(dry_run_valid(item.to, item.id, name, item.type, item.size))  # (most rows)
                    else:
                        emit(_dry_run_object(item, name, abroad))
        finally:
            if valid:
                counts["valid"] += valid
        summary.notes.extend(_type_notes(prepare, opts, vendor))
        return summary

    def output(result: SendResult) -> None:
        emit(result)
        if on_progress:
            on_progress(result)

    def progress(seen: Counter[str]) -> None:
        journal.update_run(opts.run_id, rows=prepare.position, counts=seen)

    local_schedule = opts.send_at is not None and not vendor.can_schedule
    sink = ResultSink(journal, summary, output, hold=opts.wait > 0 and not local_schedule,
                      progress=progress if opts.run_id else None)
    sink.fallback = None if local_schedule else Fallback.for_vendor(journal, vendor, profile.name)
    if stop is not None:
        vendor.stop_requested = stop.is_set
    handout = Handout(chunks, journal, vendor, profile.name, sink, local_schedule=local_schedule,
                      run_id=opts.run_id, hold_unsure=not (vendor.dedupes or opts.resend_unknown),
                      stop=stop)
    state = "failed"  # unless it ends normally, or by a stop
    with journal.send_lock(profile.name):
        stream: Iterator[Message] = iter(handout)
        try:
            if local_schedule:
                for _ in stream:  # Handout schedules locally and reports `scheduled`
                    pass
            else:
                file_keys = _upload_once(vendor, opts.images)
                if file_keys:
                    stream = (replace(m, file_keys=file_keys) for m in stream)
                daytime = advertising.Daytime(stream) if opts.ad == 1 else None
                try:
                    vendor.send(iter(daytime) if daytime else stream, sink, on_reports=sink.reports, wait=opts.wait)
                except OutsideHours as closed:
                    if not closed.hold:
                        for msg in closed.unsent:
                            sink(_unsent(msg, vendor.name, "outside the sending hours"))
                        raise
                    handout.hold_rest(closed.opens_at, closed.unsent)
                    summary.notes.append(_held_note(closed, sink.seen[SCHEDULED]))
                if daytime is not None and daytime.resumes_at is not None:  # 21:00 came meanwhile
                    handout.hold_rest(daytime.resumes_at, daytime.stopped, why=advertising.NIGHT_HOLD)
                    summary.notes.append(advertising.night_note(sink.seen[SCHEDULED], daytime.resumes_at))
                if sink.fallback is not None and not (stop is not None and stop.is_set()):
                    sink.flush()  # the failed parents are journaled before their fallbacks
                    if sink.fallback.send(wait=opts.wait, on_reports=sink.reports):
                        summary.notes.append(f"sent {sink.fallback.sent} fallback message(s) for "
                                             "Kakao/RCS messages that were not delivered")
                    if (opts.wait <= 0 and getattr(opts.channel, "fallback", None) is not None
                            and sink.seen[ACCEPTED]):  # (what the vendor refused has no report)
                        summary.notes.append(
                            f"{vendor.name} has no fallback of its own: smscli sends each fallback when the "
                            "report says the Kakao/RCS message failed; run `smscli result poll` (e.g. every "
                            "minute from cron) or send with --wait")
            state = "interrupted"  # the vendor returned before the end: only a stop does that
        except KeyboardInterrupt:
            state = "interrupted"
            raise
        finally:
            handout.close()  # a stop before the end forgets what was journaled but never handed out
            sink.flush()
            sink.release()
            summary.complete, summary.held = handout.complete, handout.held
            summary.left += handout.left
            if not handout.complete and stop is not None and stop.is_set():
                summary.left += sum(1 for _ in rows)  # the rest of the input, never read (fast)
            if opts.run_id:
                journal.update_run(opts.run_id, rows=prepare.position, counts=sink.seen,
                                   state="finished" if handout.complete else state)
            journal.release()
    summary.notes.extend(_type_notes(prepare, opts, vendor))
    if summary.held:
        summary.notes.append(
            f"{summary.held} message(s) were handed to {vendor.name} before without a journaled "
            f"answer and {vendor.name} cannot tell whether it has them: reported unknown, not sent "
            "again; --resend-unknown sends them again (at the risk of a duplicate)")
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
    """Prepared rows in chunks, with numbers on the 080 opt-out list made ``invalid``; the
    results of rows that are not sent are filed under ``prepare.profile`` (and their tag)."""
    profile = prepare.profile

    def optout(chunk: list[Message | SendResult]) -> list[Message | SendResult]:
        if ignore_optout:
            return chunk
        blocked = journal.suppressed([m.to for m in chunk if isinstance(m, Message)])
        if not blocked:
            return chunk
        return [
            SendResult(to=m.to, status=INVALID, message_id=m.id, vendor=prepare.vendor_name,
                       type=m.type, detail="opted out (080); --ignore-optout sends anyway",
                       profile=profile, tag=m.tag)
            if isinstance(m, Message) and m.to in blocked else m
            for m in chunk
        ]

    rows = iter(rows)
    while True:  # a chunk's rows are read and prepared in one C loop (map over islice)
        chunk: list[Message | SendResult] = list(map(prepare, itertools.islice(rows, CLAIM_CHUNK)))
        if not chunk:
            return
        yield optout(chunk)


class Handout:
    """The messages for the vendor, each yielded only after it is journaled; what needs no
    sending (already accepted, held by another process, duplicates, held as unknown) is
    settled here. ``complete`` once every row was handed over or settled."""

    def __init__(self, chunks: Iterable[list[Message | SendResult]], journal: Journal,
                 vendor: Vendor, profile_name: str, sink: ResultSink, *, local_schedule: bool,
                 run_id: str, hold_unsure: bool, stop: threading.Event | None) -> None:
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

    def _settle(self, msg: Message, prev: str | None, stored: tuple[str, str, str] | None = None) -> None:
        """Report a message that is not sent, as the claim found it (``stored``: the
        recipient, text and vendor of the message that holds its id)."""
        from smscli.journal import HELD, OWNED

        def result(status: str, detail: str, *, record: bool = False) -> None:
            self.sink(SendResult(to=msg.to, status=status, message_id=msg.id,
                                 vendor=self.vendor_name, type=msg.type, code="", detail=detail),
                      record=record)

        if prev == HELD:
            self.held += 1
            result(UNKNOWN, "handed over before without a journaled answer; not sent again "
                   "(--resend-unknown sends it)", record=True)
        elif prev == OWNED:
            owner = self.journal.owner_of(msg.id) or {}
            who = f" (pid {owner['pid']})" if owner.get("pid") else ""
            result(DUPLICATE, f"being sent by another smscli process{who} under this id")
        else:
            why = "earlier in this input" if prev == DUPLICATE else f"already {prev}"
            other = _other_message(msg, stored, self.vendor_name)
            if other:  # an id is one message: the same id for another one is a mistake
                result(INVALID, f"not sent: its id {msg.id} is taken by a message {why} {other}; "
                       "give this one an id of its own")
            else:
                result(DUPLICATE, f"{why} under this id")


def _unsent(msg: Message, vendor: str, why: str) -> SendResult:
    return SendResult(to=msg.to, status=QUEUED, message_id=msg.id, vendor=vendor, type=msg.type,
                      detail=f"not sent: {why}")


def _held_note(closed: OutsideHours, count: int) -> str:
    return (f"{closed.message}: {count} message(s) held until {closed.opens_at:%Y-%m-%d %H:%M} "
            "(Korea time); `smscli reserve flush` (e.g. every minute from cron) sends them then; "
            "--wait-window waits instead")


def _taken(prev: str | None) -> bool:
    """Whether a claim found its id taken by a settled message (or one earlier in the
    input), which is then compared with it (:func:`_other_message`)."""
    from smscli.journal import HELD, OWNED

    return not _to_send(prev) and prev not in (HELD, OWNED)


def _other_message(msg: Message, stored: tuple[str, str, str] | None, vendor: str) -> str:
    """How the message holding ``msg``'s id differs from it ("" when it is the same
    message: a re-run, a duplicate row): another recipient, another text, or the sandbox
    (which delivered nothing, so a real send under its id would be lost)."""
    if stored is None:
        return ""
    to, body, by = stored
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


def _fits_abroad(prepare: Prepared, body: str) -> bool:
    """Whether a text too long (or else wrong) at home may still go to numbers outside
    Korea, by the vendor's international table (each row then says which it is)."""
    if prepare.abroad is None:
        return False
    try:
        prepare.abroad_type(body)
    except text.InvalidInput:
        return False
    return True


def _upload_once(vendor: Vendor, images: Sequence[Path]) -> tuple[str, ...]:
    if not images or not vendor.can_upload:
        return ()
    return tuple(vendor.upload(list(images)))


def _dry_run_object(msg: Message, vendor: str, abroad: AbroadLimits | None = None) -> dict[str, object]:
    size = msg.size if msg.size >= 0 else text.byte_length(msg.text)
    if abroad is not None and phone.is_international(msg.to):
        from smscli.abroad import dry_run_object

        return dry_run_object(abroad, msg, vendor, size)
    if msg.channel is not None:
        from smscli.channel_render import describe

        shown = describe(msg.channel)
        if "attachments" in shown:  # a fax or a call
            return {"to": msg.to, "status": "valid", "message_id": msg.id, "vendor": vendor,
                    "type": msg.type, "code": "", "detail": _fax_voice_detail(shown),
                    "bytes": size, **shown}
        fb = shown["fallback"]
        said = (f"fallback {fb['type']} {fb['bytes']} bytes" if isinstance(fb, dict)  # type: ignore[index]
                else "no fallback")
        image = f"image {shown['image']}, " if shown.get("image") else ""
        return {"to": msg.to, "status": "valid", "message_id": msg.id, "vendor": vendor,
                "type": msg.type, "code": "",
                "detail": f"{shown['characters']} characters, {image}{shown['buttons']} button(s), {said}",
                "bytes": size, **shown}
    if msg.images and any(i.lower().endswith((".ma3", ".k3g")) for i in msg.images):  # MMS audio / video
        return {"to": msg.to, "status": "valid", "message_id": msg.id, "vendor": vendor, "type": msg.type,
                "code": "", "detail": f"{size} bytes, files: {', '.join(msg.images)}", "bytes": size,
                "attachments": list(msg.images)}
    return dry_run_valid(msg.to, msg.id, vendor, msg.type, size)


def dry_run_valid(to: str, message_id: str, vendor: str, type: str, size: int) -> Encoded:
    """The dry run's object of a text message in Korea (CONTRACT's send object, status
    ``valid``, plus ``bytes``), with its JSON line written here: the keys are known, ``size``
    is an int and the strings go through json's own ``encode_basestring``."""
    detail = f"{size} bytes"
    obj = Encoded({"to": to, "status": "valid", "message_id": message_id, "vendor": vendor, "type": type,
                   "code": "", "detail": detail, "bytes": size})
    quote = encode_basestring
    obj.json_line = (f'{{"to": {quote(to)}, "status": "valid", "message_id": {quote(message_id)}, '
                     f'"vendor": {quote(vendor)}, "type": {quote(type)}, "code": "", "detail": "{detail}", '
                     f'"bytes": {size:d}}}\n')
    return obj


def _fax_voice_detail(shown: dict[str, object]) -> str:
    files = shown["attachments"]
    named = ", ".join(str(f) for f in files) if isinstance(files, list) and files else "no files"
    if "pages" in shown:
        cover = "with a cover" if shown.get("cover") else "no cover"
        return f"{shown['pages']} page(s), {cover}, files: {named}"
    secs = f", {shown['seconds']} s" if "seconds" in shown else ""
    return f"{shown['characters']} characters (TTS), files: {named}{secs}"


def send_due(profile: Profile, journal: Journal, vendor: Vendor, now: datetime,
             emit: Callable[[SendResult], None], *, stop: threading.Event | None = None) -> Summary:
    """`reserve flush`: send locally scheduled messages that are due. What is not sent
    (a stop, the vendor's hours still closed, a lost connection) stays held for later."""
    summary = Summary()
    sink = ResultSink(journal, summary, emit, give_back=journal.reschedule)
    with journal.send_lock(profile.name):
        # What an earlier flush claimed and died with (here or on another host sharing the
        # journal, once its lease ran out) is due again; where the vendor cannot tell a
        # message it already has, it is held as unknown instead.
        taken = journal.take_over_reservations(now, profile=profile.name, hold_unsure=not vendor.dedupes)
        if taken and not vendor.dedupes:
            summary.notes.append(
                f"{taken} reservation(s) an interrupted flush had claimed are unknown: {vendor.name} "
                "cannot tell whether it has them; see `smscli result list --status unknown`")
        # A page of due reservations at a time: claimed (scheduled → pending) just before it
        # is handed out, so memory stays flat and a stop leaves the later pages held.
        pages = journal.iter_due(now, profile=profile.name)
        page: list[Message] = []  # claimed, not all handed over yet
        handed: set[str] = set()  # of this page
        night: list[Message] = []  # advertising due between 21:00 and 08:00: held until 08:00

        def stream() -> Iterator[Message]:
            nonlocal page
            for due in pages:
                moved = set(journal.claim_scheduled([m.id for m in due]))
                page = [m for m in due if m.id in moved]  # one cancelled meanwhile is not sent
                handed.clear()
                for msg in page:
                    if stop is not None and stop.is_set():
                        summary.complete = False
                        return
                    if msg.ad == 1 and advertising.is_night(now):  # not now: at 08:00
                        night.append(msg)
                        continue
                    handed.add(msg.id)
                    yield msg
                page = []

        if stop is not None:
            vendor.stop_requested = stop.is_set
        try:
            vendor.send(stream(), sink)
        except OutsideHours as closed:
            if not closed.hold:
                raise
            sink.flush()
            # Those still unsent (the vendor may give back some of the page before this one).
            journal.reschedule([m.id for m in [*closed.unsent, *page]], closed.opens_at)
            journal.postpone_due(now, closed.opens_at, profile=profile.name)  # the later pages
            page = []
            summary.notes.append(f"{closed.message}: what is due stays held until "
                                 f"{closed.opens_at:%Y-%m-%d %H:%M} (Korea time)")
        finally:
            sink.flush()
            night_ids = {m.id for m in night}
            journal.reschedule([m.id for m in page if m.id not in handed and m.id not in night_ids])
            if night:
                morning = advertising.morning_after(now)
                journal.reschedule(sorted(night_ids), morning)
                summary.notes.append(advertising.night_note(len(night), morning))
            journal.release()
    return summary


class Refused(UsageError):
    """The send is refused before any row is read (exit 2): nothing was sent, nothing to resume."""


def ensure_sender(sender: str | None) -> str:
    if not sender:
        raise UsageError("no sender number", hint="pass --from NUMBER or set `sender` in the profile")
    try:
        return phone.validate_sender(sender)
    except text.InvalidInput as exc:
        raise UsageError(f"bad sender number: {exc}") from None

