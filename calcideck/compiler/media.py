"""Reading images referenced by deck files.

Deck files and everything next to them are hostile input, so images are
identified by parsing their headers here (no third-party decoder runs at
compile time) and only PNG, JPEG, GIF and WebP are accepted.  SVG is refused:
it is a document format that can carry scripts and external references.

Every failure is reported as a :class:`MediaError` whose message fits after
``error: `` in a compiler diagnostic.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Default limit on the size of an image file."""

MAX_DIMENSION = 20000
"""Largest accepted width or height, in pixels."""

MIME_BY_EXT: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Valid (colour type -> bit depths) combinations from the PNG specification.
_PNG_BIT_DEPTHS: dict[int, frozenset[int]] = {
    0: frozenset({1, 2, 4, 8, 16}),
    2: frozenset({8, 16}),
    3: frozenset({1, 2, 4, 8}),
    4: frozenset({8, 16}),
    6: frozenset({8, 16}),
}
# JPEG start-of-frame markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length field: TEM and RST0-RST7.
_JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
_JPEG_MAX_SEGMENTS = 4096
_SVG_SNIFF_BYTES = 1024


class MediaError(Exception):
    """An image cannot be used; ``str(error)`` is a short human message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class MediaBlob:
    """An accepted image, content-addressed by the SHA-256 of its bytes."""

    sha256: str
    filename: str
    mime: str
    width: int
    height: int
    data: bytes


def _quote(display_name: str) -> str:
    """``'name'`` with control and bidi-format characters escaped.

    The name comes from a hostile deck and ends up on a terminal, so it must
    not be able to inject escape sequences or reorder the diagnostic text.
    """
    parts: list[str] = []
    for char in display_name:
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}:
            code = ord(char)
            parts.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            parts.append(char)
    return "'" + "".join(parts) + "'"


def _corrupt(display_name: str, kind: str) -> MediaError:
    return MediaError(f"image {_quote(display_name)} is a truncated or corrupt {kind} file")


def _check_dimensions(width: int, height: int, display_name: str) -> None:
    if width <= 0 or height <= 0:
        raise MediaError(f"image {_quote(display_name)} has an invalid size of {width}x{height} pixels")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise MediaError(
            f"image {_quote(display_name)} is {width}x{height} pixels; the limit is {MAX_DIMENSION} pixels per side"
        )


def _sniff_png(data: bytes, name: str) -> tuple[int, int]:
    # signature(8) + length(4) + "IHDR"(4) + IHDR data(13) + CRC(4)
    if len(data) < 33:
        raise _corrupt(name, "PNG")
    length, chunk_type = struct.unpack_from(">I4s", data, 8)
    if length != 13 or chunk_type != b"IHDR":
        raise _corrupt(name, "PNG")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack_from(">IIBBBBB", data, 16)
    (crc,) = struct.unpack_from(">I", data, 29)
    if zlib.crc32(data[12:29]) != crc:
        raise _corrupt(name, "PNG")
    if depth not in _PNG_BIT_DEPTHS.get(colour, frozenset()) or compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise _corrupt(name, "PNG")
    return width, height


def _sniff_jpeg(data: bytes, name: str) -> tuple[int, int]:
    """Walk the marker segments after SOI up to the first start-of-frame."""
    size = len(data)
    pos = 2  # after FF D8
    for _ in range(_JPEG_MAX_SEGMENTS):
        if pos >= size or data[pos] != 0xFF:
            raise _corrupt(name, "JPEG")
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= size:
            raise _corrupt(name, "JPEG")
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE_MARKERS:
            continue
        if marker in (0x00, 0xD8, 0xD9, 0xDA):
            # stuffed zero outside entropy data, a second SOI, or the end of
            # the image / start of scan before any frame header
            raise _corrupt(name, "JPEG")
        if pos + 2 > size:
            raise _corrupt(name, "JPEG")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > size:
            raise _corrupt(name, "JPEG")
        if marker in _JPEG_SOF_MARKERS:
            if length < 8:
                raise _corrupt(name, "JPEG")
            precision, height, width, components = struct.unpack_from(">BHHB", data, pos + 2)
            if not 2 <= precision <= 16 or not 1 <= components <= 4 or length != 8 + 3 * components:
                raise _corrupt(name, "JPEG")
            return width, height
        pos += length
    raise _corrupt(name, "JPEG")


def _sniff_gif(data: bytes, name: str) -> tuple[int, int]:
    # header(6) + logical screen descriptor(7)
    if len(data) < 13:
        raise _corrupt(name, "GIF")
    width, height = struct.unpack_from("<HH", data, 6)
    return width, height


def _sniff_webp(data: bytes, name: str) -> tuple[int, int]:
    # "RIFF" size "WEBP" + first chunk header (fourcc, size)
    if len(data) < 20:
        raise _corrupt(name, "WebP")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    fourcc, chunk_size = struct.unpack_from("<4sI", data, 12)
    if riff_size < 12 + chunk_size:
        raise _corrupt(name, "WebP")
    if fourcc == b"VP8 ":
        # frame tag(3) + start code(3) + width(2) + height(2)
        if chunk_size < 10 or len(data) < 30:
            raise _corrupt(name, "WebP")
        if data[20] & 0x01 or data[23:26] != b"\x9d\x01\x2a":  # must be a key frame
            raise _corrupt(name, "WebP")
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if fourcc == b"VP8L":
        # signature(1) + 14-bit width-1, 14-bit height-1, alpha(1), version(3)
        if chunk_size < 5 or len(data) < 25 or data[20] != 0x2F:
            raise _corrupt(name, "WebP")
        (bits,) = struct.unpack_from("<I", data, 21)
        if bits >> 29:  # version must be 0
            raise _corrupt(name, "WebP")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if fourcc == b"VP8X":
        # flags(1) + reserved(3) + 24-bit canvas width-1 + 24-bit canvas height-1
        if chunk_size < 10 or len(data) < 30:
            raise _corrupt(name, "WebP")
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise _corrupt(name, "WebP")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:_SVG_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in head


def sniff_image(data: bytes, display_name: str) -> tuple[str, str, int, int]:
    """Identify an image from its bytes: ``(mime, ext, width, height)``.

    Only the headers are parsed; the pixel data is not validated.  Raises
    :class:`MediaError` (and nothing else) for any unacceptable input.
    """
    try:
        if data.startswith(_PNG_SIGNATURE):
            ext, (width, height) = "png", _sniff_png(data, display_name)
        elif data.startswith(b"\xff\xd8\xff"):
            ext, (width, height) = "jpg", _sniff_jpeg(data, display_name)
        elif data.startswith((b"GIF87a", b"GIF89a")):
            ext, (width, height) = "gif", _sniff_gif(data, display_name)
        elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
            ext, (width, height) = "webp", _sniff_webp(data, display_name)
        elif not data:
            raise MediaError(f"image {_quote(display_name)} is empty")
        elif _looks_like_svg(data):
            raise MediaError(
                f"image {_quote(display_name)} is an SVG file; SVG images are not allowed because they can contain scripts"
            )
        else:
            raise MediaError(f"image {_quote(display_name)} is not a PNG, JPEG, GIF or WebP file")
    except MediaError:
        raise
    except (struct.error, IndexError, ValueError, TypeError) as exc:  # defensive: never leak
        raise MediaError(f"image {_quote(display_name)} is a truncated or corrupt file") from exc
    _check_dimensions(width, height, display_name)
    return MIME_BY_EXT[ext], ext, width, height


def _format_size(n: int) -> str:
    mib = 1024 * 1024
    if n >= mib and n % mib == 0:
        return f"{n // mib} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def _os_error(exc: OSError, display_name: str) -> MediaError:
    name = _quote(display_name)
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return MediaError(f"image {name} not found")
    if isinstance(exc, IsADirectoryError):
        return MediaError(f"image {name} is a directory, not a file")
    if isinstance(exc, PermissionError):
        return MediaError(f"cannot read image {name}: permission denied")
    reason = exc.strerror or type(exc).__name__
    return MediaError(f"cannot read image {name}: {reason[:1].lower()}{reason[1:]}")


def _check_file(st: os.stat_result, display_name: str, max_bytes: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise MediaError(f"image {_quote(display_name)} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise MediaError(f"image {_quote(display_name)} is not a regular file")
    if st.st_size > max_bytes:
        raise MediaError(f"image {_quote(display_name)} is larger than {_format_size(max_bytes)}")


def _read_bounded(path: Path, display_name: str, max_bytes: int) -> bytes:
    # O_NONBLOCK: if the path was swapped for a FIFO after the stat, opening
    # it must not block; fstat below then refuses it before any read.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        _check_file(os.fstat(fd), display_name, max_bytes)
        chunks: list[bytes] = []
        total = 0
        while True:
            # read at most one byte past the limit, in case the file grew
            chunk = os.read(fd, min(1024 * 1024, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise MediaError(f"image {_quote(display_name)} is larger than {_format_size(max_bytes)}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_image(path: Path, display_name: str, *, max_bytes: int = MAX_IMAGE_BYTES) -> MediaBlob:
    """Read and identify the image at ``path``.

    ``display_name`` is how the path appears in messages (as the author wrote
    it).  The file is stat'ed first: directories, FIFOs, devices and sockets
    are refused without being opened, and so are files over ``max_bytes``.
    Symlinks are followed; keeping ``path`` inside the deck directory is the
    caller's job.
    """
    try:
        _check_file(os.stat(path), display_name, max_bytes)
        data = _read_bounded(path, display_name, max_bytes)
    except OSError as exc:
        raise _os_error(exc, display_name) from exc
    except ValueError as exc:  # e.g. an embedded NUL byte in the path
        raise MediaError(f"image path {_quote(display_name)} is not valid") from exc
    mime, ext, width, height = sniff_image(data, display_name)
    digest = hashlib.sha256(data).hexdigest()
    return MediaBlob(
        sha256=digest,
        filename=f"{digest}.{ext}",
        mime=mime,
        width=width,
        height=height,
        data=data,
    )
