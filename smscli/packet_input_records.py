"""``packet decode`` input, frames → records: ``Session`` makes a frame's record
(decrypts with the configured key or a session key, masks secrets), ``Batch`` hands
records on in lists, one per piece of input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from smscli.packet_input_base import BATCH_TEXT, MASK, SECRET_KEYS
from smscli.packet_input_wire import WireDecoder
from smscli.protocol.oneshot.frames import Damaged


class KeyMaterial:
    """The configured AES key and IV (either may be missing) and where they came from."""

    def __init__(self, key: bytes | None, iv: bytes | None, source: str = "") -> None:
        self.key, self.iv, self.source = key, iv, source


class Session:
    """Turns frames of one conversation into records: decrypts, masks, follows session keys.

    After a ``PrivateKeyRes`` that names a session key, bodies are decrypted with that
    key first (and the configured one as a fallback).
    """

    def __init__(self, keys: KeyMaterial | None, show_secrets: bool = False) -> None:
        self.keys = keys
        self.show_secrets = show_secrets
        self._ciphers: list[tuple[str, Any]] | None = None
        self._session: tuple[str, Any] | None = None

    def record(self, item: Any) -> dict[str, Any]:
        if type(item) is Damaged:
            return {"offset": item.offset, "length": item.length, "method": None, "header": None,
                    "body": None, "error": item.reason}
        method = item.method
        body = item.body
        rec: dict[str, Any] = {"offset": item.offset, "length": item.length, "method": method,
                               "header": item.header, "body": body}
        if type(body) is str:
            body = self._decrypt(rec, body)
        if type(body) is dict:
            if method == "PrivateKeyRes":
                self._learn_session_key(body)
            if not self.show_secrets:
                for key in SECRET_KEYS:
                    if key in body:
                        body = {**body, key: MASK}
            rec["body"] = body
        return rec

    def _decrypt(self, rec: dict[str, Any], text: str) -> Any:
        rec["encrypted"] = True
        ciphers = self._all_ciphers()
        if not ciphers:
            rec["note"] = ("encrypted body: pass --key and --iv, or set aes_key and aes_iv in the "
                           "profile, to read it")
            return text
        from smscli.protocol.oneshot.errors import OneShotError

        reasons = []
        for label, cipher in ciphers:
            try:
                return cipher.decrypt(text)
            except OneShotError as err:
                reasons.append(f"{label}: {err}")
        rec["error"] = "the body does not decrypt (" + "; ".join(reasons) + ")"
        return text

    def _all_ciphers(self) -> list[tuple[str, Any]]:
        if self._ciphers is None:
            self._ciphers = []
            keys = self.keys
            if keys is not None and keys.key is not None and keys.iv is not None:
                from smscli.protocol.oneshot.crypto import BodyCipher

                self._ciphers.append((f"key from {keys.source}", BodyCipher(keys.key, keys.iv)))
        return [self._session, *self._ciphers] if self._session else self._ciphers

    def _learn_session_key(self, body: dict[str, Any]) -> None:
        secret = body.get("PrivateKey")
        keys = self.keys
        if not isinstance(secret, str) or not secret or keys is None or keys.iv is None:
            return
        from smscli.protocol.oneshot.crypto import BodyCipher, parse_key_material
        from smscli.protocol.oneshot.errors import OneShotError

        try:
            self._session = ("session key from PrivateKeyRes",
                             BodyCipher(parse_key_material(secret), keys.iv))
        except OneShotError:
            self._session = None



class Batch:
    """Records made from decoder items, handed on in lists: one per piece of input as a
    rule, sooner when the frames in it inflated to more than ``BATCH_TEXT`` bytes (the
    decoders stop there too, so one call never completes more)."""

    def __init__(self, record: Callable[[Any], dict[str, Any]]) -> None:
        self.record = record
        self.records: list[dict[str, Any]] = []
        self.text = 0

    def add(self, wire: WireDecoder, data: bytes,
            extra: Callable[[], dict[str, Any]] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Feed ``data`` to ``wire``; yield the lists that fill up meanwhile. ``extra``
        makes the keys added to each record (called only when there are records)."""
        items = wire.feed(data)
        while True:
            self.extend(items, extra)
            if self.text >= BATCH_TEXT:
                yield self.take()
            if not wire.backlog:
                return
            items = wire.feed(b"")

    def extend(self, items: list[Any], extra: Callable[[], dict[str, Any]] | None = None) -> None:
        if not items:
            return
        record, out = self.record, self.records
        more = extra() if extra is not None else None
        for item in items:
            rec = record(item)
            if more:
                rec.update(more)
            out.append(rec)
            if type(item) is not Damaged:
                self.text += len(item.payload)

    def take(self) -> list[dict[str, Any]]:
        out, self.records, self.text = self.records, [], 0
        return out

