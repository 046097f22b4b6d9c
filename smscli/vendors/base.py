"""The interface every vendor implements. Operations are synchronous and self-contained:
a vendor may run its own asyncio loop or HTTP client inside each call.

Callbacks are called on the calling thread. ``on_result`` is called exactly once per
message handed to ``send``; ``on_reports`` must return only after the reports are
stored, so a vendor acknowledges (ReportRes, /v1/result/confirm) only what is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from smscli.errors import ConfigError, UnreachableError, UsageError
from smscli.models import Message, Report, SendResult
from smscli.records import record

if TYPE_CHECKING:
    from smscli.abroad import AbroadLimits
    from smscli.config import Profile

OnResult = Callable[[SendResult], None]
OnReports = Callable[[list[Report]], None]


class VendorEvents(Protocol):
    """What a vendor may record besides results (implemented by the Journal)."""

    def add_suppression(self, phone: str, deny_no: str = "", source: str = "") -> None: ...

    def add_phone_change(self, phone: str, new_phone: str, server_msg_id: str = "") -> None: ...

    def token_get(self, key: str) -> tuple[str, float] | None: ...

    def token_put(self, key: str, token: str, expires_at: float) -> None: ...


class OutsideHours(UnreachableError):
    """The vendor takes no messages now (OneShot's sending hours). ``unsent`` are messages
    it was handed and did not send; with ``hold`` the pipeline keeps them, and the rest of
    the input, as reservations for ``opens_at`` (``reserve flush`` sends them); without it
    the command fails (exit 4) and the run can be resumed."""

    def __init__(self, message: str, *, opens_at: datetime, unsent: list[Message],
                 hold: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.opens_at = opens_at
        self.unsent = unsent  # the vendor may add to it until it raises this
        self.hold = hold


@record
class Limits:
    """Size rules the send pipeline checks before anything is sent."""

    sms_bytes: int = 90  # EUC-KR/CP949 bytes an SMS may carry
    lms_bytes: int = 2000
    subject_bytes: int = 64
    max_images: int = 3
    image_bytes: int = 1024 * 1024  # per image
    images_total_bytes: int = 1024 * 1024
    image_max_wh: tuple[int, int] | None = (1024, 768)
    server_decides_type: bool = False  # netshot: the server picks SMS/LMS at 80 bytes

    def __init__(self, sms_bytes: int = 90, lms_bytes: int = 2000, subject_bytes: int = 64, max_images: int = 3,
                 image_bytes: int = 1024 * 1024, images_total_bytes: int = 1024 * 1024,
                 image_max_wh: tuple[int, int] | None = (1024, 768), server_decides_type: bool = False) -> None:
        self.__dict__.update(sms_bytes=sms_bytes, lms_bytes=lms_bytes, subject_bytes=subject_bytes,
                             max_images=max_images, image_bytes=image_bytes, images_total_bytes=images_total_bytes,
                             image_max_wh=image_max_wh, server_decides_type=server_decides_type)


# Upper bounds of numeric profile keys: beyond them a value is a typo, not a wish (a
# concurrency of 10**9 would start a billion workers). Seconds are at most a day.
MAXIMA: dict[str, float] = {"window": 10_000, "concurrency": 1_000, "attempts": 100,
                            "reconnect_attempts": 1_000}
MAX_SECONDS = 86_400.0
MAX_COUNT = 1_000_000


def profile_number(profile: Any, key: str, default: float, kind: type = float,
                   minimum: float = 0.0, maximum: float | None = None) -> Any:
    """A numeric profile value (a TOML number, or text from ``SMSCLI_<KEY>``), at least
    ``minimum`` and at most ``maximum`` (default: ``MAXIMA``, else a day of seconds for
    ``float``, ``MAX_COUNT`` for ``int``); else a ConfigError naming the key and the profile."""
    import math

    raw = profile.get(key, default)
    if raw is None or raw == "":
        raw = default
    where = f"profile '{getattr(profile, 'name', '?')}': "
    try:
        value = kind(raw)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(raw)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{where}{key} must be a number, not {raw!r}",
                          hint=f"smscli config set {key} {default}") from None
    if value < minimum:
        raise ConfigError(f"{where}{key} must be at least {minimum:g}, not {raw!r}")
    top = maximum if maximum is not None else MAXIMA.get(key, MAX_COUNT if kind is int else MAX_SECONDS)
    if value > top:
        unit = " (seconds)" if kind is float else ""
        raise ConfigError(f"{where}{key} is {raw}; at most {top:g}{unit} is allowed",
                          hint=f"the default is {default:g}")
    return value


def profile_flag(profile: Any, key: str, default: bool) -> bool:
    """A true/false profile value (TOML boolean, or 1/0, yes/no, on/off, true/false text)."""
    raw = profile.get(key, default)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"profile '{getattr(profile, 'name', '?')}': {key} must be true or false, not {raw!r}")


class Vendor:
    """Base class with the defaults; subclasses override what their vendor can do."""

    name: ClassVar[str] = ""
    limits: ClassVar[Limits] = Limits()
    can_schedule: ClassVar[bool] = False  # the server keeps reservations itself
    can_cancel: ClassVar[bool] = False  # server-side reservations can be cancelled
    can_upload: ClassVar[bool] = True  # `mms upload` returns reusable file keys
    # The server answers "duplicate" for an id it already accepted, so re-sending a message
    # that may have reached it is safe. Where it cannot (Bizppurio), the pipeline marks each
    # message as handed over, ``handoff_batch`` at a time, just before it goes out.
    dedupes: ClassVar[bool] = True
    handoff_batch: int = 0
    # Content kinds (smscli.content) this vendor maps onto its wire format; the pipeline
    # refuses any other kind before anything is journaled (smscli.content.refusal).
    carries: ClassVar[frozenset[str]] = frozenset({"text"})
    # A vendor that carries Kakao/RCS either falls back itself (the fallback travels in the
    # same request: Bizppurio resend/recontent, BIZCLIENT RE_TYPE/RE_BODY) or, False, has
    # no field for it and smscli sends it when the report says the first failed
    # (smscli.fallback; OneShot).
    falls_back: ClassVar[bool] = True
    # The profile keys an RCS message needs on this vendor (Bizppurio: ``rcs_chatbot_id``);
    # ``run_job`` stops with a ConfigError (exit 3) when one is unset, the dry run too.
    rcs_keys: ClassVar[tuple[str, ...]] = ()
    # What the vendor sends to numbers outside Korea (+CC...), None: nothing; asked by the
    # send pipeline only (smscli.dispatch.Prepared, smscli.abroad).
    abroad: ClassVar[AbroadLimits | None] = None

    def __init__(self, profile: Profile, events: VendorEvents) -> None:
        self.profile = profile
        self.events = events
        # Set by the pipeline: true once the user asked to stop (the first Ctrl-C). Long
        # waits (delivery reports, sending hours) end early when it is.
        self.stop_requested: Callable[[], bool] = lambda: False
        # Called about once a second while the vendor waits (seconds left, for what).
        self.waiting: Callable[[float, str], None] = lambda left, why: None

    def send(
        self,
        messages: Iterable[Message],
        on_result: OnResult,
        *,
        on_reports: OnReports | None = None,
        wait: float = 0.0,
    ) -> None:
        """Send every message (pulled lazily from ``messages``); with ``wait`` > 0, keep
        collecting reports for the sent messages for up to ``wait`` seconds."""
        raise NotImplementedError

    def upload(self, paths: Sequence[Path]) -> list[str]:
        """Upload images (already validated as JPEG within limits); return the vendor's keys."""
        raise UsageError(f"{self.name} has no separate upload step", hint="attach images with `send --image`")

    def poll(self, on_reports: OnReports, *, timeout: float = 10.0, confirm: bool = True) -> None:
        """Collect pending reports; call ``on_reports`` (which stores them) before acknowledging."""
        raise UsageError(f"{self.name} cannot be polled for results")

    def confirm(self, server_ids: Sequence[str]) -> None:
        raise UsageError(f"{self.name} has no confirm step")

    def cancel(self, message_id: str, server_id: str) -> None:
        raise UsageError(f"{self.name} cannot cancel a reservation on the server")
