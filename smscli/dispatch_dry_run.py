"""What a dry run emits per valid message: :func:`dry_run_valid` (a text message in Korea,
with its JSON line) and ``dry_run_json`` (abroad, Kakao/RCS, fax/voice, MMS media)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smscli import phone, text
from smscli.models import Encoded, Message

if TYPE_CHECKING:
    from smscli.abroad import AbroadLimits

def dry_run_json(msg: Message, vendor: str, abroad: AbroadLimits | None = None) -> dict[str, object]:
    size = msg.size if msg.size >= 0 else text.byte_length(msg.text)
    if abroad is not None and phone.is_international(msg.to):
        from smscli.abroad import dry_run_object

        return dry_run_object(abroad, msg, vendor, size)
    if msg.channel is not None:
        from smscli.channel_render import describe

        shown = describe(msg.channel)
        if "attachments" in shown:  # a fax or a call
            return {"to": msg.to, "status": "valid", "message_id": msg.id, "vendor": vendor,
                    "type": msg.type, "code": "", "detail": _fax_voice_detail(shown),
                    "bytes": size, **shown}
        fb = shown["fallback"]
        said = (f"fallback {fb['type']} {fb['bytes']} bytes" if isinstance(fb, dict)  # type: ignore[index]
                else "no fallback")
        image = f"image {shown['image']}, " if shown.get("image") else ""
        return {"to": msg.to, "status": "valid", "message_id": msg.id, "vendor": vendor,
                "type": msg.type, "code": "",
                "detail": f"{counted(shown['characters'], 'character')}, {image}"
                          f"{counted(shown['buttons'], 'button')}, {said}",
                "bytes": size, **shown}
    if msg.images and any(i.lower().endswith((".ma3", ".k3g")) for i in msg.images):  # MMS audio / video
        return {"to": msg.to, "status": "valid", "message_id": msg.id, "vendor": vendor, "type": msg.type,
                "code": "", "detail": f"{size} bytes, files: {', '.join(msg.images)}", "bytes": size,
                "attachments": list(msg.images)}
    return dry_run_valid(msg.to, msg.id, vendor, msg.type, size)


def dry_run_valid(to: str, message_id: str, vendor: str, type: str, size: int) -> Encoded:
    """The dry run's object of a text message in Korea (CONTRACT's send object, status
    ``valid``, plus ``bytes``), with its JSON line written here (:class:`ValidObject`)."""
    return ValidObject({"to": to, "status": "valid", "message_id": message_id, "vendor": vendor, "type": type,
                        "code": "", "detail": f"{size} bytes", "bytes": size})


class ValidObject(Encoded):
    """:func:`dry_run_valid`'s object, whose JSON line is written when read: the keys are
    known, ``bytes`` is an int and the strings go through json's own ``encode_basestring``.
    Only ``--json`` output reads it, so a dry run that prints a table imports no json."""

    __slots__ = ()

    @property  # type: ignore[override]
    def json_line(self) -> str:
        from json.encoder import encode_basestring as quote  # json.dumps(ensure_ascii=False)'s

        return (f'{{"to": {quote(self["to"])}, "status": "valid", "message_id": {quote(self["message_id"])}, '
                f'"vendor": {quote(self["vendor"])}, "type": {quote(self["type"])}, "code": "", '
                f'"detail": "{self["detail"]}", "bytes": {self["bytes"]:d}}}\n')


def _fax_voice_detail(shown: dict[str, object]) -> str:
    files = shown["attachments"]
    named = ", ".join(str(f) for f in files) if isinstance(files, list) and files else "no files"
    if "pages" in shown:
        cover = "with a cover" if shown.get("cover") else "no cover"
        return f"{counted(shown['pages'], 'page')}, {cover}, files: {named}"
    secs = f", {shown['seconds']} s" if "seconds" in shown else ""
    return f"{counted(shown['characters'], 'character')} (TTS), files: {named}{secs}"


def counted(n: object, noun: str) -> str:
    """``1 character``, ``2 characters``, ``0 characters``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
