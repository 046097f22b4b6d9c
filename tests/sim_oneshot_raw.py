"""A bare OneShot client over a real socket, driven with the codec directly (no smscli
client code), for testing the simulator rule by rule."""

from __future__ import annotations

import socket
import time
from collections import deque
from typing import Any

from smscli.protocol.oneshot.crypto import BodyCipher, parse_iv, parse_key_material
from smscli.protocol.oneshot.frames import Frame, FrameDecoder, encode_frame

KEY = "0123456789abcdef"
IV = "fedcba9876543210"
BIND_ID = "test001"
PASSWORD = "test001#$$%"
_BASE_KEY_METHODS = {"BindReq", "BindRes", "UnBindReq", "UnBindRes"}


class Closed(Exception):
    """The server closed the connection."""


def msg_body(uid: str, phone: str = "01012345678", **fields: Any) -> dict[str, Any]:
    """A MsgSendReq body with the document example's whole key set, in its order."""
    body: dict[str, Any] = {
        "UserMsgId": uid,
        "UserMsgSubId": "",
        "MsgType": 4,
        "PhoneNo": phone,
        "CallbackNo": "15666639",
        "TranId": "",
        "Subject": "",
        "Message": "SMS 테스트 메시지",
        "KakaoAdFlag": "",
        "KakaoNationCode": "",
        "KakaoSenderKey": "",
        "KakaoTemplateCode": "",
        "KakaoTimeout": 0,
        "KakaoButton": "",
        "FileCount": 0,
        "FileType1": "",
        "FileName1": "",
        "FileType2": "",
        "FileName2": "",
        "FileType3": "",
        "FileName3": "",
        "UserData": "",
        "ResellerCode": "",
    }
    body.update(fields)
    return body


class RawClient:
    def __init__(
        self, address: tuple[str, int], *, key: str = KEY, iv: str = IV, timeout: float = 3.0
    ) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.decoder = FrameDecoder()
        self.pending: deque[Frame] = deque()
        self.iv = parse_iv(iv)
        self.base = BodyCipher(parse_key_material(key), self.iv)
        self.cipher: BodyCipher | None = None  # session cipher after a key exchange
        self.wire_bodies: list[tuple[str, Any]] = []  # (method, body as it came on the wire)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # sending -------------------------------------------------------------------
    def frame(self, method: str, body: dict[str, Any] | str | None = None) -> bytes:
        if isinstance(body, dict):
            if self.cipher is not None:
                body = self.cipher.encrypt(body)
            elif method in _BASE_KEY_METHODS:
                body = self.base.encrypt(body)
        return encode_frame(method, body)

    def send(self, method: str, body: dict[str, Any] | str | None = None) -> None:
        self.sock.sendall(self.frame(method, body))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    # receiving -----------------------------------------------------------------
    def recv(self, timeout: float | None = None) -> tuple[str, Any]:
        """The next frame as (method, body) with the body decrypted."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from the simulator")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise Closed()
            for item in self.decoder.feed(data):
                assert isinstance(item, Frame), item
                self.pending.append(item)
        frame = self.pending.popleft()
        self.wire_bodies.append((frame.method, frame.body))
        body = frame.body
        if isinstance(body, str):
            body = (self.cipher or self.base).decrypt(body)
        return frame.method, body

    def expect(self, method: str, timeout: float | None = None) -> Any:
        got, body = self.recv(timeout)
        assert got == method, (got, body)
        return body

    def collect(self, method: str, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The next ``n`` frames of ``method`` (other frames are skipped)."""
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            got, body = self.recv(max(0.01, deadline - time.monotonic()))
            if got == method:
                out.append(body)
        return out

    def silent_for(self, seconds: float) -> bool:
        """True when no frame arrives within ``seconds`` (the connection stays open)."""
        try:
            method, body = self.recv(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected {method} {body}")

    def closed_within(self, seconds: float) -> bool:
        """True when the server closes within ``seconds`` (frames before it are skipped)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.recv(max(0.01, deadline - time.monotonic()))
        except Closed:
            return True
        except (TimeoutError, OSError):
            return False

    # conversations ---------------------------------------------------------------
    def key_exchange(self) -> str:
        self.send("PrivateKeyReq")
        method, body = self.recv()
        assert method == "PrivateKeyRes"
        assert body["Result"] == 0, body
        self.cipher = BodyCipher(parse_key_material(body["PrivateKey"]), self.iv)
        return body["PrivateKey"]

    def bind(
        self, bind_id: str = BIND_ID, password: str = PASSWORD, version: Any = 1
    ) -> dict[str, Any]:
        self.send("BindReq", {"BindId": bind_id, "BindPwd": password, "Version": version})
        return self.expect("BindRes")

    def send_msg(self, uid: str, phone: str = "01012345678", **fields: Any) -> None:
        self.send("MsgSendReq", msg_body(uid, phone, **fields))

    def ack(self, report: dict[str, Any], result: int = 0) -> None:
        self.send(
            "ReportRes",
            {
                "UserMsgId": report["UserMsgId"],
                "UserMsgSubId": report["UserMsgSubId"],
                "ServerMsgId": report["ServerMsgId"],
                "Result": result,
            },
        )
