"""A local simulator of the Bizppurio (Daou Tech) HTTP API v3, for tests, benchmarks and
users' own CI (``smscli sim bizppurio``).

It is a real HTTP/1.1 server on asyncio (keep-alive, chunked request bodies without
Content-Length, optional TLS with a self-signed certificate made on the fly), built to
answer thousands of requests per second on loopback. It serves:

- ``POST /v1/token`` (Basic auth) → ``{"accesstoken","type":"Bearer","expired"}``
- ``POST /v3/message`` (Bearer) → ``{"code":1000,"description","refkey","messagekey"}``
- ``POST /v1/file`` and ``/v2/file`` (multipart ``account`` + ``file``, JPEG ≤ 300 kB)
- ``POST /v1/result/request`` / ``/v1/result/confirm`` (polling), or pushes reports to a URL

Codes it answers, as Daou's public document (section 8) has them: 1000 success (HTTP
200); every error below is HTTP 400 with its code in the JSON body: 2000 invalid message
(the description says what), 3001 authentication failed (token request), 3002 invalid or
missing token, 3004 account not valid (not the token's), 3005 expired token, 5001 no such
resource (an unknown path, or not POST); besides, 5002 too many requests (HTTP 429 +
``RateLimit-Reset``; ``bare_429`` answers it as a gateway in front of the API would, with
no body and only ``Retry-After`` or only ``RateLimit-Reset``, and counts ``early``
requests that came before the wait it asked for was over) and 5003 temporary server
error (HTTP 503). International messages (``country``): :mod:`smscli.sim.bizppurio_abroad`. ``errors_in_200`` answers
the errors with HTTP 200 instead, as some deployments do. Optional as in the document:
``content.mms.message`` and the ``account`` of ``/v1/file``.

Run it in-process with :meth:`BizppurioSim.start` (ephemeral port, background thread) and
read :meth:`BizppurioSim.accepted` to assert that every refkey was accepted exactly once.
Like the real service it accepts a refkey it has seen before: each acceptance counts, and
the ``record`` file has a line per acceptance with ``times`` (1 for the first, 2 for the
second of the same refkey, ...). Faults after accepting: ``delay`` (the answer comes late,
so a client timing out first has lost the answer to an accepted message), ``drop_rate``
and ``drop_ids`` (no answer at all: the connection is closed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli import clock as wall_clock
from smscli.sim.bizppurio_abroad import BadAbroad
from smscli.sim.bizppurio_abroad import check as check_abroad
from smscli.sim.bizppurio_channel import CHANNELS, KAKAO, BadChannel
from smscli.sim.bizppurio_channel import Outcome as ChannelOutcome
from smscli.sim.bizppurio_channel import check as check_channel

if TYPE_CHECKING:
    import asyncio

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
_FALLBACK_KEYS = {"sms": ("telres", "teltime"), "lms": ("telres", "teltime"), "mms": ("telres", "teltime"),
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


class _ApiError(Exception):
    def __init__(self, code: int, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


@dataclass
class _Answer:
    status: int
    payload: dict[str, Any] | None  # None: no body at all
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    drop: bool = False  # close the connection instead of answering (after ``delay``)


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


class _BadHttp(Exception):
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


# ---------------------------------------------------------------------------------------
# The API: pure request → answer logic, with all state behind one lock.


class BizppurioApi:
    """State and handlers; independent of the socket layer (see :class:`BizppurioSim`)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.rng = random.Random(config.seed)
        self.tokens: dict[str, tuple[str, float]] = {}
        self.files: dict[str, int] = {}
        self.accepted: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        # msgid → (ready_at, report with lower-case keys), insertion ordered
        self.reports: dict[str, tuple[float, dict[str, str]]] = {}
        self._seq = 0
        self._served = 0
        self._window = -1
        self._window_count = 0
        self._come_back_at = 0.0  # monotonic time the last 429 asked the client to wait for
        self._record = config.record.open("a", encoding="utf-8") if config.record else None
        self.on_report_ready: Any = None  # set by the server when pushing
        from smscli.sim.kakao import KakaoRules

        self.kakao = config.kakao if config.kakao is not None else KakaoRules(seed=config.seed)

    def close(self) -> None:
        if self._record:
            self._record.close()
            self._record = None

    # -- dispatch ----------------------------------------------------------------------

    def handle(self, req: _Request) -> _Answer:
        routes = {
            "/v1/token": self.token,
            "/v3/message": self.message,
            "/v1/file": self.file,
            "/v2/file": self.file,
            "/v1/result/request": self.result_request,
            "/v1/result/confirm": self.result_confirm,
        }
        handler = routes.get(req.path)
        if handler is None or req.method != "POST":
            what = f"no such resource {req.path}" if handler is None else f"{req.path} takes POST only"
            status = 200 if self.config.errors_in_200 else 400
            return _Answer(status, {"code": NO_RESOURCE, "description": what})
        with self.lock:
            self.stats["requests"] += 1
            limited = self._rate_limited()
            if limited is not None:
                self.stats["rate_limited"] += 1
                return limited
            self._served += 1
            if self._served <= self.config.fail_5xx:
                self.stats["failed_5xx"] += 1
                return _Answer(503, {"code": SERVER_ERROR, "description": "temporary server error"})
        try:
            answer = handler(req)
        except _ApiError as err:
            with self.lock:
                self.stats[f"code_{err.code}"] += 1
            status = 200 if self.config.errors_in_200 else err.status
            payload: dict[str, Any] = {"code": err.code, "description": err.description}
            if req.path == "/v3/message":
                payload["refkey"] = _refkey_of(req.body)
            answer = _Answer(status, payload)
        return answer

    def _rate_limited(self) -> _Answer | None:
        if self.config.rate <= 0:
            return None
        now = time.monotonic()
        if now < self._come_back_at:
            self.stats["early"] += 1
        window = int(now)
        if window != self._window:
            self._window, self._window_count = window, 0
        if self._window_count >= self.config.rate:
            reset = max(0.001, window + 1 - now)
            bare = self.config.bare_429
            if bare:
                if bare == "retry-after":  # delta seconds, a whole number
                    reset = float(math.ceil(reset))
                    header = ("Retry-After", str(int(reset)))
                else:
                    header = ("RateLimit-Reset", f"{reset:.3f}")
                    reset = float(header[1])
                self._come_back_at = max(self._come_back_at, now + reset)
                return _Answer(429, None, [header])
            return _Answer(
                429,
                {"code": TOO_MANY_REQUESTS, "description": "too many requests"},
                [
                    ("RateLimit-Limit", str(self.config.rate)),
                    ("RateLimit-Remaining", "0"),
                    ("RateLimit-Reset", f"{reset:.3f}"),
                ],
            )
        self._window_count += 1
        return None

    # -- auth --------------------------------------------------------------------------

    def token(self, req: _Request) -> _Answer:
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            raise _ApiError(AUTH_FAILED, "Basic authorization required")
        try:
            account, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _ApiError(AUTH_FAILED, "malformed Basic authorization") from None
        if account != self.config.account or not secrets.compare_digest(password, self.config.password):
            raise _ApiError(AUTH_FAILED, "authentication failed: wrong account or password")
        token = secrets.token_urlsafe(32)
        expires = wall_clock.time() + self.config.token_ttl
        with self.lock:
            self.tokens[token] = (account, expires)
            self.stats["tokens_issued"] += 1
        expired = datetime.fromtimestamp(expires, KST).strftime("%Y%m%d%H%M%S")
        return _Answer(200, {"accesstoken": token, "type": "Bearer", "expired": expired})

    def _bearer(self, req: _Request) -> str:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        entry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if entry is None:
            raise _ApiError(INVALID_TOKEN, "jwt must be provided")
        account, expires = entry
        if wall_clock.time() >= expires:
            raise _ApiError(EXPIRED_TOKEN, "token expired")
        return account

    def expire_tokens(self) -> None:
        """Make every issued token expired now (to test refreshing mid-batch)."""
        with self.lock:
            self.tokens = {t: (a, 0.0) for t, (a, _) in self.tokens.items()}

    # -- sending -----------------------------------------------------------------------

    def message(self, req: _Request) -> _Answer:
        account = self._bearer(req)
        body = _json_object(req.body)
        if body.get("account") != account:
            raise _ApiError(INVALID_ACCOUNT, "account does not match the token")
        kind = body.get("type")
        if isinstance(kind, str) and kind.lower() in CHANNELS:  # the document writes AT, FT, RCS too
            kind = kind.lower()
        if kind not in ("sms", "lms", "mms", *CHANNELS):
            raise _ApiError(INVALID_MESSAGE, "type must be sms, lms, mms, at, ai, ft or rcs")
        for key in ("from", "to"):
            value = body.get(key)
            if not isinstance(value, str) or not value.isdigit() or not 3 <= len(value) <= 20:
                raise _ApiError(INVALID_MESSAGE, f"{key} must be 3-20 digits")
        refkey = body.get("refkey", "")
        if not isinstance(refkey, str) or not refkey or len(refkey.encode()) > 32:
            raise _ApiError(INVALID_MESSAGE, "refkey must be 1-32 bytes")
        outcome = None
        media = ""  # the report's MEDIA when not the type's own (ISM/ILM abroad)
        abroad = "country" in body
        if abroad:
            try:
                media = check_abroad(kind, body)
            except BadAbroad as exc:
                raise _ApiError(INVALID_MESSAGE, str(exc)) from None
        if kind in CHANNELS:
            content = body.get("content")
            try:
                with self.lock:  # the miss draw uses the rules' random generator
                    outcome = check_channel(kind, content.get(kind) if isinstance(content, dict) else None,
                                            body, self.kakao, euckr_len, abroad=abroad)
            except BadChannel as exc:
                raise _ApiError(INVALID_MESSAGE, str(exc)) from None
        elif not abroad:  # abroad: counted in characters by check_abroad
            self._check_content(kind, body.get("content"), account)
        sendtime = self._check_sendtime(body.get("sendtime"))
        now = wall_clock.time()
        with self.lock:
            self._seq += 1
            seq = self._seq
            self.accepted[refkey] += 1
            times = self.accepted[refkey]
            self.stats["accepted"] += 1
            if times > 1:
                self.stats["accepted_again"] += 1
            drop = self._drops(refkey, times)
            if drop:
                self.stats["dropped"] += 1
        stamp = datetime.fromtimestamp(now, KST)
        messagekey = f"{stamp:%y%m%d%H%M%S}{stamp.microsecond // 1000:03d}{kind}{seq:08d}sim"
        if self._record:
            content = body.get("content", {}).get(kind, {})
            text = content.get("message", "")
            line = {"refkey": refkey, "messagekey": messagekey, "to": body["to"], "type": kind,
                    "accepted_at": round(now, 3), "sendtime": sendtime, "times": times,
                    "from": body.get("from", ""),
                    "text": text.get("description", "") if isinstance(text, dict) else text,
                    "subject": content.get("subject", ""), "userinfo": body.get("userinfo", "")}
            if abroad:
                line["country"] = body["country"]
            if outcome is not None:  # Kakao/RCS: what Kakao/RCS decided, and what was asked of it
                line.update(result=outcome.result, fallback=outcome.fallback,
                            content={k: v for k, v in content.items() if k != "senderkey"})
            if drop:
                line["answer"] = "dropped"
            with self.lock:
                self._record.write(json.dumps(line, ensure_ascii=False) + "\n")
                self._record.flush()
        self._make_report(kind, body["to"], refkey, messagekey, seq, now, sendtime, outcome=outcome, media=media)
        return _Answer(200, {"code": OK, "description": "success", "refkey": refkey,
                             "messagekey": messagekey}, delay=self.config.delay, drop=drop)

    def _drops(self, refkey: str, times: int) -> bool:
        """Whether this acceptance (the ``times``-th of ``refkey``) goes unanswered: its first
        one for ``drop_ids``, else a hash of seed, refkey and ``times`` against ``drop_rate``
        (the same for the same seed, whatever the arrival order)."""
        if refkey in self.config.drop_ids and times == 1:
            return True
        if self.config.drop_rate <= 0:
            return False
        text = f"{self.config.seed}|drop|{refkey}|{times}".encode()
        digest = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")
        return digest / 2**64 < self.config.drop_rate

    def _check_content(self, kind: str, content: Any, account: str) -> None:
        part = content.get(kind) if isinstance(content, dict) else None
        if not isinstance(part, dict):
            raise _ApiError(INVALID_MESSAGE, f"content.{kind} is required")
        message = part.get("message")
        if kind == "mms" and message is None:
            message = ""  # optional for MMS (the document's table): the images alone
        elif not isinstance(message, str) or (not message and kind != "mms"):
            raise _ApiError(INVALID_MESSAGE, f"content.{kind}.message is required")
        limit = 90 if kind == "sms" else 2000
        size = euckr_len(message)
        if size < 0:
            raise _ApiError(INVALID_MESSAGE, "message has characters EUC-KR cannot carry")
        if size > limit:
            raise _ApiError(INVALID_MESSAGE, f"message is {size} bytes, {kind} allows {limit}")
        subject = part.get("subject", "")
        if kind != "sms" and subject and (not isinstance(subject, str) or not 0 <= euckr_len(subject) <= 64):
            raise _ApiError(INVALID_MESSAGE, "subject must be at most 64 EUC-KR bytes")
        if kind == "mms":
            files = part.get("file")
            if not isinstance(files, list) or not 1 <= len(files) <= 3:
                raise _ApiError(INVALID_MESSAGE, "content.mms.file must list 1-3 files")
            for item in files:
                key = item.get("key") if isinstance(item, dict) else None
                if not isinstance(item, dict) or item.get("type") != "IMG" or key not in self.files:
                    raise _ApiError(INVALID_MESSAGE, f"unknown file key {key!r}")

    @staticmethod
    def _check_sendtime(value: Any) -> int | None:
        if value in (None, ""):
            return None
        try:
            when = int(value)
        except (TypeError, ValueError):
            raise _ApiError(INVALID_MESSAGE, "sendtime must be unix seconds") from None
        now = wall_clock.time()
        if when <= now:
            raise _ApiError(INVALID_MESSAGE, "sendtime is in the past")
        if when > now + RESERVATION_WINDOW:
            raise _ApiError(INVALID_MESSAGE, "sendtime is more than 30 days ahead")
        return when

    # -- files -------------------------------------------------------------------------

    def file(self, req: _Request) -> _Answer:
        fields = _multipart(req.headers.get("content-type", ""), req.body)
        account = fields.get("account")  # optional (the document's table); if given, ours
        if account is not None and account[1].decode("utf-8", "replace").strip() != self.config.account:
            raise _ApiError(INVALID_ACCOUNT, "unknown account")
        name, data = fields.get("file", (None, b""))
        if name is None or not data:
            raise _ApiError(INVALID_MESSAGE, "file is required")
        if not is_jpeg(data):
            raise _ApiError(INVALID_MESSAGE, "file is not a JPEG image")
        if len(data) > self.config.max_file_bytes:
            raise _ApiError(INVALID_MESSAGE, f"file is {len(data)} bytes, at most {self.config.max_file_bytes}")
        key = f"{secrets.token_hex(8)}.jpg"
        with self.lock:
            self.files[key] = len(data)
            self.stats["files"] += 1
        return _Answer(200, {"code": OK, "description": "success", "filekey": key})

    # -- reports -----------------------------------------------------------------------

    def add_report(self, kind: str, to: str, refkey: str, *, ready_at: float | None = None) -> str:
        """Queue a report as if a message had been accepted (for tests); returns its msgid."""
        with self.lock:
            self._seq += 1
            seq = self._seq
        now = wall_clock.time()
        messagekey = f"{datetime.fromtimestamp(now, KST):%y%m%d%H%M%S}000{kind}{seq:08d}sim"
        return self._make_report(kind, to, refkey, messagekey, seq, now, None, ready_at)

    def _make_report(self, kind: str, to: str, refkey: str, messagekey: str, seq: int,
                     now: float, sendtime: int | None, ready_at: float | None = None, *,
                     outcome: ChannelOutcome | None = None, media: str = "") -> str:
        ready = max(now, float(sendtime or 0)) + self.config.report_delay if ready_at is None else ready_at
        with self.lock:
            failed = self.rng.random() < self.config.fail_rate
            carrier = self.rng.choice(("SKT", "KTF", "LGT"))
            if outcome is None:
                result = self.rng.choice(FAILURES[kind]) if failed else DELIVERED[kind]
            else:  # Kakao/RCS: what Kakao decided; the draw applies to a text fallback
                result = outcome.result
                fb_result = outcome.fallback_result
                if failed and outcome.fallback in FAILURES:
                    fb_result = self.rng.choice(FAILURES[outcome.fallback])
        msgid = f"{seq:010d}se_SIM{messagekey[-20:]}"[:32]
        report = {
            "device": kind.upper(), "cmsgid": messagekey, "msgid": msgid, "phone": to,
            "media": media or kind.upper(), "unixtime": str(int(ready)), "result": result,
            "userdata": "", "wapinfo": carrier, "refkey": refkey,
        }
        if outcome is not None:
            report.update(media=outcome.media, wapinfo="KAO" if kind in KAKAO else carrier)
            if outcome.fallback:
                res, when = _FALLBACK_KEYS[outcome.fallback]
                report.update({"resend_flag": outcome.fallback.upper(), res: fb_result,
                               when: str(int(ready) + 1)})
        with self.lock:
            self.reports[msgid] = (ready, report)
        if self.on_report_ready is not None:
            self.on_report_ready(msgid, ready)
        return msgid

    def result_request(self, req: _Request) -> _Answer:
        account = self._bearer(req)
        body = _json_object(req.body)
        if body.get("account") != account:
            raise _ApiError(INVALID_ACCOUNT, "account does not match the token")
        now = wall_clock.time()
        page: list[dict[str, str]] = []
        with self.lock:
            for ready, report in self.reports.values():
                if ready <= now:
                    page.append(report)
                    if len(page) >= REPORT_PAGE:
                        break
            self.stats["result_requests"] += 1
        return _Answer(200, {"code": "1000", "description": "success", "report": page})

    def result_confirm(self, req: _Request) -> _Answer:
        account = self._bearer(req)
        body = _json_object(req.body)
        if body.get("account") != account:
            raise _ApiError(INVALID_ACCOUNT, "account does not match the token")
        items = body.get("msgid")
        if not isinstance(items, list) or len(items) > REPORT_PAGE:
            raise _ApiError(INVALID_MESSAGE, "msgid must be a list of at most 1000")
        with self.lock:
            for item in items:
                msgid = item.get("msgid") if isinstance(item, dict) else None
                if isinstance(msgid, str) and self.reports.pop(msgid, None) is not None:
                    self.stats["confirmed"] += 1
        return _Answer(200, {"code": OK, "description": "Success"})

    def pending_reports(self) -> int:
        with self.lock:
            return len(self.reports)


def _json_object(body: bytes) -> dict[str, Any]:
    from smscli.httpd import loads_json

    try:
        data = loads_json(body or b"{}", MAX_DEPTH)
    except json.JSONDecodeError:
        raise _ApiError(INVALID_MESSAGE, "body is not JSON") from None
    except UnicodeDecodeError:
        raise _ApiError(INVALID_MESSAGE, "body is not UTF-8 JSON") from None
    except ValueError as exc:  # nested too deeply
        raise _ApiError(INVALID_MESSAGE, str(exc)) from None
    if not isinstance(data, dict):
        raise _ApiError(INVALID_MESSAGE, "body must be a JSON object")
    return data


def _refkey_of(body: bytes) -> str:
    from smscli.httpd import loads_json

    try:
        data = loads_json(body, MAX_DEPTH)
    except ValueError:
        return ""
    value = data.get("refkey", "") if isinstance(data, dict) else ""
    return value if isinstance(value, str) else ""


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name → (filename or None, bytes)."""
    from email import policy
    from email.parser import BytesParser

    if not content_type.lower().startswith("multipart/form-data"):
        raise _ApiError(INVALID_MESSAGE, "multipart/form-data required")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise _ApiError(INVALID_MESSAGE, "malformed multipart body")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = (part.get_filename(), payload)
    return fields


# ---------------------------------------------------------------------------------------
# HTTP/1.1 over asyncio.


class _HttpConnection:
    """One client connection: parses requests (Content-Length or chunked), answers them in
    order, keeps the connection alive unless asked to close. Within bounds: a request must
    be complete ``request_timeout`` seconds after its first byte (408), an idle connection
    is closed after ``idle_timeout``, bodies over ``max_body`` get 413, a connection past
    ``max_connections`` or bytes past ``max_buffered`` (all connections) get 503."""

    def __init__(self, server: BizppurioSim) -> None:
        from smscli.httpd import Framing

        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.framing = Framing()
        self.busy = False
        self.closing = False
        self.discarding = False
        self.served = 0
        self.timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol interface
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        over = len(self.server.connections) >= self.server.config.max_connections
        self.server.connections.add(self)
        if over:
            self._reject(503, "too many connections; try again later")
            return
        self._arm(self.server.config.request_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self._disarm()
        self.server.buffered -= len(self.buffer)
        self.buffer.clear()
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.discarding or self.closing:
            return
        cfg = self.server.config
        if not self.buffer and not self.busy:  # the first byte of a request: its clock starts
            self._arm(cfg.request_timeout)
        if self.server.buffered + len(data) > cfg.max_buffered:
            self._reject(503, "server busy: too many request bytes held; try again later")
            return
        self.server.buffered += len(data)
        self.buffer += data
        self._pump()

    def eof_received(self) -> bool:
        return False

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass

    # timers
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.timer = self.server.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _timed_out(self) -> None:
        self.timer = None
        if self.busy or self.closing or self.transport is None:
            return
        if not self.buffer and self.served:  # an idle keep-alive connection
            self.closing = True
            self.transport.close()
            return
        timeout = self.server.config.request_timeout
        self._reject(408, f"request not complete within {timeout:g} s" if self.buffer
                     else f"no request within {timeout:g} s")

    # request loop
    def _pump(self) -> None:
        while not self.busy and not self.closing:
            try:
                req = self._parse()
            except _BadHttp as err:
                self._reject(err.status, err.reason)
                return
            if req is None:
                return
            self._disarm()
            answer = self.server.api.handle(req)
            if answer.delay > 0:
                self.busy = True
                self.server.loop.call_later(answer.delay, self._finish, answer, req.keep_alive)
                return
            if answer.drop:
                self._drop()
                return
            self._write(answer.status, answer.payload, answer.headers, close=not req.keep_alive)
            self._answered()

    def _answered(self) -> None:
        self.served += 1
        if not self.closing:
            cfg = self.server.config
            self._arm(cfg.request_timeout if self.buffer else cfg.idle_timeout)

    def _finish(self, answer: _Answer, keep_alive: bool) -> None:
        self.busy = False
        if self.closing:
            return
        if answer.drop:
            self._drop()
            return
        self._write(answer.status, answer.payload, answer.headers, close=not keep_alive)
        self._answered()
        self._pump()

    def _drop(self) -> None:
        """Close the connection without an answer (the request was processed)."""
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def _write(self, status: int, payload: dict[str, Any], headers: list[tuple[str, str]], *, close: bool) -> None:
        if self.transport is None or self.closing:
            return
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        if payload is not None:
            lines.append("Content-Type: application/json;charset=utf-8")
        lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in headers]
        if close:
            lines.append("Connection: close")
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if close:
            self.closing = True
            self.transport.close()

    def _reject(self, status: int, reason: str) -> None:
        """Answer ``status`` with the reason as the description, then close; what the client
        still sends is read and dropped for a while, so the answer is not lost to a reset."""
        from smscli.httpd import LINGER

        transport = self.transport
        if transport is None or self.closing:
            return
        self._disarm()
        with self.server.api.lock:
            self.server.api.stats[f"http_{status}"] += 1
        body = json.dumps({"code": INVALID_MESSAGE if status < 500 else SERVER_ERROR,
                           "description": reason}, ensure_ascii=False).encode()
        transport.write((f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                         "Content-Type: application/json;charset=utf-8\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1") + body)
        self.closing = True
        self.server.buffered -= len(self.buffer)
        self.buffer.clear()
        if transport.can_write_eof():
            transport.write_eof()
            self.discarding = True
            self.server.loop.call_later(LINGER, transport.close)
        else:
            transport.close()

    def _parse(self) -> _Request | None:
        from smscli.httpd import Framing, Reject, dechunk, frame_request, strip_empty_lines

        buf = self.buffer
        cfg = self.server.config
        self.server.buffered -= strip_empty_lines(buf)
        if not buf:
            return None
        framing = self.framing
        try:
            end = frame_request(buf, framing, max_head=MAX_HEAD, max_body=cfg.max_body)
        except Reject as exc:
            raise _BadHttp(exc.status, str(exc)) from None
        if end < 0:
            if framing.expect and self.transport is not None:
                framing.expect = False
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for it
            return None
        text = bytes(buf[: framing.head_end]).decode("latin-1").rstrip("\r\n")
        raw_body = bytes(buf[framing.head_end : end])
        del buf[:end]
        self.server.buffered -= end
        self.framing = Framing()
        request_line, *header_lines = text.replace("\r\n", "\n").split("\n")
        method, target, version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = dechunk(raw_body) if framing.chunked else raw_body
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        return _Request(method, target.split("?", 1)[0], headers, body, keep_alive)


# ---------------------------------------------------------------------------------------
# TLS: a self-signed certificate for localhost / 127.0.0.1, made on the fly.


def make_self_signed(directory: Path) -> tuple[Path, Path]:
    """Write ``cert.pem`` (also usable as a CA file) and ``key.pem`` into ``directory``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smscli bizppurio simulator")])
    # TLS clients check the dates against the real clock, not a shifted smscli.clock:
    # the certificate is valid at both.
    now, shift = wall_clock.now().astimezone(UTC), timedelta(seconds=abs(wall_clock.offset()))
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - shift - timedelta(minutes=5))
        .not_valid_after(now + shift + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1")),
            ]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


# ---------------------------------------------------------------------------------------
# The server.


class BizppurioSim:
    """The simulator: ``start()`` serves on a background thread; ``stop()`` ends it.

    ``base_url`` (after start), ``ca_file`` (with TLS), ``accepted()`` (refkey → times
    accepted), ``stats()`` (counters) and ``api`` (the state) are for tests.
    """

    def __init__(self, config: SimConfig | None = None, **options: Any) -> None:
        self.config = config or SimConfig(**options)
        self.api = BizppurioApi(self.config)
        self.connections: set[_HttpConnection] = set()
        self.buffered = 0  # bytes of requests held by all connections
        self.port = 0
        self.ca_file: Path | None = None
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._push_queue: asyncio.Queue[str] | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.config.tls else "http"
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"{scheme}://{host}:{self.port}"

    def accepted(self) -> dict[str, int]:
        with self.api.lock:
            return dict(self.api.accepted)

    def stats(self) -> dict[str, int]:
        with self.api.lock:
            return dict(self.api.stats)

    def start(self) -> BizppurioSim:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="bizppurio-sim", daemon=True)
        self._thread.start()
        ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
        self.api.close()
        if self._tmpdir:
            import shutil

            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> BizppurioSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ssl_context(self) -> Any:
        import ssl
        import tempfile

        self._tmpdir = tempfile.mkdtemp(prefix="smscli-sim-")
        cert, key = make_self_signed(Path(self._tmpdir))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.ca_file = cert
        return context

    def _run(self, ready: threading.Event) -> None:
        import asyncio

        loop = asyncio.new_event_loop()
        self.loop = loop
        server = None
        try:
            context = self._ssl_context() if self.config.tls else None
            server = loop.run_until_complete(
                loop.create_server(lambda: _HttpConnection(self), self.config.host, self.config.port,
                                   ssl=context, backlog=1024, reuse_address=True)
            )
            self.port = server.sockets[0].getsockname()[1]
            if self.config.push_url:
                self._push_queue = asyncio.Queue()
                self.api.on_report_ready = self._schedule_push
                loop.create_task(self._pusher())
        except BaseException as exc:  # reported to start()
            self._error = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.abort()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:  # each ended, none left pending to be destroyed after the loop closes
                loop.run_until_complete(asyncio.wait(tasks, timeout=2))
            loop.close()

    # -- push --------------------------------------------------------------------------

    def _schedule_push(self, msgid: str, ready_at: float) -> None:
        def enqueue() -> None:
            assert self._push_queue is not None
            self._push_queue.put_nowait(msgid)

        self.loop.call_soon_threadsafe(self.loop.call_later, max(0.0, ready_at - wall_clock.time()), enqueue)

    async def _pusher(self) -> None:
        import asyncio

        import httpx

        assert self._push_queue is not None and self.config.push_url
        async with httpx.AsyncClient(timeout=5.0, verify=False) as client:
            while True:
                msgid = await self._push_queue.get()
                with self.api.lock:
                    entry = self.api.reports.get(msgid)
                if entry is None:
                    continue
                body = {k.upper(): v for k, v in entry[1].items() if v != ""}
                for attempt in range(5):
                    try:
                        response = await client.post(self.config.push_url, json=body)
                        if response.status_code < 300:
                            with self.api.lock:
                                self.api.reports.pop(msgid, None)
                                self.api.stats["pushed"] += 1
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2 * 2**attempt)
                else:  # left for /v1/result/request
                    with self.api.lock:
                        self.api.stats["push_failed"] += 1


def serve(config: SimConfig, *, announce: Any = None) -> None:
    """Run the simulator until Ctrl-C or SIGTERM (the ``smscli sim bizppurio`` command)."""
    import signal

    def terminate(*_: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
    sim = BizppurioSim(config).start()
    try:
        if announce is not None:
            announce(sim)
        while True:
            time.sleep(3600)
    finally:
        sim.stop()
