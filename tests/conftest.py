"""Shared fixtures: an isolated config/data dir for every test, a subprocess CLI runner,
the ``--clock-at`` option (tests/clock_option.py) and ``--fuzz-long`` (tests/fuzz/)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.clock_option")
from smscli import ids  # noqa: E402
from tests import clock_option  # noqa: E402

pytest_plugins = ["pytester", "tests.clock_option", "tests.skip_report"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-long", action="store_true", default=False,
        help="run the fuzz targets (tests/fuzz/) with many random examples instead of the "
             "bounded, derandomized CI profile",
    )


def pytest_configure(config: pytest.Config) -> None:
    from tests.fuzz import profile

    profile.select(long=config.getoption("--fuzz-long"))

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point config and data at a fresh temp dir; clear SMSCLI_* from the outer shell but
    keep the session's clock (``--clock-at``), and put that clock back after the test."""
    for key in list(os.environ):
        if key.startswith("SMSCLI_"):
            monkeypatch.delenv(key, raising=False)
    for key, value in clock_option.session_env().items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "smscli-home"
    home.mkdir()
    monkeypatch.setenv("SMSCLI_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("SMSCLI_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    yield home
    clock_option.restore()
    ids._forget_state()  # a test that shifted the clock ahead must not date the next test's ids


def run_cli(
    *args: str,
    input: bytes | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m smscli ARGS`` in a subprocess with the test's environment."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    if env:
        full_env.update(env)
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run(
        [sys.executable, "-m", "smscli", *args],
        input=data,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )


# --- the journal's backends ----------------------------------------------------------

# Read at import: ``isolated_env`` clears SMSCLI_* for every test.
PG_BASE_URL = os.environ.get("SMSCLI_TEST_PG_URL", "")
PG_SKIP = ('PostgreSQL case: SMSCLI_TEST_PG_URL is not set; to run it: '
           'export SMSCLI_TEST_PG_URL="$(scripts/postgres-test-server.sh)"')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose sessions work in a fresh schema of their own (dropped after
    the test), on the server named by ``SMSCLI_TEST_PG_URL``; skips without one."""
    if not PG_BASE_URL:
        pytest.skip(PG_SKIP)
    from smscli.testing import fresh_pg_schema

    with fresh_pg_schema(PG_BASE_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest) -> str | None:
    """Each journal test runs on both backends: None (the SQLite file in the data dir) and
    a fresh PostgreSQL schema (:func:`pg_url`)."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def open_journal(journal_url: str | None) -> Any:
    """``Journal.open`` on this test's backend (same arguments, ``url`` filled in)."""
    from smscli.journal import Journal

    def opener(data_dir: Any, **kwargs: Any) -> Any:
        return Journal.open(data_dir, url=journal_url, **kwargs)

    return opener
