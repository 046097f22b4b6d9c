"""BIZCLIENT's tables and the database plumbing shared by the vendor, ``bizclient init-db``
and the stand-in agent (``smscli sim bizclient``).

The layout is the manual's (spec ``002_…`` §3.2): ``BIZ_MSG`` (CMID primary key) holds
messages until the agent has written their result; finished rows move to
``BIZ_LOG_YYYYMM`` (same columns, no primary key). Times are naive Korea time, as the
agent writes ``REPORT_TIME``.

SQLAlchemy and the drivers are an extra (``pip install 'smscli[bizclient]'``), imported
only here and only when a database is used.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli import clock
from smscli.errors import AuthError, ConfigError, SmscliError, UnreachableError, VendorError

if TYPE_CHECKING:
    import sqlalchemy as sa

EXTRA = "pip install 'smscli[bizclient]'"
MSG_TABLE = "BIZ_MSG"
LOG_PREFIX = "BIZ_LOG_"
KST = timezone(timedelta(hours=9))
IN_CHUNK = 1000  # ids per IN (...) list and rows per insert transaction

# STATUS values (§3.2 / §5.2).
WAITING, SENDING, DONE, ERROR = 0, 1, 2, 3
FINISHED = (DONE, ERROR)
STATUS_WORDS = {0: "waiting", 1: "being sent", 2: "done", 3: "error", 7: "being sent", 11: "fallback send"}

# (name, kind, length, nullable, default) in the manual's order. kind: str / num / time.
COLUMNS: tuple[tuple[str, str, int, bool, str | None], ...] = (
    ("CMID", "str", 32, False, None),
    ("UMID", "str", 32, True, None),
    ("MSG_TYPE", "num", 1, False, "0"),
    ("STATUS", "num", 1, False, "0"),
    ("REQUEST_TIME", "time", 0, False, "now"),
    ("SEND_TIME", "time", 0, False, "now"),
    ("REPORT_TIME", "time", 0, True, None),
    ("DEST_PHONE", "str", 16, False, None),
    ("DEST_NAME", "str", 32, True, None),
    ("SEND_PHONE", "str", 16, False, None),
    ("SEND_NAME", "str", 32, True, None),
    ("SUBJECT", "str", 64, True, None),
    ("MSG_BODY", "str", 2000, False, None),
    ("NATION_CODE", "str", 5, True, None),
    ("SENDER_KEY", "str", 40, True, None),
    ("TEMPLATE_CODE", "str", 64, True, None),  # 30 in the v1.3 manual, 64 in the newer schema
    ("RESPONSE_METHOD", "str", 8, True, None),
    ("TIMEOUT", "str", 4, True, None),
    ("RE_TYPE", "str", 3, True, None),
    ("RE_BODY", "str", 2000, True, None),
    ("RE_PART", "str", 1, True, None),
    ("WAP_URL", "str", 80, True, None),
    ("COVER_FLAG", "num", 1, True, "0"),
    ("SMS_FLAG", "num", 1, True, "0"),
    ("REPLY_FLAG", "num", 1, True, "0"),
    ("RETRY_CNT", "num", 4, True, None),
    ("ATTACHED_FILE", "str", 1000, True, None),
    ("VXML_FILE", "str", 64, True, None),
    ("CALL_STATUS", "str", 4, True, None),
    ("USE_PAGE", "num", 2, True, "0"),
    ("USE_TIME", "num", 4, True, "0"),
    ("SN_RESULT", "num", 1, True, "0"),
    ("TEL_INFO", "str", 10, True, None),
    ("CINFO", "str", 32, True, None),
    ("USER_KEY", "str", 30, True, None),
    ("AD_FLAG", "str", 1, True, None),
)
COLUMN_NAMES = tuple(c[0] for c in COLUMNS)
# What smscli reads or writes: a table without these is not one it can work with.
USED_COLUMNS = ("CMID", "MSG_TYPE", "STATUS", "REQUEST_TIME", "SEND_TIME", "REPORT_TIME",
                "DEST_PHONE", "SEND_PHONE", "SUBJECT", "MSG_BODY", "ATTACHED_FILE", "CALL_STATUS")


# --------------------------------------------------------------------------- time
def now_kst() -> datetime:
    """Korea time now, naive, to the second (what goes into DATETIME columns)."""
    return clock.now().replace(tzinfo=None, microsecond=0)


def to_db_time(dt: datetime) -> datetime:
    """An aware (or naive Korea) datetime as the naive Korea time the tables hold."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(KST).replace(tzinfo=None)
    return dt.replace(microsecond=0)


def iso_kst(value: Any) -> str:
    """A DATETIME column value (naive Korea time) as ISO 8601 with +09:00; "" if empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return ""
    if not isinstance(value, datetime):
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(KST).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "+09:00"


def log_table_name(when: datetime) -> str:
    return f"{LOG_PREFIX}{when:%Y%m}"


def recent_log_names(now: datetime | None = None) -> list[str]:
    """This month's log table, then last month's (Korea time)."""
    now = now or now_kst()
    first = now.replace(day=1)
    return [log_table_name(now), log_table_name(first - timedelta(days=1))]


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def select_in(conn: Any, table: Any, column: str, values: Sequence[str]) -> list[Any]:
    """``column`` of the rows of ``table`` whose ``column`` is one of ``values`` (at most
    IN_CHUNK). A driver with ``?`` or ``%s`` parameters (SQLite, MySQL) gets the statement
    as text with the values as they are (the column needs no bind processing): SQLAlchemy's
    expanding IN processes each value in Python, a sixth of an insert's cost."""
    col = table.c[column]
    dialect = conn.dialect
    mark = {"qmark": "?", "format": "%s"}.get(dialect.paramstyle)
    prep = dialect.identifier_preparer
    name, quoted = prep.format_table(table), prep.quote(col.name)
    if (mark is None or not values or col.type.dialect_impl(dialect).bind_processor(dialect) is not None
            or "%" in name + quoted):
        return [r[0] for r in conn.execute(table.select().with_only_columns(col).where(col.in_(values)))]
    sql = f"SELECT {quoted} FROM {name} WHERE {quoted} IN ({', '.join([mark] * len(values))})"
    return [r[0] for r in conn.exec_driver_sql(sql, tuple(values))]


# --------------------------------------------------------------------------- imports
def import_sqlalchemy() -> Any:
    """The sqlalchemy module, or a ConfigError naming the extra to install."""
    try:
        import sqlalchemy
    except ImportError:
        raise ConfigError("the bizclient vendor needs SQLAlchemy, which is not installed",
                          hint=f"install the extra: {EXTRA}") from None
    return sqlalchemy


# --------------------------------------------------------------------------- schema
def _column(sa: Any, spec: tuple[str, str, int, bool, str | None], dialect: str) -> Any:
    name, kind, length, nullable, default = spec
    if name == "CMID":  # case-sensitive on MySQL too: "a1" and "A1" are two messages
        from sqlalchemy.dialects import mysql

        col_type: Any = sa.String(length).with_variant(
            mysql.VARCHAR(length, charset="ascii", collation="ascii_bin"), "mysql", "mariadb")
    elif kind == "str":
        col_type = sa.String(length)
    elif kind == "num":
        col_type = sa.Integer()
    else:
        col_type = _datetime_type(sa)
    server_default = None
    if default == "now":
        server_default = sa.text("(datetime('now','localtime'))" if dialect == "sqlite" else "CURRENT_TIMESTAMP")
    elif default is not None:
        server_default = sa.text(default)
    return sa.Column(name, col_type, nullable=nullable, server_default=server_default)


def _datetime_type(sa: Any) -> Any:
    from sqlalchemy.dialects import sqlite

    # Seconds only on SQLite, like MySQL's DATETIME: readable, and sorts as text.
    seconds = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
    return sa.DateTime().with_variant(sqlite.DATETIME(storage_format=seconds), "sqlite")


def build_table(name: str, *, dialect: str = "", log: bool = False, index: bool = True) -> sa.Table:
    """A BIZCLIENT table: BIZ_MSG with CMID as primary key, or a log table without one
    (``index``: a non-unique index on CMID, which the manual allows and polling uses)."""
    sa = import_sqlalchemy()
    metadata = sa.MetaData()
    columns = [_column(sa, spec, dialect) for spec in COLUMNS]
    args: list[Any] = list(columns)
    if not log:
        args.append(sa.PrimaryKeyConstraint("CMID", name=f"PK_{name}"))
    elif index:
        args.append(sa.Index(f"IX_{name}_CMID", "CMID"))
    return sa.Table(name, metadata, *args, mysql_charset="utf8mb4", mysql_engine="InnoDB")


# --------------------------------------------------------------------------- database
@dataclass(frozen=True)
class Names:
    """The real names of the tables in this database (matched case-insensitively)."""

    msg: str | None
    logs: dict[str, str]  # upper-case wanted name -> real name

    def log(self, wanted: str) -> str | None:
        return self.logs.get(wanted.upper())


class BizDatabase:
    """An engine for ``url`` with fast connect timeouts, friendly errors, and the tables.

    ``create``: SQLite only: allow a database file that does not exist yet (init-db and
    the agent create it; everything else says to run init-db). ``pool``: keep connections
    for reuse (call ``dispose`` when done); else one connection per ``connect``.
    """

    def __init__(self, url: str, *, connect_timeout: float = 5.0, timeout: float = 30.0,
                 create: bool = False, pool: bool = False) -> None:
        sa = import_sqlalchemy()
        self.sa = sa
        try:
            parsed = sa.engine.make_url(url)
        except (sa.exc.ArgumentError, ValueError):
            raise ConfigError("database_url is not a database URL",
                              hint="use e.g. sqlite:///path/to/biz.db or mysql+pymysql://user:pw@host/db") from None
        self.url = parsed
        self.display = parsed.render_as_string(hide_password=True)
        self.dialect = parsed.get_backend_name()
        self.timeout = timeout
        connect_args: dict[str, Any] = {}
        if self.dialect == "sqlite":
            self._check_sqlite_file(parsed, create)
            connect_args["timeout"] = timeout  # waiting for a lock held by another writer
            connect_args["check_same_thread"] = False
        elif self.dialect == "mysql":
            driver = parsed.get_driver_name()
            if driver == "pymysql":
                # The server's greeting is read with read_timeout: keep the whole login within
                # connect_timeout, then give queries ``timeout`` (see _pymysql_timeouts).
                connect_args.update(connect_timeout=connect_timeout, read_timeout=connect_timeout,
                                    write_timeout=timeout)
                if "charset" not in parsed.query:
                    connect_args["charset"] = "utf8mb4"
            elif driver in ("mysqldb", "mariadbconnector"):
                connect_args["connect_timeout"] = max(1, round(connect_timeout))
        elif self.dialect == "mssql":
            connect_args["timeout"] = max(1, round(connect_timeout))
        elif self.dialect == "oracle":
            connect_args["tcp_connect_timeout"] = connect_timeout
        options: dict[str, Any] = {"connect_args": connect_args}
        if pool:  # connections are reused: a MySQL login costs ~50 ms (PyMySQL's TLS set-up)
            options.update(pool_pre_ping=True, pool_recycle=3600)
        else:
            options["poolclass"] = sa.pool.NullPool
        try:
            self.engine = sa.create_engine(parsed, **options)
        except ImportError as exc:
            module = getattr(exc, "name", None) or str(exc)
            raise ConfigError(
                f"the database driver for {parsed.drivername} is not installed (missing module {module})",
                hint=f"{EXTRA} installs PyMySQL for mysql+pymysql:// URLs; other databases need "
                     "their own driver (oracledb, pyodbc)",
            ) from None
        except sa.exc.NoSuchModuleError:
            raise ConfigError(f"SQLAlchemy knows no database '{parsed.drivername}'",
                              hint="use sqlite:///FILE or mysql+pymysql://user:pw@host/db") from None
        except (TypeError, ValueError, sa.exc.ArgumentError) as exc:
            raise ConfigError(f"database_url {self.display} is not usable: {exc}") from None
        if self.dialect == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        elif self.dialect == "mysql" and parsed.get_driver_name() == "pymysql":
            sa.event.listen(self.engine, "connect", lambda dbapi_conn, _rec: _pymysql_timeouts(dbapi_conn, timeout))
        self._tables: dict[tuple[str, bool], sa.Table] = {}
        # Per table checked by require_msg_table: its columns (upper case) and their lengths
        # as the database declares them (None: not said).
        self.columns: dict[str, dict[str, int | None]] = {}

    def _check_sqlite_file(self, parsed: Any, create: bool) -> None:
        database = parsed.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            raise ConfigError("database_url must name a SQLite file (sqlite:///path/to/biz.db)",
                              hint="an in-memory database cannot be shared with the agent")
        path = Path(database).expanduser()
        if not create and not path.exists():
            raise ConfigError(f"database file {path} does not exist",
                              hint="create the tables with `smscli bizclient init-db`, or fix database_url")
        if create and not path.parent.is_dir():
            raise ConfigError(f"cannot create database file {path}: directory {path.parent} does not exist")

    def dispose(self) -> None:
        self.engine.dispose()

    # -- connections and errors -------------------------------------------------------
    def connect(self) -> Any:
        """A connection, or the error users understand (unreachable, refused login...)."""
        try:
            return self.engine.connect()
        except self.sa.exc.DBAPIError as exc:
            raise self.error(exc) from None

    @staticmethod
    def begin(conn: Any) -> Any:
        """A new transaction, ending the one a previous read began implicitly."""
        if conn.in_transaction():
            conn.rollback()
        return conn.begin()

    def error(self, exc: BaseException, *, table: str = MSG_TABLE) -> SmscliError:
        """The smscli error for a driver error: unreachable (4), login or missing table (3),
        anything else a VendorError (1)."""
        sa = self.sa
        if isinstance(exc, SmscliError):
            return exc
        orig = getattr(exc, "orig", None) or exc
        text = " ".join(str(a) for a in getattr(orig, "args", ()) if not isinstance(a, int)) or str(orig)
        text = text.strip().splitlines()[0] if text.strip() else type(orig).__name__
        code = orig.args[0] if getattr(orig, "args", None) and isinstance(orig.args[0], int) else None
        where = self.display
        lower = text.lower()
        if code in (1045, 1044, 1698) or "access denied" in lower or "login failed" in lower:
            return AuthError(f"the database refused the login: {text}",
                             hint="check the user and password in database_url")
        if code == 1049 or "unknown database" in lower:
            return ConfigError(f"{where}: {text}", hint="create the database, or fix database_url")
        if code in (1146, 942) or "no such table" in lower or "doesn't exist" in lower or "invalid object name" in lower:
            return missing_table(table, where)
        if code == 1054 or "no such column" in lower or "unknown column" in lower:
            return ConfigError(f"{where}: {text}",
                               hint="the table does not have BIZCLIENT's columns; see `smscli bizclient init-db`")
        if "unable to open database file" in lower or "readonly database" in lower:
            return ConfigError(f"cannot use {where}: {text}", hint="check the file's directory and permissions")
        if "database is locked" in lower or code in (1205, 1213):
            return UnreachableError(f"database busy: {where}: {text}",
                                    hint="another writer held a lock too long; try again")
        disconnect = bool(getattr(exc, "connection_invalidated", False))
        if (disconnect or (code is not None and 2000 <= code < 3000) or "timed out" in lower
                or "can't connect" in lower or "connection refused" in lower or "lost connection" in lower
                or isinstance(exc, sa.exc.InterfaceError)):
            return UnreachableError(f"database unreachable: {where}: {text}")
        return VendorError(f"{where}: {text}")

    # -- tables -----------------------------------------------------------------------
    def names(self, conn: Any) -> Names:
        """The tables that exist, by their real names."""
        try:
            existing = self.sa.inspect(conn).get_table_names()
        except self.sa.exc.DBAPIError as exc:
            raise self.error(exc) from None
        by_upper: dict[str, str] = {}
        for name in existing:
            by_upper.setdefault(name.upper(), name)
        msg = by_upper.get(MSG_TABLE) if MSG_TABLE not in existing else MSG_TABLE
        logs = {up: real for up, real in by_upper.items() if up.startswith(LOG_PREFIX)}
        for real in existing:  # an exact-case match wins
            if real.startswith(LOG_PREFIX):
                logs[real.upper()] = real
        return Names(msg, logs)

    def schema_version(self, conn: Any) -> int | None:
        """SQLite's schema version (it changes with every CREATE / DROP); None elsewhere."""
        if self.dialect != "sqlite":
            return None
        try:
            return int(conn.exec_driver_sql("PRAGMA schema_version").scalar())
        except self.sa.exc.DBAPIError as exc:
            raise self.error(exc) from None

    def require_msg_table(self, conn: Any, names: Names | None = None) -> str:
        """The real name of BIZ_MSG with the columns smscli uses; else ConfigError. Its
        columns and their lengths are kept in ``columns``."""
        names = names or self.names(conn)
        if names.msg is None:
            raise missing_table(MSG_TABLE, self.display)
        try:
            reflected = self.sa.inspect(conn).get_columns(names.msg)
        except self.sa.exc.DBAPIError as exc:
            raise self.error(exc) from None
        have = {c["name"].upper(): getattr(c["type"], "length", None) for c in reflected}
        self.columns[names.msg] = have
        missing = [c for c in USED_COLUMNS if c not in have]
        if missing:
            raise ConfigError(f"table {names.msg} in {self.display} lacks the column(s) {', '.join(missing)}",
                              hint="it is not a BIZCLIENT table; create one with `smscli bizclient init-db`")
        return names.msg

    def table(self, name: str, *, log: bool = False) -> sa.Table:
        key = (name, log)
        if key not in self._tables:
            self._tables[key] = build_table(name, dialect=self.dialect, log=log)
        return self._tables[key]

    def has_cmid_index(self, conn: Any, name: str) -> bool:
        """Whether CMID leads an index (or the primary key) of ``name``."""
        insp = self.sa.inspect(conn)
        try:
            pk = insp.get_pk_constraint(name).get("constrained_columns") or []
            if pk and pk[0].upper() == "CMID":
                return True
            return any((ix.get("column_names") or [""])[0] and ix["column_names"][0].upper() == "CMID"
                       for ix in insp.get_indexes(name))
        except self.sa.exc.DBAPIError:
            return False

    def create_tables(self, conn: Any, *, months: Iterable[str] = (), log_index: bool = True) -> list[tuple[str, bool]]:
        """Create BIZ_MSG and the named log tables where missing; ``(name, created)`` each."""
        names = self.names(conn)
        done: list[tuple[str, bool]] = []
        wanted = [(MSG_TABLE, False, names.msg), *((m, True, names.log(m)) for m in months)]
        for name, log, real in wanted:
            if real is not None:
                done.append((real, False))
                continue
            table = build_table(name, dialect=self.dialect, log=log, index=log_index)
            try:
                with self.begin(conn):
                    table.create(conn, checkfirst=True)
            except self.sa.exc.DBAPIError as exc:
                raise self.error(exc, table=name) from None
            done.append((name, True))
        return done


def missing_table(name: str, where: str) -> ConfigError:
    return ConfigError(f"table {name} does not exist in {where}",
                       hint="create it with `smscli bizclient init-db` (add -p PROFILE), or let the agent create it")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode")
        mode = (cur.fetchone() or [""])[0]
        if str(mode).lower() != "wal":
            # Readers and the agent never block each other; a read-only file keeps its mode.
            with contextlib.suppress(Exception):
                cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()


def _pymysql_timeouts(dbapi_conn: Any, timeout: float) -> None:
    """After the login, reads may take ``timeout`` (PyMySQL reads ``_read_timeout`` on
    every read; an older or newer PyMySQL without it keeps connect_timeout)."""
    if hasattr(dbapi_conn, "_read_timeout"):
        dbapi_conn._read_timeout = timeout


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def safe_file_name(name: str) -> bool:
    """A name the agent can find in FILE_PATH: no directory parts, no ``|`` separator."""
    return bool(_SAFE_NAME.match(name)) and name not in (".", "..")


class FinishedLookup:
    """For one send: which CMIDs the agent already finished (rows in this or last month's
    log), so that a re-run never queues them again.

    A log indexed on CMID is asked per batch (``CMID IN (...)``). A log without such an
    index (the agent makes its monthly tables itself) costs a full scan per question, so
    from the second batch on its CMIDs are read once, after BIZ_MSG's: a CMID in neither at
    that moment can reach the log later only through BIZ_MSG, where the primary key
    catches it; one that was in BIZ_MSG then and is gone now was taken meanwhile.
    """

    def __init__(self, db: BizDatabase, msg: str) -> None:
        self.db = db
        self.msg = msg
        self.batches = 0
        self._indexed: dict[str, bool] = {}
        self._snapshot: dict[str, set[str]] | None = None  # real log name -> its CMIDs
        self._was_queued: set[str] = set()  # BIZ_MSG's CMIDs when the snapshot was taken
        self._names: Names | None = None  # the tables when last listed
        self._stamp: int | None = None  # SQLite's schema version then

    def before_batch(self, conn: Any) -> None:
        """Call before each batch's transaction."""
        self.batches += 1
        if self.batches != 2:
            return
        slow = [real for real in self._logs(conn) if not self._is_indexed(conn, real)]
        if slow:
            self._was_queued = self._cmids(conn, self.db.table(self.msg))
            self._snapshot = {real: self._cmids(conn, self.db.table(real, log=True)) for real in slow}
        if conn.in_transaction():
            conn.rollback()

    def find(self, conn: Any, ids: Sequence[str]) -> dict[str, str]:
        """``{cmid: why}`` for the ``ids`` already finished (call inside the transaction
        that has just inserted them, so a row the agent moves meanwhile is seen)."""
        found: dict[str, str] = {}
        for real in self._logs(conn):
            if self._snapshot is not None and real in self._snapshot:
                known = self._snapshot[real]
                hits: Iterable[str] = [cmid for cmid in ids if cmid in known]
            else:
                log = self.db.table(real, log=True)
                hits = [cmid for part in chunks(ids) for cmid in select_in(conn, log, "CMID", part)]
            for cmid in hits:
                found.setdefault(cmid, f"already sent (in {real}); not queued again")
        for cmid in ids:
            if cmid in self._was_queued and cmid not in found:
                found[cmid] = f"was in {self.msg} when this send began and was taken since; not queued again"
        return found

    def _logs(self, conn: Any) -> list[str]:
        """This and last month's log tables that exist. The table names are listed again
        only when they may have changed: on SQLite when the schema did (its schema
        version), elsewhere while a wanted log is missing (the agent creates them)."""
        recent = recent_log_names()
        names = self._names
        stamp = self.db.schema_version(conn)
        if (names is None or stamp != self._stamp
                or (stamp is None and not all(names.log(wanted) for wanted in recent))):
            names = self._names = self.db.names(conn)
            self._stamp = stamp
        return [real for wanted in recent if (real := names.log(wanted)) is not None]

    def _is_indexed(self, conn: Any, real: str) -> bool:
        if real not in self._indexed:
            self._indexed[real] = self.db.has_cmid_index(conn, real)
        return self._indexed[real]

    def _cmids(self, conn: Any, table: Any) -> set[str]:
        stmt = self.db.sa.select(table.c.CMID).execution_options(yield_per=20_000)
        return {cmid for (cmid,) in conn.execute(stmt)}
