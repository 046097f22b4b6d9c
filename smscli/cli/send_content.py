"""`send` / `reserve`: the Kakao/RCS flags as given and the content they build (a
:class:`~smscli.content.Text`, Kakao, Rcs, or a fax / call through :mod:`smscli.cli.send_media`)."""

from pathlib import Path
from typing import TYPE_CHECKING

from smscli.cli import send_media as media
from smscli.errors import UsageError

if TYPE_CHECKING:
    from smscli.content import Content

_NO_MEDIA = media.MediaFlags()


class ChannelFlags:
    """The Kakao/RCS flags as given (None / "" / False: not given). A plain class: the
    CLI builds one per command, and `send --help` need not import dataclasses for it."""

    template: str | None
    title: str
    buttons: str | None
    ad: bool
    image_url: str | None
    image_link: str | None
    wide: bool
    rcs_base: str | None
    kakao_timeout: int | None
    user_key: str | None
    fallback: str
    fallback_message: str | None
    fallback_subject: str
    media: "media.MediaFlags"

    def __init__(self, template: str | None = None, title: str = "", buttons: str | None = None, ad: bool = False,
                 image_url: str | None = None, image_link: str | None = None, wide: bool = False,
                 rcs_base: str | None = None, kakao_timeout: int | None = None, user_key: str | None = None,
                 fallback: str = "auto", fallback_message: str | None = None, fallback_subject: str = "",
                 media: "media.MediaFlags" = _NO_MEDIA) -> None:
        self.__dict__.update(template=template, title=title, buttons=buttons, ad=ad, image_url=image_url,
                             image_link=image_link, wide=wide, rcs_base=rcs_base, kakao_timeout=kakao_timeout,
                             user_key=user_key, fallback=fallback, fallback_message=fallback_message,
                             fallback_subject=fallback_subject, media=media)

    def given(self) -> list[str]:
        """The options given, as spelled on the command line (--ad aside: text takes it too)."""
        names = {"template": "--template", "title": "--title", "buttons": "--buttons",
                 "image_url": "--image-url", "image_link": "--image-link", "wide": "--wide",
                 "rcs_base": "--rcs-base", "kakao_timeout": "--kakao-timeout", "user_key": "--user-key",
                 "fallback_message": "--fallback-message", "fallback_subject": "--fallback-subject"}
        out = [flag for key, flag in names.items() if getattr(self, key) not in (None, "", False)]
        if self.fallback != "auto":
            out.append("--fallback")
        return out


# Which options each family of types takes.
_KAKAO_ONLY = {"--template", "--image-url", "--image-link", "--wide", "--kakao-timeout", "--user-key"}
_RCS_ONLY = {"--rcs-base"}


def build_content(type_: str, message: str, subject: str, images: list[Path] | None,
                  flags: "ChannelFlags") -> "Content":
    """The content the flags describe; a flag that does not go with ``--type`` is a UsageError."""
    from smscli.content import ALL_TYPES, KAKAO_TYPES, RCS_TYPES, TEXT_TYPES, Kakao, Rcs, Text

    if type_ not in ALL_TYPES:
        raise UsageError(f"--type must be one of {', '.join(ALL_TYPES)}, not {type_!r}")
    given = flags.given()
    if type_ in ("fax", "voice"):
        return media.build_media(type_, message, flags.media)
    if type_ in TEXT_TYPES:
        if given:
            first = given[0]
            goes_with = ("friendtalk" if first == "--user-key" else "alimtalk, alimtalk-image"
                         if first == "--template" else ", ".join(KAKAO_TYPES)
                         if first in _KAKAO_ONLY else ", ".join(RCS_TYPES) if first in _RCS_ONLY
                         else f"{', '.join(KAKAO_TYPES)}, {', '.join(RCS_TYPES)}")
            raise UsageError(f"{first} goes with --type {goes_with}, not {type_}")
        return Text(body=message, subject=subject, type=type_, images=tuple(images or ()),  # type: ignore[arg-type]
                    attachments=flags.media.attach)
    from smscli import kakao_rules  # Kakao and RCS only

    wrong = [g for g in given if g in (_RCS_ONLY if type_ in KAKAO_TYPES else _KAKAO_ONLY)]
    if type_ == "friendtalk" and flags.template:
        wrong.insert(0, "--template")
    if wrong:
        raise UsageError(f"{wrong[0]} does not go with --type {type_}")
    if subject:
        raise UsageError(f"--subject does not go with --type {type_}",
                         hint="--title for the Kakao/RCS title, --fallback-subject for the fallback LMS")
    if flags.fallback not in kakao_rules.FALLBACK_TYPES:
        raise UsageError(f"--fallback must be one of {', '.join(kakao_rules.FALLBACK_TYPES)}, not {flags.fallback!r}")
    rcs_files, rcs_ids = _rcs_images(images) if type_ == "rcs-mms" else ((), ())
    if images and flags.fallback != "mms" and type_ != "rcs-mms":
        raise UsageError(f"--image does not go with --type {type_}",
                         hint="--image-url for a Kakao image; --image with --rcs-mms or --fallback mms")
    if flags.fallback == "none" and (flags.fallback_message or flags.fallback_subject):
        raise UsageError("--fallback none sends no fallback: drop --fallback-message/--fallback-subject")
    buttons, quick = kakao_rules.load_buttons(flags.buttons) if flags.buttons else ((), ())
    fallback = None
    if flags.fallback != "none":
        fallback_images = rcs_files if type_ == "rcs-mms" else tuple(images or ())
        fallback = Text(body=message if flags.fallback_message is None else flags.fallback_message,
                        subject=flags.fallback_subject, type=flags.fallback,  # type: ignore[arg-type]
                        images=fallback_images if flags.fallback == "mms" else ())
    if type_ in KAKAO_TYPES:
        return Kakao(body=message, type=type_, template=flags.template or "",  # type: ignore[arg-type]
                     title=flags.title, buttons=buttons, quick_replies=quick, image_url=flags.image_url or "",
                     image_link=flags.image_link or "", wide=flags.wide, ad=flags.ad,
                     timeout=flags.kakao_timeout, fallback=fallback, user_key=(flags.user_key or "").strip())
    if quick:
        raise UsageError(f"quick replies are for AlimTalk only, not {type_}")
    return Rcs(body=message, type=type_, base_id=flags.rcs_base or "", title=flags.title,  # type: ignore[arg-type]
               buttons=buttons, ad=flags.ad, fallback=fallback,
               images=() if rcs_ids and flags.fallback == "mms" else rcs_files, media=rcs_ids)


def _rcs_images(images: list[Path] | None) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """``--image`` values of an RCS MMS: (local files, ``maapfile://`` ids). With an id
    and ``--fallback mms`` the files are the fallback MMS's images only. A path keeps one
    slash of ``//``, so the id is spelled again in full."""
    from smscli.content import MAAPFILE

    files: list[Path] = []
    ids: list[str] = []
    for image in images or ():
        raw = str(image)
        if raw.startswith("maapfile:"):
            ids.append(MAAPFILE + raw[len("maapfile:"):].lstrip("/"))
        else:
            files.append(image)
    return tuple(files), tuple(ids)
