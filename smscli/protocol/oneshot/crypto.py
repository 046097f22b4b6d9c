"""Encrypted bodies: Base64(AES-128-CBC(PKCS#7(compact JSON))).

The only module that imports ``cryptography`` (lazily, so the CLI starts fast).
Error messages never contain key material.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import encode_json, parse_json_object

KEY_SIZE = 16
BLOCK = 16


def _material(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise OneShotError(f"{what} must be a string")
    if text[:4].lower() == "hex:":
        digits = text[4:].strip()
        try:
            return bytes.fromhex(digits)
        except ValueError:
            raise OneShotError(f'{what} "hex:" value is not hexadecimal') from None
    return text.encode("utf-8")


def parse_key_material(text: str) -> bytes:
    """An AES-128 key from ``hex:<32 hex digits>`` or text: its first 16 bytes."""
    raw = _material(text, "AES key")
    if len(raw) < KEY_SIZE:
        raise OneShotError(
            f"AES key is {len(raw)} bytes; it needs 16 (16 characters, or hex: and 32 hex digits)"
        )
    return raw[:KEY_SIZE]


def parse_iv(text: str) -> bytes:
    """An IV from ``hex:<32 hex digits>`` or text: exactly 16 bytes."""
    raw = _material(text, "AES IV")
    if len(raw) != BLOCK:
        raise OneShotError(
            f"AES IV is {len(raw)} bytes; it must be exactly 16 (16 characters, or hex: and 32 hex digits)"
        )
    return raw


class BodyCipher:
    """Encrypts and decrypts frame bodies with one key and IV."""

    __slots__ = ("_cipher",)

    def __init__(self, key: bytes, iv: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise OneShotError(f"AES key must be 16 bytes, not {len(key)}")
        if len(iv) != BLOCK:
            raise OneShotError(f"AES IV must be 16 bytes, not {len(iv)}")
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        self._cipher = Cipher(algorithms.AES(bytes(key)), modes.CBC(bytes(iv)))

    def __repr__(self) -> str:
        return "BodyCipher(<secret>)"

    def encrypt_bytes(self, data: bytes) -> str:
        pad = BLOCK - len(data) % BLOCK
        enc = self._cipher.encryptor()
        sealed = enc.update(data + bytes([pad]) * pad) + enc.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def decrypt_bytes(self, text: str) -> bytes:
        if not isinstance(text, str):
            raise OneShotError(f"encrypted body must be a string, not {type(text).__name__}")
        try:
            sealed = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise OneShotError("encrypted body is not Base64") from None
        if not sealed or len(sealed) % BLOCK:
            raise OneShotError(f"encrypted body is {len(sealed)} bytes, not a multiple of 16")
        dec = self._cipher.decryptor()
        data = dec.update(sealed) + dec.finalize()
        pad = data[-1]
        if not 1 <= pad <= BLOCK or data[-pad:] != bytes([pad]) * pad:
            raise OneShotError("body does not decrypt (bad padding: wrong key or IV?)")
        return data[:-pad]

    def encrypt(self, obj: dict[str, Any]) -> str:
        """Base64 of the encrypted compact JSON of ``obj``."""
        return self.encrypt_bytes(encode_json(obj))

    def encrypt_json(self, text: str) -> str:
        """``encrypt`` from the JSON text of the object (e.g. ``OneShotMessage.body_json()``)."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate, as encode_json says it
            raise OneShotError(f"cannot encode as JSON: {exc}") from None
        return self.encrypt_bytes(data)

    def decrypt(self, text: str) -> dict[str, Any]:
        """The JSON object inside an encrypted body."""
        data = self.decrypt_bytes(text)
        try:
            return parse_json_object(data)
        except OneShotError as exc:
            raise OneShotError(f"decrypted body is unusable (wrong key or IV?): {exc}") from None
