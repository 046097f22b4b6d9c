"""JPEG checks by content (never by file name): SOI marker, then the SOF header for size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smscli.errors import UsageError

_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


@dataclass(frozen=True)
class JpegInfo:
    path: Path
    size: int
    width: int
    height: int


def jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a JPEG, or None when ``data`` is not a JPEG."""
    if len(data) < 4 or data[:3] != b"\xff\xd8\xff":
        return None
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        seg_len = int.from_bytes(data[i + 2 : i + 4], "big")
        if seg_len < 2:
            return None
        if marker in _SOF_MARKERS:
            if i + 9 > n:
                return None
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        if marker == 0xDA:  # start of scan before any SOF
            return None
        i += 2 + seg_len
    return None


_HEIF_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"heim": "HEIC", b"heis": "HEIC", b"hevc": "HEIC",
                b"hevx": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF", b"avis": "AVIF"}


def image_kind(data: bytes) -> str | None:
    """The name of a common non-JPEG image format ``data`` is in (by content), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:2] == b"BM" and len(data) >= 26 and int.from_bytes(data[2:6], "little") in (0, len(data)):
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(data[8:12])
    return None


def _not_jpeg(path: Path, data: bytes) -> UsageError:
    kind = image_kind(data)
    if kind:
        return UsageError(f"{path} is a{'n' if kind[0] == 'A' else ''} {kind} image, not a JPEG"
                          " (checked by content); convert it to JPEG")
    if data[:3] == b"\xff\xd8\xff":
        return UsageError(f"{path} is not a JPEG image that can be sent: it starts like one, but its"
                          " width and height cannot be read (damaged or cut short?)")
    return UsageError(f"{path} is not a JPEG image (checked by content); convert it to JPEG")


def check_jpegs(
    paths: Sequence[str | Path],
    *,
    max_files: int,
    max_bytes: int,
    max_total_bytes: int | None = None,
    max_wh: tuple[int, int] | None = None,
    vendor: str = "",
) -> list[JpegInfo]:
    """Validate images before anything is sent; raise UsageError (exit 2) naming the problem."""
    who = f" for {vendor}" if vendor else ""
    if len(paths) > max_files:
        raise UsageError(f"{len(paths)} images given; at most {max_files} allowed{who}")
    infos: list[JpegInfo] = []
    for raw in paths:
        path = Path(raw)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"image not found: {path}") from None
        except OSError as exc:
            raise UsageError(f"cannot read image {path}: {exc.strerror}") from None
        dims = jpeg_dimensions(data)
        if dims is None:
            raise _not_jpeg(path, data)
        if len(data) > max_bytes:
            raise UsageError(
                f"{path} is {len(data) / 1024:.0f} kB; images may be at most {max_bytes // 1024} kB{who}"
            )
        if max_wh and (dims[0] > max_wh[0] or dims[1] > max_wh[1]):
            raise UsageError(
                f"{path} is {dims[0]}x{dims[1]}; images may be at most {max_wh[0]}x{max_wh[1]}{who}"
            )
        infos.append(JpegInfo(path, len(data), dims[0], dims[1]))
    total = sum(i.size for i in infos)
    if max_total_bytes is not None and total > max_total_bytes:
        raise UsageError(
            f"images total {total / 1024:.0f} kB; at most {max_total_bytes // 1024} kB together{who}"
        )
    return infos


def check_for_vendor(paths: Sequence[str | Path], limits, vendor: str) -> list[JpegInfo]:
    """``check_jpegs`` with a vendor's ``Limits`` (smscli.vendors.base.Limits)."""
    return check_jpegs(paths, max_files=limits.max_images, max_bytes=limits.image_bytes,
                       max_total_bytes=limits.images_total_bytes, max_wh=limits.image_max_wh,
                       vendor=vendor)


def make_jpeg(width: int = 64, height: int = 48, pad: int = 0) -> bytes:
    """A minimal structurally valid JPEG header (for tests and simulators), ``pad`` bytes of comment."""
    sof = b"\xff\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x03" + b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    out = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    while pad > 0:
        chunk = min(pad, 65533)
        out += b"\xff\xfe" + (chunk + 2).to_bytes(2, "big") + b"\x00" * chunk
        pad -= chunk
    return out + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16 + b"\xff\xd9"
