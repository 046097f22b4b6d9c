"""Shared pieces of the Bizppurio simulator (:mod:`smscli.sim.bizppurio`): its settings
(:class:`SimConfig`), result codes and limits, the request/answer/error types passed between
the HTTP layer and the API, and parsing of request bodies (JSON objects, multipart forms).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

KST = timezone(timedelta(hours=9), "KST")
MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
MAX_DEPTH = 32
REPORT_PAGE = 1000
RESERVATION_WINDOW = 30 * 86400

OK = 1000
INVALID_MESSAGE = 2000
AUTH_FAILED = 3001
INVALID_ACCOUNT = 3004
INVALID_TOKEN = 3002
EXPIRED_TOKEN = 3005
NO_RESOURCE = 5001
TOO_MANY_REQUESTS = 5002
SERVER_ERROR = 5003

DELIVERED = {"sms": "4100", "lms": "6600", "mms": "6600"}
# A fallback's result and time keys in a report, by its type (RESEND_FLAG).
FALLBACK_KEYS = {"sms": ("telres", "teltime"), "lms": ("telres", "teltime"), "mms": ("telres", "teltime"),
                  "at": ("kaores", "kaotime"), "ft": ("kaores", "kaotime"), "rcs": ("rcsres", "rcstime")}
FAILURES = {"sms": ("4401", "4410", "4414"), "lms": ("6604", "6606", "6613"), "mms": ("6604", "6606", "6613")}


@dataclass
class SimConfig:
    """What the simulator accepts and how it misbehaves."""

    host: str = "127.0.0.1"
    port: int = 0  # 0 = an ephemeral port
    account: str = "test"
    password: str = "test"
    token_ttl: float = 86400.0  # seconds a token stays valid
    rate: int = 0  # requests per second before HTTP 429 / 5002 (0 = no limit)
    bare_429: str = ""  # "retry-after" / "ratelimit-reset": 429 without a body, that header only
    fail_5xx: int = 0  # the first N API requests answer 5003 (HTTP 503)
    delay: float = 0.0  # seconds from accepting a /v3/message to answering it (a slow server)
    drop_rate: float = 0.0  # fraction of accepted /v3/message left unanswered: the connection is closed
    drop_ids: frozenset[str] = frozenset()  # refkeys whose first acceptance is left unanswered
    errors_in_200: bool = False  # error codes in a 200 body instead of HTTP 4xx
    report_delay: float = 1.0  # seconds from acceptance (or sendtime) to the report
    fail_rate: float = 0.0  # fraction of reports that are failures
    push_url: str | None = None  # push reports (POST JSON, upper-case keys) instead of polling
    tls: bool = False
    record: Path | None = None  # JSON lines of accepted messages
    seed: int | None = None
    max_file_bytes: int = 300 * 1024
    # bounds: what one client, or all of them, can take (smscli.httpd has the same)
    max_body: int = MAX_BODY  # bytes of a request body (413 beyond)
    request_timeout: float = 10.0  # seconds from a request's first byte to its last (408)
    idle_timeout: float = 30.0  # seconds a keep-alive connection may wait for its next request
    max_connections: int = 512  # connections at once (503 beyond)
    max_buffered: int = 64 * 1024 * 1024  # bytes of requests held in all (503 beyond)
    # Kakao's world: approved templates, the sender key, who is not on Kakao (None: anything
    # goes, nobody misses); see smscli.sim.kakao and smscli.sim.bizppurio_channel.
    kakao: Any = None


class ApiError(Exception):
    def __init__(self, code: int, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


@dataclass
class ApiAnswer:
    status: int
    payload: dict[str, Any] | None  # None: no body at all
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    drop: bool = False  # close the connection instead of answering (after ``delay``)


@dataclass
class ApiRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


class BadHttp(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def euckr_len(text: str) -> int:
    """Bytes of ``text`` in CP949 (EUC-KR superset); -1 if it cannot be encoded."""
    try:
        return len(text.encode("cp949"))
    except UnicodeEncodeError:
        return -1


def is_jpeg(data: bytes) -> bool:
    """JPEG by content: SOI marker first, an EOI marker somewhere after it."""
    return data[:3] == b"\xff\xd8\xff" and b"\xff\xd9" in data[3:]


def json_object(body: bytes) -> dict[str, Any]:
    from smscli.httpd import loads_json

    try:
        data = loads_json(body or b"{}", MAX_DEPTH)
    except json.JSONDecodeError:
        raise ApiError(INVALID_MESSAGE, "body is not JSON") from None
    except UnicodeDecodeError:
        raise ApiError(INVALID_MESSAGE, "body is not UTF-8 JSON") from None
    except ValueError as exc:  # nested too deeply
        raise ApiError(INVALID_MESSAGE, str(exc)) from None
    if not isinstance(data, dict):
        raise ApiError(INVALID_MESSAGE, "body must be a JSON object")
    return data


def refkey_of(body: bytes) -> str:
    from smscli.httpd import loads_json

    try:
        data = loads_json(body, MAX_DEPTH)
    except ValueError:
        return ""
    value = data.get("refkey", "") if isinstance(data, dict) else ""
    return value if isinstance(value, str) else ""


def multipart_fields(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name → (filename or None, bytes)."""
    from email import policy
    from email.parser import BytesParser

    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(INVALID_MESSAGE, "multipart/form-data required")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ApiError(INVALID_MESSAGE, "malformed multipart body")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = (part.get_filename(), payload)
    return fields
