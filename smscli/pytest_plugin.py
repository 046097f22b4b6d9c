"""pytest fixtures for the simulators, registered by smscli's ``pytest11`` entry point:
installing smscli is enough, no conftest needed.

``smscli_oneshot_sim``, ``smscli_bizppurio_sim``, ``smscli_netshot_sim``,
``smscli_bizclient_sim`` start a simulator for one test and point ``SMSCLI_CONFIG``,
``SMSCLI_DATA_DIR`` and ``SMSCLI_PROFILE`` at it (so ``smscli.Client()`` in the code under
test sends to it); the ``..._session`` variants start one for the whole session (without
touching the environment: use ``.client()`` or ``.env()``). Each yields a
:class:`smscli.testing.SimHandle`. Knobs for one test::

    @pytest.mark.smscli_sim(fail_rate=1.0)
    def test_failure_is_reported(smscli_oneshot_sim): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "smscli_sim(**knobs): simulator knobs for the smscli_*_sim fixtures of this test")


def _knobs(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("smscli_sim")
    return dict(marker.kwargs) if marker else {}


def _function_sim(vendor: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from smscli.testing import SIMS

    handle = SIMS[vendor](tmp_path_factory.mktemp(f"smscli-{vendor}"), **_knobs(request)).start()
    try:
        for key, value in handle.env().items():
            monkeypatch.setenv(key, value)
        yield handle
    finally:
        handle.stop()


def _session_sim(vendor: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from smscli.testing import SIMS

    handle = SIMS[vendor](tmp_path_factory.mktemp(f"smscli-{vendor}-session")).start()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def smscli_oneshot_sim(request, tmp_path_factory, monkeypatch):
    """A OneShot simulator for this test (reports wait for ``.deliver``)."""
    yield from _function_sim("oneshot", request, tmp_path_factory, monkeypatch)


@pytest.fixture
def smscli_bizppurio_sim(request, tmp_path_factory, monkeypatch):
    """A Bizppurio simulator for this test (reports wait for ``.deliver``)."""
    yield from _function_sim("bizppurio", request, tmp_path_factory, monkeypatch)


@pytest.fixture
def smscli_netshot_sim(request, tmp_path_factory, monkeypatch):
    """A BizNetShot simulator for this test."""
    yield from _function_sim("netshot", request, tmp_path_factory, monkeypatch)


@pytest.fixture
def smscli_bizclient_sim(request, tmp_path_factory, monkeypatch):
    """A BIZCLIENT agent on SQLite for this test (needs ``smscli[bizclient]``)."""
    pytest.importorskip("sqlalchemy")
    yield from _function_sim("bizclient", request, tmp_path_factory, monkeypatch)


@pytest.fixture(scope="session")
def smscli_oneshot_sim_session(tmp_path_factory):
    """One OneShot simulator for the whole session."""
    yield from _session_sim("oneshot", tmp_path_factory)


@pytest.fixture(scope="session")
def smscli_bizppurio_sim_session(tmp_path_factory):
    """One Bizppurio simulator for the whole session."""
    yield from _session_sim("bizppurio", tmp_path_factory)


@pytest.fixture(scope="session")
def smscli_netshot_sim_session(tmp_path_factory):
    """One BizNetShot simulator for the whole session."""
    yield from _session_sim("netshot", tmp_path_factory)


@pytest.fixture(scope="session")
def smscli_bizclient_sim_session(tmp_path_factory):
    """One BIZCLIENT agent for the whole session (needs ``smscli[bizclient]``)."""
    pytest.importorskip("sqlalchemy")
    yield from _session_sim("bizclient", tmp_path_factory)
