"""The send pipeline: input rows → validated Messages → journal → vendor → results.

Every message is committed to the journal before it is handed to the vendor, in chunks
pulled lazily, so memory stays flat for a million rows and a crash at any point leaves a
journal from which a re-run (or ``--resume``) sends each message exactly once: a vendor
that de-duplicates (OneShot, BizNetShot, BIZCLIENT) answers "duplicate" for what it has;
for one that cannot (Bizppurio) each message is marked as handed over just before it
leaves, and one handed over without a journaled answer is held as ``unknown``, never
re-sent blindly (``--resend-unknown`` takes the risk).

Its parts: ``dispatch_prepare`` (rows → Messages), ``dispatch_results`` (``Summary``,
``ResultSink``), ``dispatch_dry_run`` (the dry run's objects) and ``dispatch_handout``
(claiming and handing out; imported only when something is sent, as are ``fallback``,
``advertising`` and ``vendors.base``, which a dry run does not need).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smscli import phone, text
from smscli.content import Kakao
from smscli.dispatch_dry_run import dry_run_json, dry_run_valid
from smscli.dispatch_prepare import (
    CLAIM_CHUNK,
    Prepared,
    fits_abroad,
    prepared_chunks,
    type_notes,
)
from smscli.dispatch_results import RECORD_EVERY, ResultSink, Summary
from smscli.errors import UsageError
from smscli.models import ACCEPTED, QUEUED, SCHEDULED, Message, SendResult
from smscli.records import record

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.content import Channel
    from smscli.journal import Journal
    from smscli.recipients import Row
    from smscli.vendors.base import OutsideHours, Vendor

__all__ = [
    "CLAIM_CHUNK", "RECORD_EVERY", "Prepared", "Refused", "ResultSink", "SendOptions", "Summary",
    "dry_run_valid", "ensure_sender", "run_send", "send_due",
]


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
    ids_given: bool = False  # ids from the input (a CSV id column) or --id: a dry run checks them

    def __init__(self, template: str, sender: str, subject: str = "", type: str = "auto",
                 images: tuple[Path, ...] = (), id_key: str | None = None, single_recipient: bool = False,
                 send_at: datetime | None = None, dry_run: bool = False, wait: float = 0.0,
                 allow_unicode: bool = False, ignore_optout: bool = False, run_id: str = "",
                 resend_unknown: bool = False, tag: str = "", ad: int = 0, channel: Channel | None = None,
                 attachments: tuple[Path, ...] = (), ids_given: bool = False) -> None:
        self.__dict__.update(template=template, sender=sender, subject=subject, type=type, images=images,
                             id_key=id_key, single_recipient=single_recipient, send_at=send_at,
                             dry_run=dry_run, wait=wait, allow_unicode=allow_unicode,
                             ignore_optout=ignore_optout, run_id=run_id, resend_unknown=resend_unknown,
                             tag=tag, ad=ad, channel=channel, attachments=attachments, ids_given=ids_given)


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
            if not fits_abroad(prepare, opts.template):
                raise Refused(f"message: {exc}", hint="nothing was sent") from None
    chunks = prepared_chunks(prepare, rows, journal, opts.ignore_optout)
    if opts.images:
        from smscli.images import check_for_vendor

        check_for_vendor(opts.images, vendor.limits, vendor.name)

    if opts.dry_run:
        counts, name, abroad = summary.counts, vendor.name, prepare.abroad
        valid = 0  # counted here, added once
        ids = None
        if opts.ids_given:  # what a send would make of ids given before (or twice in the input)
            from smscli.dry_run_ids import IdCheck

            ids = IdCheck(journal, name, profile.name, hold_unsure=not (vendor.dedupes or opts.resend_unknown),
                          other_id=_other_id(opts) if opts.id_key else None)
        try:
            for chunk in chunks:
                if ids is not None:  # a message a send would not send as new: what it would say
                    chunk = [verdict or item for item, verdict in zip(chunk, ids.verdicts(chunk), strict=True)]
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
                        emit(dry_run_json(item, name, abroad))
        finally:
            if valid:
                counts["valid"] += valid
            if ids is not None:
                ids.close()
        summary.notes.extend(type_notes(prepare, opts, vendor))
        return summary

    # Only a send needs these (a dry run has returned above): not imported by `--dry-run`.
    from smscli import advertising
    from smscli.dispatch_handout import Handout
    from smscli.fallback import Fallback
    from smscli.vendors.base import OutsideHours

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
                      stop=stop, other_id=_other_id(opts) if opts.id_key else None)
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
                # an advertisement sent now stops at 21:00; one reserved on the vendor's
                # server goes out at its time, checked by check_night (smscli.sending)
                daytime = advertising.Daytime(stream) if opts.ad == 1 and opts.send_at is None else None
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
                    if sink.fallback.send(wait=opts.wait, on_reports=sink.reports,
                                          on_result=sink.fallback_result):
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
                journal.update_run(opts.run_id, rows=prepare.position, counts=sink.counts,
                                   state="finished" if handout.complete else state)
            journal.release()
    summary.notes.extend(type_notes(prepare, opts, vendor))
    if summary.held:
        summary.notes.append(
            f"{summary.held} message(s) were handed to {vendor.name} before without a journaled "
            f"answer and {vendor.name} cannot tell whether it has them: reported unknown, not sent "
            "again; --resend-unknown sends them again (at the risk of a duplicate)")
    return summary


def _other_id(opts: SendOptions) -> Callable[[Message], str | None]:
    """For ``--id KEY``: a message's id in the other form of KEY (KEY alone for one
    recipient, KEY plus the recipient for several); None for an id not made from KEY (a
    CSV ``id`` column)."""
    from smscli import ids

    key = opts.id_key
    assert key is not None

    def other(msg: Message) -> str | None:
        several = ids.derive_id(key, phone.normalize(msg.to))
        if opts.single_recipient:
            return several if msg.id == key else None
        return key if msg.id == several else None

    return other


def _unsent(msg: Message, vendor: str, why: str) -> SendResult:
    return SendResult(to=msg.to, status=QUEUED, message_id=msg.id, vendor=vendor, type=msg.type,
                      detail=f"not sent: {why}")


def _held_note(closed: OutsideHours, count: int) -> str:
    return (f"{closed.message}: {count} message(s) held until {closed.opens_at:%Y-%m-%d %H:%M} "
            "(Korea time); `smscli reserve flush` (e.g. every minute from cron) sends them then; "
            "--wait-window waits instead")



def _upload_once(vendor: Vendor, images: Sequence[Path]) -> tuple[str, ...]:
    if not images or not vendor.can_upload:
        return ()
    return tuple(vendor.upload(list(images)))


def send_due(profile: Profile, journal: Journal, vendor: Vendor, now: datetime,
             emit: Callable[[SendResult], None], *, stop: threading.Event | None = None) -> Summary:
    """`reserve flush`: send locally scheduled messages that are due. What is not sent
    (a stop, the vendor's hours still closed, a lost connection) stays held for later."""
    from smscli import advertising
    from smscli.vendors.base import OutsideHours

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
        keyed = sender_keyed(profile)
        page: list[Message] = []  # claimed, not all handed over yet
        handed: set[str] = set()  # of this page
        night: list[Message] = []  # advertising due between 21:00 and 08:00: held until 08:00

        def stream() -> Iterator[Message]:
            nonlocal page
            for due in pages:
                moved = set(journal.claim_scheduled([m.id for m in due]))
                page = [keyed(m) for m in due if m.id in moved]  # one cancelled meanwhile is not sent
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


def sender_keyed(profile: Profile) -> Callable[[Message], Message]:
    """What gives a due Kakao message its sender key again: the journal keeps none
    (:func:`smscli.channel_render.without_secrets`), so it is the profile's
    ``kakao_sender_key`` now, as a send takes it. Other messages pass as they are."""
    key = str(profile.get("kakao_sender_key", "") or "")

    def keyed(msg: Message) -> Message:
        channel = msg.channel
        if key and isinstance(channel, Kakao) and not channel.sender_key:
            return replace(msg, channel=replace(channel, sender_key=key))
        return msg

    return keyed


class Refused(UsageError):
    """The send is refused before any row is read (exit 2): nothing was sent, nothing to resume."""


def ensure_sender(sender: str | None) -> str:
    if not sender:
        raise UsageError("no sender number", hint="pass --from NUMBER or set `sender` in the profile")
    try:
        return phone.validate_sender(sender)
    except text.InvalidInput as exc:
        raise UsageError(f"bad sender number: {exc}") from None
