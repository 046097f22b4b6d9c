"""The Bizppurio simulator's ``POST /v3/message`` handler and its checks (type, numbers,
refkey, content, ``sendtime``; Kakao/RCS in :mod:`smscli.sim.bizppurio_channel`, abroad in
:mod:`smscli.sim.bizppurio_abroad`), the ``record`` lines and the ``drop_rate``/``drop_ids`` draw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smscli import clock as wall_clock
from smscli.sim.bizppurio_abroad import BadAbroad
from smscli.sim.bizppurio_abroad import check as check_abroad
from smscli.sim.bizppurio_base import (
    INVALID_MESSAGE,
    KST,
    OK,
    RESERVATION_WINDOW,
    ApiAnswer,
    ApiError,
    ApiRequest,
    euckr_len,
)
from smscli.sim.bizppurio_channel import CHANNELS, BadChannel
from smscli.sim.bizppurio_channel import check as check_channel

if TYPE_CHECKING:
    import threading
    from collections import Counter

    from smscli.sim.bizppurio_base import SimConfig


class MessageHandlers:
    """``/v3/message`` for :class:`smscli.sim.bizppurio_api.BizppurioApi` (mixed in there;
    the state is its own)."""

    # set by BizppurioApi.__init__, or provided by BizppurioApi and ReportHandlers
    config: SimConfig
    lock: threading.Lock
    kakao: Any
    files: dict[str, int]
    accepted: Counter[str]
    stats: Counter[str]
    _seq: int
    _record: Any
    _account_body: Callable[[ApiRequest], dict[str, Any]]
    _make_report: Callable[..., str]

    # -- sending -----------------------------------------------------------------------

    def message(self, req: ApiRequest) -> ApiAnswer:
        body = self._account_body(req)
        kind = body.get("type")
        if isinstance(kind, str) and kind.lower() in CHANNELS:  # the document writes AT, FT, RCS too
            kind = kind.lower()
        if kind not in ("sms", "lms", "mms", *CHANNELS):
            raise ApiError(INVALID_MESSAGE, "type must be sms, lms, mms, at, ai, ft or rcs")
        for key in ("from", "to"):
            value = body.get(key)
            if not isinstance(value, str) or not value.isdigit() or not 3 <= len(value) <= 20:
                raise ApiError(INVALID_MESSAGE, f"{key} must be 3-20 digits")
        refkey = body.get("refkey", "")
        if not isinstance(refkey, str) or not refkey or len(refkey.encode()) > 32:
            raise ApiError(INVALID_MESSAGE, "refkey must be 1-32 bytes")
        outcome = None
        media = ""  # the report's MEDIA when not the type's own (ISM/ILM abroad)
        abroad = "country" in body
        if abroad:
            try:
                media = check_abroad(kind, body)
            except BadAbroad as exc:
                raise ApiError(INVALID_MESSAGE, str(exc)) from None
        if kind in CHANNELS:
            content = body.get("content")
            try:
                with self.lock:  # the miss draw uses the rules' random generator
                    outcome = check_channel(kind, content.get(kind) if isinstance(content, dict) else None,
                                            body, self.kakao, euckr_len, abroad=abroad)
            except BadChannel as exc:
                raise ApiError(INVALID_MESSAGE, str(exc)) from None
        elif not abroad:  # abroad: counted in characters by check_abroad
            self._check_content(kind, body.get("content"), body["account"])
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
        return ApiAnswer(200, {"code": OK, "description": "success", "refkey": refkey,
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
            raise ApiError(INVALID_MESSAGE, f"content.{kind} is required")
        message = part.get("message")
        if kind == "mms" and message is None:
            message = ""  # optional for MMS (the document's table): the images alone
        elif not isinstance(message, str) or (not message and kind != "mms"):
            raise ApiError(INVALID_MESSAGE, f"content.{kind}.message is required")
        limit = 90 if kind == "sms" else 2000
        size = euckr_len(message)
        if size < 0:
            raise ApiError(INVALID_MESSAGE, "message has characters EUC-KR cannot carry")
        if size > limit:
            raise ApiError(INVALID_MESSAGE, f"message is {size} bytes, {kind} allows {limit}")
        subject = part.get("subject", "")
        if kind != "sms" and subject and (not isinstance(subject, str) or not 0 <= euckr_len(subject) <= 64):
            raise ApiError(INVALID_MESSAGE, "subject must be at most 64 EUC-KR bytes")
        if kind == "mms":
            files = part.get("file")
            if not isinstance(files, list) or not 1 <= len(files) <= 3:
                raise ApiError(INVALID_MESSAGE, "content.mms.file must list 1-3 files")
            for item in files:
                key = item.get("key") if isinstance(item, dict) else None
                if not isinstance(item, dict) or item.get("type") != "IMG" or key not in self.files:
                    raise ApiError(INVALID_MESSAGE, f"unknown file key {key!r}")

    @staticmethod
    def _check_sendtime(value: Any) -> int | None:
        if value in (None, ""):
            return None
        try:
            when = int(value)
        except (TypeError, ValueError):
            raise ApiError(INVALID_MESSAGE, "sendtime must be unix seconds") from None
        now = wall_clock.time()
        if when <= now:
            raise ApiError(INVALID_MESSAGE, "sendtime is in the past")
        if when > now + RESERVATION_WINDOW:
            raise ApiError(INVALID_MESSAGE, "sendtime is more than 30 days ahead")
        return when
