"""The OneShot (SMTNT) wire protocol: frames, body encryption, messages, session.

Pure and sans-I/O: nothing here opens a socket or runs an event loop.
"""

from smscli.protocol.oneshot.crypto import BodyCipher, parse_iv, parse_key_material
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import (
    Damaged,
    Frame,
    FrameDecoder,
    decode_payload,
    encode_frame,
    encode_json,
)
from smscli.protocol.oneshot.messages import GenericMessage, OneShotMessage, parse_message

__all__ = [
    "BodyCipher",
    "Damaged",
    "Frame",
    "FrameDecoder",
    "GenericMessage",
    "OneShotError",
    "OneShotMessage",
    "decode_payload",
    "encode_frame",
    "encode_json",
    "parse_iv",
    "parse_key_material",
    "parse_message",
]
