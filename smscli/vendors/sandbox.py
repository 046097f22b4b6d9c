"""The ``sandbox`` vendor: the real OneShot client against the OneShot simulator, started
in this process on an ephemeral loopback port; fax, voice calls and MMS audio/video, which
OneShot does not carry, go to the real BIZCLIENT vendor against its agent simulator
(:mod:`smscli.vendors.sandbox_agent`). Nothing leaves the machine.

Each command starts its own simulator; what a real server would remember between
commands (the accepted ids, the reports not yet acknowledged) is kept in
``<data dir>/sandbox-oneshot.json``, so ``smscli send`` now and ``smscli result poll``
later behave as with a real vendor. The credentials below are fixed and not secrets:
they only open a server that this process started on 127.0.0.1.
"""

from __future__ import annotations

import atexit
import itertools
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smscli.vendors.base import Limits, OnReports, OnResult, Vendor, VendorEvents

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.models import Message
    from smscli.sim.kakao import KakaoRules
    from smscli.sim.oneshot import OneShotSimulator

SANDBOX_BIND_ID = "sandbox"
SANDBOX_PASSWORD = "sandbox-not-a-secret"
SANDBOX_KEY = "smscli-sandbox-k"  # 16 bytes
SANDBOX_IV = "smscli-sandbox-i"  # 16 bytes
SANDBOX_SPEED = 1000  # messages/s the simulator announces (and enforces)
SANDBOX_REPORT_DELAY = 0.2  # seconds from acceptance to the delivery report
STATE_FILE = "sandbox-oneshot.json"  # in the profile's data dir

_announced = threading.Event()


class SandboxVendor(Vendor):
    """Delegates every operation to the OneShot client vendor, pointed at a simulator."""

    name: ClassVar[str] = "sandbox"
    limits: ClassVar[Limits] = Limits()  # OneShot's
    can_schedule: ClassVar[bool] = False
    can_cancel: ClassVar[bool] = False
    can_upload: ClassVar[bool] = True
    # OneShot's, and through the BIZCLIENT agent simulator fax, voice and MMS audio/video
    carries: ClassVar[frozenset[str]] = frozenset({"text", "kakao", "rcs", "fax", "voice", "mms-media"})
    falls_back: ClassVar[bool] = False  # OneShot's: smscli.fallback sends the fallback

    def __init__(self, profile: Profile, events: VendorEvents) -> None:
        super().__init__(profile, events)
        self._sim: OneShotSimulator | None = None
        self._client: Vendor | None = None
        self._agent_vendor: Vendor | None = None
        self._agent: Any = None  # smscli.sim.bizclient.BizclientAgent, once started
        self._lock = threading.Lock()

    @property
    def simulator(self) -> OneShotSimulator:
        """The simulator behind this vendor (started on first use)."""
        self._oneshot()
        assert self._sim is not None
        return self._sim

    def _oneshot(self) -> Vendor:
        with self._lock:
            if self._client is None:
                from smscli.sim.oneshot import OneShotSimulator
                from smscli.vendors.oneshot import OneShotVendor

                sim = OneShotSimulator(
                    host="127.0.0.1",
                    port=0,
                    bind_id=SANDBOX_BIND_ID,
                    password=SANDBOX_PASSWORD,
                    key=SANDBOX_KEY,
                    iv=SANDBOX_IV,
                    speed=SANDBOX_SPEED,
                    report_delay=SANDBOX_REPORT_DELAY,
                    state_file=_state_file(self.profile),
                    kakao=_kakao_rules(self.profile),
                )
                host, port = sim.start_in_thread()
                atexit.register(sim.close)
                self._sim = sim
                if not _announced.is_set():
                    _announced.set()
                    print(f"smscli: sandbox: messages go to a OneShot simulator on this machine "
                          f"({host}:{port}); nothing is delivered{_why(self.profile)}. Set up a real "
                          "vendor with `smscli config init`.", file=sys.stderr)
                overlay = {
                    "vendor": "oneshot",
                    "host": host,
                    "port": port,
                    "bind_id": SANDBOX_BIND_ID,
                    "password": SANDBOX_PASSWORD,
                    "aes_key": SANDBOX_KEY,
                    "aes_iv": SANDBOX_IV,
                    "encrypt": False,
                }
                if self.profile.get("poll_silence") is None:
                    overlay["poll_silence"] = 1.0  # the simulator pushes everything at once
                self._client = OneShotVendor(_OverlayProfile(self.profile, overlay), self.events)  # type: ignore[arg-type]
            return self._client

    def _agent_client(self) -> Vendor:
        """The BIZCLIENT vendor of fax, voice and MMS audio/video (its agent started on first use)."""
        with self._lock:
            if self._agent_vendor is None:
                from smscli.vendors import sandbox_agent

                self._agent_vendor, self._agent = sandbox_agent.start(self.profile, self.events, _OverlayProfile)
            return self._agent_vendor

    def close(self) -> None:
        """Close the clients (if they can be) and stop the simulators."""
        agent_vendor, agent = self._agent_vendor, self._agent
        self._agent_vendor = self._agent = None
        if agent_vendor is not None:
            agent_vendor.close()
        if agent is not None:
            agent.stop()
            atexit.unregister(agent.stop)
        client, sim = self._client, self._sim
        self._client = self._sim = None
        closer = getattr(client, "close", None)
        if callable(closer):
            closer()
        if sim is not None:
            sim.close()
            atexit.unregister(sim.close)

    # every operation is the OneShot client's, results and reports named "sandbox" -----
    def _results(self, on_result: OnResult) -> OnResult:
        return lambda result: on_result(replace(result, vendor=self.name))

    def _reports(self, on_reports: OnReports) -> OnReports:
        return lambda reports: on_reports([replace(r, vendor=self.name) for r in reports])

    def send(
        self,
        messages: Iterable[Message],
        on_result: OnResult,
        *,
        on_reports: OnReports | None = None,
        wait: float = 0.0,
    ) -> None:
        from smscli.vendors import sandbox_agent

        stream = iter(messages)
        first = next(stream, None)
        if first is None:
            return
        # One send carries one kind of content: its first message says which simulator.
        target = self._agent_client() if sandbox_agent.for_agent(first) else self._oneshot()
        target.send(
            itertools.chain((first,), stream),
            self._results(on_result),
            on_reports=None if on_reports is None else self._reports(on_reports),
            wait=wait,
        )

    def upload(self, paths: Sequence[Path]) -> list[str]:
        return self._oneshot().upload(paths)

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        from smscli.vendors import sandbox_agent

        if sandbox_agent.exists(self.profile):  # fax, calls, MMS audio/video were sent before
            client = self._agent_client()
            sandbox_agent.settle(self._agent, min(timeout, 5.0))
            client.poll(self._reports(on_reports), timeout=timeout, confirm=confirm)
        self._oneshot().poll(self._reports(on_reports), timeout=timeout, confirm=confirm)

    def confirm(self, server_ids: Sequence[str]) -> None:
        self._oneshot().confirm(server_ids)

    def cancel(self, message_id: str, server_id: str) -> None:
        self._oneshot().cancel(message_id, server_id)


def _kakao_rules(profile: Profile) -> KakaoRules:
    """Any template and sender key is approved; the numbers of the profile key
    ``kakao_misses`` (comma-separated) are not on Kakao, so their messages fall back."""
    from smscli.sim.kakao import KakaoRules

    misses = str(profile.get("kakao_misses") or "")
    return KakaoRules(misses=[n for n in misses.replace(" ", ",").split(",") if n])


def _why(profile: Any) -> str:
    """What the notice adds when a config file was named (``--config``, ``SMSCLI_CONFIG``)
    and is not there: a typo in a cron job would otherwise only show as nothing delivered."""
    paths = getattr(profile, "paths", None)
    if paths is None or paths.config_source == "default" or paths.config_file.exists():
        return ""
    how = "--config" if paths.config_source == "flag" else "SMSCLI_CONFIG"
    return f" (the config file {paths.config_file} that {how} names does not exist)"


def _state_file(profile: Profile) -> Path | None:
    try:
        return Path(profile.data_dir) / STATE_FILE
    except Exception:  # noqa: BLE001 - no data dir: the simulator forgets at exit
        return None


class _OverlayProfile:
    """The user's sandbox profile as the OneShot client sees it: the simulator's address
    and credentials laid over it; everything else (sender, timeout, data dir) passes through."""

    def __init__(self, base: Profile, overlay: dict[str, Any]) -> None:
        self._base = base
        self._overlay = overlay
        self.vendor = overlay.get("vendor", "oneshot")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def __repr__(self) -> str:
        return f"Profile(name={self._base.name!r}, vendor={self.vendor!r} (sandbox))"

    def __contains__(self, key: str) -> bool:
        return key in self._overlay or key in self._base

    def get(self, key: str, default: Any = None) -> Any:
        return self._overlay[key] if key in self._overlay else self._base.get(key, default)

    def require(self, key: str) -> Any:
        return self._overlay[key] if key in self._overlay else self._base.require(key)

    def secret(self, key: str = "password") -> str:
        return str(self._overlay[key]) if key in self._overlay else self._base.secret(key)

    def source(self, key: str) -> str | None:
        return "default" if key in self._overlay else self._base.source(key)
