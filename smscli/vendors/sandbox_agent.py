"""The sandbox's fax, voice calls and MMS audio/video: the real BIZCLIENT vendor against
the BIZCLIENT agent simulator (``smscli.sim.bizclient``), working a SQLite database in
``<data dir>/sandbox-bizclient/`` in this process. Like a real agent's database, it keeps
what was queued between commands, so ``result poll`` later finds the reports.
SQLAlchemy (the ``bizclient`` extra) is needed, as for BIZCLIENT itself."""

from __future__ import annotations

import atexit
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.errors import ConfigError

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.models import Message
    from smscli.sim.bizclient import BizclientAgent
    from smscli.vendors.base import Vendor, VendorEvents

AGENT_DIR = "sandbox-bizclient"
AGENT_KINDS = frozenset({"fax", "voice", "mms-media"})  # what OneShot does not carry
_MEDIA = (".ma3", ".k3g")  # MMS audio/video attachments


def for_agent(msg: Message) -> bool:
    """Whether ``msg`` goes to the agent (a fax, a call, an MMS with audio/video)."""
    if msg.channel is not None:
        return msg.channel.kind in ("fax", "voice")
    return any(str(p).lower().endswith(_MEDIA) for p in msg.images)


def exists(profile: Profile) -> bool:
    """Whether this data dir's sandbox agent has a database (something was sent to it)."""
    return (_root(profile) / "biz.db").exists()


def start(profile: Profile, events: VendorEvents, overlay: type) -> tuple[Vendor, BizclientAgent]:
    """The BIZCLIENT vendor and its running agent simulator for the sandbox ``profile``
    (``overlay``: the sandbox's profile overlay class)."""
    try:
        import sqlalchemy  # noqa: F401 - only to say what to install
    except ImportError:
        raise ConfigError("the sandbox sends fax, voice calls and MMS audio/video through a local "
                          "BIZCLIENT agent simulator, which needs SQLAlchemy",
                          hint="pip install 'smscli[bizclient]'") from None
    from smscli.sim.bizclient import AgentConfig, BizclientAgent
    from smscli.vendors.bizclient import BizclientVendor
    from smscli.vendors.bizclient_db import BizDatabase, recent_log_names

    root = _root(profile)
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{root / 'biz.db'}"
    db = BizDatabase(url, create=True)
    try:
        conn = db.connect()
        try:
            db.create_tables(conn, months=recent_log_names()[:1])
        finally:
            conn.close()
    finally:
        db.dispose()
    agent = BizclientAgent(AgentConfig(database_url=url, file_path=str(files), interval=0.1,
                                       send_delay=0.2, move_delay=0.3)).start()
    atexit.register(agent.stop)
    print(f"smscli: sandbox: fax, calls and MMS audio/video go to a BIZCLIENT agent simulator on "
          f"{root}; nothing is delivered.", file=sys.stderr)
    settings: dict[str, Any] = {"vendor": "bizclient", "database_url": url, "file_path": str(files),
                                "poll_interval": 0.1}
    vendor = BizclientVendor(overlay(profile, settings), events)
    vendor.journal_vendor = "sandbox"
    return vendor, agent


def settle(agent: BizclientAgent, timeout: float) -> None:
    """Let the agent take, finish and move what waits (a new process's agent has done
    nothing yet), up to ``timeout`` seconds; then a poll finds the reports."""
    import time

    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        agent.step()
        if agent.idle() or time.monotonic() >= deadline:
            return
        time.sleep(0.05)


def _root(profile: Profile) -> Path:
    return Path(profile.data_dir) / AGENT_DIR
