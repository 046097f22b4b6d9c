"""`smscli send` and `smscli reserve`: options → dispatch.run_send → output."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from smscli.cli.common import (
    RESUME_LATEST,
    ConfigOpt,
    JsonOpt,
    ProfileOpt,
)
from smscli.errors import Interrupted, UsageError

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
"""

ToOpt = Annotated[
    list[str] | None,
    typer.Option("--to", "-t", metavar="NUM", help="Recipient number(s); repeatable or comma-separated."),
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
TypeOpt = Annotated[str, typer.Option("--type", metavar="TYPE", help="auto | sms | lms | mms (auto: SMS ≤ 90 bytes, else LMS; MMS with images).")]
ImageOpt = Annotated[list[Path] | None, typer.Option("--image", metavar="FILE", help="JPEG to attach (repeatable, up to 3): sends MMS.")]
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
    typer.Option("--ad", help="Advertising: adds \"(광고)\" and the profile's `ad_name` first, \"무료거부\" and its "
                              "`optout_number` last; refused between 21:00 and 08:00 Korea time."),
]
NightOpt = Annotated[
    bool, typer.Option("--night-consent", help="--ad between 21:00 and 08:00: the recipients agreed to night-time advertising."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Print every row (a terminal shows only the rows that did "
                                                            "not go well of a send to more than 50).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="Print no rows: only the summary and errors.")]


def register(app: typer.Typer) -> None:
    app.command("send", help="Send SMS/LMS/MMS to one or many recipients.", epilog=SEND_EXAMPLES)(send)


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
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Send SMS/LMS/MMS to one or many recipients."""
    code = run(
        to=to, csv=csv, message=message, message_file=message_file, sender=sender, subject=subject,
        type_=type_, image=image, id_=id_, dry_run=dry_run, wait=wait, json_=json_,
        allow_unicode=allow_unicode, ignore_optout=ignore_optout, wait_window=wait_window,
        profile=profile, config=config, at=None, resume=resume, resend_unknown=resend_unknown,
        tag=tag, ad=ad, night_consent=night_consent, verbose=verbose, quiet=quiet,
    )
    raise typer.Exit(code)


def run(*, to, csv, message, message_file, sender, subject, type_, image, id_, dry_run, wait,
        json_, allow_unicode, ignore_optout, wait_window, profile, config, at,
        resume=None, resend_unknown=False, tag="", ad=False, night_consent=False,
        verbose=False, quiet=False) -> int:
    """Shared by `send` and `reserve`: the flags → :meth:`smscli.Client.submit` → output;
    returns the exit code."""
    from smscli import interrupts, send_view, sending, timeutil
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client
    from smscli.content import Text
    from smscli.errors import SmscliError

    if type_ not in ("auto", "sms", "lms", "mms"):
        raise UsageError(f"--type must be auto, sms, lms or mms, not {type_!r}")
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
    if message is None:
        message = _read_message(message_file, stdin_taken=(csv == "-"))
    send_at = None
    # --at is read after the text and image checks (check_job), which say what is wrong first
    if at is not None and message.strip() and not (type_ == "mms" and not image):
        send_at = timeutil.parse_time(at, option="--at")
        if send_at <= timeutil.now_kst():
            raise UsageError(f"--at {at!r} is in the past (Korea time now: {timeutil.now_kst():%Y-%m-%d %H:%M})")
    job = sending.SendJob(
        recipients=sending.Recipients(numbers=tuple(to or ()), csv=csv if not to else None),
        content=Text(body=message, subject=subject, type=type_, images=tuple(image or ())),
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

    def emit(result) -> None:
        rows(result if isinstance(result, dict) else result.to_json())

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


def _read_message(path: str | None, *, stdin_taken: bool) -> str:
    if path == "-" or (path is None and not stdin_taken and not sys.stdin.isatty()):
        if stdin_taken:
            raise UsageError("stdin is already the CSV; pass the text with --message or --message-file FILE")
        data = sys.stdin.buffer.read()
        return _decode_text(data, "stdin")
    if path is None:
        raise UsageError("no message text", hint="pass --message TEXT, --message-file FILE, or pipe it on stdin")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read message file {path}: {exc.strerror}") from None
    return _decode_text(data, path)


def _decode_text(data: bytes, where: str) -> str:
    for enc in ("utf-8-sig", "cp949"):
        try:
            return data.decode(enc).rstrip("\r\n")
        except UnicodeDecodeError:
            continue
    raise UsageError(f"{where} is neither UTF-8 nor CP949 text")
