"""The rules a fax, a voice call or an MMS audio/video attachment must meet before anything
is sent (issue 14; the BIZCLIENT manual, seed ``002_…`` §5.1.9, §5.1.10 and §6).

:func:`check_content` looks at what every row shares (the files, their types by content,
the WAVE header, the lengths given as is) and raises :class:`UsageError` (exit 2);
:func:`check_rendered` looks at one rendered row (the cover or TTS text once filled) and
raises :class:`~smscli.text.InvalidInput` (that row is ``invalid``). :func:`describe` is
what ``--dry-run`` shows.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from pathlib import Path

from smscli import text
from smscli.content import Fax, Text, Voice
from smscli.errors import UsageError

MAX_COVER_CHARS = 100  # the manual: a cover of at most 100 Korean characters
MAX_COVER_TITLE_BYTES = 64  # SUBJECT
MAX_TTS_CHARS = 100  # the manual: TTS of at most 100 Korean characters
MAX_VOICE_SECONDS = 180  # the manual: a WAVE file under 3 minutes
MAX_RETRIES = 9999  # RETRY_CNT is Number(4)
MAX_FAX_FILES = 10
DOCUMENTS = ("doc", "docx", "xls", "xlsx", "ppt", "pptx", "hwp", "pdf", "txt", "html")
IMAGES = ("bmp", "gif", "jpg", "png")
FAX_TYPES = DOCUMENTS + IMAGES
MEDIA_TYPES = ("ma3", "k3g")  # MMS audio / video (§6)
MEDIA_WARNING = ("MMS audio (ma3) and video (k3g) are sent, but some carriers and handsets "
                 "do not play them (BIZCLIENT manual §6)")
_ALIASES = {"jpeg": "jpg", "htm": "html"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # doc, xls, ppt and HWP 5 (compound files)
_ZIP = b"PK\x03\x04"  # docx, xlsx, pptx
# Content signatures; txt and html have none (checked as text instead).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "doc": (_OLE,), "xls": (_OLE,), "ppt": (_OLE,), "hwp": (_OLE, b"HWP Document File"),
    "docx": (_ZIP,), "xlsx": (_ZIP,), "pptx": (_ZIP,), "pdf": (b"%PDF-",),
    "bmp": (b"BM",), "gif": (b"GIF87a", b"GIF89a"), "jpg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
# k3g is an MPEG-4 / 3GPP file ("ftyp" at offset 4); ma3 (SMAF) starts with "MMMD".
MEDIA_SIGNATURES = {"ma3": (0, b"MMMD"), "k3g": (4, b"ftyp")}


def file_type(path: Path) -> str:
    """The fax file type named by ``path``'s suffix (jpeg → jpg, htm → html)."""
    suffix = path.suffix.lower().lstrip(".")
    return _ALIASES.get(suffix, suffix)


def _read(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not data:
        raise UsageError(f"{what} {path} is empty")
    return data


def check_fax_file(path: Path) -> bytes:
    """The bytes of a fax document or image whose type is in the manual's list and whose
    content matches it; UsageError otherwise."""
    kind = file_type(path)
    if kind not in FAX_TYPES:
        raise UsageError(f"fax file {path}: type {kind or '(none)'!r} cannot be faxed",
                         hint=f"documents {', '.join(DOCUMENTS)}; images {', '.join(IMAGES)}")
    data = _read(path, "fax file")
    signatures = SIGNATURES.get(kind)
    if signatures is not None:
        if not data.startswith(signatures):
            raise UsageError(f"fax file {path} is not a {kind} file (its content does not start as one)")
    elif b"\x00" in data[:4096]:
        raise UsageError(f"fax file {path} is not {kind} text (it holds binary data)")
    return data


@dataclass(frozen=True)
class Wave:
    """What a WAVE header says."""

    bits: int
    rate: int
    channels: int
    seconds: float


def read_wave(data: bytes, where: str) -> Wave:
    """The format of a RIFF/WAVE file (PCM ``fmt`` chunk, ``data`` size); UsageError
    when it is not one."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise UsageError(f"voice file {where} is not a WAVE file (no RIFF/WAVE header)")
    pos, fmt, size = 12, None, None
    while pos + 8 <= len(data):
        cid, length = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if cid == b"fmt " and length >= 16 and pos + 24 <= len(data):
            fmt = struct.unpack_from("<HHIIHH", data, pos + 8)
        elif cid == b"data":
            size = min(length, len(data) - pos - 8)
            break
        pos += 8 + length + (length & 1)
    if fmt is None or size is None:
        raise UsageError(f"voice file {where} has no WAVE fmt/data chunk")
    _tag, channels, rate, byte_rate, _align, bits = fmt
    seconds = size / byte_rate if byte_rate else 0.0
    return Wave(bits=bits, rate=rate, channels=channels, seconds=seconds)


def check_voice_file(path: Path) -> bytes:
    """The bytes of a WAVE file that is 8-bit, 8 kHz, mono and under 3 minutes."""
    if file_type(path) != "wav":
        raise UsageError(f"voice file {path} must be a .wav file (WAVE 8-bit 8 kHz mono)")
    data = _read(path, "voice file")
    wave = read_wave(data, str(path))
    if (wave.bits, wave.rate, wave.channels) != (8, 8000, 1):
        raise UsageError(f"voice file {path} is {wave.bits}-bit {wave.rate} Hz "
                         f"{'mono' if wave.channels == 1 else f'{wave.channels} channels'}; "
                         "the gateway plays WAVE 8-bit 8 kHz mono only",
                         hint="e.g. sox in.wav -b 8 -r 8000 -c 1 out.wav")
    if wave.seconds >= MAX_VOICE_SECONDS:
        raise UsageError(f"voice file {path} lasts {wave.seconds:.0f} s; it must be under 3 minutes")
    return data


def check_scenario(path: Path) -> bytes:
    data = _read(path, "scenario file")
    if b"\x00" in data[:4096]:
        raise UsageError(f"scenario file {path} is not a VXML text file")
    return data


def check_media(path: Path) -> bytes:
    """An MMS audio (ma3) or video (k3g) attachment, checked by content."""
    kind = file_type(path)
    if kind not in MEDIA_TYPES:
        raise UsageError(f"--attach {path}: type {kind or '(none)'!r} is not MMS audio/video",
                         hint="--attach takes ma3 (audio) or k3g (video); --image takes JPEG")
    data = _read(path, "attachment")
    offset, magic = MEDIA_SIGNATURES[kind]
    if data[offset:offset + len(magic)] != magic:
        raise UsageError(f"--attach {path} is not a {kind} file (its content does not start as one)")
    return data


def _check_retries(retries: int | None) -> None:
    if retries is not None and not 0 <= retries <= MAX_RETRIES:
        raise UsageError(f"--retries must be 0-{MAX_RETRIES}, not {retries}")


def check_content(content: Fax | Voice | Text) -> None:
    """What every row shares: UsageError (exit 2) naming the problem."""
    if isinstance(content, Text):
        for path in content.attachments:
            check_media(path)
        return
    _check_retries(content.retries)
    if isinstance(content, Fax):
        if not content.files:
            raise UsageError("--type fax needs at least one --file (a document or image)")
        if len(content.files) > MAX_FAX_FILES:
            raise UsageError(f"{len(content.files)} fax files; at most {MAX_FAX_FILES}")
        for path in content.files:
            check_fax_file(path)
        _check_cover(content.cover_title, content.cover_text, error=UsageError)
        return
    if content.voice_file is not None and content.body.strip():
        raise UsageError("a call plays --voice-file or reads --message (TTS), not both")
    if content.voice_file is None and not content.body.strip():
        raise UsageError("--type voice needs --message TEXT (read out) or --voice-file WAV")
    if content.voice_file is not None:
        check_voice_file(content.voice_file)
    if content.scenario is not None:
        check_scenario(content.scenario)
    if content.sms_on_fail and content.voice_file is not None:
        raise UsageError("--sms-on-fail sends the TTS text as SMS: it goes with --message, not --voice-file")
    if content.reply and content.scenario is None:
        raise UsageError("--reply needs --scenario FILE (the scenario takes the answer)")
    _check_tts(content.body, error=UsageError)


def _check_cover(title: str, body: str, *, error: type[Exception]) -> None:
    if len(body) > MAX_COVER_CHARS:
        raise error(f"--cover-text is {len(body)} characters; a fax cover holds at most {MAX_COVER_CHARS}")
    if title and text.byte_length(title) > MAX_COVER_TITLE_BYTES:
        raise error(f"--cover-title is over {MAX_COVER_TITLE_BYTES} bytes (CP949)")
    bad = text.unencodable(title + body)
    if bad:
        raise error(f"the fax cover has {text.describe_chars(bad)}, which the gateway (CP949) cannot carry")


def _check_tts(body: str, *, error: type[Exception]) -> None:
    if len(body) > MAX_TTS_CHARS:
        raise error(f"the TTS text is {len(body)} characters; a call reads at most {MAX_TTS_CHARS}")
    bad = text.unencodable(body)
    if bad:
        raise error(f"the TTS text has {text.describe_chars(bad)}, which the gateway (CP949) cannot carry")


def check_rendered(channel: Fax | Voice) -> None:
    """One rendered row: InvalidInput naming the problem."""
    if isinstance(channel, Fax):
        _check_cover(channel.cover_title, channel.cover_text, error=text.InvalidInput)
    else:
        if channel.voice_file is None and not channel.body.strip():
            raise text.InvalidInput("empty TTS text")
        _check_tts(channel.body, error=text.InvalidInput)


def describe(channel: Fax | Voice) -> dict[str, object]:
    """What ``--dry-run`` shows: pages (a PDF's count where it says; else files) or
    characters, and the attachments."""
    if isinstance(channel, Fax):
        files = [str(p) for p in channel.files]
        pages = sum(_pdf_pages(p) or 1 for p in channel.files) + (1 if has_cover(channel) else 0)
        return {"pages": pages, "attachments": files, "cover": has_cover(channel),
                "characters": len(channel.cover_text)}
    shown: list[str] = [str(p) for p in (channel.voice_file, channel.scenario) if p is not None]
    out: dict[str, object] = {"characters": len(channel.body), "attachments": shown}
    if channel.voice_file is not None:
        seconds = _wave_seconds(str(channel.voice_file))
        if seconds is not None:
            out["seconds"] = seconds
    return out


def has_cover(fax: Fax) -> bool:
    return bool(fax.cover_title or fax.cover_text)


def _pdf_pages(path: Path) -> int:
    """Pages of a PDF by its ``/Type /Page`` objects (0: not a PDF, or none found)."""
    return _pdf_pages_of(str(path)) if file_type(path) == "pdf" else 0


@functools.lru_cache(maxsize=64)  # a dry run asks for every row of a CSV
def _pdf_pages_of(path: str) -> int:
    import re

    try:
        data = Path(path).read_bytes()
    except OSError:
        return 0
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@functools.lru_cache(maxsize=64)
def _wave_seconds(path: str) -> float | None:
    try:
        return round(read_wave(Path(path).read_bytes(), path).seconds, 1)
    except (OSError, UsageError):
        return None
