"""``smscli bizclient``: set up the database of a BIZCLIENT agent."""

import typer

from smscli.cli.common import BareGroup, ConfigOpt, JsonOpt, ProfileOpt, current_profile

bizclient_app = typer.Typer(
    name="bizclient",
    help="BIZCLIENT (Daou's table agent): create the BIZ_MSG / BIZ_LOG_YYYYMM tables.",
    no_args_is_help=True,
    cls=BareGroup,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def register(app: typer.Typer) -> None:
    app.add_typer(bizclient_app, name="bizclient")


@bizclient_app.command(
    "init-db",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli bizclient init-db -p agent\n\n"
        "\b\n  SMSCLI_DATABASE_URL=sqlite:///biz.db smscli bizclient init-db -p agent --json\n\n"
        "Creates BIZ_MSG (CMID primary key) and this month's BIZ_LOG_YYYYMM (no primary key, "
        "an index on CMID) with the manual's columns, where they do not exist yet. Tables "
        "that exist are left alone. A SQLite file is created if missing."
    ),
)
def init_db(profile: ProfileOpt = None, config: ConfigOpt = None, json: JsonOpt = False) -> None:
    """Create the agent's tables in the profile's database_url."""
    from smscli.cli.output import Output
    from smscli.errors import ConfigError
    from smscli.vendors.bizclient_db import BizDatabase, recent_log_names

    active = current_profile(profile, config)
    if active.vendor != "bizclient":
        raise ConfigError(f"profile '{active.name}' uses vendor {active.vendor}; init-db needs a bizclient profile",
                          hint="pass -p with a profile whose vendor is bizclient")
    db = BizDatabase(str(active.require("database_url")), create=True,
                     connect_timeout=float(active.get("connect_timeout", 5.0)))
    out = Output(json, columns=["table", "status"])
    try:
        conn = db.connect()
        try:
            done = db.create_tables(conn, months=recent_log_names()[:1])
            db.require_msg_table(conn)  # an existing BIZ_MSG must have the columns smscli uses
        finally:
            conn.close()
    finally:
        db.dispose()
    for name, created in done:
        out.emit({"table": name, "status": "created" if created else "exists"})
    out.flush()
    out.info(f"{db.display}: {sum(c for _, c in done)} table(s) created, "
             f"{sum(not c for _, c in done)} already there")
