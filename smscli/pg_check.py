"""``smscli journal check`` / ``init`` of a shared journal on PostgreSQL: reachable,
schema version, counts. Reads only; the password never appears in what it prints."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smscli.config_journal import JournalTarget

TABLES = ("reports", "runs", "suppression")


def _tables(query: Any) -> set[str]:
    rows = query("SELECT table_name FROM information_schema.tables "
                 "WHERE table_schema = current_schema()", ())
    return {str(r[0]) for r in rows}


def schema_version(target: JournalTarget) -> int | None:
    """The journal's schema version there, None where it has no journal yet."""
    from smscli.copy_journal import _pg_connection, _pg_query

    with _pg_connection(target) as conn:
        query = _pg_query(conn)
        if "smscli_schema" not in _tables(query):
            return None
        rows = query("SELECT max(version) FROM smscli_schema", ())
        return int(rows[0][0]) if rows and rows[0][0] is not None else None


def report(target: JournalTarget) -> dict[str, Any]:
    """Where, reachable, schema, counts per message status, reports, runs, opt-outs."""
    from smscli.copy_journal import _pg_connection, _pg_query
    from smscli.journal import SCHEMA_VERSION

    out: dict[str, Any] = {"path": target.location, "backend": "postgresql",
                           "schema_known": SCHEMA_VERSION}
    with _pg_connection(target) as conn:
        query = _pg_query(conn)
        out["reachable"] = True
        out["server"] = str(conn.info.server_version)
        tables = _tables(query)
        if "smscli_schema" not in tables:
            return {**out, "status": "absent"}
        version = query("SELECT max(version) FROM smscli_schema", ())[0][0]
        out["schema"] = int(version or 0)
        out["status"] = "newer" if out["schema"] > SCHEMA_VERSION else (
            "ok" if out["schema"] == SCHEMA_VERSION else "old")
        if "messages" in tables:
            out["messages"] = {str(s): int(n) for s, n in query(
                "SELECT status, count(*) FROM messages GROUP BY status ORDER BY status", ())}
        for table in TABLES:
            if table in tables:
                out[table] = int(query(f"SELECT count(*) FROM {table}", ())[0][0])
    return out


def show(target: JournalTarget, json_: bool) -> None:
    """Print the report; exit 3 for a journal written by a newer smscli."""
    from smscli.cli.output import Output
    from smscli.errors import ConfigError

    r = report(target)
    if json_:
        Output(True).emit(r)
    else:
        head = f"journal {r['path']} (PostgreSQL {r.get('server', '?')}): "
        if r["status"] == "absent":
            print(head + "reachable; no journal yet (`smscli journal init` creates it)")
        else:
            state = {"ok": "ok", "old": "needs upgrading (the next open does it)",
                     "newer": "written by a newer smscli"}[r["status"]]
            print(head + state)
            print(f"schema: {r['schema']} (this smscli: {r['schema_known']})")
            counts = r.get("messages") or {}
            print(f"messages: {sum(counts.values()):,} ("
                  + ", ".join(f"{s} {n:,}" for s, n in counts.items()) + ")")
            for key, label in (("reports", "reports"), ("runs", "runs"), ("suppression", "opt-outs")):
                print(f"{label}: {r.get(key, 0):,}")
    sys.stdout.flush()
    if r["status"] == "newer":
        raise ConfigError(f"journal {r['path']} was written by a newer smscli "
                          f"(schema {r['schema']}, this one knows {r['schema_known']})",
                          hint="upgrade smscli")
