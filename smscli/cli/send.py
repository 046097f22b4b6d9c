"""`smscli send` and `smscli reserve`: options → dispatch.run_send → output."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from smscli.cli.common import ConfigOpt, JsonOpt, ProfileOpt, ShownEvents, current_profile
from smscli.errors import Interrupted, UsageError

SEND_EXAMPLES = """Examples:

  smscli send --to 01012345678 --message "hello"

  smscli send --to 010-1234-5678,010-2222-3333 -m "공지: 점검은 {date}입니다" --id notice-1121

  smscli send --csv customers.csv -m "안녕하세요 {name}님" --json > results.jsonl

  cat body.txt | smscli send --to 01012345678 --subject "안내" --type lms

  smscli send --to 01012345678 -m "see photo" --image photo.jpg --wait 30
"""

ToOpt = Annotated[
    list[str] | None,
    typer.Option("--to", "-t", metavar="NUM", help="Recipient number(s); repeatable or comma-separated."),
]
CsvOpt = Annotated[
    str | None,
    typer.Option("--csv", metavar="FILE", help="CSV of recipients ('-' = stdin): a `phone` column, other columns are {variables}, optional `id`."),
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
    bool, typer.Option("--no-wait-window", help="OneShot: fail instead of waiting for the server's sending hours.")
]


def register(app: typer.Typer) -> None:
    app.command("send", help="Send SMS/LMS/MMS to one or many recipients.", epilog=SEND_EXAMPLES)(send)
    from smscli.cli import reserve

    reserve.register(app)


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
    no_wait_window: WindowOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Send SMS/LMS/MMS to one or many recipients."""
    code = run(
        to=to, csv=csv, message=message, message_file=message_file, sender=sender, subject=subject,
        type_=type_, image=image, id_=id_, dry_run=dry_run, wait=wait, json_=json_,
        allow_unicode=allow_unicode, ignore_optout=ignore_optout, no_wait_window=no_wait_window,
        profile=profile, config=config, at=None,
    )
    raise typer.Exit(code)


def run(*, to, csv, message, message_file, sender, subject, type_, image, id_, dry_run, wait,
        json_, allow_unicode, ignore_optout, no_wait_window, profile, config, at) -> int:
    """Shared by `send` and `reserve`: returns the exit code."""
    from smscli import dispatch, timeutil
    from smscli.cli.common import StopsWhenClosed
    from smscli.cli.output import Output
    from smscli.journal import Journal
    from smscli.vendors.registry import create_vendor

    if type_ not in ("auto", "sms", "lms", "mms"):
        raise UsageError(f"--type must be auto, sms, lms or mms, not {type_!r}")
    if to and csv:
        raise UsageError("give recipients with --to or --csv, not both")
    if not to and not csv:
        raise UsageError("no recipients", hint="pass --to NUMBER or --csv FILE")
    if message is not None and message_file is not None:
        raise UsageError("give the text with --message or --message-file, not both")
    if message is None:
        message = _read_message(message_file, stdin_taken=(csv == "-"))
    if not message.strip():
        raise UsageError("empty message", hint="pass --message TEXT, --message-file FILE or text on stdin")
    images = tuple(image or ())
    if type_ == "mms" and not images:
        raise UsageError("--type mms needs at least one --image")
    send_at = None
    if at is not None:
        send_at = timeutil.parse_time(at, option="--at")
        if send_at <= timeutil.now_kst():
            raise UsageError(f"--at {at!r} is in the past (Korea time now: {timeutil.now_kst():%Y-%m-%d %H:%M})")

    overrides = {"wait_window": False} if no_wait_window else None
    prof = current_profile(profile, config, overrides=overrides)
    # stdout closed (`| head`): stop taking rows, journal what is in flight, then exit 141
    out = Output(json_, columns=["to", "status", "type", "code", "detail", "message_id"],
                 drop_when_closed=True)
    rows, count, columns, has_id_column = _rows(to, csv)
    rows = out.until_closed(rows)
    if id_ and has_id_column:
        print("smscli: warning: the CSV's id column gives each row its key; --id is not used",
              file=sys.stderr)
    _check_template(message, columns, csv)
    sender_no = sender or prof.get("sender")
    opts = dispatch.SendOptions(
        template=message,
        sender=dispatch.ensure_sender(sender_no) if sender_no or not dry_run else "",
        subject=subject,
        type=type_,
        images=images,
        id_key=id_,
        single_recipient=count == 1,
        send_at=send_at,
        dry_run=dry_run,
        wait=wait,
        allow_unicode=allow_unicode,
        ignore_optout=ignore_optout,
    )
    journal = Journal.open(prof.data_dir)
    vendor = StopsWhenClosed(create_vendor(prof, ShownEvents(journal, out.info)), out)

    def emit(result) -> None:
        out.emit(result if isinstance(result, dict) else result.to_json())

    with out.progress("checking" if dry_run else "sending", total=count) as bar:
        seen: Counter[str] = Counter()

        def tick(result) -> None:
            seen[result.status] += 1
            bar.advance(1, **seen)

        try:
            summary = dispatch.run_send(prof, rows, opts, emit=emit, journal=journal,
                                        vendor=vendor, on_progress=tick)
        except KeyboardInterrupt:
            out.flush()
            raise Interrupted(_resume_hint(stable_ids=bool(id_) or has_id_column)) from None
    out.flush()
    verb = "checked" if dry_run else ("reserved" if at else "sent")
    out.info(summary.line(verb))
    for note in summary.notes:
        out.warn(note)
    waiting = summary.counts.get("accepted", 0) if wait > 0 else 0
    if waiting:
        out.info(f"no delivery report within {wait:g} s for {waiting} message(s); "
                 "`smscli result poll` (or `result listen`) collects them later")
    return int(summary.exit_status())


def _rows(to: list[str] | None, csv: str | None):
    """(rows iterator, number of rows if known, template columns, has an id column)."""
    from smscli import recipients

    if to:
        numbers = recipients.parse_to_options(to)
        given = len(recipients.split_to_options(to))
        if given > len(numbers):
            print(f"smscli: warning: {given - len(numbers)} number(s) given more than once; "
                  "each recipient gets the message once", file=sys.stderr)
        return (recipients.Row(line_no=0, phone=n) for n in numbers), len(numbers), [], False
    source = recipients.open_csv(csv)  # reads and checks the header now
    return iter(source), None, source.variables, source.id_column is not None


def _resume_hint(*, stable_ids: bool) -> str:
    if stable_ids:
        return ("interrupted; the journal is consistent: run the same command again to send the "
                "rest (what was accepted shows as duplicate)")
    return ("interrupted; the journal is consistent, but these messages had fresh ids: running "
            "the command again sends every one of them again (give --id KEY or an id column to "
            "make a send resumable; `smscli result list --since 1h` shows what went out)")


def _check_template(message: str, columns: list[str], csv: str | None) -> None:
    """Fail before sending anything when the text names a {column} the input lacks."""
    from smscli.text import compile_template

    missing = compile_template(message).missing(columns)
    if missing:
        where = f"the CSV's columns are {', '.join(columns) or 'none'}" if csv else "there is no --csv"
        raise UsageError(f"the message uses {{{missing[0]}}} but {where}",
                         hint="write {{ and }} for literal braces")


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
