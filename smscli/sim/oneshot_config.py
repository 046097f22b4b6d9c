"""OneShot simulator: its configuration (:class:`OneShotSimConfig`, one field a
``smscli sim oneshot`` flag), the result codes and limits it answers with, and the small
records it keeps (:class:`AcceptedMessage`, a pending report, an upload in progress)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

from smscli.errors import UsageError
from smscli.protocol.oneshot.crypto import parse_iv, parse_key_material
from smscli.protocol.oneshot.errors import OneShotError
from smscli.sim.kakao import KakaoRules

KST = timezone(timedelta(hours=9), "KST")

# Login result codes (document 3.3.3.1) and send result codes (3.4) the simulator uses.
OK = 0
LOGIN_SYSTEM_ERROR = 1
LOGIN_DUPLICATE = 2
LOGIN_BAD_ID = 4
LOGIN_BAD_PASSWORD = 5
LOGIN_BAD_VERSION = 7
NO_FILE = 16
NO_CALLBACK = 316
DUPLICATE_SEND = 320
OUTSIDE_HOURS = 901
NOT_BOUND = 902
TOO_FAST = 903
TOO_LONG = 908
FILE_COUNT = 909
FILE_SIZE = 910
BAD_DATA = 911
OTHER = 999

MAX_IMAGES = 3
STATE_MAX_IDS = 100_000  # accepted ids kept in the state file
MSG_TYPES = frozenset({4, 6, 7, 71, 8, 9, 10, 11, 12})
TEXT_LIMITS = {4: 90, 6: 2000}  # CP949 bytes of Message: SMS, LMS/MMS
SUBJECT_LIMIT = 64
MAX_IMAGE_BYTES = 1024 * 1024
FEED_OUTPUT = 1024 * 1024  # inflated JSON decoded from one read before it is handled

Log = Callable[[str], None]


@dataclass(frozen=True)
class OneShotSimConfig:
    """Everything the simulator can be told; ``smscli sim oneshot`` flags map 1:1."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: an ephemeral port (see ``OneShotSimulator.address``)
    bind_id: str = "test001"
    password: str = field(default="test001#$$%", repr=False)
    key: str = field(default="0123456789abcdef", repr=False)  # text or "hex:..."
    iv: str = field(default="fedcba9876543210", repr=False)
    encrypt: bool = False
    encrypted_key_res: bool = False  # PrivateKeyRes body encrypted with the configured key
    speed: int = 100  # announced in BindRes; 0 = unlimited
    enforce_speed: int | None = None  # enforced limit (None: = speed; 0: unlimited)
    begin: int = 0  # BeginTime hour, Korea time
    end: int = 24  # EndTime hour (exclusive); begin > end wraps past midnight
    effective_time: int = 3
    report_delay: float = 1.0
    fail_rate: float = 0.0  # fraction of reports with a failure code
    reject_rate: float = 0.0  # fraction of MsgSendReq answered with a failure code
    silent_rate: float = 0.0  # fraction of MsgSendReq accepted but never answered
    silent_ids: frozenset[str] = frozenset()  # UserMsgIds accepted but never answered
    seed: int = 0
    drop_after: int = 0  # close a connection upon its N-th MsgSendReq (accepted, unanswered)
    drop_rate: float = 0.0  # fraction of accepted MsgSendReq upon which the connection is closed
    delay: float = 0.0  # seconds from accepting a MsgSendReq to its MsgSendRes (a slow server)
    drop_every: bool = False  # False: only the first time; True: on every connection
    idle_timeout: float = 30.0
    max_connections: int = 0  # bound connections per bind id; 0 = unlimited
    spam: tuple[tuple[str, str], ...] = ()  # (phone, deny_no) pushed after each bind
    change_phone: tuple[tuple[str, str], ...] = ()  # (old, new) pushed after each bind
    upload_ack: bool = False  # answer each upload data frame with UploadFileRes
    record: Path | None = None  # append one JSON line per accepted message
    upload_dir: Path | None = None  # also write uploaded files here
    state_file: Path | None = None  # accepted ids and unacknowledged reports survive restarts
    max_frame: int = 1024 * 1024
    upload_frame_max: int = 2048
    upload_data_max: int = 4096
    reject_codes: tuple[int, ...] = (33, 316, 997)
    fail_codes: tuple[int, ...] = (7, 8, 15)
    # Kakao/RCS (smscli.sim.oneshot_kakao): approved templates, sender key, misses; None:
    # any template and sender key, nobody missed.
    kakao: KakaoRules | None = field(default=None, compare=False)

    def validate(self) -> OneShotSimConfig:
        """Raise UsageError for a value the simulator cannot honour; return self."""
        for name in ("fail_rate", "reject_rate", "silent_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise UsageError(f"--{name.replace('_', '-')} must be between 0 and 1, got {value}")
        if not 0 <= self.begin <= 23 or not 1 <= self.end <= 24 or self.begin == self.end:
            raise UsageError(
                f"sending hours {self.begin}-{self.end} are not valid",
                hint="use --begin 0..23 and --end 1..24, different from each other",
            )
        for name in ("speed", "drop_after", "max_connections", "port"):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name.replace('_', '-')} must not be negative")
        if self.enforce_speed is not None and self.enforce_speed < 0:
            raise UsageError("--enforce-speed must not be negative")
        if self.idle_timeout <= 0 or self.report_delay < 0:
            raise UsageError("--idle-timeout must be positive and --report-delay not negative")
        if self.delay < 0:
            raise UsageError("--delay must not be negative")
        if not self.reject_codes or not self.fail_codes:
            raise UsageError("reject_codes and fail_codes must not be empty")
        for name, parse in (("key", parse_key_material), ("iv", parse_iv)):
            try:
                parse(getattr(self, name))
            except OneShotError as exc:
                raise UsageError(f"--{name}: {exc}") from None
        return self

    @property
    def speed_limit(self) -> int:
        return self.speed if self.enforce_speed is None else self.enforce_speed


@dataclass(frozen=True)
class AcceptedMessage:
    """One MsgSendReq the simulator accepted (and will report on)."""

    server_msg_id: str
    user_msg_id: str
    user_msg_sub_id: str
    phone: str
    msg_type: int
    body: dict[str, Any] = field(repr=False)
    connection: int
    accepted_at: float

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.user_msg_id, self.user_msg_sub_id, self.phone)


@dataclass
class HeldReport:
    body: dict[str, Any]
    origin: int  # connection that sent the message
    due: bool = False


@dataclass
class HeldUpload:
    name: str
    data: bytearray = field(default_factory=bytearray)
    error: int = OK
    reason: str = ""


class ProtocolError(Exception):
    """The peer broke the protocol: log it and close the connection."""
