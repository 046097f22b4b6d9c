"""What a message carries, as a typed variant (see docs/DEVELOPING.md, "Content model").

Today there is one kind, :class:`Text` (SMS, LMS or MMS: a body, an optional subject and
images). Content kinds that are not text (Kakao AlimTalk/FriendTalk, RCS) join the
``Content`` union as their own frozen dataclasses, each with an optional ``fallback``
content sent when the first cannot be delivered; a vendor names the kinds it carries in
``Vendor.carries`` and :func:`refusal` is the one place that says no.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from smscli.vendors.base import Vendor

TextType = Literal["auto", "sms", "lms", "mms"]
TEXT_TYPES: tuple[str, ...] = ("auto", "sms", "lms", "mms")


@dataclass(frozen=True)
class Text:
    """SMS/LMS/MMS content. ``body`` may hold ``{column}`` variables (filled per row by
    ``send_many``); ``type`` ``auto`` picks SMS up to the vendor's SMS size, LMS above it
    and MMS with ``images`` (JPEG paths, at most 3)."""

    body: str
    subject: str = ""
    type: TextType = "auto"
    images: tuple[Path, ...] = ()

    kind = "text"  # the name vendors list in ``Vendor.carries``

    def __post_init__(self) -> None:
        object.__setattr__(self, "images", tuple(Path(p) for p in self.images))


# The union grows by adding a kind (``Text | Kakao | Rcs``), never by changing ``Text``.
Content: TypeAlias = Text


def as_content(value: str | Content, *, subject: str = "", type: str = "auto",
               images: tuple[Path | str, ...] = ()) -> Content:
    """``value`` as content: a ``str`` becomes :class:`Text` with the given options."""
    if isinstance(value, Text):
        return value
    if not isinstance(value, str):
        raise TypeError(f"content must be str or Text, not {type_name(value)}")
    return Text(body=value, subject=subject, type=type,  # type: ignore[arg-type]
                images=tuple(Path(p) for p in images))


def type_name(value: object) -> str:
    return type(value).__name__


def refusal(vendor: Vendor, content: Content) -> str | None:
    """Why ``vendor`` cannot carry ``content`` (one line), or None when it can. The
    only per-vendor content check: the pipeline, dry runs and the journal ask this."""
    carries = getattr(vendor, "carries", frozenset({"text"}))
    if content.kind not in carries:
        return f"{vendor.name} does not carry {content.kind} messages"
    return None
