"""Fixtures for the BIZCLIENT tests: every database test runs on SQLite and on MariaDB.

MariaDB runs when ``SMSCLI_TEST_MYSQL_URL`` is set (``.ci/run`` starts a private server
with ``scripts/mariadb-test-server.sh``); otherwise those cases are skipped with a reason
that says how to enable them.

Every test here runs at :data:`MID_MONTH` (the clock runs on from it, here and in
subprocesses): the log tables are monthly (``BIZ_LOG_YYYYMM``), so a test reading the real
clock would fail when the month turned during it. test_month_boundary.py crosses one on purpose.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from smscli.config import Paths, resolve_profile
from smscli.images import make_jpeg
from smscli.models import Message, Report
from smscli.sim.bizclient import AgentConfig, BizclientAgent
from smscli.vendors.bizclient import BizclientVendor
from smscli.vendors.bizclient_db import BizDatabase

# Read at import: the autouse isolated_env fixture clears SMSCLI_* before each test.
MYSQL_URL = os.environ.get("SMSCLI_TEST_MYSQL_URL", "")
ENABLE = 'export SMSCLI_TEST_MYSQL_URL="$(scripts/mariadb-test-server.sh)"'
JPEG = make_jpeg(64, 48, pad=2000)
MID_MONTH = datetime(2026, 11, 18, 14, 0)  # Korea time


@pytest.fixture(autouse=True)
def _mid_month(isolated_env: Path, clock_at: Callable[[datetime], None]) -> None:
    clock_at(MID_MONTH)


def mysql_url_or_skip() -> str:
    if not MYSQL_URL:
        pytest.skip(f"MariaDB case: SMSCLI_TEST_MYSQL_URL is not set; to run it: {ENABLE}")
    return MYSQL_URL


_admin: dict[str, BizDatabase] = {}
_clean: set[str] = set()  # MariaDB tables known to be exactly as create_tables makes them


def _mysql_admin(url: str) -> BizDatabase:
    if url not in _admin:
        _admin[url] = BizDatabase(url, pool=True)
    return _admin[url]


def reset_mysql(url: str, keep: tuple[str, ...] = ()) -> None:
    """Drop the test database's tables, except the clean ones in ``keep``, which are emptied."""
    db = _mysql_admin(url)
    if not keep:
        _clean.clear()
    with db.connect() as conn:
        for name in db.sa.inspect(conn).get_table_names():
            if name in keep and name in _clean:
                conn.exec_driver_sql(f"DELETE FROM `{name}`")
            else:
                conn.exec_driver_sql(f"DROP TABLE `{name}`")
                _clean.discard(name)
        conn.commit()


@pytest.fixture(scope="session", autouse=True)
def _close_admin_connections() -> Iterator[None]:
    yield
    for db in _admin.values():
        db.dispose()


@pytest.fixture(params=["sqlite", "mariadb"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The backend's URL; SQLite: a file that does not exist yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'biz.db'}"
    url = mysql_url_or_skip()
    request.addfinalizer(_hold_mysql(url))
    return url


def _hold_mysql(url: str) -> Callable[[], None]:
    """Take the test database for this test (returns its release): the MariaDB cases share
    its tables, which each drops, so the test processes (pytest-xdist's workers) take
    turns: an exclusive lock on a file named after the URL, held until the test ends. The
    file names the process that had it last; after another one, no table is known clean."""
    import fcntl
    import hashlib
    import tempfile

    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    lock = open(Path(tempfile.gettempdir()) / f"smscli-test-mariadb-{name}.lock", "a+")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.seek(0)
    me = str(os.getpid())
    if lock.read() != me:
        _clean.clear()
        lock.seek(0)
        lock.truncate()
        lock.write(me)
        lock.flush()
    return lock.close


@pytest.fixture
def backend(backend_url: str) -> str:
    """An empty database's URL."""
    if backend_url.startswith("mysql"):
        reset_mysql(backend_url)
    return backend_url


@pytest.fixture
def files(tmp_path: Path) -> Path:
    path = tmp_path / "files"
    path.mkdir()
    return path


@pytest.fixture
def database(backend_url: str) -> Iterator[BizDatabase]:
    """The backend with only BIZ_MSG and this month's log, both empty (as init-db makes them)."""
    from smscli.vendors.bizclient_db import MSG_TABLE, recent_log_names

    this_month = recent_log_names()[0]
    shared = backend_url.startswith("mysql")
    if shared:
        reset_mysql(backend_url, keep=(MSG_TABLE, this_month))
    db = _mysql_admin(backend_url) if shared else BizDatabase(backend_url, create=True)
    with db.connect() as conn:
        db.create_tables(conn, months=[this_month])
    if shared:
        _clean.update((MSG_TABLE, this_month))
    yield db
    db.dispose()  # the shared engine only closes its idle connections


def make_profile(url: str, file_path: Path | str, tmp_path: Path, **values: Any) -> Any:
    table = {"vendor": "bizclient", "database_url": url, "file_path": str(file_path),
             "sender": "0212341234", "poll_interval": 0.05, **values}
    paths = Paths(tmp_path / "config.toml", tmp_path / "data")
    return resolve_profile("agent", table, paths)


class FakeJournal:
    """Stands in for the Journal's side a vendor sees: messages by state, reports stored."""

    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        self.reports: list[Report] = []
        self.pages = 0  # pages of ids read by iter_ids

    def track(self, ids: list[str], status: str = "accepted") -> None:
        for i in ids:
            self.status[i] = status

    def list_messages(self, status: Any = None, since: Any = None, vendor: str | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
        wanted = {status} if isinstance(status, str) else set(status or ())
        return [{"id": i, "vendor": "bizclient", "profile": "agent", "status": s}
                for i, s in self.status.items() if not wanted or s in wanted]

    def iter_ids(self, status: Any, *, vendor: str | None = None, profile: str | None = None,
                 page: int = 5000) -> Any:
        """Pages of ids, as Journal.iter_ids (read lazily: a page reported meanwhile is
        not listed again)."""
        wanted = set(status)
        ids = list(self.status)
        for start in range(0, len(ids), page):
            part = [i for i in ids[start:start + page] if self.status[i] in wanted]
            if part:
                self.pages += 1
                yield part

    def among(self, ids: list[str], status: Any, *, vendor: str | None = None) -> set[str]:
        return {i for i in ids if self.status.get(i) in set(status)}

    def add_reports(self, reports: list[Report]) -> list[Report]:
        for r in reports:
            self.status[r.message_id] = r.status
        self.reports.extend(reports)
        return reports

    # VendorEvents
    def add_suppression(self, phone: str, deny_no: str = "", source: str = "") -> None: ...

    def add_phone_change(self, phone: str, new_phone: str, server_msg_id: str = "") -> None: ...

    def token_get(self, key: str) -> tuple[str, float] | None:
        return None

    def token_put(self, key: str, token: str, expires_at: float) -> None: ...


@pytest.fixture
def journal() -> FakeJournal:
    return FakeJournal()


@pytest.fixture
def vendor_factory(database: BizDatabase, files: Path, tmp_path: Path, journal: FakeJournal):
    made: list[BizclientVendor] = []

    def make(**values: Any) -> BizclientVendor:
        url = values.pop("database_url", database.url.render_as_string(hide_password=False))
        file_path = values.pop("file_path", files)
        vendor = BizclientVendor(make_profile(url, file_path, tmp_path, **values), journal)
        made.append(vendor)
        return vendor

    yield make
    for vendor in made:
        vendor.close()


@pytest.fixture
def agent_factory(database: BizDatabase, files: Path):
    started: list[BizclientAgent] = []

    def make(**options: Any) -> BizclientAgent:
        options = {"interval": 0.02, "send_delay": 0.05, "move_delay": 0.1, **options}
        url = database.url.render_as_string(hide_password=False)
        agent = BizclientAgent(AgentConfig(url, str(files), **options))
        started.append(agent)
        return agent

    yield make
    for agent in started:
        agent.stop()
        assert agent.error is None, agent.error


def sms(i: int | str, **fields: Any) -> Message:
    values = {"id": f"m{i}" if isinstance(i, int) else i, "to": "01012345678", "text": "안녕하세요 테스트입니다",
              "sender": "", "type": "sms", **fields}
    return Message(**values)


def rows(db: BizDatabase, table: str = "BIZ_MSG") -> list[Any]:
    """Every row of ``table`` (typed: datetimes are datetimes on SQLite too), by CMID."""
    t = db.table(table, log=not table.upper().endswith("MSG"))
    with db.connect() as conn:
        return list(conn.execute(db.sa.select(t).order_by(t.c.CMID)))


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
