"""The Bizppurio simulator's API: pure request → answer logic, with all state behind one lock.

:class:`BizppurioApi` holds the state, routes requests (:meth:`BizppurioApi.handle`), applies
the rate limit and the first-N 5003 fault, issues and checks tokens and takes file uploads;
the message handler is in :mod:`smscli.sim.bizppurio_message` and the reports in
:mod:`smscli.sim.bizppurio_reports` (mixed in here).
"""

from __future__ import annotations

import base64
import binascii
import math
import random
import secrets
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

from smscli import clock as wall_clock
from smscli.sim.bizppurio_base import (
    AUTH_FAILED,
    EXPIRED_TOKEN,
    INVALID_ACCOUNT,
    INVALID_MESSAGE,
    INVALID_TOKEN,
    KST,
    NO_RESOURCE,
    OK,
    SERVER_ERROR,
    TOO_MANY_REQUESTS,
    ApiAnswer,
    ApiError,
    ApiRequest,
    SimConfig,
    is_jpeg,
    json_object,
    multipart_fields,
    refkey_of,
)
from smscli.sim.bizppurio_message import MessageHandlers
from smscli.sim.bizppurio_reports import ReportHandlers


class BizppurioApi(MessageHandlers, ReportHandlers):
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

    def handle(self, req: ApiRequest) -> ApiAnswer:
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
            return ApiAnswer(status, {"code": NO_RESOURCE, "description": what})
        with self.lock:
            self.stats["requests"] += 1
            limited = self._rate_limited()
            if limited is not None:
                self.stats["rate_limited"] += 1
                return limited
            self._served += 1
            if self._served <= self.config.fail_5xx:
                self.stats["failed_5xx"] += 1
                return ApiAnswer(503, {"code": SERVER_ERROR, "description": "temporary server error"})
        try:
            answer = handler(req)
        except ApiError as err:
            with self.lock:
                self.stats[f"code_{err.code}"] += 1
            status = 200 if self.config.errors_in_200 else err.status
            payload: dict[str, Any] = {"code": err.code, "description": err.description}
            if req.path == "/v3/message":
                payload["refkey"] = refkey_of(req.body)
            answer = ApiAnswer(status, payload)
        return answer

    def _rate_limited(self) -> ApiAnswer | None:
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
                return ApiAnswer(429, None, [header])
            return ApiAnswer(
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

    def token(self, req: ApiRequest) -> ApiAnswer:
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            raise ApiError(AUTH_FAILED, "Basic authorization required")
        try:
            account, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(AUTH_FAILED, "malformed Basic authorization") from None
        if account != self.config.account or not secrets.compare_digest(password, self.config.password):
            raise ApiError(AUTH_FAILED, "authentication failed: wrong account or password")
        token = secrets.token_urlsafe(32)
        expires = wall_clock.time() + self.config.token_ttl
        with self.lock:
            self.tokens[token] = (account, expires)
            self.stats["tokens_issued"] += 1
        expired = datetime.fromtimestamp(expires, KST).strftime("%Y%m%d%H%M%S")
        return ApiAnswer(200, {"accesstoken": token, "type": "Bearer", "expired": expired})

    def _account_body(self, req: ApiRequest) -> dict[str, Any]:
        """The JSON body of a request made with a valid token for the account it names."""
        account = self._bearer(req)
        body = json_object(req.body)
        if body.get("account") != account:
            raise ApiError(INVALID_ACCOUNT, "account does not match the token")
        return body

    def _bearer(self, req: ApiRequest) -> str:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        entry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if entry is None:
            raise ApiError(INVALID_TOKEN, "jwt must be provided")
        account, expires = entry
        if wall_clock.time() >= expires:
            raise ApiError(EXPIRED_TOKEN, "token expired")
        return account

    def expire_tokens(self) -> None:
        """Make every issued token expired now (to test refreshing mid-batch)."""
        with self.lock:
            self.tokens = {t: (a, 0.0) for t, (a, _) in self.tokens.items()}

    # -- files -------------------------------------------------------------------------

    def file(self, req: ApiRequest) -> ApiAnswer:
        fields = multipart_fields(req.headers.get("content-type", ""), req.body)
        account = fields.get("account")  # optional (the document's table); if given, ours
        if account is not None and account[1].decode("utf-8", "replace").strip() != self.config.account:
            raise ApiError(INVALID_ACCOUNT, "unknown account")
        name, data = fields.get("file", (None, b""))
        if name is None or not data:
            raise ApiError(INVALID_MESSAGE, "file is required")
        if not is_jpeg(data):
            raise ApiError(INVALID_MESSAGE, "file is not a JPEG image")
        if len(data) > self.config.max_file_bytes:
            raise ApiError(INVALID_MESSAGE, f"file is {len(data)} bytes, at most {self.config.max_file_bytes}")
        key = f"{secrets.token_hex(8)}.jpg"
        with self.lock:
            self.files[key] = len(data)
            self.stats["files"] += 1
        return ApiAnswer(200, {"code": OK, "description": "success", "filekey": key})
