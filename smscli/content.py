"""What a message carries, as a typed variant (see docs/DEVELOPING.md, "Content model").

Five kinds: :class:`Text` (SMS, LMS or MMS: a body, an optional subject and images),
:class:`Kakao` (AlimTalk, AlimTalk with an image, FriendTalk), :class:`Rcs`, :class:`Fax`
(documents and images with an optional cover) and :class:`Voice` (a TTS or WAVE call). Kakao
and RCS carry an optional ``fallback`` :class:`Text`, sent when the first cannot be
delivered; a vendor names the kinds it carries in ``Vendor.carries`` and :func:`refusal`
is the one place that says no.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import fields
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from smscli.records import record

if TYPE_CHECKING:
    from smscli.vendors.base import Vendor

TextType = Literal["auto", "sms", "lms", "mms"]
TEXT_TYPES: tuple[str, ...] = ("auto", "sms", "lms", "mms")


@record
class Text:
    """SMS/LMS/MMS content. ``body`` may hold ``{column}`` variables (filled per row by
    ``send_many``); ``type`` ``auto`` picks SMS up to the vendor's SMS size, LMS above it
    and MMS with ``images`` (JPEG paths, at most 3)."""

    body: str
    subject: str = ""
    type: TextType = "auto"
    images: tuple[Path, ...] = ()
    attachments: tuple[Path, ...] = ()  # MMS audio (ma3) / video (k3g), BIZCLIENT only

    kind = "text"  # the name vendors list in ``Vendor.carries``

    def __init__(self, body: str, subject: str = "", type: TextType = "auto", images: tuple[Path, ...] = (),
                 attachments: tuple[Path, ...] = ()) -> None:
        self.__dict__.update(body=body, subject=subject, type=type, images=tuple(Path(p) for p in images),
                             attachments=tuple(Path(p) for p in attachments))


KakaoType = Literal["alimtalk", "alimtalk-image", "friendtalk"]
KAKAO_TYPES: tuple[str, ...] = ("alimtalk", "alimtalk-image", "friendtalk")
RcsType = Literal["rcs-sms", "rcs-lms", "rcs-mms", "rcs-template"]
RCS_TYPES: tuple[str, ...] = ("rcs-sms", "rcs-lms", "rcs-mms", "rcs-template")
# RCS common formats (the RCS Biz Center's message bases) for the types that need no
# template of their own; ``rcs-template`` names its own base.
RCS_BASES = {"rcs-sms": "SS000000", "rcs-lms": "SL000000", "rcs-mms": "SMwThT00"}
FAX_VOICE_TYPES: tuple[str, ...] = ("fax", "voice")
# Every ``--type`` of send/reserve, in CONTRACT's order.
ALL_TYPES: tuple[str, ...] = TEXT_TYPES + KAKAO_TYPES + RCS_TYPES + FAX_VOICE_TYPES

# Button fields as the vendors spell them (Bizppurio content.at.button, the BIZCLIENT
# button file, OneShot KakaoButton), in that order; then the fields of the RCS suggestions
# that are not URL buttons (smscli.rcs_suggestions renders them as the document's actions).
KAKAO_BUTTON_FIELDS: tuple[str, ...] = ("name", "type", "url_mobile", "url_pc", "scheme_ios",
                                        "scheme_android", "chat_extra", "chat_event", "plugin_id")
RCS_BUTTON_FIELDS: tuple[str, ...] = ("phone_number", "text", "latitude", "longitude", "label",
                                      "fallback_url", "start_time", "end_time", "title", "description")
BUTTON_FIELDS: tuple[str, ...] = KAKAO_BUTTON_FIELDS + RCS_BUTTON_FIELDS
_BUTTON_FIELD_SET = frozenset(BUTTON_FIELDS)


@record
class Button:
    """One Kakao button (or RCS suggestion): ``type`` WL, AL, DS, BK, MD, BC, BT, AC or
    P1–P3; an RCS suggestion also ``dial`` (``phone_number``), ``map`` (``latitude``,
    ``longitude``, ``label``, ``fallback_url``), ``location`` (share the current one),
    ``copy`` (``text``), ``compose`` (``phone_number``, ``text``) or ``calendar``
    (``start_time``, ``end_time``, ``title``, ``description``). The URL and text fields may
    hold ``{column}`` / ``#{column}`` variables."""

    name: str
    type: str
    url_mobile: str = ""
    url_pc: str = ""
    scheme_ios: str = ""
    scheme_android: str = ""
    chat_extra: str = ""
    chat_event: str = ""
    plugin_id: str = ""
    phone_number: str = ""
    text: str = ""
    latitude: str = ""
    longitude: str = ""
    label: str = ""
    fallback_url: str = ""
    start_time: str = ""
    end_time: str = ""
    title: str = ""
    description: str = ""

    def __init__(self, name: str, type: str, url_mobile: str = "", url_pc: str = "", scheme_ios: str = "",
                 scheme_android: str = "", chat_extra: str = "", chat_event: str = "", plugin_id: str = "",
                 phone_number: str = "", text: str = "", latitude: str = "", longitude: str = "",
                 label: str = "", fallback_url: str = "", start_time: str = "", end_time: str = "",
                 title: str = "", description: str = "") -> None:
        self.__dict__.update(name=name, type=type, url_mobile=url_mobile, url_pc=url_pc, scheme_ios=scheme_ios,
                             scheme_android=scheme_android, chat_extra=chat_extra, chat_event=chat_event,
                             plugin_id=plugin_id, phone_number=phone_number, text=text, latitude=latitude,
                             longitude=longitude, label=label, fallback_url=fallback_url,
                             start_time=start_time, end_time=end_time, title=title, description=description)

    def to_json(self) -> dict[str, str]:
        """The vendors' JSON object: the fields that are set, in the vendors' order."""
        return {k: v for k, v in self.__dict__.items() if v and k != _TEXT}  # fields in BUTTON_FIELDS order

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Button:
        """A button from the vendors' JSON object (unknown keys are ignored; values as str)."""
        known = {k: str(v) for k, v in obj.items() if k in _BUTTON_FIELD_SET and v not in (None, "")}
        return cls(name=known.pop("name", ""), type=known.pop("type", ""), **known)


@record
class Kakao:
    """Kakao content: ``type`` ``alimtalk`` (a template approved by Kakao, ``template``
    its code, ``body`` the text with its ``#{...}`` filled), ``alimtalk-image`` or
    ``friendtalk`` (``image_url``/``image_link``, ``wide``; ``ad`` marks advertising);
    ``quick_replies`` are AlimTalk's quick-reply buttons (바로연결); ``user_key`` the
    FriendTalk recipient's Kakao user key (Bizppurio ``userkey``, OneShot ``kakaoUserKey``,
    BIZCLIENT ``USER_KEY``; a CSV ``user_key`` column fills it per row), sent with the number.
    ``sender_key`` "" means the profile's ``kakao_sender_key``; ``timeout`` seconds before
    the vendor falls back (None: its default); ``fallback`` what is sent instead when the
    recipient cannot get it (None: nothing)."""

    body: str
    type: KakaoType = "alimtalk"
    template: str = ""
    title: str = ""
    buttons: tuple[Button, ...] = ()
    quick_replies: tuple[Button, ...] = ()  # AlimTalk 바로연결 (at most 10)
    image_url: str = ""
    image_link: str = ""
    wide: bool = False
    ad: bool = False
    sender_key: str = ""
    timeout: int | None = None
    fallback: Text | None = None
    user_key: str = ""

    kind = "kakao"

    def __init__(self, body: str, type: KakaoType = "alimtalk", template: str = "", title: str = "",
                 buttons: tuple[Button, ...] = (), quick_replies: tuple[Button, ...] = (), image_url: str = "",
                 image_link: str = "", wide: bool = False, ad: bool = False, sender_key: str = "",
                 timeout: int | None = None, fallback: Text | None = None, user_key: str = "") -> None:
        self.__dict__.update(body=body, type=type, template=template, title=title, buttons=tuple(buttons),
                             quick_replies=tuple(quick_replies), image_url=image_url, image_link=image_link,
                             wide=wide, ad=ad, sender_key=sender_key, timeout=timeout, fallback=fallback,
                             user_key=user_key)


@record
class Rcs:
    """RCS content: ``type`` ``rcs-sms``, ``rcs-lms``, ``rcs-mms`` or ``rcs-template``;
    ``base_id`` the message base (template) id; ``ad`` sets header 1 (advertising) and
    ``footer`` is its opt-out line; ``buttons`` are suggestions; ``fallback`` as for
    :class:`Kakao`. An ``rcs-mms`` carries one image: ``images`` a local JPEG the vendor
    takes by upload (OneShot), or ``media`` an id registered at the RCS Biz Center,
    ``maapfile://...`` (Bizppurio's ``message.media``)."""

    body: str
    type: RcsType = "rcs-sms"
    base_id: str = ""
    title: str = ""
    buttons: tuple[Button, ...] = ()
    images: tuple[Path, ...] = ()
    ad: bool = False
    footer: str = ""
    copy_allowed: bool = True
    fallback: Text | None = None
    media: tuple[str, ...] = ()

    kind = "rcs"

    def __init__(self, body: str, type: RcsType = "rcs-sms", base_id: str = "", title: str = "",
                 buttons: tuple[Button, ...] = (), images: tuple[Path, ...] = (), ad: bool = False,
                 footer: str = "", copy_allowed: bool = True, fallback: Text | None = None,
                 media: tuple[str, ...] = ()) -> None:
        self.__dict__.update(body=body, type=type, base_id=base_id, title=title, buttons=tuple(buttons),
                             images=tuple(Path(p) for p in images), ad=ad, footer=footer,
                             copy_allowed=copy_allowed, fallback=fallback, media=tuple(str(m) for m in media))


@record
class Fax:
    """A fax (BIZCLIENT MSG_TYPE 2): ``files`` documents and images, sent in order; a cover
    page when ``cover_title`` or ``cover_text`` is set (either may hold ``{column}``);
    ``retries`` how often the gateway redials (None: its default)."""

    files: tuple[Path, ...] = ()
    cover_title: str = ""
    cover_text: str = ""
    retries: int | None = None

    kind = "fax"
    type = "fax"

    def __init__(self, files: tuple[Path, ...] = (), cover_title: str = "", cover_text: str = "",
                 retries: int | None = None) -> None:
        self.__dict__.update(files=tuple(Path(p) for p in files), cover_title=cover_title,
                             cover_text=cover_text, retries=retries)

    @property
    def body(self) -> str:
        """What stands for the text (the cover text)."""
        return self.cover_text


@record
class Voice:
    """A voice call (BIZCLIENT MSG_TYPE 3): ``body`` read out by text-to-speech, or
    ``voice_file`` a WAVE played; ``scenario`` a VXML scenario file, ``reply`` the callee
    may answer (0-9), ``sms_on_fail`` the gateway sends the text as SMS when the call fails,
    ``retries`` as for :class:`Fax`."""

    body: str = ""
    voice_file: Path | None = None
    scenario: Path | None = None
    reply: bool = False
    sms_on_fail: bool = False
    retries: int | None = None

    kind = "voice"
    type = "voice"

    def __init__(self, body: str = "", voice_file: Path | None = None, scenario: Path | None = None,
                 reply: bool = False, sms_on_fail: bool = False, retries: int | None = None) -> None:
        self.__dict__.update(body=body, voice_file=_path(voice_file), scenario=_path(scenario), reply=reply,
                             sms_on_fail=sms_on_fail, retries=retries)


def _path(value: Path | str | None) -> Path | None:
    return value if value is None or isinstance(value, Path) else Path(value)


# The union grows by adding a kind, never by changing one.
Content: TypeAlias = Text | Kakao | Rcs | Fax | Voice
Channel: TypeAlias = Kakao | Rcs | Fax | Voice  # the kinds that are not plain text


def to_json(content: Content) -> dict[str, Any]:
    """``content`` as a JSON object (``{"kind": ..., field: value}``, defaults left out),
    as the journal stores it; :func:`from_json` reads it back."""
    out: dict[str, Any] = {"kind": content.kind}
    values = content.__dict__
    for name, _key, default, how in _plan(type(content)):
        value = values[name]
        if value == default or value == ():
            continue
        if how == _BUTTONS:
            value = [b.to_json() for b in value]
        elif how == _PATHS:
            value = [str(p) for p in value]
        elif how == _PATH:
            value = str(value)
        elif how == _CONTENT:
            value = to_json(value)
        out[name] = value
    return out


def from_json(obj: dict[str, Any]) -> Content:
    """The content :func:`to_json` wrote."""
    cls = {"text": Text, "kakao": Kakao, "rcs": Rcs, "fax": Fax, "voice": Voice}[obj.get("kind", "text")]
    args = {k: v for k, v in obj.items() if k != "kind"}
    for key in ("buttons", "quick_replies"):
        if key in args:
            args[key] = tuple(Button.from_json(b) for b in args[key])
    for name in ("images", "attachments", "files"):
        if name in args:
            args[name] = tuple(Path(p) for p in args[name])
    if "media" in args:
        args["media"] = tuple(args["media"])
    if "fallback" in args:
        args["fallback"] = from_json(args["fallback"])
    return cls(**args)


def dumps(content: Content | None) -> str:
    """The journal's ``content`` column: "" for none, else compact JSON."""
    if content is None:
        return ""
    return json_text(content)


# --- the JSON text, spliced ----------------------------------------------------------
# The journal writes a channel's JSON per message, and the C encoder spends about as long
# on each small dict as on its strings; so the text is spliced from the values' own
# encodings, each field's key pre-encoded. The text is ``_ENCODE(to_json(content))``'s
# exactly (tests/test_content.py holds them equal), and where a value is not of the usual
# type it is that, literally.

# The encoders are made on the first text written (_load_json): json takes about 1 ms to
# import, and a dry run or a listing writes none. _KEY (each button field's key) is empty
# until then.
_ENCODE: Callable[[Any], str]
_STR: Callable[[str], str]  # a str as JSON, non-ASCII kept (C)
_KEY: dict[str, str] = {}
_second = itemgetter(1)


def _load_json() -> None:
    global _ENCODE, _STR, _KEY
    import json.encoder

    from smscli import fastjson

    _STR = json.encoder.encode_basestring
    _KEY = {name: _STR(name) + ":" for name in BUTTON_FIELDS}
    _ENCODE = fastjson.compact()


def json_text(content: Content, *, leave_out: str = "") -> str:
    """``to_json(content)`` as compact JSON text (non-ASCII kept, key order kept), without
    the field ``leave_out`` (the journal leaves out the sender key)."""
    if not _KEY:
        _load_json()
    values = content.__dict__
    parts = ['{"kind":' + _STR(content.kind)]
    for name, key, default, how in _plan(type(content)):
        value = values[name]
        if value == default or value == () or name == leave_out:
            continue
        if how == _AS_IS:  # usually a str; else a number or a flag
            parts.append(key + (_STR(value) if type(value) is str else _ENCODE(value)))
        elif how == _BUTTONS:
            parts.append(key + "[" + buttons_text(content, name) + "]")
        elif how == _PATHS:
            parts.append(key + "[" + ",".join([_STR(str(p)) for p in value]) + "]")
        elif how == _PATH:
            parts.append(key + _STR(str(value)))
        else:
            parts.append(key + json_text(value))
    return ",".join(parts) + "}"


def buttons_text(content: Content, name: str = "buttons") -> str:
    """The buttons of ``content``'s field ``name`` as the items of a compact JSON array,
    written once per content: the journal and the wire both write them (kept beside the
    fields, as ``functools.cached_property`` keeps its value; not a field, so equality,
    repr and the JSON do not see it)."""
    values = content.__dict__
    key = "_text_" + name
    text = values.get(key)
    if text is None:
        text = values[key] = ",".join(map(button_text, values[name]))
    return text


_TEXT = "_text"  # a Button's JSON text, kept beside its fields once written (not a field)


def button_text(button: Button) -> str:
    """``button.to_json()`` as compact JSON text, written once per button (kept beside its
    fields, as :func:`buttons_text` keeps a content's): a button with no variable to fill is
    the same object in every message of a send."""
    values = button.__dict__
    text = values.get(_TEXT)
    if text is None:
        if not _KEY:
            _load_json()
        try:
            text = "{" + ",".join([_KEY[k] + _STR(v) for k, v in filter(_second, values.items())]) + "}"
        except (KeyError, TypeError):  # not a field, or not a str: as the encoder writes it
            text = _ENCODE(button.to_json())
        values[_TEXT] = text
    return text


# How to_json and json_text write a field (by its name): buttons, paths, one path, content, as is.
_BUTTONS, _PATHS, _PATH, _CONTENT, _AS_IS = range(5)
_HOW = {"buttons": _BUTTONS, "quick_replies": _BUTTONS, "images": _PATHS, "attachments": _PATHS,
        "files": _PATHS, "media": _PATHS, "voice_file": _PATH, "scenario": _PATH, "fallback": _CONTENT}


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, str, Any, int], ...]:
    """Per field of ``cls``: name, its key as JSON with the colon, default, how written
    (``fields()`` is slow enough to show per message)."""
    if not _KEY:
        _load_json()
    return tuple((f.name, _STR(f.name) + ":", f.default, _HOW.get(f.name, _AS_IS)) for f in fields(cls))


def loads(raw: str) -> Content | None:
    """What :func:`dumps` wrote."""
    import json

    return from_json(json.loads(raw)) if raw else None


def as_content(value: str | Content, *, subject: str = "", type: str = "auto",
               images: tuple[Path | str, ...] = ()) -> Content:
    """``value`` as content: a ``str`` becomes :class:`Text` with the given options."""
    if isinstance(value, (Text, Kakao, Rcs, Fax, Voice)):
        return value
    if not isinstance(value, str):
        raise TypeError(f"content must be str, Text, Kakao, Rcs, Fax or Voice, not {type_name(value)}")
    return Text(body=value, subject=subject, type=type,  # type: ignore[arg-type]
                images=tuple(Path(p) for p in images))


def type_name(value: object) -> str:
    return type(value).__name__


def refusal(vendor: Vendor, content: Content) -> str | None:
    """Why ``vendor`` cannot carry ``content`` (one line), or None when it can. The
    only per-vendor content check: the pipeline, dry runs and the journal ask this."""
    carries = getattr(vendor, "carries", frozenset({"text"}))
    kind = content.kind
    if kind == "text" and getattr(content, "attachments", ()):
        kind = "mms-media"
    if kind not in carries:
        what = ", ".join(KIND_NAMES.get(k, k) for k in sorted(carries, key=_kind_order))
        shown = "--attach" if kind == "mms-media" else f"--type {content.type}"
        where = CARRIED_BY.get(kind)
        said = f"{KIND_NAMES.get(kind, kind)}: only {where} carries it; " if where else ""
        return (f"{said}{vendor.name} does not carry {KIND_NAMES.get(kind, kind)} "
                f"messages ({shown}); it carries {what}")
    if isinstance(content, Rcs):
        return _rcs_media_refusal(vendor.name, content)
    return None


# How each vendor takes an RCS MMS image: "maapfile" an id registered at the RCS Biz
# Center (Bizppurio's document: ``message.media``, and it has no upload for RCS), "file" a
# local JPEG uploaded as for MMS (OneShot's FileName fields; its document names no id).
RCS_MEDIA = {"bizppurio": "maapfile"}
MAAPFILE = "maapfile://"


def _rcs_media_refusal(vendor: str, content: Rcs) -> str | None:
    takes = RCS_MEDIA.get(vendor, "file")
    if takes == "maapfile" and content.images:
        return (f"{vendor} takes an RCS image as its RCS Biz Center id (--image {MAAPFILE}...), "
                f"not a file ({content.images[0]}): its document has no RCS upload")
    if takes == "file" and content.media:
        return (f"{vendor} takes an RCS image as a JPEG file it uploads (--image FILE), not an "
                f"RCS Biz Center id ({content.media[0]}); bizppurio takes those")
    return None


# How a kind is named to people (in refusals).
KIND_NAMES = {"text": "SMS/LMS/MMS", "kakao": "Kakao (AlimTalk/FriendTalk)", "rcs": "RCS",
              "fax": "fax", "voice": "voice", "mms-media": "MMS audio/video"}
# The vendors that carry a kind few do (named in the refusal of the others).
CARRIED_BY = {k: "bizclient (and the sandbox, to try it)" for k in ("fax", "voice", "mms-media")}


def _kind_order(kind: str) -> tuple[int, str]:
    order = list(KIND_NAMES)
    return (order.index(kind) if kind in order else len(order), kind)
