"""The one exception the OneShot codec raises."""

from __future__ import annotations


class OneShotError(Exception):
    """Anything the OneShot codec cannot encode, decode, encrypt or decrypt.

    ``str(err)`` is a one-line reason that never contains key material.
    """
