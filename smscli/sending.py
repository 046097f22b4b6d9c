"""One send (or reservation) as a job: checks, the run and its fingerprint, the journal and
the vendor around :func:`smscli.dispatch.run_send`. :class:`smscli.Client` and the CLI's
``send``/``reserve`` both come through :func:`run_job`: one path, the same guarantees.

Moved here from ``smscli/cli/send.py`` largely as it was; what is the CLI's own (reading
the text from a file or stdin, the progress bar, Ctrl-C, the summary line) stays there
and reaches the job through :class:`Hooks`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.content import TEXT_TYPES, Content, Fax, Kakao, Rcs, Text, Voice, refusal
from smscli.errors import Interrupted, SmscliError, UsageError
from smscli.job_rows import check_template, job_rows
from smscli.models import SendResult
from smscli.records import record
from smscli.text import InvalidInput

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.dispatch import Summary
    from smscli.journal import Journal
    from smscli.vendors.base import Vendor

RESUME_LATEST = "latest"  # resume the newest run with the same input


@record
class Recipients:
    """Who gets the message: ``numbers`` (``--to``), a ``csv`` path (``-`` = stdin), or
    ``rows`` (mappings with ``phone`` or ``to``, an optional ``id``, the rest variables)."""

    numbers: tuple[str, ...] = ()
    csv: str | None = None
    rows: Iterable[Mapping[str, Any]] | None = None

    def __init__(self, numbers: tuple[str, ...] = (), csv: str | None = None,
                 rows: Iterable[Mapping[str, Any]] | None = None) -> None:
        self.__dict__.update(numbers=numbers, csv=csv, rows=rows)


@record
class SendJob:
    """What one send is asked to do (the CLI's flags, the Client's arguments)."""

    recipients: Recipients
    content: Content
    sender: str | None = None
    id: str | None = None
    at: datetime | None = None  # a reservation (aware, in the future)
    dry_run: bool = False
    wait: float = 0.0
    allow_unicode: bool = False
    ignore_optout: bool = False
    resume: str | None = None  # a run id, or RESUME_LATEST
    resend_unknown: bool = False
    tag: str = ""  # the campaign tag (smscli.campaign); a CSV `tag` column wins per row
    ad: bool = False  # advertising: "(광고)" and the opt-out number for text (smscli.advertising),
    # FriendTalk adflag Y, RCS header 1
    night_consent: bool = False  # --ad between 21:00 and 08:00: the recipients agreed

    def __init__(self, recipients: Recipients, content: Content, sender: str | None = None, id: str | None = None,
                 at: datetime | None = None, dry_run: bool = False, wait: float = 0.0,
                 allow_unicode: bool = False, ignore_optout: bool = False, resume: str | None = None,
                 resend_unknown: bool = False, tag: str = "", ad: bool = False,
                 night_consent: bool = False) -> None:
        self.__dict__.update(recipients=recipients, content=content, sender=sender, id=id, at=at,
                             dry_run=dry_run, wait=wait, allow_unicode=allow_unicode,
                             ignore_optout=ignore_optout, resume=resume, resend_unknown=resend_unknown,
                             tag=tag, ad=ad, night_consent=night_consent)


def _say_nothing(line: str) -> None:
    """``Hooks.info``/``warn`` by default."""


@record(frozen=False)
class Hooks:
    """How a job talks to its caller. ``emit`` gets each result (a dict for a dry run);
    ``info``/``warn`` one line each; ``progress`` each result as it is journaled;
    ``stop`` set: nothing new is handed over; ``waiting`` the vendor's countdown."""

    emit: Callable[[SendResult | dict], None]
    info: Callable[[str], None] = _say_nothing
    warn: Callable[[str], None] = _say_nothing
    progress: Callable[[SendResult], None] | None = None
    stop: threading.Event | None = None
    waiting: Callable[[float, str], None] | None = None

    def __init__(self, emit: Callable[[SendResult | dict], None], info: Callable[[str], None] = _say_nothing,
                 warn: Callable[[str], None] = _say_nothing, progress: Callable[[SendResult], None] | None = None,
                 stop: threading.Event | None = None, waiting: Callable[[float, str], None] | None = None) -> None:
        self.emit, self.info, self.warn = emit, info, warn
        self.progress, self.stop, self.waiting = progress, stop, waiting


@record
class Outcome:
    """What a job did: the summary and the run's id."""

    summary: Summary
    run_id: str

    def __init__(self, summary: Summary, run_id: str) -> None:
        self.__dict__.update(summary=summary, run_id=run_id)


class EventsShown:
    """The journal as a vendor's event sink that also tells the caller (one line per
    080 opt-out or number change the vendor reports)."""

    def __init__(self, journal: Any, info: Callable[[str], None]) -> None:
        self._journal = journal
        self._info = info

    def add_suppression(self, phone: str, deny_no: str = "", source: str = "") -> None:
        self._journal.add_suppression(phone, deny_no, source)
        via = f" via {deny_no}" if deny_no else ""
        self._info(f"smscli: {phone} opted out{via} (080); later sends skip it")

    def add_phone_change(self, phone: str, new_phone: str, server_msg_id: str = "") -> None:
        self._journal.add_phone_change(phone, new_phone, server_msg_id)
        self._info(f"smscli: number change reported by the vendor: {phone} → {new_phone}")

    def __getattr__(self, name: str) -> Any:  # token_get, token_put, ... go to the journal
        return getattr(self._journal, name)


def check_job(job: SendJob) -> None:
    """The checks that need no profile: a UsageError before anything is opened."""
    text = job.content
    if isinstance(text, Kakao | Rcs):
        from smscli import kakao_rules

        kakao_rules.check_content(text)
        _check_common(job)
        return
    if isinstance(text, Fax | Voice):
        from smscli import fax_voice_rules

        if job.ad:
            raise UsageError(f"--ad does not go with --type {text.type}")
        fax_voice_rules.check_content(text)
        _check_common(job)
        return
    if not isinstance(text, Text):
        raise UsageError(f"unknown content {type(text).__name__}")
    if text.type not in TEXT_TYPES:
        raise UsageError(f"--type must be auto, sms, lms or mms, not {text.type!r}")
    if not text.body.strip():
        raise UsageError("empty message", hint="pass --message TEXT, --message-file FILE or text on stdin")
    if text.type == "mms" and not text.images and not text.attachments:
        raise UsageError("--type mms needs at least one --image")
    if text.attachments:
        from smscli import fax_voice_rules

        fax_voice_rules.check_content(text)
    _check_common(job)


def _check_common(job: SendJob) -> None:
    if job.at is not None:
        from smscli import timeutil

        if job.at <= timeutil.now_kst():
            raise UsageError(f"--at {timeutil.format_kst(job.at)!r} is in the past "
                             f"(Korea time now: {timeutil.now_kst():%Y-%m-%d %H:%M})")
    if job.resume is not None and job.dry_run:
        raise UsageError("--resume and --dry-run do not go together", hint="a dry run sends nothing to resume")
    if job.ad:
        from smscli.advertising import check_night

        if job.ignore_optout:
            raise UsageError("--ad with --ignore-optout: advertising must not reach the 080 opt-outs "
                             "(정보통신망법 §50)", hint="drop --ignore-optout (it is for messages that are not advertising)")
        if isinstance(job.content, Kakao) and job.content.type != "friendtalk":
            raise UsageError("AlimTalk carries no advertising: --ad goes with --type friendtalk, rcs-* or SMS/LMS/MMS",
                             hint="send the advertisement as FriendTalk (--type friendtalk --ad)")
        check_night(job.at, night_consent=job.night_consent)


def run_job(prof: Profile, journal: Journal, job: SendJob, hooks: Hooks) -> Outcome:
    """Send (reserve, dry-run) ``job`` on ``prof`` with ``journal``; the summary says what
    became of each row. A stop or an error leaves a run that ``resume`` continues."""
    from smscli import dispatch, ids, runs
    from smscli.vendors.registry import create_vendor

    check_job(job)
    content = job.content
    channel = None
    if isinstance(content, Fax | Voice):
        channel = content
        text = Text(body=content.body, type="auto")
    elif isinstance(content, Kakao | Rcs):
        channel = content if not job.ad or content.ad else replace(content, ad=True)
        # what the SMS-only parts of the pipeline see (an RCS MMS image: checked and uploaded as MMS's)
        text = Text(body=content.body, type="auto", images=content.images if isinstance(content, Rcs) else ())
    else:
        text = content
    assert isinstance(text, Text)
    if job.ad and channel is None:  # the text as it will be sent: sized, typed and shown as such
        from smscli.advertising import profile_template

        text = replace(text, body=profile_template(text.body, prof))
        if job.dry_run:
            hooks.info("smscli: the advertisement as it will be sent:\n" + text.body)
    rows, count, columns, has_id_column, input_part = job_rows(job.recipients, hooks,
                                                            fingerprint=not job.dry_run)
    if job.id and has_id_column:
        hooks.warn("smscli: warning: the CSV's id column gives each row its key; --id is not used")
    if channel is not None:
        from smscli.channel_render import ChannelRender, as_template

        render = ChannelRender(channel, allow_unicode=job.allow_unicode)
        for source, what in zip(render.sources, render.source_names, strict=True):
            check_template(as_template(source), columns, job.recipients, what=what, written=source)
        if not render.names:  # the same content for everyone: one error now, not one per row
            try:
                render.render({}, "")  # "": the recipient is checked per row
            except InvalidInput as exc:
                raise UsageError(f"message: {exc}", hint="nothing was sent") from None
    else:
        check_template(text.body, columns, job.recipients)
    sender_no = job.sender or prof.get("sender")
    vendor = create_vendor(prof, EventsShown(journal, hooks.info))
    refused = refusal(vendor, content)
    if refused:
        raise UsageError(refused, hint="nothing was sent")
    if isinstance(channel, Kakao):
        channel = replace(channel, sender_key=_sender_key(prof, channel))
    elif isinstance(channel, Rcs):
        _check_rcs_keys(prof, vendor)
    if job.dry_run and not sender_no:  # a send would stop here (ensure_sender): the dry run says so
        hooks.warn("smscli: warning: no sender number (pass --from NUMBER or set `sender` in the "
                   "profile): a send would be refused")
    if text.attachments:
        from smscli.fax_voice_rules import MEDIA_WARNING

        hooks.warn(f"smscli: warning: {MEDIA_WARNING}")
    if job.ad and getattr(channel, "fallback", None) is not None:
        # The SMS/LMS a FriendTalk/RCS advertisement falls back to is an advertisement too:
        # "(광고)", the sender's name and the free opt-out number, sized and typed as sent.
        from smscli.advertising import profile_template

        fallback = channel.fallback
        channel = replace(channel, fallback=replace(fallback, body=profile_template(fallback.body, prof)))
    opts = dispatch.SendOptions(
        template=text.body,
        sender=dispatch.ensure_sender(sender_no) if sender_no or not job.dry_run else "",
        subject=text.subject,
        type=text.type,
        images=text.images,
        attachments=text.attachments,
        channel=channel,
        id_key=job.id,
        ids_given=bool(job.id) or has_id_column,
        single_recipient=count == 1,
        send_at=job.at,
        dry_run=job.dry_run,
        wait=job.wait,
        allow_unicode=job.allow_unicode,
        ignore_optout=job.ignore_optout,
        run_id=ids.new_run_id(),
        resend_unknown=job.resend_unknown,
        tag=job.tag.strip(),
        ad=(2 if job.night_consent else 1) if job.ad else 0,
    )
    if hooks.waiting is not None:
        vendor.waiting = hooks.waiting
    command = "reserve" if job.at else "send"
    if not job.dry_run:
        fingerprint = runs.Fingerprint(_fingerprint_parts(command, prof, opts, text.body, input_part))
        if job.resume is not None:
            earlier = runs.choose_run(journal, "" if job.resume == RESUME_LATEST else job.resume,
                                      profile=prof.name, command=command, fingerprint=fingerprint)
            opts = replace(opts, run_id=earlier["id"])
            before = ", ".join(f"{n} {k}" for k, n in sorted(earlier["counts"].items())) or "no answers"
            hooks.info(f"smscli: resuming run {earlier['id']} of {earlier['started_at']} ({before} before)")
        else:
            earlier = runs.unfinished_like(journal, profile=prof.name, command=command, fingerprint=fingerprint)
            if earlier is not None:
                hooks.warn(f"smscli: warning: run {earlier['id']} of {earlier['started_at']} with this same "
                           "input did not finish; this new run sends every row again (the same command "
                           "with --resume sends only the rest of that run)")
            journal.start_run(opts.run_id, command=command, profile=prof.name, vendor=vendor.name,
                              fingerprint=fingerprint.digest, parts=fingerprint.parts)
    try:
        summary = dispatch.run_send(prof, rows, opts, emit=hooks.emit, journal=journal,
                                    vendor=vendor, on_progress=hooks.progress, stop=hooks.stop)
    except KeyboardInterrupt:  # a second Ctrl-C (smscli.interrupts): in-flight answers not waited for
        raise Interrupted(_at_once(journal, opts.run_id, dry_run=job.dry_run)) from None
    except SmscliError as exc:
        # A refusal before the first message (dispatch.Refused, a bad image, a wrong
        # password): nothing to resume. A stop or an unreachable vendor keeps its run:
        # --resume is the next step.
        if not job.dry_run and (job.resume is not None or exc.retryable
                                or not _forget_if_unused(journal, opts.run_id)):
            note = unfinished(opts.run_id)
            exc.hint = f"{exc.hint}; {note}" if exc.hint else note
        raise
    return Outcome(summary, opts.run_id)


def _sender_key(prof: Profile, channel: Kakao) -> str:
    """The Kakao sender (profile) key: the content's, else the profile's ``kakao_sender_key``;
    missing: ConfigError (exit 3) naming the key, before anything is journaled."""
    from smscli import kakao_rules
    from smscli.errors import ConfigError

    key = channel.sender_key or str(prof.get("kakao_sender_key", "") or "")
    if not key:
        raise ConfigError(f"profile {prof.name!r} has no kakao_sender_key (the Kakao sender profile key)",
                          hint=f"smscli config set kakao_sender_key KEY -p {prof.name}, "
                               "or set SMSCLI_KAKAO_SENDER_KEY")
    if len(key) > kakao_rules.MAX_SENDER_KEY:
        raise ConfigError(f"kakao_sender_key of profile {prof.name!r} is {len(key)} characters; "
                          f"at most {kakao_rules.MAX_SENDER_KEY}")
    return key


def _check_rcs_keys(prof: Profile, vendor: Vendor) -> None:
    """The profile keys RCS needs on ``vendor`` (``Vendor.rcs_keys``); one unset:
    ConfigError (exit 3) naming it, before anything is journaled."""
    from smscli.config import env_name
    from smscli.errors import ConfigError

    for key in vendor.rcs_keys:
        if not str(prof.get(key, "") or "").strip():
            raise ConfigError(f"profile {prof.name!r} has no {key} ({vendor.name} needs it for RCS)",
                              hint=f"smscli config set {key} VALUE -p {prof.name}, or set {env_name(key)}")


def _forget_if_unused(journal: Journal, run_id: str) -> bool:
    """A run that failed before it journaled any message is forgotten (nothing to resume);
    if the journal cannot say, it is kept."""
    try:
        return journal.forget_run(run_id)
    except SmscliError:
        return False


def _at_once(journal: Journal, run_id: str, *, dry_run: bool) -> str:
    """What an abort left, as the journal's run says (dispatch.run_send recorded its state):
    a run that had handed every row over finished (`smscli runs` says so); only one that
    had not is unfinished, and ``--resume`` sends the rest."""
    if dry_run:
        return "interrupted at once"
    try:
        run = journal.get_run(run_id)
    except SmscliError:
        run = None
    if run is not None and run["finished"]:
        return (f"interrupted at once after every row was handed over: run {run_id} finished; what "
                "was still in flight was not waited for (`smscli result list --status pending` shows "
                "any message left without an answer)")
    return f"interrupted at once; {unfinished(run_id)}"


def unfinished(run_id: str) -> str:
    return (f"run {run_id} is unfinished: the same command with --resume sends the rest "
            "(what was accepted shows as duplicate)")


def _fingerprint_parts(command: str, prof: Profile, opts: Any, message: str, input_part: str) -> dict[str, str]:
    """What makes a run's input (see smscli.runs): a resume must match it (an --ad run's
    ``message`` is the advertisement's text)."""
    from smscli import runs
    from smscli.channel_render import without_secrets
    from smscli.content import dumps as content_dumps

    return {
        "command": command, "profile": prof.name, "vendor": str(prof.vendor),
        "message": runs.digest(message), "input": input_part, "type": opts.type,
        "subject": runs.digest(opts.subject) if opts.subject else "", "sender": opts.sender,
        "images": runs.files_digest(opts.images) if opts.images else "",
        "at": opts.send_at.isoformat() if opts.send_at else "", "id": opts.id_key or "",
        "allow_unicode": "yes" if opts.allow_unicode else "",
        "ignore_optout": "yes" if opts.ignore_optout else "",
        **({"tag": opts.tag} if opts.tag else {}),  # only when set: older runs' digests stay
        **({"content": runs.digest(content_dumps(without_secrets(opts.channel)))} if opts.channel else {}),
    }  # fmt: skip


def dry_run_result(item: dict[str, Any]) -> SendResult:
    """A dry run's object as a SendResult (status ``valid``, the size in ``detail``)."""
    return SendResult(to=str(item["to"]), status=str(item["status"]), message_id=str(item["message_id"]),
                      vendor=str(item["vendor"]), type=str(item["type"]), code=str(item["code"]),
                      detail=str(item["detail"]))


def content_for(text: str | Content, *, subject: str = "", type: str = "auto",
                images: Sequence[Path | str] = ()) -> Content:
    """``text`` as content (see :func:`smscli.content.as_content`)."""
    from smscli.content import as_content

    return as_content(text, subject=subject, type=type, images=tuple(images))
