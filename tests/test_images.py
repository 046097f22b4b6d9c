"""smscli.images: JPEG checks by content, and naming what a non-JPEG file is."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from smscli.errors import UsageError
from smscli.images import check_jpegs, image_kind, make_jpeg


def png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")


def bmp() -> bytes:
    pixels = b"\0\0\0\0"
    header = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    size = 14 + len(header) + len(pixels)
    return b"BM" + struct.pack("<IHHI", size, 0, 0, 54) + header + pixels


SAMPLES = {
    "PNG": png(),
    "GIF": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
           b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    "WebP": b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00",
    "BMP": bmp(),
    "HEIC": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64,
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_a_renamed_image_is_named_by_what_it_is(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(SAMPLES[kind])
    assert image_kind(SAMPLES[kind]) == kind
    with pytest.raises(UsageError) as info:
        check_jpegs([path], max_files=3, max_bytes=1 << 20)
    assert str(info.value) == f"{path} is a {kind} image, not a JPEG (checked by content); convert it to JPEG"
    assert info.value.exit_status == 2


def test_unrecognised_and_damaged_files_still_say_not_a_jpeg(tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_bytes(b"hello, this is text\n")
    with pytest.raises(UsageError, match=r"notes\.jpg is not a JPEG image \(checked by content\); convert"):
        check_jpegs([text], max_files=1, max_bytes=1 << 20)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(make_jpeg()[:20])  # SOI and APP0, no frame header
    with pytest.raises(UsageError, match=r"cut\.jpg is not a JPEG image that can be sent: .*cut short\?\)"):
        check_jpegs([cut], max_files=1, max_bytes=1 << 20)
    assert image_kind(make_jpeg()) is None and image_kind(b"") is None and image_kind(b"BM") is None


def test_a_jpeg_passes_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "ok.png"  # the name does not matter
    path.write_bytes(make_jpeg(640, 480))
    [info] = check_jpegs([path], max_files=1, max_bytes=1 << 20, max_wh=(1000, 1000))
    assert (info.width, info.height) == (640, 480)
