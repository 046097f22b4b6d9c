"""OneShot's profile settings and the helpers that need no connection: :class:`Settings`
(read by :func:`load_settings`), the sending hours (:func:`window_wait`), the meaning of
a result code (:func:`describe`), a pushed report as a :class:`~smscli.models.Report`
(:func:`report_from`), the hints for a refused login and the login refusals remembered
across processes (:class:`Refusals`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli import clock
from smscli.errors import ConfigError
from smscli.models import Report
from smscli.vendors.base import profile_flag, profile_number
from smscli.vendors.oneshot_channels import CHANNELS

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.protocol.oneshot.messages import BindRes

log = logging.getLogger("smscli.vendors.oneshot")

KST = timezone(timedelta(hours=9), "KST")
REFUSAL_FILE = "oneshot-login-refusals.json"

LOGIN_HINTS = {
    1: "the server had a system error; try again later",
    2: "another client is logged in with this bind_id; stop it or wait for it to end",
    3: "ask SMTNT to allow this machine's IP address",
    4: "check bind_id in profile '{profile}'",
    5: "check the password of profile '{profile}'",
    6: "this bind_id is suspended; ask SMTNT",
    7: "protocol version refused; ask SMTNT",
    911: "the login was unreadable: check aes_key and aes_iv of profile '{profile}'",
}


@functools.cache
def _code_lookup() -> Callable[..., Any] | None:
    try:
        from smscli.codes import describe as lookup
    except ImportError:  # the code tables are optional here
        return None
    return lookup


@functools.cache
def describe(code: int, table: str = "send") -> str:
    """The meaning of a OneShot result code (from smscli.codes when available)."""
    lookup = _code_lookup()
    if lookup is None:
        return ""
    try:
        entry = lookup("oneshot", str(code), table=table)
    except Exception:  # noqa: BLE001 - an unknown table must not break sending
        return ""
    return entry.meaning if entry is not None else ""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    bind_id: str
    password: str = field(repr=False)
    key: bytes = field(repr=False)
    iv: bytes = field(repr=False)
    encrypt: bool = False
    sender: str = ""
    window: int = 10
    connect_timeout: float = 5.0
    response_timeout: float = 10.0
    alive_interval: float = 20.0
    login_retry_wait: float = 30.0
    reconnect_attempts: int = 5
    reconnect_backoff: float = 0.5
    hours: str = "hold"  # outside the sending hours: hold | wait | fail (profile key wait_window)
    poll_silence: float = 3.0


def load_settings(profile: Profile) -> Settings:
    """Read and check the profile (ConfigError naming the key on any problem)."""
    from smscli.protocol.oneshot import OneShotError, parse_iv, parse_key_material

    keys: dict[str, bytes] = {}
    for name, parse in (("aes_key", parse_key_material), ("aes_iv", parse_iv)):
        try:
            keys[name] = parse(profile.secret(name))
        except OneShotError as exc:
            raise ConfigError(f"profile '{profile.name}': {name}: {exc}") from None
    port = profile.require("port")
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise ConfigError(
            f"profile '{profile.name}': port must be a number, not {port!r}"
        ) from None
    window = profile_number(profile, "window", 10, int)
    if window < 1:
        raise ConfigError(f"profile '{profile.name}': window must be at least 1")
    return Settings(
        host=str(profile.require("host")),
        port=port,
        bind_id=str(profile.require("bind_id")),
        password=profile.secret("password"),
        key=keys["aes_key"],
        iv=keys["aes_iv"],
        encrypt=profile_flag(profile, "encrypt", False),
        sender=str(profile.get("sender", "") or ""),
        window=window,
        connect_timeout=profile_number(profile, "connect_timeout", 5.0),
        response_timeout=profile_number(profile, "response_timeout", 10.0),
        alive_interval=profile_number(profile, "alive_interval", 20.0),
        login_retry_wait=profile_number(profile, "login_retry_wait", 30.0),
        reconnect_attempts=profile_number(profile, "reconnect_attempts", 5, int),
        reconnect_backoff=profile_number(profile, "reconnect_backoff", 0.5),
        hours=_hours_mode(profile),
        poll_silence=profile_number(profile, "poll_silence", 3.0),
    )


def _hours_mode(profile: Profile) -> str:
    """``wait_window``: unset → hold the messages for the opening; true → wait; false → fail."""
    if profile.get("wait_window") in (None, ""):
        return "hold"
    return "wait" if profile_flag(profile, "wait_window", False) else "fail"


def window_wait(bind: BindRes | None, now: float) -> float:
    """Seconds until sending is allowed (BeginTime–EndTime, hours in Korea time)."""
    if bind is None:
        return 0.0
    begin, end = bind.begin_time, bind.end_time
    if begin == end or (begin <= 0 and end >= 24) or not (0 <= begin <= 23 and 0 <= end <= 24):
        return 0.0
    moment = datetime.fromtimestamp(now, KST)
    hour = moment.hour
    inside = begin <= hour < end if begin < end else (hour >= begin or hour < end)
    if inside:
        return 0.0
    start = moment.replace(hour=begin, minute=0, second=0, microsecond=0)
    if start <= moment:
        start += timedelta(days=1)
    return (start - moment).total_seconds()


def report_from(req: Any) -> Report:
    """A Report from a ReportReq."""
    when = ""
    text = (req.delivery_time or "").strip()
    if text:
        for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"):
            try:
                when = datetime.strptime(text, fmt).replace(tzinfo=KST).isoformat()
                break
            except ValueError:
                continue
    extra = {"server_msg_id": req.server_msg_id, "telecom": req.telecom}
    if req.user_msg_sub_id:
        extra["user_msg_sub_id"] = req.user_msg_sub_id
    if req.user_data:
        extra["user_data"] = req.user_data
    return Report(
        message_id=req.user_msg_id,
        to=req.phone_no,
        status="delivered" if req.result == 0 else "failed",
        code=str(req.result),
        detail=describe(req.result),
        vendor="oneshot",
        delivered_at=when if req.result == 0 else "",
        extra=extra,
        channel=CHANNELS.get(req.msg_type, ""),
    )


class Refusals:
    """Login refusals remembered across processes (the server wants 30 s between tries)."""

    def __init__(self, data_dir: Path | None, settings: Settings) -> None:
        self.path = data_dir / REFUSAL_FILE if data_dir is not None else None
        self.key = f"{settings.bind_id}@{settings.host}:{settings.port}"

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def last(self) -> tuple[float, int] | None:
        entry = self._load().get(self.key)
        try:
            return float(entry["at"]), int(entry["code"])
        except (TypeError, KeyError, ValueError):
            return None

    def _store(self, data: dict[str, Any]) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            log.warning("cannot record the login refusal in %s: %s", self.path, exc)

    def remember(self, code: int) -> None:
        data = self._load()
        data[self.key] = {"at": clock.time(), "code": code}
        self._store(data)

    def clear(self) -> None:
        data = self._load()
        if data.pop(self.key, None) is not None:
            self._store(data)
