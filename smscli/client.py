"""``smscli.Client``: send, reserve and follow messages from Python, with every guarantee
of the CLI (each message journaled before it is sent, ids and runs, duplicates, 080
opt-outs). The CLI's ``send``, ``reserve`` and ``result`` commands are callers of it.

One Client may be shared by threads: its operations on the vendor run one at a time (as
two ``smscli send`` on one profile do), reading the journal does not wait for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.errors import UsageError
from smscli.models import (
    RESULT_FIELDS,
    Batch,
    MessageRecord,
    PollResult,
    Report,
    SendResult,
    Upload,
)

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.content import Content
    from smscli.journal import EmptyJournal, Journal
    from smscli.optout import OptOut
    from smscli.sending import Hooks, Outcome, SendJob


def _log_notice(message: str) -> None:
    """Notices without an ``on_notice``: the ``smscli`` logger's info (logging loads when used)."""
    import logging

    logging.getLogger("smscli").info(message)


StrPath = str | PathLike[str]


class Client:
    """A connection to one profile's vendor and to the journal of its data dir.

    ``profile`` None picks ``$SMSCLI_PROFILE``, then ``default_profile``, then
    ``sandbox`` (as the CLI does); ``config`` is the config file (default
    ``$SMSCLI_CONFIG``, then the platform's); ``data_dir`` where the journal lives
    (default ``$SMSCLI_DATA_DIR``, then the platform's); ``settings`` override the
    profile's keys (``{"sender": "0212341234"}``); ``on_notice`` takes one line for what
    a user should know besides results (an 080 opt-out the vendor reported, a number
    change, a note about message types; default: the ``smscli`` logger). A bad profile raises
    :class:`smscli.ConfigError` here. Use it as a context manager, or call
    :meth:`close`.
    """

    def __init__(self, profile: str | None = None, *, config: StrPath | None = None,
                 data_dir: StrPath | None = None,
                 settings: Mapping[str, object] | None = None,
                 on_notice: Callable[[str], None] | None = None) -> None:
        from smscli.config import load_profile

        prof = load_profile(profile, config=Path(config) if config is not None else None,
                            overrides=settings)
        if data_dir is not None:
            prof.paths = replace(prof.paths, data_dir=Path(data_dir).expanduser())
        self._profile: Profile = prof
        self._lock = threading.RLock()  # one vendor operation at a time
        self._open_lock = threading.Lock()
        self._journal: Journal | None = None
        self._closed = False
        self._notice = on_notice or _log_notice

    # --- what it is -------------------------------------------------------------------

    @property
    def profile(self) -> str:
        """The profile's name."""
        return self._profile.name

    @property
    def vendor(self) -> str:
        """The profile's vendor (``oneshot``, ``bizppurio``, ``netshot``, ``bizclient``,
        ``sandbox`` or a plug-in's name)."""
        return str(self._profile.vendor)

    def __repr__(self) -> str:
        return f"Client(profile={self.profile!r}, vendor={self.vendor!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the journal (idempotent). What was sent stays journaled."""
        with self._open_lock:
            self._closed = True
            journal, self._journal = self._journal, None
        if journal is not None:
            with self._lock:
                journal.close()

    # --- sending ----------------------------------------------------------------------

    def send(self, to: str, text: str | Content, *, id: str | None = None,
             sender: str | None = None, subject: str = "", type: str = "auto",
             images: Sequence[StrPath] = (), wait: float = 0.0, allow_unicode: bool = False,
             ignore_optout: bool = False, resend_unknown: bool = False,
             dry_run: bool = False, tag: str = "", ad: bool = False,
             night_consent: bool = False) -> SendResult:
        """Send ``text`` to one number; return what became of it.

        ``id`` is the idempotency key: the same id again is never sent twice (the result
        is ``duplicate``). A bad number, an opted-out one or an empty text is a result
        with status ``invalid``, not an exception; a vendor that cannot be reached raises
        :class:`smscli.UnreachableError` (``retryable``). ``wait`` seconds: wait for the
        delivery report (status ``delivered``/``failed`` if it came). ``tag``: the
        campaign tag (journaled, carried to the vendor where it has a place). ``ad``: an
        advertisement ("(광고)" and the profile's ``ad_name`` first, "무료거부" and its
        ``optout_number`` last), refused (UsageError) between 21:00 and 08:00 Korea time
        unless ``night_consent``.
        """
        job = self._job(to, text, id=id, sender=sender, subject=subject, type=type,
                        images=images, wait=wait, allow_unicode=allow_unicode,
                        ignore_optout=ignore_optout, resend_unknown=resend_unknown,
                        dry_run=dry_run, tag=tag, ad=ad, night_consent=night_consent)
        return self._one(job)

    def reserve(self, to: str, text: str | Content, *, at: datetime | str,
                id: str | None = None, sender: str | None = None, subject: str = "",
                type: str = "auto", images: Sequence[StrPath] = (),
                allow_unicode: bool = False, ignore_optout: bool = False, tag: str = "",
                ad: bool = False, night_consent: bool = False) -> SendResult:
        """Schedule ``text`` to one number at ``at`` (an aware datetime, a naive one in
        Korea time, or ``"YYYY-MM-DD HH:MM"``): kept by the vendor where it can, else held
        in the journal for ``smscli reserve flush``. The result's status is
        ``scheduled``."""
        job = self._job(to, text, id=id, sender=sender, subject=subject, type=type,
                        images=images, allow_unicode=allow_unicode,
                        ignore_optout=ignore_optout, at=_when(at), tag=tag, ad=ad,
                        night_consent=night_consent)
        return self._one(job)

    def send_many(self, rows: Iterable[Mapping[str, Any] | str], *, template: str | Content,
                  id: str | None = None, sender: str | None = None, subject: str = "",
                  type: str = "auto", images: Sequence[StrPath] = (),
                  at: datetime | str | None = None, wait: float = 0.0,
                  allow_unicode: bool = False, ignore_optout: bool = False,
                  resume: str | None = None, resend_unknown: bool = False,
                  dry_run: bool = False, tag: str = "", ad: bool = False,
                  night_consent: bool = False,
                  on_result: Callable[[SendResult], None] | None = None) -> Batch:
        """Send ``template`` to every row: a mapping with ``phone`` (or ``to``), an
        optional ``id`` (the row's idempotency key) and the ``{variables}``; a plain
        string is a number. Rows are read lazily, in chunks journaled before they are
        sent, so a generator of a million rows keeps memory flat.

        Rows without an ``id`` get ids derived from the run (``Batch.run_id``); after a
        crash or an exception, ``resume=run_id`` (or ``"latest"``) with the same rows
        sends only what was not accepted. ``on_result`` takes each result as it is
        journaled (then ``Batch.results`` stays empty). ``at`` makes it a reservation.
        ``tag``, ``ad``, ``night_consent``: as for :meth:`send`; a row's ``tag`` key
        tags that row, its ``name`` is the recipient's name.
        """
        from smscli.sending import Hooks, Recipients, SendJob, content_for, dry_run_result

        collected: list[SendResult] = []
        take = on_result or collected.append

        def emit(item: SendResult | dict) -> None:
            take(dry_run_result(item) if isinstance(item, dict) else item)

        job = SendJob(recipients=Recipients(rows=_as_rows(rows)),
                      content=content_for(template, subject=subject, type=type, images=images),
                      sender=sender, id=id, at=_when(at) if at is not None else None,
                      dry_run=dry_run, wait=wait, allow_unicode=allow_unicode,
                      ignore_optout=ignore_optout, resume=resume, resend_unknown=resend_unknown,
                      tag=tag, ad=ad, night_consent=night_consent)
        outcome = self.submit(job, Hooks(emit=emit, info=self._notice, warn=self._notice))
        summary = outcome.summary
        return Batch(run_id=outcome.run_id, results=tuple(collected), counts=dict(summary.counts),
                     notes=tuple(summary.notes), complete=summary.complete,
                     exit_code=int(summary.exit_status()),
                     summary=summary.line("checked" if dry_run else "reserved" if at else "sent"))

    def submit(self, job: SendJob, hooks: Hooks) -> Outcome:
        """Run one send job (:mod:`smscli.sending`): the path the CLI's ``send`` and
        ``reserve`` and every method above take. Not part of the stable API."""
        from smscli.sending import check_job, run_job

        check_job(job)
        with self._lock:
            journal = self._reader() if job.dry_run else self._writer()
            return run_job(self._profile, journal, job, hooks)  # type: ignore[arg-type]

    def cancel(self, message_id: str) -> MessageRecord:
        """Cancel a scheduled message: on the vendor's server first where it keeps the
        reservation, then in the journal. A UsageError when the id is unknown or the
        message is not scheduled."""
        from smscli.vendors.registry import create_vendor

        with self._lock:
            journal = self._writer()
            row = journal.get(message_id)
            if row is None:
                raise UsageError(f"no message with id {message_id!r} in the journal",
                                 hint="see `smscli reserve list`")
            if row["status"] != "scheduled":
                raise UsageError(f"message {message_id} is {row['status']}, not scheduled: nothing to cancel")
            if not row["held"]:  # the vendor keeps this reservation: cancel it there first
                create_vendor(self._profile, journal).cancel(message_id, row["server_id"] or "")
            return _record(journal.cancel(message_id), ())

    def flush(self, *, on_result: Callable[[SendResult], None] | None = None,
              stop: threading.Event | None = None) -> Batch:
        """Send this profile's reservations held in the journal that are due (what
        ``smscli reserve flush`` does, e.g. from cron); what is not sent stays held."""
        from smscli import dispatch, timeutil
        from smscli.sending import EventsShown
        from smscli.vendors.registry import create_vendor

        collected: list[SendResult] = []
        with self._lock:
            journal = self._writer()
            vendor = create_vendor(self._profile, EventsShown(journal, self._notice))
            summary = dispatch.send_due(self._profile, journal, vendor, timeutil.now_kst(),
                                        on_result or collected.append, stop=stop)
        return Batch(run_id="", results=tuple(collected), counts=dict(summary.counts),
                     notes=tuple(summary.notes), complete=summary.complete,
                     exit_code=int(summary.exit_status()), summary=summary.line("flushed"))

    def due_profiles(self) -> list[str]:
        """Profiles of this data dir with reservations due now (``reserve flush`` with no
        profile flushes each)."""
        from smscli import timeutil

        with self._lock:
            return self._writer().due_profiles(timeutil.now_kst())

    # --- reports and the journal ------------------------------------------------------

    def poll(self, *, timeout: float = 10.0, confirm: bool = True,
             on_report: Callable[[Report], None] | None = None) -> PollResult:
        """Fetch delivery reports from the vendor (up to ``timeout`` seconds, less on
        silence), store them in the journal and acknowledge them (unless ``confirm`` is
        false); return the newly stored ones. ``on_report`` takes each as it is stored."""
        from smscli.fallback import Fallback
        from smscli.sending import EventsShown
        from smscli.vendors.registry import create_vendor

        stored: list[Report] = []
        received = 0

        def on_reports(reports: list[Report]) -> None:
            nonlocal received
            received += len(reports)
            if fallback is not None:  # a fallback's report also settles its parent
                reports = fallback.expand(reports)
            for rep in journal.add_reports(reports):  # stored before the vendor is told
                stored.append(rep)
                if on_report is not None:
                    on_report(rep)

        with self._lock:
            journal = self._writer()
            vendor = create_vendor(self._profile, EventsShown(journal, self._notice))
            fallback = Fallback.for_vendor(journal, vendor, self._profile.name)
            vendor.poll(on_reports, timeout=timeout, confirm=confirm)
            if fallback is not None and fallback.send(on_reports=on_reports):
                self._notice(f"sent {fallback.sent} fallback message(s) for Kakao/RCS messages "
                             "that were not delivered")  # once each: the journal decides
        return PollResult(reports=tuple(stored), received=received)

    def confirm(self, msgids: Iterable[str]) -> dict[str, bool]:
        """Acknowledge stored reports by the vendor's message id (a Bizppurio operation), so
        they are not sent again. Each msgid (once, in order) maps to True when it was
        confirmed, False when no stored report has it (it is not sent to the vendor)."""
        from smscli.sending import EventsShown
        from smscli.vendors.registry import create_vendor

        prof = self._profile
        if prof.vendor != "bizppurio":
            how = ("it acknowledges each report as it is stored (`smscli result poll`)" if prof.vendor
                   in ("oneshot", "sandbox") else "it has no confirm step")
            raise UsageError(f"result confirm is a Bizppurio operation; profile '{prof.name}' is "
                             f"{prof.vendor}: {how}")
        wanted = list(dict.fromkeys(msgids))
        journal = self._reader()  # a journal opened for reading, or the empty stand-in
        seen = journal.report_values("bizppurio", "msgid", wanted)
        known = [m for m in wanted if m in seen]
        if not known:
            others = f" (nor {len(wanted) - 1} other(s))" if len(wanted) > 1 else ""
            raise UsageError(f"no report in the journal has msgid {wanted[0]!r}{others}: nothing confirmed",
                             hint="`smscli result poll --no-confirm` stores reports without confirming them; "
                                  "`smscli result list --json` shows what is stored")
        with self._lock:
            create_vendor(prof, EventsShown(journal, self._notice)).confirm(known)
        return {m: m in seen for m in wanted}

    def listen(self, *, host: str = "127.0.0.1", port: int = 8080,
               on_report: Callable[[Report], None] | None = None,
               log: Callable[[str], None] | None = None, max_body: int = 1024 * 1024,
               request_timeout: float = 10.0) -> None:
        """Receive pushed reports (Bizppurio POST, BizNetShot GET, any path) on this thread
        until interrupted (KeyboardInterrupt, also on SIGTERM): each is stored in the journal,
        which matches it to its message and drops re-pushes, then given to ``on_report``.
        ``log`` takes the server's lines. An exception from ``on_report`` answers that
        request with 500, and the vendor pushes the report again."""
        from smscli import listen as listener

        journal = self._writer()

        def on_reports(reports: list[Report]) -> None:
            for rep in journal.add_reports(reports):  # stored before it is shown
                if on_report is not None:
                    on_report(rep)

        listener.serve(host=host, port=port, on_reports=on_reports, log=log, max_body=max_body,
                       request_timeout=request_timeout)

    def upload(self, files: Sequence[StrPath]) -> list[Upload]:
        """Check JPEG images by content against the vendor's limits and upload them; the
        vendor's key for each, in order. On a vendor that sends files with the message, a
        :class:`~smscli.errors.UsageError` says so."""
        from smscli.images import check_for_vendor
        from smscli.sending import EventsShown
        from smscli.vendors.registry import create_vendor

        paths = [Path(f) for f in files]
        with self._lock:
            vendor = create_vendor(self._profile, EventsShown(self._writer(), self._notice))
            if not vendor.can_upload:
                vendor.upload(paths)  # raises the vendor's own explanation
            infos = check_for_vendor(paths, vendor.limits, vendor.name)
            keys = vendor.upload([i.path for i in infos])
        return [Upload(str(i.path), key, i.size, i.width, i.height, vendor.name)
                for i, key in zip(infos, keys, strict=True)]

    def reservations(self, *, profile: str | None = None) -> Iterator[MessageRecord]:
        """Scheduled messages of this data dir's journal (every profile's, or ``profile``'s),
        soonest created first, a page at a time (``send_at``, ``type``, ``profile`` and
        ``text`` are set)."""
        for row in self._reader().iter_messages(status="scheduled", profile=profile):
            yield _record(row, ())

    def result(self, message_id: str) -> MessageRecord | None:
        """The journal's story of one message (its state and its reports), or None when
        the journal has no such id."""
        journal = self._reader()
        row = journal.get(message_id)
        if row is None:
            return None
        reports = tuple(journal.list_reports(message_id=message_id)) if hasattr(journal, "list_reports") else ()
        return _record(row, reports)

    def messages(self, *, status: str | None = None, since: datetime | str | None = None,
                 **filters: Any) -> Iterator[MessageRecord]:
        """This profile's messages in the journal, oldest first: every one, or those
        ``status``, ``since`` and the other filters select (``until``, ``to``, ``id`` (a
        prefix when it ends with ``*``), ``tag``, ``type``, ``code``; ``newest=N`` keeps
        the newest N; ``all_profiles=True`` every profile's). Times: a datetime, or
        ``"1h"``, ``"2d"``, ISO 8601."""
        from smscli.journal import _MESSAGE_COLUMNS, _message_dict

        flt, newest = self._filter(status, since, filters)
        journal = self._reader()
        if not hasattr(journal, "iter_pages"):
            return
        for page in journal.iter_pages(flt, _MESSAGE_COLUMNS, newest=newest):
            for row in page:
                yield _record(_message_dict(row), ())

    def message_rows(self, *, status: str | None = None, since: datetime | str | None = None,
                     fields: Sequence[str] = RESULT_FIELDS, **filters: Any) -> Iterator[tuple[str, ...]]:
        """What :meth:`messages` gives (the same filters), as tuples of strings in
        ``fields`` order (default ``smscli.models.RESULT_FIELDS``, ``MessageRecord.to_json``'s
        keys; ``smscli.journal_history.LIST_FIELDS`` adds type, tag, profile and
        created_at): read a page at a time, the fast way to export a big journal."""
        for page in self.message_pages(status=status, since=since, fields=fields, **filters):
            yield from page

    def message_pages(self, *, status: str | None = None, since: datetime | str | None = None,
                      fields: Sequence[str] = RESULT_FIELDS,
                      **filters: Any) -> Iterator[list[tuple[str, ...]]]:
        """:meth:`message_rows` a page (a list of up to 2,000 tuples) at a time."""
        from smscli.journal_history import list_columns

        flt, newest = self._filter(status, since, filters)
        journal = self._reader()
        if not hasattr(journal, "iter_pages"):
            return iter(())
        return journal.iter_pages(flt, list_columns(fields), newest=newest)

    def count(self, *, status: str | None = None, since: datetime | str | None = None,
              **filters: Any) -> int:
        """How many messages :meth:`messages` would give with these filters (no ``newest``)."""
        flt, _ = self._filter(status, since, filters)
        journal = self._reader()
        return journal.count_messages(flt) if hasattr(journal, "count_messages") else 0

    def story(self, message_id: str) -> dict[str, Any]:
        """One message's whole story as a JSON object (``result show --json``): the row,
        ``history`` (state changes, reports, fallbacks with their times), ``reports``
        (with the vendor's fields) and ``fallbacks``. Raises ``SmscliError`` (exit 1)
        naming the nearest ids when the journal has no such id."""
        from smscli.journal_history import UnknownMessage

        journal = self._reader()
        if not hasattr(journal, "story"):
            raise UnknownMessage(f"no message {message_id!r} in the journal (there is no journal yet)")
        return journal.story(message_id)

    def stats(self, *, by: str = "status", since: datetime | str | None = None,
              **filters: Any) -> list[dict[str, Any]]:
        """Counts per group of this profile's messages (``result stats --json``): ``by``
        status, code, type, vendor, telecom, day, hour or tag; each group's ``count``,
        ``delivered``, ``failed``, ``waiting`` and ``rate`` (delivered / count), by code
        also ``vendor``, ``meaning`` and ``category``. Filters as :meth:`messages`."""
        from smscli.history import stats
        from smscli.journal_history import GROUPS

        if by not in GROUPS:
            raise UsageError(f"--by {by!r} is not a grouping", hint=f"use one of: {', '.join(GROUPS)}")
        flt, _ = self._filter(None, since, filters)
        return stats(self._reader(), flt, by)

    def _filter(self, status: str | None, since: datetime | str | None,
                filters: dict[str, Any]) -> tuple[Any, int | None]:
        from smscli.journal_history import build_filter

        options = dict(filters)
        newest = options.pop("newest", None)
        every = options.pop("all_profiles", False)
        known = {"until", "to", "id", "tag", "type", "code"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown filter(s): {', '.join(unknown)}")
        if newest is not None and (not isinstance(newest, int) or newest < 0):
            raise UsageError(f"newest must be a whole number ≥ 0, not {newest!r}")
        flt = build_filter(profile=None if every else self.profile, status=status, since=since,
                           **options)
        return flt, newest

    # --- 080 opt-outs ------------------------------------------------------------------

    def optouts(self) -> Iterator[OptOut]:
        """The opt-out list of this data dir's journal (every profile's), oldest first, a
        page at a time. Sends skip these numbers unless ``ignore_optout``."""
        from smscli.optout import OptOut

        for row in self._reader().iter_suppression():
            yield OptOut(row["phone"], row["deny_no"], row["source"], row["at"])

    def add_optouts(self, numbers: Iterable[str], *, source: str = "manual",
                    deny_no: str = "") -> list[str]:
        """Put ``numbers`` on the opt-out list (a UsageError for a number that is not a
        recipient's, and then none is added); returns those that were not listed yet
        (normalised). One already listed keeps its source and date."""
        from smscli.optout import checked_numbers

        wanted = checked_numbers(numbers)
        with self._lock:
            return self._writer().add_suppressions(wanted, source, deny_no)

    def remove_optouts(self, numbers: Iterable[str]) -> list[str]:
        """Take ``numbers`` off the opt-out list; returns those that were listed
        (normalised): later sends reach them again."""
        from smscli.phone import normalize

        wanted = [normalize(n) for n in numbers]
        with self._lock:
            return self._writer().remove_suppressions(wanted)

    def is_opted_out(self, number: str) -> bool:
        """Whether ``number`` (any spelling) is on the opt-out list."""
        return self._reader().is_suppressed(number)

    # --- the journal ------------------------------------------------------------------

    def _writer(self) -> Journal:

        with self._open_lock:
            if self._closed:
                raise UsageError("this Client is closed")
            if self._journal is None:
                self._journal = self._profile.journal.open(self._profile.data_dir)
            return self._journal

    def _reader(self) -> Journal | EmptyJournal:
        """The open journal, else one opened for reading (a read-only data dir will do)."""
        from smscli.journal import Journal

        with self._open_lock:
            if self._closed:
                raise UsageError("this Client is closed")
            if self._journal is not None:
                return self._journal
        journal = self._profile.journal.open_for_reading(self._profile.paths.data_dir)
        if isinstance(journal, Journal):
            with self._open_lock:
                if self._journal is None:
                    self._journal = journal
                    return journal
            journal.close()
            assert self._journal is not None
            return self._journal
        return journal

    def _job(self, to: str, text: str | Content, *, at: datetime | None = None,
             images: Sequence[StrPath] = (), subject: str = "", type: str = "auto",
             **options: Any) -> SendJob:
        from smscli.sending import Recipients, SendJob, content_for

        if not isinstance(to, str) or "," in to:
            raise UsageError(f"send takes one number, not {to!r}", hint="use send_many for several")
        return SendJob(recipients=Recipients(numbers=(to,)),
                       content=content_for(text, subject=subject, type=type, images=images),
                       at=at, **options)

    def _one(self, job: SendJob) -> SendResult:
        from smscli.sending import Hooks, dry_run_result

        results: list[SendResult] = []

        def emit(item: SendResult | dict) -> None:
            results.append(dry_run_result(item) if isinstance(item, dict) else item)

        self.submit(job, Hooks(emit=emit, info=self._notice, warn=self._notice))
        if not results:  # a stop before it was handed over (only a signal does that)
            raise UsageError("the message was not sent")
        return results[-1]


def _when(at: datetime | str) -> datetime:
    from smscli import timeutil

    if isinstance(at, str):
        return timeutil.parse_time(at, option="at")
    if not isinstance(at, datetime):
        raise UsageError(f"at must be a datetime or a string, not {at!r}")
    return timeutil.to_kst(at)


def _as_rows(rows: Iterable[Mapping[str, Any] | str]) -> Iterable[Mapping[str, Any]]:
    """Plain strings are numbers: ``{"phone": s}``."""
    if isinstance(rows, str | bytes):
        raise UsageError("send_many takes rows (mappings or numbers), not one string",
                         hint="use send for one number")
    if isinstance(rows, Sequence):
        if any(isinstance(r, str) for r in rows):
            return [{"phone": r} if isinstance(r, str) else r for r in rows]
        return rows  # type: ignore[return-value]
    return ({"phone": r} if isinstance(r, str) else r for r in rows)


def _record(row: Mapping[str, Any], reports: tuple[Report, ...]) -> MessageRecord:
    return MessageRecord(
        message_id=row["id"], to=row["to"], status=row["status"], code=row["code"] or "",
        detail=row["detail"] or "", vendor=row["vendor"], type=row["type"] or "",
        profile=row["profile"], created_at=row["created_at"], updated_at=row["updated_at"],
        delivered_at=row.get("delivered_at") or "", send_at=row.get("send_at") or "",
        server_id=row.get("server_id") or "", reports=reports, text=row.get("text") or "")
