"""The rules a Kakao (AlimTalk, FriendTalk) or RCS message must meet before anything is sent
(issue 10, item 4; the limits are in ``../shared/spec/README.md``).

Two kinds of check: :func:`check_content` looks at what is the same for every row (the
template code, the buttons as given, the images) and raises :class:`UsageError` (exit 2);
:func:`check_rendered` looks at one rendered message (its text, its filled button URLs, the
recipient, the fallback) and raises :class:`~smscli.text.InvalidInput` (that row is
``invalid``). :func:`fallback_for` picks the fallback's type and checks its text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smscli import phone, rcs_suggestions, text
from smscli.content import (
    BUTTON_FIELDS,
    MAAPFILE,
    RCS_BASES,
    RCS_BUTTON_FIELDS,
    Button,
    Channel,
    Kakao,
    Rcs,
    Text,
)
from smscli.errors import UsageError

MAX_KAKAO_CHARS = 1000  # AlimTalk / FriendTalk text, characters (not bytes)
MAX_BUTTONS = 5
QUICK_REPLY_TYPES = frozenset({"WL", "AL", "DS", "BK", "MD", "BC", "BT"})
MAX_QUICK_REPLIES = 10
MAX_USER_KEY = 30  # FriendTalk user key (Bizppurio userkey 30, BIZCLIENT USER_KEY 30)
MAX_BUTTON_NAME = 28
MAX_TEMPLATE_CODE = 32
MAX_SENDER_KEY = 40
MAX_TITLE = 50
SMS_BYTES = 90  # a fallback SMS (CP949 bytes)
LMS_BYTES = 2000
SUBJECT_BYTES = 64
# RCS text per message base (Bizppurio's common formats): characters.
RCS_CHARS = {"rcs-sms": 100, "rcs-lms": 1300, "rcs-mms": 1300, "rcs-template": 1300}

# Kakao button types, and those FriendTalk does not take (AlimTalk only).
BUTTON_TYPES = frozenset({"WL", "AL", "DS", "BK", "MD", "BC", "BT", "AC", "P1", "P2", "P3"})
ALIMTALK_ONLY = frozenset({"DS", "AC", "P1", "P2", "P3"})
RCS_BUTTON_TYPES = rcs_suggestions.TYPES  # WL opens a URL; dial, map, location, copy, compose, calendar
FALLBACK_TYPES = ("auto", "sms", "lms", "mms", "none")
MAX_BUTTONS_FILE = 1024 * 1024  # bytes: five buttons and ten quick replies take a few KiB


def load_buttons(path: str | Path) -> tuple[tuple[Button, ...], tuple[Button, ...]]:
    """(buttons, quick replies) from a JSON file (``"-"``: stdin, for ``--buttons -``): a
    list of button objects, or ``{"button": [...]}`` as in the BIZCLIENT manual, with
    AlimTalk's quick replies under ``"quickreply"`` as Bizppurio names them. UTF-8 or
    CP949, at most MAX_BUTTONS_FILE bytes read. A file that cannot be read is a UsageError."""
    where = "--buttons - (stdin)" if path == "-" else f"buttons file {path}"
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_BUTTONS_FILE + 1)
        else:
            with Path(path).open("rb") as f:
                raw = f.read(MAX_BUTTONS_FILE + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {where}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BUTTONS_FILE:
        raise UsageError(f"{where} is over {MAX_BUTTONS_FILE // 1024} KiB: not a buttons file?")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            source = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UsageError(f"{where} is neither UTF-8 nor CP949 text")
    try:
        data: Any = json.loads(source)
    except ValueError as exc:
        raise UsageError(f"{where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"{where} nests too deep to be buttons") from None
    quick: Any = []
    if isinstance(data, dict) and {"button", "quickreply"} & data.keys():
        data, quick = data.get("button", []), data.get("quickreply", [])
    for part in (data, quick):
        if not isinstance(part, list) or not all(isinstance(b, dict) for b in part):
            raise UsageError(f"{where} must hold a list of buttons or "
                             f"{{\"button\": [...], \"quickreply\": [...]}}")
    for what, part in (("button", data), ("quick reply", quick)):
        for n, entry in enumerate(part, start=1):
            wrong = next((k for k in BUTTON_FIELDS if entry.get(k) is not None and not _text_field(k, entry[k])), None)
            if wrong is not None:
                raise UsageError(f"{where}: {what} {n}'s {wrong} must be text, "
                                 f"not {type(entry[wrong]).__name__}", hint='write it in quotes, e.g. "1"')
    if sum(1 for b in data if "suggestions" in b) > 1:
        raise UsageError(f"{where} holds several cards of suggestions; smscli sends "
                         "one card (an RCS carousel is not supported)")
    try:
        buttons = tuple(b for entry in data for b in (
            rcs_suggestions.from_document([entry], where)
            if rcs_suggestions.is_document_form(entry) else [Button.from_json(entry)]))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return buttons, tuple(Button.from_json(b) for b in quick)


def _text_field(key: str, value: Any) -> bool:
    """Whether a button's ``key`` holds what it may: text (a number for a location's
    latitude and longitude)."""
    if key in ("latitude", "longitude") and isinstance(value, int | float) and not isinstance(value, bool):
        return True
    return isinstance(value, str)


def check_buttons(buttons: Sequence[Button], *, kind: str, quick: bool = False, base: str = "") -> None:
    """The buttons (``quick``: the quick replies) as given (URLs may still hold variables):
    UsageError naming the first problem."""
    rcs = kind.startswith("rcs")
    what, most = ("quick replies", MAX_QUICK_REPLIES) if quick else ("buttons", MAX_BUTTONS)
    if rcs and not quick:
        what, most = "suggestions", rcs_suggestions.limit_for(base or RCS_BASES.get(kind, ""))
        if base or kind in RCS_BASES:
            what = f"suggestions on message base {base or RCS_BASES[kind]}"
    if quick and buttons and not kind.startswith("alimtalk"):
        raise UsageError(f"quick replies are for AlimTalk only, not {kind}")
    if len(buttons) > most:
        raise UsageError(f"{len(buttons)} {what}: a message takes at most {most}")
    for n, button in enumerate(buttons, start=1):
        where = f"quick reply {n}" if quick else f"button {n}"
        if not button.name:
            raise UsageError(f"{where} has no name")
        if len(button.name) > MAX_BUTTON_NAME:
            raise UsageError(f"{where} name is {len(button.name)} characters; at most {MAX_BUTTON_NAME}")
        allowed = QUICK_REPLY_TYPES if quick else RCS_BUTTON_TYPES if rcs else BUTTON_TYPES
        if button.type not in allowed:
            raise UsageError(f"{where} has unknown type {button.type!r}",
                             hint=f"{'RCS' if rcs else 'Kakao'} button types: {', '.join(sorted(allowed))}")
        if kind == "friendtalk" and button.type in ALIMTALK_ONLY:
            raise UsageError(f"{where}: type {button.type} is for AlimTalk only, not FriendTalk")
        if rcs:
            wrong = rcs_suggestions.problem(button, filled=False)
            if wrong:
                raise UsageError(f"{where} {wrong}")
            continue
        rcs_only = [f for f in RCS_BUTTON_FIELDS if getattr(button, f)]
        if rcs_only:
            raise UsageError(f"{where}: {rcs_only[0]} is a field of RCS suggestions, not of Kakao buttons")
        if button.type == "WL" and not button.url_mobile:
            raise UsageError(f"{where} (WL) needs url_mobile")
        if button.type == "AL":
            given = sum(1 for v in (button.scheme_ios, button.scheme_android, button.url_mobile) if v)
            if given < 2:
                raise UsageError(f"{where} (AL) needs two of scheme_ios, scheme_android, url_mobile")


def check_content(content: Channel) -> None:
    """What every row shares: UsageError (exit 2) naming the problem."""
    if not content.body.strip():
        raise UsageError("empty message", hint="pass --message TEXT, --message-file FILE or text on stdin")
    if isinstance(content, Kakao):
        if content.type.startswith("alimtalk"):
            if not content.template:
                raise UsageError(f"--type {content.type} needs --template CODE (the approved template's code)")
            if content.image_link and not content.image_url:
                raise UsageError("--image-link needs --image-url")
        if len(content.template) > MAX_TEMPLATE_CODE:
            raise UsageError(f"template code is {len(content.template)} characters; at most {MAX_TEMPLATE_CODE}")
        if len(content.title) > MAX_TITLE:
            raise UsageError(f"--title is {len(content.title)} characters; at most {MAX_TITLE}")
        if content.sender_key and len(content.sender_key) > MAX_SENDER_KEY:
            raise UsageError(f"sender key is {len(content.sender_key)} characters; at most {MAX_SENDER_KEY}")
        for flag, url in (("--image-url", content.image_url), ("--image-link", content.image_link)):
            if url and not url.startswith(("https://", "http://")):
                raise UsageError(f"{flag} must be an http(s) URL (Kakao fetches the image by it), not {url!r}")
        if content.type == "alimtalk-image" and not content.image_url:
            raise UsageError("--type alimtalk-image needs its image: --image-url URL")
        if content.type == "friendtalk" and (content.wide or content.image_link) and not content.image_url:
            raise UsageError("a FriendTalk image needs --image-url URL (--wide and --image-link go with it)")
        if content.timeout is not None and content.timeout <= 0:
            raise UsageError("--kakao-timeout must be a positive number of seconds")
        if content.user_key and content.type != "friendtalk":
            raise UsageError("a Kakao user key is for FriendTalk only, not " + content.type)
        if len(content.user_key) > MAX_USER_KEY:
            raise UsageError(f"user key is {len(content.user_key)} characters; at most {MAX_USER_KEY}")
    elif isinstance(content, Rcs):
        if content.type == "rcs-template" and not content.base_id:
            raise UsageError("--type rcs-template needs --rcs-base ID (the template's message base id)")
        _check_rcs_media(content)
    check_buttons(content.buttons, kind=content.type,
                  base=content.base_id if isinstance(content, Rcs) else "")
    if isinstance(content, Kakao):
        check_buttons(content.quick_replies, kind=content.type, quick=True)
    fallback = content.fallback
    if fallback is not None:
        if fallback.type not in ("auto", "sms", "lms", "mms"):
            raise UsageError(f"--fallback must be one of {', '.join(FALLBACK_TYPES)}, not {fallback.type!r}")
        if fallback.type == "mms" and not fallback.images:
            raise UsageError("--fallback mms needs at least one --image")


def _check_rcs_media(content: Rcs) -> None:
    """An RCS MMS carries at most one image (a standalone card's ``media``, optional in
    the document); no other RCS type carries one."""
    count = len(content.images) + len(content.media)
    if content.type != "rcs-mms":
        if count:
            raise UsageError(f"--image does not go with --type {content.type}: only rcs-mms carries an image")
        return
    if count > 1:
        raise UsageError(f"--type rcs-mms carries one image, not {count}",
                         hint="--image FILE (OneShot uploads it) or --image maapfile://ID (Bizppurio)")
    if content.base_id.startswith("CMw"):
        raise UsageError(f"message base {content.base_id} is a carousel; smscli sends one card",
                         hint="use a standalone base such as SMwThT00 or SMwThM00")
    for media in content.media:
        if not media.startswith(MAAPFILE) or len(media) == len(MAAPFILE) or any(c.isspace() for c in media):
            raise UsageError(f"RCS image id {media!r} is not {MAAPFILE}<id> as the RCS Biz Center gives it")
    for image in content.images:
        if not image.is_file():
            raise UsageError(f"cannot read RCS image {image}: no such file")


def check_rendered(channel: Channel, to: str) -> None:
    """One rendered message: InvalidInput (the row is ``invalid``) naming the problem
    (``to`` "": the recipient is not checked)."""
    chars = len(channel.body)
    if isinstance(channel, Kakao):
        if chars > MAX_KAKAO_CHARS:
            raise text.InvalidInput(f"Kakao text is {chars} characters; at most {MAX_KAKAO_CHARS}")
        if channel.type == "friendtalk" and to and phone.classify(to)[0] not in (phone.MOBILE,
                                                                                  phone.INTERNATIONAL):
            raise text.InvalidInput("FriendTalk goes to mobile numbers only (010, 011, ..., or one abroad)")
        if len(channel.user_key) > MAX_USER_KEY or any(c.isspace() for c in channel.user_key):
            raise text.InvalidInput(f"user key {channel.user_key!r}: at most {MAX_USER_KEY} characters, no spaces")
    else:
        limit = RCS_CHARS[channel.type]
        if chars > limit:
            raise text.InvalidInput(f"{channel.type} text is {chars} characters; at most {limit}")
    quick = channel.quick_replies if isinstance(channel, Kakao) else ()
    for what, buttons in (("button", channel.buttons), ("quick reply", quick)):
        for n, button in enumerate(buttons, start=1):
            if button.type == "WL" and not button.url_mobile.strip():
                raise text.InvalidInput(f"{what} {n} (WL) has an empty url_mobile once filled")
            if isinstance(channel, Rcs):
                wrong = rcs_suggestions.problem(button)
                if wrong:
                    raise text.InvalidInput(f"suggestion {n} {wrong}")


def fallback_for(fallback: Text, *, allow_unicode: bool = False) -> Text:
    """The fallback with its concrete type (``auto``: SMS when it fits 90 CP949 bytes, else
    LMS); InvalidInput when CP949 cannot carry it or it is too long for its type."""
    body = text.normalize_text(fallback.body)
    subject = text.normalize_text(fallback.subject)
    if not body.strip():
        raise text.InvalidInput("the fallback text is empty")
    bad = text.unencodable(body + subject)
    if bad and not allow_unicode:
        raise text.InvalidInput(f"the fallback text has {text.describe_chars(bad)}, which CP949 "
                                "(SMS/LMS) cannot carry; --fallback-message gives another text")
    size = text.byte_length(body)
    kind = fallback.type
    if kind == "auto":
        kind = "sms" if size <= SMS_BYTES and not subject else "lms"
    if kind == "sms" and size > SMS_BYTES:
        raise text.InvalidInput(f"the fallback SMS is {size} bytes; an SMS carries at most {SMS_BYTES} "
                                "(use --fallback lms, or --fallback auto to pick by length)")
    if size > LMS_BYTES:
        raise text.InvalidInput(f"the fallback text is {size} bytes; an LMS carries at most {LMS_BYTES}")
    if subject and text.byte_length(subject) > SUBJECT_BYTES:
        raise text.InvalidInput(f"the fallback subject is over {SUBJECT_BYTES} bytes")
    return Text(body=body, subject=subject if kind != "sms" else "", type=kind,  # type: ignore[arg-type]
                images=fallback.images if kind == "mms" else ())
