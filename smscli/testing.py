"""The simulators as objects for tests (yours and ours): start one on a loopback port,
get a profile that points smscli at it, see what it accepted, make reports happen.

The pytest fixtures (``smscli_oneshot_sim`` ...) in :mod:`smscli.pytest_plugin` yield
these; without pytest::

    with OneShotSim(tmp_dir) as sim:
        with sim.client() as sms:
            sms.send("01012345678", "hello", id="a-1")
        assert sim.accepted[-1].to == "01012345678"

Knobs are each simulator's own (the ``smscli sim ...`` flags, as keyword arguments):
``fail_rate`` (reports that fail), ``reject_rate``/``drop_after``/``delay`` (OneShot),
``rate``/``delay``/``drop_rate``/``fail_5xx`` (Bizppurio), ``rate``/``delay``/``drop_rate``
(BizNetShot), ``send_delay``/``move_delay`` (BIZCLIENT). :meth:`SimHandle.restart`
applies new ones (the port, and so the profile, may change).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from smscli.aio import AsyncClient
    from smscli.client import Client

__all__ = ["Accepted", "BizclientSim", "BizppurioSim", "NetshotSim", "OneShotSim", "SimHandle",
           "SIMS", "fresh_pg_schema"]


@dataclass(frozen=True)
class Accepted:
    """One message a simulator accepted: our message id as the vendor carries it (for
    BizNetShot ``corpfrcode:number``), the number, the text where the vendor's request
    carries it, the type as the vendor names it, and the simulator's whole record line."""

    vendor: str
    id: str
    to: str
    text: str = ""
    type: str = ""
    sender: str = ""
    subject: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class SimHandle:
    """A running simulator, a config file with one profile for it (``profile``, in
    ``config``) and a data dir for the journal (``data_dir``)."""

    vendor: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, workdir: str | os.PathLike[str], **knobs: Any) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.profile = f"sim-{self.vendor}"
        self.config = self.workdir / "config.toml"
        self.data_dir = self.workdir / "data"
        self.record = self.workdir / f"{self.vendor}-record.jsonl"
        self.knobs: dict[str, Any] = {**self.defaults, **knobs}
        self.obj: Any = None

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> SimHandle:
        self.obj = self._start(dict(self.knobs))
        self._write_config()
        return self

    def stop(self) -> None:
        if self.obj is not None:
            self._stop()
            self.obj = None

    def restart(self, **knobs: Any) -> SimHandle:
        """Stop, then start again with these knobs added (what was accepted is kept in the
        record, so ``accepted`` still lists it)."""
        self.stop()
        self.knobs.update(knobs)
        return self.start()

    def __enter__(self) -> SimHandle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __getattr__(self, name: str) -> Any:
        """A knob's current value (``sim.fail_rate``)."""
        knobs = self.__dict__.get("knobs", {})
        if name in knobs:
            return knobs[name]
        raise AttributeError(name)

    # --- using it ---------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """``SMSCLI_CONFIG``, ``SMSCLI_DATA_DIR`` and ``SMSCLI_PROFILE`` for this
        simulator: ``Client()`` (and the ``smscli`` command) then use it."""
        return {"SMSCLI_CONFIG": str(self.config), "SMSCLI_DATA_DIR": str(self.data_dir),
                "SMSCLI_PROFILE": self.profile}

    def client(self, **settings: Any) -> Client:
        """A :class:`smscli.Client` on this simulator's profile."""
        from smscli.client import Client

        return Client(self.profile, config=self.config, data_dir=self.data_dir,
                      settings=settings or None)

    def async_client(self, **settings: Any) -> AsyncClient:
        """An :class:`smscli.AsyncClient` on this simulator's profile."""
        from smscli.aio import AsyncClient

        return AsyncClient(self.profile, config=self.config, data_dir=self.data_dir,
                           settings=settings or None)

    @property
    def accepted(self) -> list[Accepted]:
        """Every acceptance so far, in order (a message accepted twice is there twice)."""
        out: list[Accepted] = []
        try:
            handle = open(self.record, encoding="utf-8")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return out
        with handle:
            for line in handle:
                if not line.endswith("\n"):
                    break
                data = json.loads(line)
                item = self._accepted(data) if isinstance(data, dict) else None
                if item is not None:
                    out.append(item)
        return out

    def wait_accepted(self, count: int, timeout: float = 10.0) -> list[Accepted]:
        """``accepted`` once it holds ``count`` messages (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            items = self.accepted
            if len(items) >= count or time.monotonic() >= deadline:
                assert len(items) >= count, f"{self.vendor} accepted {len(items)} of {count}"
                return items
            time.sleep(0.01)

    def deliver(self, message_id: str, *, code: str | int | None = None) -> None:
        """Make the report for ``message_id`` due now (with ``code``, else the success
        code): the next ``Client.poll`` collects it."""
        raise NotImplementedError(f"{self.vendor}: reports come by themselves after report_delay")

    # --- per vendor -------------------------------------------------------------------

    def _values(self) -> dict[str, Any]:
        raise NotImplementedError

    def _start(self, knobs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _stop(self) -> None:
        self.obj.stop()

    def _accepted(self, data: dict[str, Any]) -> Accepted | None:
        raise NotImplementedError

    def _write_config(self) -> None:
        values = self._values()
        lines = [f"[profiles.{self.profile}]\n"]
        lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in values.items()]
        self.config.write_text("".join(lines), encoding="utf-8")
        self.config.chmod(0o600)


class OneShotSim(SimHandle):
    """``sim oneshot`` (TCP). Reports wait for :meth:`deliver` (``report_delay`` an hour)."""

    vendor = "oneshot"
    defaults: ClassVar[dict[str, Any]] = {"speed": 0, "report_delay": 3600.0}

    def _start(self, knobs: dict[str, Any]) -> Any:
        from smscli.sim.oneshot import OneShotSimulator

        sim = OneShotSimulator(record=self.record, **knobs)
        sim.start_in_thread()
        return sim

    def _stop(self) -> None:
        self.obj.close()

    def _values(self) -> dict[str, Any]:
        host, port = self.obj.address
        cfg = self.obj.config
        return {"vendor": "oneshot", "host": host, "port": port, "bind_id": cfg.bind_id,
                "password": cfg.password, "aes_key": cfg.key, "aes_iv": cfg.iv,
                "encrypt": cfg.encrypt, "sender": "15666639", "reconnect_backoff": 0.05,
                "poll_silence": 0.3,
                "kakao_sender_key": getattr(cfg.kakao, "sender_key", None) or "sim-sender-key"}

    def _accepted(self, data: dict[str, Any]) -> Accepted | None:
        if data.get("event") != "accepted":
            return None
        kinds = {0: "sms", 5: "lms", 6: "mms"}
        return Accepted("oneshot", str(data.get("user_msg_id", "")), str(data.get("phone", "")),
                        text=str(data.get("message", "")),
                        type=kinds.get(data.get("msg_type"), str(data.get("msg_type", ""))),
                        sender=str(data.get("callback", "")), subject=str(data.get("subject", "")),
                        raw=data)

    def deliver(self, message_id: str, *, code: str | int | None = None) -> None:
        sim = self.obj
        with sim._lock:
            found = next((sid for sid, rep in sim._reports.items()
                          if rep.body.get("UserMsgId") == message_id), None)
            if found is None:
                raise KeyError(f"no pending report for {message_id!r}")
            if code is not None:
                sim._reports[found].body["Result"] = int(code)
        sim._call_soon(sim._report_due, found)


class BizppurioSim(SimHandle):
    """``sim bizppurio`` (HTTPS API on HTTP here). Reports wait for :meth:`deliver`."""

    vendor = "bizppurio"
    defaults: ClassVar[dict[str, Any]] = {"report_delay": 3600.0}

    def _start(self, knobs: dict[str, Any]) -> Any:
        from smscli.sim.bizppurio import BizppurioSim as Server
        from smscli.sim.bizppurio import SimConfig

        if "drop_ids" in knobs:
            knobs["drop_ids"] = frozenset(knobs["drop_ids"])
        return Server(SimConfig(record=self.record, **knobs)).start()

    def _values(self) -> dict[str, Any]:
        cfg = self.obj.config
        key = getattr(self.obj.api.kakao, "sender_key", None) or "sim-sender-key"
        return {"vendor": "bizppurio", "base_url": self.obj.base_url, "account": cfg.account,
                "password": cfg.password, "sender": "0212341234", "backoff": 0.01,
                "kakao_sender_key": key, "rcs_chatbot_id": "sim-chatbot"}

    def _accepted(self, data: dict[str, Any]) -> Accepted | None:
        if "refkey" not in data or data.get("event") is not None:
            return None
        return Accepted("bizppurio", str(data["refkey"]), str(data.get("to", "")),
                        text=str(data.get("text", "")), type=str(data.get("type", "")),
                        sender=str(data.get("from", "")), subject=str(data.get("subject", "")),
                        raw=data)

    def deliver(self, message_id: str, *, code: str | int | None = None) -> None:
        api = self.obj.api
        with api.lock:
            found = [(msgid, rep) for msgid, (_ready, rep) in api.reports.items()
                     if rep.get("refkey") == message_id]
            if not found:
                raise KeyError(f"no pending report for {message_id!r}")
            for msgid, rep in found:
                if code is not None:
                    rep["result"] = str(code)
                api.reports[msgid] = (0.0, rep)  # ready since the epoch: due now


class NetshotSim(SimHandle):
    """``sim netshot`` (HTTP). Its reports are callbacks to a ``result listen`` URL
    (knob ``callback``), ``report_delay`` after acceptance."""

    vendor = "netshot"
    defaults: ClassVar[dict[str, Any]] = {"report_delay": 0.2}

    def _start(self, knobs: dict[str, Any]) -> Any:
        from smscli.sim.netshot import NetshotSim as Server

        return Server(record=self.record, **knobs).start()

    def _values(self) -> dict[str, Any]:
        return {"vendor": "netshot", "url": self.obj.url, "user": "test", "password": "test",
                "sender": "0212341234"}

    def _accepted(self, data: dict[str, Any]) -> Accepted | None:
        if "corpfrcode" not in data or data.get("event") is not None:
            return None
        to = str(data.get("to", ""))
        return Accepted("netshot", f"{data['corpfrcode']}:{to}", to, text=str(data.get("contents", "")),
                        type=str(data.get("type", "")), sender=str(data.get("from", "")),
                        subject=str(data.get("subject", "")), raw=data)


class BizclientSim(SimHandle):
    """``sim bizclient``: the agent on a SQLite database (needs ``smscli[bizclient]``);
    it takes rows every ``interval`` and reports ``move_delay`` later (``Client.poll``)."""

    vendor = "bizclient"
    defaults: ClassVar[dict[str, Any]] = {"interval": 0.02, "send_delay": 0.05, "move_delay": 0.3}

    def _start(self, knobs: dict[str, Any]) -> Any:
        from smscli.sim.bizclient import AgentConfig, BizclientAgent

        files = self.workdir / "files"
        files.mkdir(exist_ok=True)
        config = AgentConfig(database_url=self._url(), file_path=str(files), record=self.record, **knobs)
        return BizclientAgent(config).start()

    def _url(self) -> str:
        return f"sqlite:///{self.workdir / 'biz.db'}"

    def _values(self) -> dict[str, Any]:
        return {"vendor": "bizclient", "database_url": self._url(),
                "file_path": str(self.workdir / "files"), "sender": "0212341234",
                "kakao_sender_key": getattr(self.obj.config.kakao, "sender_key", None) or "sim-sender-key"}

    def _accepted(self, data: dict[str, Any]) -> Accepted | None:
        if data.get("event") != "taken":
            return None
        kinds = {0: "sms", 5: "lms", 6: "alimtalk", 7: "friendtalk"}
        return Accepted("bizclient", str(data.get("cmid", "")), str(data.get("to", "")),
                        text=str(data.get("text", "")),
                        type=kinds.get(data.get("msg_type"), str(data.get("msg_type", ""))), raw=data)


SIMS: dict[str, type[SimHandle]] = {"oneshot": OneShotSim, "bizppurio": BizppurioSim,
                                    "netshot": NetshotSim, "bizclient": BizclientSim}


@contextmanager
def fresh_pg_schema(base_url: str, prefix: str = "t") -> Iterator[str]:
    """A URL for the PostgreSQL server ``base_url`` names whose sessions work in a new schema
    of their own (libpq's ``options=-csearch_path=...``), dropped with its tables after: a
    shared journal per test or benchmark round, on one server. Needs psycopg."""
    import secrets

    import psycopg

    schema = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as admin:
            admin.execute("SET lock_timeout = '20s'")
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
