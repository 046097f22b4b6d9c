"""`smscli send` and `smscli reserve`: options → dispatch.run_send → output."""

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from smscli.cli import send_media as media
from smscli.cli.common import (
    RESUME_LATEST,
    ConfigOpt,
    JsonOpt,
    ProfileOpt,
)
from smscli.errors import Interrupted, UsageError

if TYPE_CHECKING:
    from smscli.cli.send_content import ChannelFlags

SEND_EXAMPLES = """Examples:

\b
  smscli send --to 01012345678 --message "hello"
  # two numbers, once: the same command again reports duplicate
  smscli send --to 010-1234-5678,010-2222-3333 -m "공지: 내일 10시에 점검이 있습니다" --id notice-1121
  # {name} from the CSV's name column
  smscli send --csv customers.csv -m "안녕하세요 {name}님" --json > results.jsonl
  cat body.txt | smscli send --to 01012345678 --subject "안내" --type lms
  smscli send --to 01012345678 -m "see photo" --image photo.jpg --wait 30
  # tagged: `smscli result list --tag spring-sale` shows them; a CSV tag column tags its row
  smscli send --csv customers.csv -m "{name}님, 봄 세일 20%" --tag spring-sale
  # AlimTalk (profile key kakao_sender_key); SMS/LMS fallback by default
  smscli send --to 01012345678 --type alimtalk --template ORDER01 -m "주문이 접수되었습니다"
  # #{name} and {name} fill from the CSV alike; buttons from a JSON file
  smscli send --csv customers.csv --type alimtalk --template WELCOME -m "#{name}님 환영합니다" --buttons buttons.json
  # FriendTalk advertising (Kakao labels it); its SMS fallback would need ad_name and optout_number
  smscli send --to 01012345678 --type friendtalk --ad --fallback none -m "신상품 안내" --image-url https://example.com/a.jpg
  smscli send --to 01012345678 --type rcs-lms --title "안내" -m "RCS로 보내는 안내입니다" --fallback none
  # RCS MMS: a JPEG (OneShot uploads it) or an RCS Biz Center id (Bizppurio); suggestions from
  # a file: [{"name": "전화 걸기", "type": "dial", "phone_number": "15880000"}] (also map,
  # location, copy, compose, calendar, WL; or the document's {"suggestions": [{"action": ...}]})
  smscli send --to 01012345678 --type rcs-mms --image maapfile://BR.xxxx.001 -m "신제품" --buttons rcs.json
  # FriendTalk to a Kakao user key (with the number, the vendors' recipient)
  smscli send --to 01012345678 --type friendtalk --user-key KAKAO-USER-7 -m "회원님께 드리는 안내"
  # a fax with a cover (BIZCLIENT): documents and images, landline or mobile
  smscli send --to 0312345678 --type fax --file notice.pdf --cover-title "공지" --cover-text "점검 안내입니다"
  # a voice call read out by text-to-speech (BIZCLIENT); --voice-file msg.wav plays a WAVE
  smscli send --to 01012345678 --type voice -m "내일 오전 10시 예약을 알려드립니다" --retries 2
"""

ToOpt = Annotated[
    list[str] | None,
    typer.Option("--to", "-t", metavar="NUM", help="Recipient number(s); repeatable or comma-separated. Outside Korea: +CC... (E.164; bizppurio sends abroad)."),
]
CsvOpt = Annotated[
    str | None,
    typer.Option("--csv", metavar="FILE", help="CSV of recipients ('-' = stdin): a `phone` column, other columns are {variables}, optional `id`, "
                              "`tag` (the row's campaign tag) and `name` (the recipient's name)."),
]
MessageOpt = Annotated[str | None, typer.Option("--message", "-m", metavar="TEXT", help="Message text; {column} fills from the CSV.")]
MessageFileOpt = Annotated[
    str | None, typer.Option("--message-file", metavar="FILE", help="Read the message from FILE ('-' = stdin).")
]
FromOpt = Annotated[str | None, typer.Option("--from", metavar="NUM", help="Callback number (default: the profile's `sender`).")]
SubjectOpt = Annotated[str, typer.Option("--subject", metavar="TEXT", help="Subject (LMS/MMS).")]
TypeOpt = Annotated[str, typer.Option("--type", metavar="TYPE", help="auto | sms | lms | mms (auto: SMS ≤ 90 bytes, else LMS; MMS with images) | alimtalk | alimtalk-image | friendtalk | rcs-sms | rcs-lms | rcs-mms | rcs-template | fax | voice (fax/voice: BIZCLIENT).")]
ImageOpt = Annotated[list[Path] | None, typer.Option("--image", metavar="FILE", help="JPEG to attach (repeatable, up to 3): sends MMS. With --type rcs-mms: its one image, a JPEG (OneShot uploads it) or an RCS Biz Center id maapfile://... (Bizppurio).")]
IdOpt = Annotated[
    str | None,
    typer.Option("--id", metavar="KEY", help="Idempotency key: re-running with the same key never sends twice."),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Validate and show type, bytes and recipients; connect to nothing.")]
WaitOpt = Annotated[float, typer.Option("--wait", metavar="SECONDS", help="Wait up to SECONDS for delivery reports before exiting.", min=0)]
UnicodeOpt = Annotated[bool, typer.Option("--allow-unicode", help="Send characters CP949 cannot carry (emoji...) anyway.")]
OptoutOpt = Annotated[bool, typer.Option("--ignore-optout", help="Also send to numbers on the 080 opt-out list.")]
WindowOpt = Annotated[
    bool | None,
    typer.Option("--wait-window/--no-wait-window", show_default=False,
                 help="OneShot outside its sending hours: wait for them (countdown on a terminal) / fail "
                      "(exit 4). Default: hold the messages for the opening; `reserve flush` sends them."),
]
ResumeOpt = Annotated[
    str | None,
    typer.Option("--resume", metavar="[RUN_ID]", show_default=False,
                 help="Continue a run cut short: the newest of this profile with the same input, or RUN_ID "
                      "(`smscli runs`). Only what was not accepted is sent; safe to retry."),
]
ResendUnknownOpt = Annotated[
    bool,
    typer.Option("--resend-unknown", help="Bizppurio: also send again what was handed over before without a "
                                          "journaled answer (it may arrive twice)."),
]
TagOpt = Annotated[
    str,
    typer.Option("--tag", metavar="NAME", help="Campaign tag, journaled (`result list --tag`) and carried to the vendor "
                                               "where it has a place; a CSV `tag` column tags its row."),
]
AdOpt = Annotated[
    bool,
    typer.Option("--ad", help="Advertising: SMS/LMS/MMS get \"(광고)\" and the profile's `ad_name` first, \"무료거부\" "
                              "and its `optout_number` last; FriendTalk adflag Y, RCS header 1. Refused between "
                              "21:00 and 08:00 Korea time without --night-consent."),
]
NightOpt = Annotated[
    bool, typer.Option("--night-consent", help="--ad between 21:00 and 08:00: the recipients agreed to night-time advertising."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Print every row (a terminal shows only the rows that did "
                                                            "not go well of a send to more than 50).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="Print no rows: only the summary and errors.")]
TemplateOpt = Annotated[str | None, typer.Option(
    "--template", metavar="CODE", show_default=False,
    help="AlimTalk template code (required for --type alimtalk / alimtalk-image).")]
TitleOpt = Annotated[str, typer.Option(
    "--title", metavar="TEXT", help="AlimTalk emphasised title (RCS: the title); {column} fills from the CSV.")]
ButtonsOpt = Annotated[str | None, typer.Option(
    "--buttons", metavar="FILE", show_default=False,
    help='Buttons, JSON (\'-\' = stdin): a list, or {"button": [...]}; URLs take {column}. '
         'A CSV `buttons` column names a file per row.')]
ImageUrlOpt = Annotated[str | None, typer.Option(
    "--image-url", metavar="URL", show_default=False, help="FriendTalk image (alimtalk-image: the template's image).")]
ImageLinkOpt = Annotated[str | None, typer.Option(
    "--image-link", metavar="URL", show_default=False, help="Where a tap on the FriendTalk image leads.")]
WideOpt = Annotated[bool, typer.Option("--wide", help="FriendTalk wide image.")]
UserKeyOpt = Annotated[str | None, typer.Option(
    "--user-key", metavar="KEY", show_default=False,
    help="FriendTalk: the recipient's Kakao user key (sent with the number; a CSV `user_key` column gives one per row).")]
RcsBaseOpt = Annotated[str | None, typer.Option(
    "--rcs-base", metavar="ID", show_default=False,
    help="RCS message base (template) id; rcs-sms/lms/mms default to the common formats.")]
KakaoTimeoutOpt = Annotated[int | None, typer.Option(
    "--kakao-timeout", metavar="SECONDS", min=1, show_default=False,
    help="Seconds before the vendor gives up on Kakao and falls back (vendors that take it).")]
FallbackOpt = Annotated[str, typer.Option(
    "--fallback", metavar="TYPE",
    help="Kakao/RCS fallback: auto | sms | lms | mms | none (auto: SMS when it fits 90 bytes and has no "
         "--fallback-subject, else LMS; mms: the --image files).")]
FallbackMessageOpt = Annotated[str | None, typer.Option(
    "--fallback-message", metavar="TEXT", show_default=False,
    help="Fallback text (default: the Kakao/RCS text); {column} fills from the CSV.")]
FallbackSubjectOpt = Annotated[str, typer.Option("--fallback-subject", metavar="TEXT", help="Fallback LMS/MMS subject.")]


def register(app: typer.Typer) -> None:
    app.command("send", help="Send SMS/LMS/MMS, Kakao AlimTalk/FriendTalk, RCS, a fax or a voice call to one or many "
                             "recipients.",
                epilog=SEND_EXAMPLES)(send)


def send(
    to: ToOpt = None,
    csv: CsvOpt = None,
    message: MessageOpt = None,
    message_file: MessageFileOpt = None,
    sender: FromOpt = None,
    subject: SubjectOpt = "",
    type_: TypeOpt = "auto",
    image: ImageOpt = None,
    id_: IdOpt = None,
    dry_run: DryRunOpt = False,
    wait: WaitOpt = 0.0,
    json_: JsonOpt = False,
    allow_unicode: UnicodeOpt = False,
    ignore_optout: OptoutOpt = False,
    wait_window: WindowOpt = None,
    resume: ResumeOpt = None,
    resend_unknown: ResendUnknownOpt = False,
    tag: TagOpt = "",
    ad: AdOpt = False,
    night_consent: NightOpt = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    template: TemplateOpt = None,
    title: TitleOpt = "",
    buttons: ButtonsOpt = None,
    image_url: ImageUrlOpt = None,
    image_link: ImageLinkOpt = None,
    wide: WideOpt = False,
    user_key: UserKeyOpt = None,
    rcs_base: RcsBaseOpt = None,
    kakao_timeout: KakaoTimeoutOpt = None,
    fallback: FallbackOpt = "auto",
    fallback_message: FallbackMessageOpt = None,
    fallback_subject: FallbackSubjectOpt = "",
    file: media.FileOpt = None,
    cover_title: media.CoverTitleOpt = "",
    cover_text: media.CoverTextOpt = "",
    voice_file: media.VoiceFileOpt = None,
    scenario: media.ScenarioOpt = None,
    reply: media.ReplyOpt = False,
    sms_on_fail: media.SmsOnFailOpt = False,
    retries: media.RetriesOpt = None,
    attach: media.AttachOpt = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Send SMS/LMS/MMS, Kakao AlimTalk/FriendTalk, RCS, a fax or a voice call to one or many recipients."""
    from smscli.cli.send_content import ChannelFlags

    flags = ChannelFlags(template=template, title=title, buttons=buttons, ad=ad, image_url=image_url,
                         image_link=image_link, wide=wide, rcs_base=rcs_base, kakao_timeout=kakao_timeout,
                         user_key=user_key, fallback=fallback, fallback_message=fallback_message,
                         fallback_subject=fallback_subject,
                         media=media.media_flags(file=file, cover_title=cover_title, cover_text=cover_text,
                                                 voice_file=voice_file, scenario=scenario, reply=reply,
                                                 sms_on_fail=sms_on_fail, retries=retries, attach=attach))
    code = run(
        to=to, csv=csv, message=message, message_file=message_file, sender=sender, subject=subject,
        type_=type_, image=image, id_=id_, dry_run=dry_run, wait=wait, json_=json_,
        allow_unicode=allow_unicode, ignore_optout=ignore_optout, wait_window=wait_window,
        profile=profile, config=config, at=None, resume=resume, resend_unknown=resend_unknown,
        tag=tag, ad=ad, night_consent=night_consent, verbose=verbose, quiet=quiet, flags=flags,
    )
    raise typer.Exit(code)


def run(*, to, csv, message, message_file, sender, subject, type_, image, id_, dry_run, wait,
        json_, allow_unicode, ignore_optout, wait_window, profile, config, at,
        resume=None, resend_unknown=False, tag="", ad=False, night_consent=False,
        verbose=False, quiet=False, flags: "ChannelFlags | None" = None) -> int:
    """Shared by `send` and `reserve`: the flags → :meth:`smscli.Client.submit` → output;
    returns the exit code."""
    from smscli import interrupts, send_view, sending
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.cli.send_content import ChannelFlags, build_content
    from smscli.client import Client
    from smscli.content import ALL_TYPES
    from smscli.errors import SmscliError

    flags = flags or ChannelFlags()
    if type_ not in ALL_TYPES:
        raise UsageError(f"--type must be one of {', '.join(ALL_TYPES)}, not {type_!r}")
    if verbose and quiet:
        raise UsageError("give --verbose or --quiet, not both")
    if night_consent and not ad:
        raise UsageError("--night-consent goes with --ad", hint="it says the recipients agreed to night-time advertising")
    if to and csv:
        raise UsageError("give recipients with --to or --csv, not both")
    if not to and not csv:
        raise UsageError("no recipients", hint="pass --to NUMBER or --csv FILE")
    if message is not None and message_file is not None:
        raise UsageError("give the text with --message or --message-file, not both")
    media.check_flags(type_, flags.media, other=flags.given(), subject=subject, images=image,
                      message_given=message is not None or message_file is not None)
    stdin_for = "the CSV" if csv == "-" else ""  # one reader of stdin at most
    if flags.buttons == "-":
        if stdin_for or message_file == "-":
            raise UsageError(f"stdin is already {stdin_for or 'the message (--message-file -)'}; "
                             "pass the buttons with --buttons FILE")
        stdin_for = "the buttons (--buttons -)"
    if message is None:
        if media.needs_message(type_, message, flags.media) or message_file is not None:
            message = _read_message(message_file, stdin_taken=stdin_for)
        else:
            message = ""
    send_at = None
    # --at is read after the text and image checks (check_job), which say what is wrong first
    if at is not None and (message.strip() or type_ in ("fax", "voice")) and not (type_ == "mms" and not image):
        from smscli import timeutil

        send_at = timeutil.parse_time(at, option="--at")
        if send_at <= timeutil.now_kst():
            raise UsageError(f"--at {at!r} is in the past (Korea time now: {timeutil.now_kst():%Y-%m-%d %H:%M})")
    job = sending.SendJob(
        recipients=sending.Recipients(numbers=tuple(to or ()), csv=csv if not to else None),
        content=build_content(type_, message, subject, image, flags),
        sender=sender, id=id_, at=send_at, dry_run=dry_run, wait=wait,
        allow_unicode=allow_unicode, ignore_optout=ignore_optout,
        resume=None if resume is None else (sending.RESUME_LATEST if resume == RESUME_LATEST else resume),
        resend_unknown=resend_unknown, tag=tag, ad=ad, night_consent=night_consent,
    )
    sending.check_job(job)
    overrides = None if wait_window is None else {"wait_window": wait_window}
    name, path = choose(profile, config)
    client = Client(name, config=path, settings=overrides)
    # stdout closed (`| head`): stop as on Ctrl-C (what is in flight is journaled), exit 141
    out = Output(json_, columns=["to", "status", "type", "code", "detail", "message_id"],
                 drop_when_closed=True)
    count = len(recipients_of(to)) if to else None
    if count is None and csv and out.is_tty(sys.stderr):  # the progress bar's total
        count = send_view.count_csv_rows(csv)
    rows = send_view.RowFilter(out.emit, mode=send_view.mode_for(
        tty=out.is_tty(out.stdout), json_mode=json_, verbose=verbose, quiet=quiet))

    show = out.emit if rows.mode == "all" else rows  # every row: no filter in between

    def emit(result) -> None:
        show(result if isinstance(result, dict) else result.to_json())

    with out.progress("checking" if dry_run else "sending", total=count) as bar, \
            interrupts.graceful_stop(out.info) as stop:
        out.on_close = stop.set
        seen: Counter[str] = Counter()

        def tick(result) -> None:
            seen[result.status] += 1
            bar.advance(1, **seen)

        hooks = sending.Hooks(emit=emit, info=out.info, warn=_warn, progress=tick, stop=stop,
                              waiting=_Countdown(out))
        try:
            outcome = client.submit(job, hooks)
        except SmscliError:
            rows.finish()
            out.flush()
            raise
    rows.finish()
    out.flush()
    summary, run_id = outcome.summary, outcome.run_id
    unfinished = sending.unfinished(run_id)
    verb = "checked" if dry_run else ("reserved" if at else "sent")
    out.info(summary.line(verb))
    if rows.big and rows.hidden:
        where = "--verbose prints them" if dry_run else (
            f"`{send_view.see_all_hint(run_id=run_id, tag=tag, id_key=id_, prefix=rows.prefix)}` "
            "shows them all (--verbose prints every row)")
        out.info(f"smscli: {rows.hidden} row(s) that went well are not shown; {where}")
    for note in summary.notes:
        out.warn(note)
    if not summary.complete:
        raise Interrupted(f"stopped: {summary.left} row(s) not handed over; {unfinished}")
    if stop.is_set():  # a Ctrl-C that came when everything was handed over already
        raise Interrupted(f"interrupted after every row was handed over: run {run_id} "
                          "finished, nothing is left to resume")
    waiting = summary.counts.get("accepted", 0) if wait > 0 else 0
    if waiting:
        out.info(f"no delivery report within {wait:g} s for {waiting} message(s); "
                 "`smscli result poll` (or `result listen`) collects them later")
    return int(summary.exit_status())


def recipients_of(to: list[str]) -> list[str]:
    from smscli import recipients

    return recipients.parse_to_options(to)


def _warn(line: str) -> None:
    print(line, file=sys.stderr)


class _Countdown:
    """``Vendor.waiting``: a countdown on a terminal (stderr), one line otherwise."""

    def __init__(self, out) -> None:
        self.out, self.said = out, False

    def __call__(self, left: float, why: str) -> None:
        secs = int(left)
        clock = f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        if self.out.is_tty(sys.stderr):
            sys.stderr.write(f"\rsmscli: waiting for {why}: {clock} left (Ctrl-C stops) \x1b[K")
            sys.stderr.flush()
        elif not self.said:
            self.out.info(f"smscli: waiting {clock} for {why}")
        self.said = True


def _read_message(path: str | None, *, stdin_taken: str) -> str:
    """The text of ``--message-file`` (``-``, or nothing with stdin piped: stdin);
    ``stdin_taken`` names what already reads stdin ("": nothing)."""
    if path == "-" or (path is None and not stdin_taken and not sys.stdin.isatty()):
        if stdin_taken:
            raise UsageError(f"stdin is already {stdin_taken}; pass the text with --message or --message-file FILE")
        return _decode_text(_at_most(sys.stdin.buffer, "stdin"), "stdin")
    if path is None:
        hint = f"pass --message TEXT or --message-file FILE: stdin is {stdin_taken}" if stdin_taken \
            else "pass --message TEXT, --message-file FILE, or pipe it on stdin"
        raise UsageError("no message text", hint=hint)
    try:
        with Path(path).open("rb") as f:
            data = _at_most(f, f"message file {path}")
    except OSError as exc:
        raise UsageError(f"cannot read message file {path}: {exc.strerror}") from None
    return _decode_text(data, path)


MAX_MESSAGE_FILE = 64 * 1024  # bytes: far more than any message takes (an LMS: 2000)


def _at_most(stream: BinaryIO, where: str) -> bytes:
    """The message text's bytes; a UsageError past MAX_MESSAGE_FILE, read no further."""
    data = stream.read(MAX_MESSAGE_FILE + 1)
    if len(data) > MAX_MESSAGE_FILE:
        raise UsageError(f"{where} is over {MAX_MESSAGE_FILE // 1024} KiB: no message is that long",
                         hint="an LMS takes 2000 bytes, a Kakao text 1000 characters")
    return data


def _decode_text(data: bytes, where: str) -> str:
    for enc in ("utf-8-sig", "cp949"):
        try:
            return data.decode(enc).rstrip("\r\n")
        except UnicodeDecodeError:
            continue
    raise UsageError(f"{where} is neither UTF-8 nor CP949 text")
