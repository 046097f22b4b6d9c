"""`smscli reserve`: schedule a send; list, cancel and flush reservations."""

from typing import Annotated

import typer

from smscli.cli import send as send_cli
from smscli.cli import send_media
from smscli.cli.commands import CommandsOf
from smscli.cli.common import (
    ConfigOpt,
    JsonOpt,
    MetavarCommand,
    ProfileOpt,
)

EXAMPLES = """Examples:

\b
  # tomorrow at 09:00 Korea time (GNU date; on macOS: date -v+1d +%F)
  smscli reserve --at "$(TZ=Asia/Seoul date -d tomorrow +%F) 09:00" --to 01012345678 -m "회의는 10시입니다"
  # midnight UTC, with an offset
  smscli reserve --at "$(date -u -d tomorrow +%F)T00:00+00:00" --csv list.csv -m "{name}님 안녕하세요"
  smscli reserve list
  smscli reserve cancel MESSAGE_ID     # an id from `reserve list`
  # crontab: send what is due (for vendors that cannot schedule)
  * * * * *  smscli reserve flush

--at is a time in the future. Times without an offset are Korea time (Asia/Seoul),
whatever this machine's timezone.
"""

reserve_commands = typer.Typer()  # its sub-commands, each built only when it runs (CommandsOf)


class ReserveGroup(CommandsOf):
    source = reserve_commands


reserve_app = typer.Typer(
    name="reserve",
    help="Schedule a send for later; list, cancel and flush reservations.",
    epilog=EXAMPLES,
    invoke_without_command=True,
    no_args_is_help=True,
    cls=ReserveGroup,
)


def register(app: typer.Typer) -> None:
    app.add_typer(reserve_app)


@reserve_app.callback()
def reserve(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option("--at", metavar="WHEN", help='When to send: "YYYY-MM-DD HH:MM" (Korea time) or ISO 8601.')] = None,
    to: send_cli.ToOpt = None,
    csv: send_cli.CsvOpt = None,
    message: send_cli.MessageOpt = None,
    message_file: send_cli.MessageFileOpt = None,
    sender: send_cli.FromOpt = None,
    subject: send_cli.SubjectOpt = "",
    type_: send_cli.TypeOpt = "auto",
    image: send_cli.ImageOpt = None,
    id_: send_cli.IdOpt = None,
    dry_run: send_cli.DryRunOpt = False,
    json_: JsonOpt = False,
    allow_unicode: send_cli.UnicodeOpt = False,
    ignore_optout: send_cli.OptoutOpt = False,
    resume: send_cli.ResumeOpt = None,
    resend_unknown: send_cli.ResendUnknownOpt = False,
    tag: send_cli.TagOpt = "",
    ad: send_cli.AdOpt = False,
    night_consent: send_cli.NightOpt = False,
    verbose: send_cli.VerboseOpt = False,
    quiet: send_cli.QuietOpt = False,
    template: send_cli.TemplateOpt = None,
    title: send_cli.TitleOpt = "",
    buttons: send_cli.ButtonsOpt = None,
    image_url: send_cli.ImageUrlOpt = None,
    image_link: send_cli.ImageLinkOpt = None,
    wide: send_cli.WideOpt = False,
    user_key: send_cli.UserKeyOpt = None,
    rcs_base: send_cli.RcsBaseOpt = None,
    kakao_timeout: send_cli.KakaoTimeoutOpt = None,
    fallback: send_cli.FallbackOpt = "auto",
    fallback_message: send_cli.FallbackMessageOpt = None,
    fallback_subject: send_cli.FallbackSubjectOpt = "",
    file: send_media.FileOpt = None,
    cover_title: send_media.CoverTitleOpt = "",
    cover_text: send_media.CoverTextOpt = "",
    voice_file: send_media.VoiceFileOpt = None,
    scenario: send_media.ScenarioOpt = None,
    reply: send_media.ReplyOpt = False,
    sms_on_fail: send_media.SmsOnFailOpt = False,
    retries: send_media.RetriesOpt = None,
    attach: send_media.AttachOpt = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Schedule a send for later; list, cancel and flush reservations."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"profile": profile, "config": config, "json": json_}
        return
    from smscli.cli.send_content import ChannelFlags
    from smscli.errors import UsageError

    if at is None:
        raise UsageError("reserve needs --at WHEN", hint='a time in the future: --at "YYYY-MM-DD HH:MM" (Korea time) or ISO 8601')
    code = send_cli.run(
        to=to, csv=csv, message=message, message_file=message_file, sender=sender, subject=subject,
        type_=type_, image=image, id_=id_, dry_run=dry_run, wait=0.0, json_=json_,
        allow_unicode=allow_unicode, ignore_optout=ignore_optout, wait_window=None,
        profile=profile, config=config, at=at, resume=resume, resend_unknown=resend_unknown,
        tag=tag, ad=ad, night_consent=night_consent, verbose=verbose, quiet=quiet,
        flags=ChannelFlags(template=template, title=title, buttons=buttons, ad=ad,
                                    image_url=image_url, image_link=image_link, wide=wide,
                                    rcs_base=rcs_base, kakao_timeout=kakao_timeout, user_key=user_key,
                                    fallback=fallback,
                                    fallback_message=fallback_message, fallback_subject=fallback_subject,
                                    media=send_media.media_flags(
                                        file=file, cover_title=cover_title, cover_text=cover_text,
                                        voice_file=voice_file, scenario=scenario, reply=reply,
                                        sms_on_fail=sms_on_fail, retries=retries, attach=attach)),
    )
    raise typer.Exit(code)


@reserve_commands.command("list", epilog="Examples:\n\n  smscli reserve list\n\n  smscli reserve list --json\n\n"
                                         "  smscli reserve list -p sandbox")
def list_(
    json_: JsonOpt = False,
    profile: Annotated[str | None, typer.Option("--profile", "-p", show_default=False,
                                                help="Only this profile's reservations (default: all).")] = None,
    config: ConfigOpt = None,
) -> None:
    """List scheduled messages of every profile, or of one (this machine's journal)."""
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client

    name, path = choose(profile, config)
    out = Output(json_, columns=["message_id", "to", "send_at", "type", "profile", "vendor", "status",
                                 "text"])
    shown = 0
    for rec in Client(name, config=path).reservations(profile=name):  # a page at a time
        out.emit({"message_id": rec.message_id, "to": rec.to, "send_at": rec.send_at, "type": rec.type,
                  "profile": rec.profile, "vendor": rec.vendor, "status": rec.status, "text": rec.text})
        shown += 1
    out.flush()
    if not shown and out.is_tty(out.stdout):  # a person looking: say so (stdout stays empty)
        out.info("smscli: no scheduled messages in the journal" + (f" for profile '{name}'" if name else ""))


@reserve_commands.command("cancel", cls=MetavarCommand, epilog="Examples:\n\n  smscli reserve cancel 01JD3K8Q2W7M4X")
def cancel(
    ids: Annotated[list[str], typer.Argument(metavar="MESSAGE_ID", help="Message id(s) to cancel.")],
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Cancel scheduled messages (on the server too where the vendor allows it)."""
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client

    name, path = choose(profile, config)
    client = Client(name, config=path)
    out = Output(json_, columns=["message_id", "to", "status", "detail"])
    for mid in ids:
        record = client.cancel(mid)
        out.emit({"message_id": mid, "to": record.to, "status": "cancelled", "detail": ""})
    out.flush()


@reserve_commands.command(
    "flush",
    epilog="Examples:\n\n  smscli reserve flush                 # every profile with due reservations\n\n"
    "\b\n  smscli -p prod reserve flush         # only profile prod\n\n"
    "  * * * * * smscli reserve flush --json >> sent.jsonl   # crontab",
)
def flush(json_: JsonOpt = False, profile: ProfileOpt = None, config: ConfigOpt = None) -> None:
    """Send reservations held here that are due, for every profile (or only --profile)."""
    import os

    from smscli import interrupts
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client
    from smscli.errors import Interrupted

    name, path = choose(profile, config)
    out = Output(json_, columns=["to", "status", "type", "code", "detail", "message_id"],
                 drop_when_closed=True)  # stdout closed: stop sending, journal what is in flight
    first = Client(name, config=path, on_notice=out.info)
    explicit = name is not None or bool(os.environ.get("SMSCLI_PROFILE"))
    names = [first.profile] if explicit else first.due_profiles()
    status = 0
    with interrupts.graceful_stop(out.info) as stop:  # Ctrl-C, a closed stdout: hold the rest
        out.on_close = stop.set
        for pname in names:
            client = first if pname == first.profile else Client(pname, config=path, on_notice=out.info)
            batch = client.flush(on_result=lambda r: out.emit(r.to_json()), stop=stop)
            out.flush()
            out.info(f"profile {pname}: {batch.summary}")
            status = max(status, batch.exit_code)
            if stop.is_set():
                raise Interrupted("stopped; what was not sent stays held: `smscli reserve flush` "
                                  "sends it")
    if not names:
        out.info("flushed 0: nothing due")
    raise typer.Exit(status)

