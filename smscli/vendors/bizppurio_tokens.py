"""Bizppurio's access token as the journal caches it: under a key that names no secret,
and encrypted, so the journal (or a copy of it) holds nothing that sends messages.

From the base URL, account and password, one scrypt gives both the key's fingerprint
(16 hex characters) and an AES-256-GCM key for the token (:class:`Credentials`). A cached
value that does not open with that key (another password, an older smscli's plain token,
a damaged row) is as good as none: a new token is fetched and cached over it.
"""

from __future__ import annotations

import base64
import hashlib
import os

_SEALED = "v1:"  # the format of a cached token: this prefix, then base64 of nonce + ciphertext


class Credentials:
    """What a password gives the token cache: ``fingerprint`` (in the cache key) and ``key``
    (the token's encryption key, never shown)."""

    __slots__ = ("fingerprint", "key")

    def __init__(self, fingerprint: str, key: bytes) -> None:
        self.fingerprint, self.key = fingerprint, key

    def __repr__(self) -> str:
        return f"Credentials(fingerprint={self.fingerprint!r}, key=...)"

    @classmethod
    def of(cls, base_url: str, account: str, password: str) -> Credentials:
        """Derived with scrypt, salted with base URL and account (costly enough to make
        guessing the password slow); each changes with any of the three."""
        salt = f"smscli-token:{base_url}:{account}".encode()
        digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=64)
        return cls(digest[:8].hex(), digest[32:])

    def seal(self, token: str) -> str:
        """``token`` as the journal keeps it (AES-GCM, a fresh nonce each time)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        return _SEALED + base64.b64encode(nonce + AESGCM(self.key).encrypt(nonce, token.encode(), None)).decode()

    def open(self, sealed: str) -> str | None:
        """The token :meth:`seal` wrote, or None for anything else."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not sealed.startswith(_SEALED):
            return None
        try:
            raw = base64.b64decode(sealed[len(_SEALED):], validate=True)
            return AESGCM(self.key).decrypt(raw[:12], raw[12:], None).decode()
        except (ValueError, InvalidTag):
            return None


def credential_fingerprint(base_url: str, account: str, password: str) -> str:
    """16 hex characters that change with any of the three and do not reveal the password."""
    return Credentials.of(base_url, account, password).fingerprint
