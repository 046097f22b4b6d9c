"""smscli: send Korean SMS/LMS/MMS through four vendors, and debug them.

The public API (semantic versioning; see docs/LIBRARY.md) is what ``__all__`` lists::

    from smscli import Client
    with Client(profile="prod") as sms:
        result = sms.send("010-1234-5678", "내일 점검이 있습니다", id="notice-1")

Names are imported on first use, so ``import smscli`` stays cheap: no HTTP client, no
terminal UI, no CLI framework until a client is created.
"""

from __future__ import annotations

# Not ``from typing import TYPE_CHECKING``: importing typing would cost more than the
# rest of ``import smscli`` (type checkers read this constant the same way).
TYPE_CHECKING = False

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "AuthError",
    "Batch",
    "Button",
    "Client",
    "ConfigError",
    "Content",
    "ExitStatus",
    "Fax",
    "Interrupted",
    "Kakao",
    "MessageRecord",
    "PollResult",
    "Rcs",
    "RejectedError",
    "Report",
    "SendResult",
    "SmscliError",
    "Text",
    "UnreachableError",
    "Upload",
    "UsageError",
    "VendorError",
    "Voice",
    "__version__",
]

_WHERE = {
    "AsyncClient": "smscli.aio",
    "Client": "smscli.client",
    "Content": "smscli.content",
    "Text": "smscli.content",
    "Kakao": "smscli.content",
    "Rcs": "smscli.content",
    "Fax": "smscli.content",
    "Voice": "smscli.content",
    "Button": "smscli.content",
    "Batch": "smscli.models",
    "MessageRecord": "smscli.models",
    "PollResult": "smscli.models",
    "Report": "smscli.models",
    "SendResult": "smscli.models",
    "Upload": "smscli.models",
    **dict.fromkeys(("AuthError", "ConfigError", "ExitStatus", "Interrupted", "RejectedError",
                     "SmscliError", "UnreachableError", "UsageError", "VendorError"),
                    "smscli.errors"),
}

if TYPE_CHECKING:
    from smscli.aio import AsyncClient
    from smscli.client import Client
    from smscli.content import Button, Content, Fax, Kakao, Rcs, Text, Voice
    from smscli.errors import (
        AuthError,
        ConfigError,
        ExitStatus,
        Interrupted,
        RejectedError,
        SmscliError,
        UnreachableError,
        UsageError,
        VendorError,
    )
    from smscli.models import Batch, MessageRecord, PollResult, Report, SendResult, Upload


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'smscli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
