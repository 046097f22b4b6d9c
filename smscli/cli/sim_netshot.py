"""``smscli sim netshot``: run the BizNetShot simulator in the foreground."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer


def register(sim_app: typer.Typer) -> None:
    sim_app.command(
        "netshot",
        help=(
            "Run a local BizNetShot simulator: POST .../corp/send_message.php (EUC-KR form), "
            "results pushed by HTTP GET to --callback. Credentials default to test/test "
            "(password also from SMSCLI_SIM_PASSWORD). Ctrl-C stops it."
        ),
        epilog=(
            "Example: smscli sim netshot --port 8081 --callback http://127.0.0.1:8080/ "
            "--report-delay 2 --fail-rate 0.1"
        ),
    )(netshot)


def netshot(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8081,
    user: Annotated[str, typer.Option(help="Accepted m_id.")] = "test",
    callback: Annotated[str | None, typer.Option(
        help="URL that receives delivery results by HTTP GET (e.g. `smscli result listen`).")] = None,
    report_delay: Annotated[float, typer.Option(help="Seconds from acceptance to the result.")] = 1.0,
    fail_rate: Annotated[float, typer.Option(min=0.0, max=1.0,
                                             help="Share of recipients whose result is a failure.")] = 0.0,
    rate: Annotated[float | None, typer.Option("--rate", "--speed", min=0.001,
                                               help="At most this many requests per second.")] = None,
    delay: Annotated[float, typer.Option(min=0.0, help="Extra seconds before each answer.")] = 0.0,
    credit: Annotated[int | None, typer.Option(min=0,
                                               help="Recipients the account may send (then 301).")] = None,
    record: Annotated[Path | None, typer.Option(
        help="Append one JSON line per accepted (corpfrcode, number) to FILE.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed for --fail-rate.")] = None,
) -> None:
    from smscli.errors import UsageError
    from smscli.sim.netshot import NetshotSim, main_log

    password = os.environ.get("SMSCLI_SIM_PASSWORD", "test")
    try:
        sim = NetshotSim(host=host, port=port, accounts={user: password}, callback=callback,
                         report_delay=report_delay, fail_rate=fail_rate, seed=seed, rate=rate,
                         delay=delay, record=record, credit=credit, log=main_log)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="choose another --port") from None
    main_log(f"listening on {sim.url} (user {user!r})"
             + (f", results to {callback}" if callback else ", no --callback: results are not pushed"))
    with contextlib.suppress(KeyboardInterrupt):
        sim.serve_forever()
    counts = sim.counts
    main_log(f"stopped: {counts['requests']} requests, {counts['accepted_pairs']} recipients accepted, "
             f"{counts['callbacks_sent']} results pushed")
