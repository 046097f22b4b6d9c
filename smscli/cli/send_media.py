"""The fax / voice / MMS audio-video flags of `send` and `reserve` and the content they
build (a helper of smscli/cli/send.py, not a command)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smscli.errors import UsageError

if TYPE_CHECKING:
    from smscli.content import Content

FileOpt = Annotated[list[Path] | None, typer.Option(
    "--file", metavar="FILE", show_default=False,
    help="Fax document or image (repeatable, sent in order): doc docx xls xlsx ppt pptx hwp pdf txt html "
         "bmp gif jpg png. BIZCLIENT.")]
CoverTitleOpt = Annotated[str, typer.Option(
    "--cover-title", metavar="TEXT", help="Fax cover title; {column} fills from the CSV.")]
CoverTextOpt = Annotated[str, typer.Option(
    "--cover-text", metavar="TEXT", help="Fax cover text (at most 100 characters); {column} fills from the CSV.")]
VoiceFileOpt = Annotated[Path | None, typer.Option(
    "--voice-file", metavar="WAV", show_default=False,
    help="Voice call: play this WAVE (8-bit 8 kHz mono, under 3 minutes) instead of reading --message.")]
ScenarioOpt = Annotated[Path | None, typer.Option(
    "--scenario", metavar="FILE", show_default=False, help="Voice call: its VXML scenario file.")]
ReplyOpt = Annotated[bool, typer.Option(
    "--reply", help="Voice call: the callee may answer with a key 0-9 (SN_RESULT in the report).")]
SmsOnFailOpt = Annotated[bool, typer.Option(
    "--sms-on-fail", help="Voice call: the gateway sends the text as SMS when the call fails.")]
RetriesOpt = Annotated[int | None, typer.Option(
    "--retries", metavar="N", min=0, show_default=False, help="Fax / voice call: redial up to N times.")]
AttachOpt = Annotated[list[Path] | None, typer.Option(
    "--attach", metavar="FILE", show_default=False,
    help="MMS audio (ma3) or video (k3g) to attach (BIZCLIENT; some handsets do not play them).")]


class MediaFlags:
    """The fax / voice / attachment flags as given (None / "" / False: not given). A plain class: the
    CLI builds one per command, and `send --help` need not import dataclasses for it."""

    files: tuple[Path, ...]
    cover_title: str
    cover_text: str
    voice_file: Path | None
    scenario: Path | None
    reply: bool
    sms_on_fail: bool
    retries: int | None
    attach: tuple[Path, ...]

    def __init__(self, files: tuple[Path, ...] = (), cover_title: str = "", cover_text: str = "",
                 voice_file: Path | None = None, scenario: Path | None = None, reply: bool = False,
                 sms_on_fail: bool = False, retries: int | None = None, attach: tuple[Path, ...] = ()) -> None:
        self.__dict__.update(files=files, cover_title=cover_title, cover_text=cover_text, voice_file=voice_file,
                             scenario=scenario, reply=reply, sms_on_fail=sms_on_fail, retries=retries,
                             attach=attach)

    def given(self) -> list[str]:
        names = {"files": "--file", "cover_title": "--cover-title", "cover_text": "--cover-text",
                 "voice_file": "--voice-file", "scenario": "--scenario", "reply": "--reply",
                 "sms_on_fail": "--sms-on-fail", "retries": "--retries", "attach": "--attach"}
        return [flag for key, flag in names.items() if getattr(self, key) not in (None, "", False, ())]


_FAX = {"--file", "--cover-title", "--cover-text", "--retries"}
_VOICE = {"--voice-file", "--scenario", "--reply", "--sms-on-fail", "--retries"}


def media_flags(*, file: list[Path] | None = None, cover_title: str = "", cover_text: str = "",
                voice_file: Path | None = None, scenario: Path | None = None, reply: bool = False,
                sms_on_fail: bool = False, retries: int | None = None,
                attach: list[Path] | None = None) -> MediaFlags:
    return MediaFlags(files=tuple(file or ()), cover_title=cover_title, cover_text=cover_text,
                      voice_file=voice_file, scenario=scenario, reply=reply, sms_on_fail=sms_on_fail,
                      retries=retries, attach=tuple(attach or ()))


def needs_message(type_: str, message: str | None, flags: MediaFlags) -> bool:
    """Whether the text must be read (from --message, --message-file or stdin)."""
    if type_ == "fax":
        return False
    return not (type_ == "voice" and flags.voice_file is not None and message is None)


def check_flags(type_: str, flags: MediaFlags, *, other: list[str], subject: str,
                images: list[Path] | None, message_given: bool) -> None:
    """A flag that does not go with ``--type``: UsageError (``other``: the Kakao/RCS
    flags given)."""
    given = flags.given()
    if type_ in ("fax", "voice"):
        allowed = _FAX if type_ == "fax" else _VOICE
        wrong = [g for g in given if g not in allowed] + other
        if subject:
            wrong.append("--subject")
        if images:
            wrong.append("--image")
        if type_ == "fax" and message_given:
            wrong.append("--message")
        if wrong:
            hint = "the cover is --cover-title/--cover-text" if type_ == "fax" else ""
            raise UsageError(f"{wrong[0]} does not go with --type {type_}", hint=hint)
        return
    wrong = [g for g in given if g != "--attach"]
    if wrong:
        family = "fax" if wrong[0] in _FAX - {"--retries"} else "voice" if wrong[0] in _VOICE - {"--retries"} else "fax or voice"
        raise UsageError(f"{wrong[0]} goes with --type {family}, not {type_}")
    if flags.attach and type_ not in ("auto", "mms"):
        raise UsageError(f"--attach goes with an MMS (--type mms or auto), not {type_}")


def build_media(type_: str, message: str, flags: MediaFlags) -> Content:
    from smscli.content import Fax, Voice

    if type_ == "fax":
        return Fax(files=flags.files, cover_title=flags.cover_title, cover_text=flags.cover_text,
                   retries=flags.retries)
    return Voice(body=message, voice_file=flags.voice_file, scenario=flags.scenario, reply=flags.reply,
                 sms_on_fail=flags.sms_on_fail, retries=flags.retries)
