"""Faults: unreachable database, refused login, missing tables or drivers, a connection
killed in the middle of a send."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from smscli.errors import AuthError, ConfigError, ExitStatus, UnreachableError
from smscli.models import SendResult
from smscli.vendors.bizclient import BizclientVendor
from smscli.vendors.bizclient_db import BizDatabase

from .conftest import FakeJournal, make_profile, mysql_url_or_skip, rows, sms

pytestmark = pytest.mark.timeout(60)


def vendor_for(url: str, tmp_path: Path, **values) -> BizclientVendor:
    return BizclientVendor(make_profile(url, tmp_path, tmp_path, **values), FakeJournal())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """Accepts TCP connections and never says a word (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("operation", ["send", "poll", "cancel"])
def test_a_closed_port_is_unreachable_exit_4(tmp_path, operation):
    url = f"mysql+pymysql://smscli:s3cret-pw@127.0.0.1:{closed_port()}/biz"
    vendor = vendor_for(url, tmp_path)
    start = time.monotonic()
    with pytest.raises(UnreachableError) as err:
        {"send": lambda: vendor.send([sms(1)], lambda r: None),
         "poll": lambda: vendor.poll(lambda r: None),
         "cancel": lambda: vendor.cancel("m1", "")}[operation]()
    assert time.monotonic() - start < 5
    assert err.value.exit_status == ExitStatus.UNREACHABLE
    assert str(err.value).startswith("database unreachable: mysql+pymysql://smscli:***@127.0.0.1")
    assert "s3cret-pw" not in str(err.value)


def test_a_silent_server_times_out_fast(tmp_path, silent_server):
    url = f"mysql+pymysql://smscli:pw@127.0.0.1:{silent_server}/biz"
    vendor = vendor_for(url, tmp_path, connect_timeout=0.5)
    start = time.monotonic()
    with pytest.raises(UnreachableError, match="unreachable"):
        vendor.send([sms(1)], lambda r: None)
    assert 0.4 <= time.monotonic() - start < 3


def test_a_refused_login_is_an_auth_error_without_the_password(tmp_path):
    url = mysql_url_or_skip()
    sa_url = BizDatabase(url).url.set(password="wrong-password-123")
    vendor = vendor_for(sa_url.render_as_string(hide_password=False), tmp_path)
    with pytest.raises(AuthError) as err:
        vendor.send([sms(1)], lambda r: None)
    assert err.value.exit_status == ExitStatus.CONFIG
    assert "refused the login" in str(err.value) and "wrong-password-123" not in str(err.value)


def test_an_unknown_database_is_a_config_error(tmp_path):
    url = mysql_url_or_skip()
    other = BizDatabase(url).url.set(database="no_such_db")
    with pytest.raises(ConfigError) as err:
        vendor_for(other.render_as_string(hide_password=False), tmp_path).send([sms(1)], lambda r: None)
    assert err.value.exit_status == ExitStatus.CONFIG and "no_such_db" in str(err.value)


@pytest.mark.parametrize("operation", ["send", "poll", "cancel"])
def test_a_missing_table_names_init_db(backend, tmp_path, operation):
    if backend.startswith("sqlite"):
        BizDatabase(backend, create=True).connect().close()  # an empty database file
    vendor = vendor_for(backend, tmp_path)
    with pytest.raises(ConfigError) as err:
        {"send": lambda: vendor.send([sms(1)], lambda r: None),
         "poll": lambda: vendor.poll(lambda r: None),
         "cancel": lambda: vendor.cancel("m1", "")}[operation]()
    assert err.value.exit_status == ExitStatus.CONFIG
    assert "table BIZ_MSG does not exist" in str(err.value) and "smscli bizclient init-db" in str(err.value)
    vendor.close()


def test_a_missing_sqlite_file_names_init_db(tmp_path):
    with pytest.raises(ConfigError, match="does not exist.*smscli bizclient init-db"):
        vendor_for(f"sqlite:///{tmp_path / 'nope.db'}", tmp_path).send([sms(1)], lambda r: None)
    assert not (tmp_path / "nope.db").exists()


@pytest.mark.parametrize(("url", "message"), [
    ("mysql+mysqldb://u:p@127.0.0.1/biz", r"driver for mysql\+mysqldb is not installed"),
    ("nosuchdb://u:p@host/biz", "knows no database 'nosuchdb'"),
    ("not a url", "not a database URL"),
    ("sqlite://", "must name a SQLite file"),
])
def test_unusable_database_urls(tmp_path, url, message):
    with pytest.raises(ConfigError, match=message) as err:
        vendor_for(url, tmp_path).send([sms(1)], lambda r: None)
    assert err.value.exit_status == ExitStatus.CONFIG
    if "mysqldb" in url:
        assert "pip install 'smscli[bizclient]'" in str(err.value)


def test_missing_sqlalchemy_names_the_extra(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "sqlalchemy" or m.startswith("sqlalchemy.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # import sqlalchemy -> ImportError
    with pytest.raises(ConfigError) as err:
        vendor_for(f"sqlite:///{tmp_path / 'b.db'}", tmp_path).send([sms(1)], lambda r: None)
    assert err.value.exit_status == ExitStatus.CONFIG
    assert "needs SQLAlchemy" in str(err.value) and "pip install 'smscli[bizclient]'" in str(err.value)


def _kill_other_connections(url: str) -> None:
    """KILL every connection of the test user but this one (the vendor's)."""
    import pymysql

    u = BizDatabase(url).url
    admin = pymysql.connect(host=u.host, port=u.port, user=u.username, password=u.password, database=u.database,
                            ssl_disabled=True)
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s AND ID <> CONNECTION_ID()",
                        (u.username,))
            for (pid,) in cur.fetchall():
                cur.execute(f"KILL {int(pid)}")
    finally:
        admin.close()


@pytest.mark.parametrize("backend_url", ["mariadb"], indirect=True)  # KILL: a server's feature
def test_a_connection_lost_between_batches_stops_the_send(vendor_factory, database):
    vendor = vendor_factory()
    url = database.url.render_as_string(hide_password=False)
    database.dispose()
    results: list[SendResult] = []

    def on_result(result: SendResult) -> None:
        results.append(result)
        if result.message_id == "m999":  # batch 1 is committed: now the database goes away
            _kill_other_connections(url)

    with pytest.raises(UnreachableError) as err:
        vendor.send((sms(i) for i in range(2500)), on_result)
    assert err.value.exit_status == ExitStatus.UNREACHABLE
    assert len(results) == 1000 and {r.status for r in results} == {"accepted"}
    assert len(rows(database)) == 1000  # batch 2 never committed; it has no result (stays pending)


@pytest.mark.parametrize("backend_url", ["mariadb"], indirect=True)
def test_a_connection_lost_while_committing_makes_the_batch_unknown(vendor_factory, database):
    vendor = vendor_factory()
    url = database.url.render_as_string(hide_password=False)
    engine = vendor.database().engine
    commits: list[int] = []

    def before_commit(conn) -> None:
        commits.append(1)
        if len(commits) == 2:
            _kill_other_connections(url)

    vendor.database().sa.event.listen(engine, "commit", before_commit)
    results: list[SendResult] = []
    with pytest.raises(UnreachableError):
        vendor.send((sms(i) for i in range(1500)), results.append)
    assert [r.status for r in results[:1000]] == ["accepted"] * 1000
    assert [r.status for r in results[1000:]] == ["unknown"] * 500
    assert "while committing" in results[1000].detail


@pytest.mark.parametrize("backend_url", ["mariadb"], indirect=True)
def test_queries_get_timeout_not_connect_timeout(backend_url):
    db = BizDatabase(backend_url, connect_timeout=0.2, timeout=0.7)
    try:
        with db.connect() as conn:
            assert conn.exec_driver_sql("SELECT SLEEP(0.4)").scalar() == 0  # longer than connect_timeout
            with pytest.raises(db.sa.exc.OperationalError) as err:
                conn.exec_driver_sql("SELECT SLEEP(1.5)")  # longer than timeout
        assert isinstance(db.error(err.value), UnreachableError)
    finally:
        db.dispose()
