"""OneShot simulator: the connection-level requests. PrivateKeyReq (the session key of
``encrypt``), BindReq (and what a bind pushes: due reports, queued and configured
SpamReq/ChangePhoneReq), AliveReq and UnBindReq. Mixed into
:class:`smscli.sim.oneshot.OneShotSimulator`."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from smscli.protocol.oneshot.crypto import BodyCipher
from smscli.protocol.oneshot.frames import Frame, encode_frame
from smscli.sim.oneshot_config import (
    BAD_DATA,
    LOGIN_BAD_ID,
    LOGIN_BAD_PASSWORD,
    LOGIN_BAD_VERSION,
    LOGIN_DUPLICATE,
    NOT_BOUND,
    OK,
    OTHER,
    ProtocolError,
)
from smscli.sim.oneshot_session import SimSession

_SESSION_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class LoginMixin:
    """Key exchange, bind, alive and unbind (see the module docstring)."""

    # handlers ------------------------------------------------------------------------
    def _on_private_key(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        if not self.config.encrypt:
            self._emit(f"{session.tag} PrivateKeyReq on a server without encrypt: Result {OTHER}")
            self._send(session, "PrivateKeyRes", {"Result": OTHER, "PrivateKey": ""})
            return
        if session.cipher is not None:
            raise ProtocolError("PrivateKeyReq sent twice")
        session_key = "".join(secrets.choice(_SESSION_KEY_ALPHABET) for _ in range(16))
        res: dict[str, Any] = {"Result": OK, "PrivateKey": session_key}
        wire: dict[str, Any] | str = (
            self._base_cipher.encrypt(res) if self.config.encrypted_key_res else res
        )
        session.write(encode_frame("PrivateKeyRes", wire))
        session.cipher = BodyCipher(session_key.encode(), self._iv)
        self._count("key_exchanges")
        self._emit(f"{session.tag} PrivateKeyReq: session key issued")

    def _on_bind(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        cfg = self.config
        bind_id = str(body.get("BindId", ""))
        password = str(body.get("BindPwd", ""))
        if cfg.encrypt and session.cipher is None:
            self._emit(f"{session.tag} BindReq before PrivateKeyReq on an encrypt server")
            code = BAD_DATA
        elif bind_id != cfg.bind_id:
            code = LOGIN_BAD_ID
        elif not hmac.compare_digest(password.encode(), cfg.password.encode()):
            code = LOGIN_BAD_PASSWORD
        elif body.get("Version") not in (1, "1"):
            code = LOGIN_BAD_VERSION
        elif cfg.max_connections and self._bound_elsewhere(session) >= cfg.max_connections:
            code = LOGIN_DUPLICATE
        else:
            code = OK
        self._finish_bind(session, bind_id, code)

    def _bound_elsewhere(self, session: SimSession) -> int:
        with self._lock:
            return sum(
                1 for s in self._sessions.values() if s.bound and not s.closed and s is not session
            )

    def _finish_bind(self, session: SimSession, bind_id: str, code: int) -> None:
        cfg = self.config
        res = {
            "Result": code,
            "BindId": bind_id,
            "Speed": cfg.speed,
            "BeginTime": cfg.begin,
            "EndTime": cfg.end,
            "EffectiveTime": cfg.effective_time,
        }
        self._send(session, "BindRes", res)
        if code != OK:
            self._count("login_failures")
            self._emit(f"{session.tag} BindReq refused: Result {code} (BindId {bind_id!r})")
            session.close(f"login failed ({code})")
            return
        with self._lock:
            session.bound = True
            self._stats["binds"] = self._stats.get("binds", 0) + 1
            due = [r for r in self._reports.values() if r.due]
            queued, self._queued_pushes = self._queued_pushes, []
        self._emit(f"{session.tag} BindReq ok (BindId {bind_id}); {len(due)} report(s) to push")
        for report in due:
            self._send_report(session, report)
        for method, push in queued:
            self._send(session, method, push)
        for phone, deny_no in cfg.spam:
            with self._lock:
                self._next_spam += 1
                spam_id = str(self._next_spam)
            self._send(session, "SpamReq", {"SpamId": spam_id, "PhoneNo": phone, "DenyNo": deny_no})
        for old, new in cfg.change_phone:
            with self._lock:
                ids = [m.server_msg_id for m in self._accepted.values() if m.phone == old]
            change = {"ServerMsgId": ids[-1] if ids else "", "PhoneNo": old, "ChangePhoneNo": new}
            self._send(session, "ChangePhoneReq", change)

    def _on_alive(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        self._count("alives")
        self._send(session, "AliveRes", None)

    def _on_unbind(self, session: SimSession, frame: Frame, body: dict[str, Any]) -> None:
        self._send(session, "UnBindRes", {"Result": OK if session.bound else NOT_BOUND})
        session.close("UnBindReq")
