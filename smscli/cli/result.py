"""`smscli result`: poll, confirm, list and listen for delivery reports."""

from __future__ import annotations

import errno
from typing import Annotated

import typer

from smscli.cli.common import (
    BareGroup,
    ConfigOpt,
    JsonOpt,
    MetavarCommand,
    ProfileOpt,
)

REPORT_COLUMNS = ["message_id", "to", "status", "code", "detail", "vendor", "delivered_at"]  # models.RESULT_FIELDS

result_app = typer.Typer(
    name="result",
    help="Collect, confirm, list and receive delivery reports.",
    epilog="Examples:\n\n  smscli result poll --json\n\n  smscli result list --since 1h --status failed\n\n"
    "  smscli result listen --port 8080",
    no_args_is_help=True,
    cls=BareGroup,
)


def register(app: typer.Typer) -> None:
    app.add_typer(result_app)


@result_app.command(
    "poll",
    epilog="Examples:\n\n  smscli result poll\n\n  smscli result poll --timeout 30 --json\n\n"
    "  smscli result poll --no-confirm     # look without acknowledging",
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


@result_app.command("confirm", cls=MetavarCommand, epilog="Examples:\n\n  smscli result confirm 1027se_SL4676027383600490148")
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


@result_app.command(
    "list",
    epilog="Examples:\n\n  smscli result list --since 1h\n\n  smscli result list --status failed --json",
)
def list_(
    status: Annotated[str | None, typer.Option("--status", metavar="STATE", help="Only messages in this state.")] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="WHEN", help='"YYYY-MM-DD HH:MM", ISO 8601, or 30m / 1h / 2d.')] = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List messages and their latest state from the journal."""
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client
    from smscli.errors import UsageError
    from smscli.models import MESSAGE_STATES

    if status is not None and status not in MESSAGE_STATES:
        raise UsageError(f"--status {status!r} is not a message state",
                         hint=f"use one of: {', '.join(sorted(MESSAGE_STATES))}")
    name, path = choose(profile, config)
    client = Client(name, config=path)
    out = Output(json_, columns=REPORT_COLUMNS)
    shown = 0
    emit = out.emitter(REPORT_COLUMNS)
    # Pages of rows, each printed as it comes: flat memory whatever the journal's size.
    # JSON: a Kakao/RCS message adds the channel that delivered and its fallback.
    for row in client.message_rows(status=status, since=since, channels=json_):
        if json_ and row[7]:
            out.emit(_with_channel(row))
        else:
            emit(row[:7])
        shown += 1
    out.flush()
    if not shown and out.is_tty(out.stdout):  # a person looking: say so (stdout stays empty)
        which = f" {status}" if status else ""
        when_said = f" since {since}" if since else ""
        out.info(f"smscli: no{which} messages of profile '{client.profile}' in the journal{when_said}")


def _with_channel(row) -> dict[str, object]:
    import json

    obj: dict[str, object] = dict(zip(REPORT_COLUMNS, row[:7], strict=True))
    obj["channel"] = row[7]
    if row[8]:
        obj["fallback"] = json.loads(row[8])
    if len(row) > 9 and row[9]:  # a fax's / call's USE_PAGE, USE_TIME, SN_RESULT
        from smscli.models import CHANNEL_EXTRA

        try:
            raw = json.loads(row[9])
        except ValueError:
            raw = {}
        obj.update((k, str(raw[k])) for k in CHANNEL_EXTRA if isinstance(raw, dict) and raw.get(k) not in (None, ""))
    return obj


@result_app.command(
    "listen",
    epilog="Examples:\n\n  smscli result listen --port 8080\n\n"
    "  smscli result listen --host 0.0.0.0 --port 8080 --json >> reports.jsonl\n\n"
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
