"""`smscli result`: poll, confirm, list and listen for delivery reports."""

import errno
from typing import Annotated

import typer

from smscli.cli.commands import CommandsOf
from smscli.cli.common import (
    ConfigOpt,
    JsonOpt,
    MetavarCommand,
    ProfileOpt,
)

_WHEN = '"YYYY-MM-DD HH:MM", ISO 8601, or 30m / 1h / 2d (that long ago).'
REPORT_COLUMNS = ["message_id", "to", "status", "code", "detail", "vendor", "delivered_at"]  # models.RESULT_FIELDS

result_commands = typer.Typer()  # its sub-commands, each built only when it runs (CommandsOf)


class ResultGroup(CommandsOf):
    source = result_commands


result_app = typer.Typer(
    name="result",
    help="Collect, confirm, list and receive delivery reports.",
    epilog="Examples:\n\n  smscli result poll --json\n\n  smscli result list --since 1h --status failed\n\n"
    "\b\n  smscli result listen --port 8080",
    no_args_is_help=True,
    cls=ResultGroup,
)


def register(app: typer.Typer) -> None:
    app.add_typer(result_app)


@result_commands.command(
    "poll",
    epilog="Examples:\n\n  smscli result poll\n\n  smscli result poll --timeout 30 --json\n\n"
    "\b\n  smscli result poll --no-confirm     # look without acknowledging",
)
def poll(
    confirm: Annotated[bool, typer.Option("--confirm/--no-confirm", help="Acknowledge reports once stored.")] = True,
    timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS", help="Stop after SECONDS (or earlier on silence).", min=0)] = 10.0,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Fetch delivery reports from the vendor, store them in the journal, print them."""
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client

    name, path = choose(profile, config)
    out = Output(json_, columns=REPORT_COLUMNS)
    client = Client(name, config=path, on_notice=out.info)
    polled = client.poll(timeout=timeout, confirm=confirm, on_report=lambda rep: out.emit(rep.to_json()))
    out.flush()
    again = polled.received - len(polled)
    out.info(f"{len(polled)} report(s) stored" + (
        f"; {again} received again were in the journal already, not shown" if again > 0 else ""))


@result_commands.command("confirm", cls=MetavarCommand, epilog="Examples:\n\n  smscli result confirm 1027se_SL4676027383600490148")
def confirm_(
    msgids: Annotated[list[str], typer.Argument(metavar="MSGID", help="The vendor's message ids (msgid) to acknowledge.")],
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Acknowledge reports by the vendor's message id (Bizppurio), so they are not sent again."""
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client

    name, path = choose(profile, config)
    confirmed = Client(name, config=path).confirm(msgids)
    unknown = [m for m, done in confirmed.items() if not done]
    out = Output(json_, columns=["msgid", "status", "detail"])
    for mid, done in confirmed.items():
        if done:
            out.emit({"msgid": mid, "status": "confirmed", "detail": ""})
        else:
            out.emit({"msgid": mid, "status": "unknown",
                      "detail": "no report with this msgid in the journal; not confirmed"})
    out.flush()
    if unknown:
        out.info(f"smscli: {len(unknown)} msgid(s) not in the journal, not confirmed: "
                 + ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else ""))
        raise typer.Exit(1)


@result_commands.command(
    "list",
    epilog="Examples:\n\n  smscli result list --since 1h\n\n  smscli result list --status failed --json\n\n"
    "\b\n  smscli result list --to 01012345678 --limit 20\n\n"
    "  smscli result list --tag spring-sale --output csv > spring-sale.csv\n\n"
    "\b\n  smscli result list --id 'run42*' --code 4401\n\n"
    "On a terminal: the newest 100 as a table (--limit N for more, --limit 0 for all);\n"
    "piped: every row, as TSV unless --output says otherwise (CSV has a header row).",
)
def list_(
    status: Annotated[str | None, typer.Option("--status", metavar="STATE", help="Only messages in this state.")] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="WHEN", help=_WHEN)] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="WHEN", help="Only messages journaled before WHEN (as --since).")] = None,
    to: Annotated[str | None, typer.Option("--to", metavar="NUMBER", help="Only messages to this number.")] = None,
    id_: Annotated[str | None, typer.Option("--id", metavar="ID", help="Only this message; ID* for ids starting with ID.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", metavar="TAG", help="Only messages of this campaign tag.")] = None,
    type_: Annotated[str | None, typer.Option("--type", metavar="TYPE", help="Only this type (sms, lms, mms, alimtalk, ...).")] = None,
    code: Annotated[str | None, typer.Option("--code", metavar="CODE", help="Only messages whose last code is CODE.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", metavar="N", min=0, show_default=False,
                                              help="The newest N (0: all). Default: 100 on a terminal, all when piped.")] = None,
    all_profiles: Annotated[bool, typer.Option("--all-profiles", help="Messages of every profile, not only this one's.")] = False,
    output: Annotated[str | None, typer.Option("--output", metavar="table|tsv|json|csv", show_default=False,
                                               help="Output format (default: table on a terminal, tsv piped).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON Lines on stdout (= --output json).")] = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List messages and their latest state from the journal."""
    import sys

    from smscli.cli import result_list
    from smscli.cli.common import choose
    from smscli.cli.output import Output, to_stderr
    from smscli.client import Client

    tty = Output.is_tty(sys.stdout)
    fmt = result_list.choose_format(output, json_, tty)
    name, path = choose(profile, config)
    client = Client(name, config=path)
    filters = dict(status=status, since=since, until=until, to=to, id=id_, tag=tag, type=type_, code=code)
    shown = result_list.run(client, fmt=fmt, limit=limit, tty=tty, all_profiles=all_profiles,
                            info=to_stderr, **filters)
    if not shown and tty:  # a person looking: say so (stdout stays empty)
        which = f" {status}" if status else ""
        whose = "any profile" if all_profiles else f"profile '{client.profile}'"
        narrowed = " that match" if any(v is not None for k, v in filters.items()
                                        if k not in ("status", "since")) else ""
        when_said = f" since {since}" if since else ""
        hint = "" if all_profiles else " (--all-profiles looks in every profile)"
        to_stderr(f"smscli: no{which} messages of {whose}{narrowed} in the journal{when_said}{hint}")


@result_commands.command(
    "show",
    epilog="Examples:\n\n  smscli result show 1234567890abcdef\n\n  smscli result show 1234567890abcdef --json",
)
def show(
    message_id: Annotated[str, typer.Argument(metavar="ID", help="The message id (as result list shows it).")],
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """One message's whole story: the row, each state change with its time, every report."""
    import sys

    from smscli.cli.common import choose
    from smscli.cli.result_show import render
    from smscli.client import Client

    name, path = choose(profile, config)
    render(Client(name, config=path).story(message_id), json_mode=json_, stream=sys.stdout)


@result_commands.command(
    "stats",
    epilog="Examples:\n\n  smscli result stats --since 1d\n\n  smscli result stats --by code --tag spring-sale\n\n"
    "\b\n  smscli result stats --by day --since 2026-11-01 --until 2026-12-01 --json\n\n"
    "rate = delivered / count. --by hour groups by the hour of each day (YYYY-MM-DD HH:00).",
)
def stats(
    by: Annotated[str, typer.Option("--by", metavar="status|code|type|vendor|telecom|day|hour|tag",
                                    help="What to group by.")] = "status",
    since: Annotated[str | None, typer.Option("--since", metavar="WHEN", help=_WHEN)] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="WHEN", help="Only messages journaled before WHEN (as --since).")] = None,
    tag: Annotated[str | None, typer.Option("--tag", metavar="TAG", help="Only messages of this campaign tag.")] = None,
    all_profiles: Annotated[bool, typer.Option("--all-profiles", help="Messages of every profile, not only this one's.")] = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Counts and delivery rate per group of the journal's messages (a fallback smscli
    sent for a Kakao/RCS message counts in that message's row, not as one more)."""
    import sys

    from smscli.cli.common import choose
    from smscli.cli.result_stats import render
    from smscli.client import Client

    name, path = choose(profile, config)
    groups = Client(name, config=path).stats(by=by, since=since, until=until, tag=tag,
                                             all_profiles=all_profiles)
    render(groups, by, json_mode=json_, stream=sys.stdout)



@result_commands.command(
    "listen",
    epilog="Examples:\n\n  smscli result listen --port 8080\n\n"
    "\b\n  smscli result listen --host 0.0.0.0 --port 8080 --json >> reports.jsonl\n\n"
    "Register http://YOUR-HOST:8080/ (any path) with the vendor: Bizppurio POSTs JSON,\n"
    "BizNetShot calls it with GET. Binds to 127.0.0.1 unless --host says otherwise.\n\n"
    "Every request gets a status and a one-line reason: 400 for a push it cannot read (JSON\n"
    "nested deeper than 32 levels included), 413 over --max-body, 408 when a request is not\n"
    "complete --request-timeout seconds after its first byte, 503 past 512 connections.\n"
    "At most 16 threads handle requests, however many clients connect.",
)
def listen(
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port to listen on.", min=0, max=65535)] = 8080,
    max_body: Annotated[int, typer.Option("--max-body", metavar="BYTES", min=1024,
                                          help="Largest request body accepted (413 beyond).")] = 1024 * 1024,
    request_timeout: Annotated[float, typer.Option("--request-timeout", metavar="SECONDS", min=0.1,
                                                   help="Time a client has to send a whole request (408 after).")] = 10.0,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Receive pushed reports (Bizppurio POST, BizNetShot GET), store them, print them."""
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client

    name, path = choose(profile, config)
    out = Output(json_, columns=REPORT_COLUMNS)

    def on_report(report) -> None:  # stored in the journal before it is printed
        try:
            out.emit(report.to_json())
            out.flush()  # a long-running listener shows each report as it comes
        except BrokenPipeError:
            raise _StdoutClosed from None

    # Reports carry our message id (Bizppurio REFKEY) or the vendor's key, which the journal
    # matches through the server id it stored at send time (BizNetShot corpfrcode:number).
    try:
        Client(name, config=path).listen(host=host, port=port, on_report=on_report, log=out.info,
                                         max_body=max_body, request_timeout=request_timeout)
    except _StdoutClosed:
        raise BrokenPipeError(errno.EPIPE, "stdout is a closed pipe") from None


class _StdoutClosed(BaseException):
    """Stdout is a closed pipe: stop listening. Not an Exception, which the listener would
    answer with 500 before serving on (as for Ctrl-C, the vendor pushes the report again,
    and the journal, which stored it already, drops the repeat)."""
