"""Tests for calcideck.compiler.media: image sniffing and loading of hostile files.

All images are built byte by byte here; there are no binary fixtures.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
import threading
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calcideck.compiler import media
from calcideck.compiler.media import MediaBlob, MediaError, load_image, sniff_image

# --------------------------------------------------------------------------- builders


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def make_png(width: int = 2, height: int = 3) -> bytes:
    """An 8-bit greyscale PNG (decodable when width and height are at most 4)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * min(width, 4) for _ in range(min(height, 4)))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b"")


def make_gif(width: int = 1, height: int = 1, version: bytes = b"89a") -> bytes:
    """A 1-pixel GIF image whose logical screen is ``width`` x ``height``."""
    return (
        b"GIF" + version
        + struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # global colour table, 2 entries
        + b"\x00\x00\x00\xff\xff\xff"
        + b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"  # LZW data for one pixel
        + b";"
    )  # fmt: skip


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg(
    width: int = 16,
    height: int = 8,
    *,
    sof: int = 0xC0,
    before_sof: bytes = b"",
    components: int = 3,
) -> bytes:
    """JPEG headers up to and past SOFn (enough for sniffing, not decoding)."""
    jfif = _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    comps = b"".join(bytes([i + 1, 0x11, 0]) for i in range(components))
    frame = _jpeg_segment(sof, struct.pack(">BHHB", 8, height, width, components) + comps)
    scan = _jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34\xff\x00\x56"
    return b"\xff\xd8" + jfif + before_sof + frame + scan + b"\xff\xd9"


def _riff(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def _webp_chunk(fourcc: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) % 2 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + pad


def make_webp_vp8x(width: int = 640, height: int = 480) -> bytes:
    vp8x = b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return _riff(_webp_chunk(b"VP8X", vp8x) + _webp_chunk(b"ALPH", b"\x00\x00"))


def make_webp_vp8l(width: int = 100, height: int = 50) -> bytes:
    bits = (width - 1) | ((height - 1) << 14) | (1 << 28)  # alpha hint set, version 0
    return _riff(_webp_chunk(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\x00" * 4))


def make_webp_vp8(width: int = 320, height: int = 240) -> bytes:
    frame_tag = b"\x50\x01\x00"  # key frame (bit 0 clear), version 0, shown
    payload = frame_tag + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 8
    return _riff(_webp_chunk(b"VP8 ", payload))


VALID_SAMPLES: dict[str, tuple[bytes, tuple[str, str, int, int], int]] = {
    # name: (bytes, expected sniff result, length of the header that must be present)
    "png": (make_png(2, 3), ("image/png", "png", 2, 3), 33),
    "gif87a": (make_gif(7, 5, b"87a"), ("image/gif", "gif", 7, 5), 13),
    "gif89a": (make_gif(300, 200), ("image/gif", "gif", 300, 200), 13),
    "jpeg": (make_jpeg(16, 8), ("image/jpeg", "jpg", 16, 8), 2 + 18 + 19),
    "webp-vp8x": (make_webp_vp8x(640, 480), ("image/webp", "webp", 640, 480), 30),
    "webp-vp8l": (make_webp_vp8l(100, 50), ("image/webp", "webp", 100, 50), 25),
    "webp-vp8": (make_webp_vp8(320, 240), ("image/webp", "webp", 320, 240), 30),
}

# --------------------------------------------------------------------------- sniff_image: accepted


@pytest.mark.parametrize("name", sorted(VALID_SAMPLES))
def test_sniff_valid_samples(name: str) -> None:
    data, expected, _ = VALID_SAMPLES[name]
    assert sniff_image(data, "x") == expected


@pytest.mark.parametrize("name", sorted(VALID_SAMPLES))
def test_sniff_needs_only_the_header(name: str) -> None:
    data, expected, header_len = VALID_SAMPLES[name]
    assert sniff_image(data[:header_len], "x") == expected


@pytest.mark.parametrize("name", sorted(VALID_SAMPLES))
def test_sniff_rejects_every_truncated_header(name: str) -> None:
    data, _, header_len = VALID_SAMPLES[name]
    for n in range(header_len):
        with pytest.raises(MediaError):
            sniff_image(data[:n], "x")


@pytest.mark.parametrize("sof", [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF])
def test_jpeg_every_sof_marker(sof: int) -> None:
    assert sniff_image(make_jpeg(33, 44, sof=sof), "x") == ("image/jpeg", "jpg", 33, 44)


def test_jpeg_skips_tables_and_app_segments_before_sof() -> None:
    before = (
        _jpeg_segment(0xE1, b"Exif\x00\x00" + b"\xff\xc0" * 30000)  # big APP1 hiding a fake SOF
        + _jpeg_segment(0xDB, b"\x00" + bytes(64))  # DQT
        + _jpeg_segment(0xC4, b"\x00" + bytes(16))  # DHT is not a SOF
        + _jpeg_segment(0xCC, b"\x00\x00")  # DAC is not a SOF
        + _jpeg_segment(0xFE, b"comment")
    )
    assert sniff_image(make_jpeg(640, 480, before_sof=before), "x") == ("image/jpeg", "jpg", 640, 480)


def test_jpeg_fill_bytes_and_standalone_markers() -> None:
    before = b"\xff\xff\xff" + _jpeg_segment(0xFE, b"c") + b"\xff\x01" + b"\xff\xd0\xff\xff\xd7"
    assert sniff_image(make_jpeg(5, 6, before_sof=before), "x") == ("image/jpeg", "jpg", 5, 6)


def test_webp_lossless_maximum_size() -> None:
    # VP8L stores width-1 and height-1 in 14 bits each, so 16384 is its maximum.
    assert sniff_image(make_webp_vp8l(16384, 16384), "x")[2:] == (16384, 16384)


def test_jpeg_grayscale_and_cmyk() -> None:
    assert sniff_image(make_jpeg(5, 6, components=1), "x")[2:] == (5, 6)
    assert sniff_image(make_jpeg(5, 6, components=4), "x")[2:] == (5, 6)


@pytest.mark.parametrize(
    "data",
    [
        make_png(20000, 20000),
        make_gif(20000, 20000),
        make_jpeg(20000, 20000),
        make_webp_vp8x(20000, 20000),
    ],
)
def test_largest_accepted_dimensions(data: bytes) -> None:
    assert sniff_image(data, "x")[2:] == (20000, 20000)


# --------------------------------------------------------------------------- sniff_image: refused


def _message(data: bytes, name: str = "x.png") -> str:
    with pytest.raises(MediaError) as info:
        sniff_image(data, name)
    assert isinstance(info.value.message, str) and str(info.value) == info.value.message
    return info.value.message


@pytest.mark.parametrize(
    "data",
    [
        b"hello, world",
        b"BM" + bytes(60),  # BMP
        b"II*\x00" + bytes(60),  # TIFF
        b"\x00\x00\x01\x00" + bytes(60),  # ICO
        b"\x1f\x8b\x08\x00" + bytes(60),  # gzip (e.g. .svgz)
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.7\n",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"\x89PNX\r\n\x1a\n" + bytes(40),
        b"GIF90a" + bytes(20),
    ],
)
def test_unknown_formats(data: bytes) -> None:
    assert _message(data) == "image 'x.png' is not a PNG, JPEG, GIF or WebP file"


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
        b"  \n<!DOCTYPE svg PUBLIC '-//W3C//DTD SVG 1.1//EN' 'x'>\n<svg/>",
    ],
)
def test_svg_is_refused(data: bytes) -> None:
    message = _message(data, "diagram.svg")
    assert message.startswith("image 'diagram.svg' is an SVG file")


def test_empty_file() -> None:
    assert _message(b"") == "image 'x.png' is empty"


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (make_png(0, 5), "0x5"),
        (make_png(5, 0), "5x0"),
        (make_gif(0, 1), "0x1"),
        (make_jpeg(8, 0), "8x0"),  # height 0 means "defined later by DNL": refused
        (make_jpeg(0, 8), "0x8"),
        (make_webp_vp8(0, 10), "0x10"),
    ],
)
def test_zero_dimensions(data: bytes, size: str) -> None:
    assert _message(data) == f"image 'x.png' has an invalid size of {size} pixels"


@pytest.mark.parametrize(
    "data",
    [
        make_png(20001, 10),
        make_png(10, 2**31 - 1),
        make_png(2**32 - 1, 2**32 - 1),
        make_gif(65535, 65535),
        make_jpeg(65535, 1),
        make_webp_vp8x(2**24, 1),
    ],
)
def test_absurd_dimensions(data: bytes) -> None:
    assert "the limit is 20000 pixels per side" in _message(data)


def test_png_bad_ihdr_crc() -> None:
    data = bytearray(make_png())
    data[29] ^= 0xFF
    assert _message(bytes(data)) == "image 'x.png' is a truncated or corrupt PNG file"


def test_png_first_chunk_must_be_ihdr() -> None:
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"tEXt", b"k\x00" + bytes(11)) + make_png()[8:]
    assert "corrupt PNG" in _message(data)


def test_png_invalid_bit_depth() -> None:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 3, 2, 0, 0, 0)  # RGB with 3-bit samples
    assert "corrupt PNG" in _message(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xd9",  # EOI before any frame
        b"\xff\xd8" + _jpeg_segment(0xDA, b"\x00" * 6) + b"\xff\xd9",  # scan before frame
        b"\xff\xd8\xff\xd8" + make_jpeg()[2:],  # second SOI
        b"\xff\xd8\xff\x00" + make_jpeg()[2:],  # stuffed zero is not a marker
        b"\xff\xd8\xff\xe0\x00\x01" + make_jpeg()[2:],  # segment length below 2
        b"\xff\xd8\xff\xe0\xff\xff" + bytes(10),  # segment longer than the data
        b"\xff\xd8\xff\xe0\x00\x02\x00" + make_jpeg()[2:],  # garbage where a marker should be
        b"\xff\xd8" + b"\xff" * 1000,  # only fill bytes
        b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x10\x03\x01\x11\x00",  # SOF length / components mismatch
        b"\xff\xd8\xff\xc0\x00\x05\x08\x00\x10",  # SOF shorter than its fixed part
        b"\xff\xd8\xff\xc0\x00\x0b\x00\x00\x10\x00\x10\x01\x01\x11\x00",  # precision 0
        b"\xff\xd8\xff\xc0\x00\x08\x08\x00\x10\x00\x10\x00",  # zero components
    ],
)
def test_corrupt_jpeg(data: bytes) -> None:
    assert _message(data) == "image 'x.png' is a truncated or corrupt JPEG file"


def test_jpeg_segment_walk_is_bounded() -> None:
    many_comments = _jpeg_segment(0xFE, b"") * (media._JPEG_MAX_SEGMENTS + 10)
    assert "corrupt JPEG" in _message(make_jpeg(before_sof=many_comments))


@pytest.mark.parametrize(
    "data",
    [
        _riff(_webp_chunk(b"VP8 ", b"\x51\x01\x00\x9d\x01\x2a" + struct.pack("<HH", 5, 5) + bytes(8))),  # inter frame
        _riff(_webp_chunk(b"VP8 ", b"\x50\x01\x00\x9d\x01\x2b" + struct.pack("<HH", 5, 5) + bytes(8))),  # bad start code
        _riff(_webp_chunk(b"VP8L", b"\x2e" + bytes(8))),  # bad signature
        _riff(_webp_chunk(b"VP8L", b"\x2f" + struct.pack("<I", 1 << 29) + bytes(4))),  # version 1
        _riff(_webp_chunk(b"VP8X", bytes(4))),  # chunk too small
        _riff(_webp_chunk(b"ALPH", bytes(20))),  # no image chunk first
        b"RIFF\x04\x00\x00\x00WEBP" + make_webp_vp8x()[12:],  # RIFF size smaller than the chunk
    ],
)
def test_corrupt_webp(data: bytes) -> None:
    assert _message(data) == "image 'x.png' is a truncated or corrupt WebP file"


def test_display_name_is_escaped_in_messages() -> None:
    message = _message(b"nope", "evil\x1b[31m\n\u202ename.png")
    assert "\x1b" not in message and "\n" not in message and "\u202e" not in message
    assert message.startswith("image 'evil\\x1b[31m\\x0a\\u202ename.png' is not")


# --------------------------------------------------------------------------- sniff_image: fuzzing


def _check_sniff_contract(data: bytes) -> None:
    try:
        mime, ext, width, height = sniff_image(data, "fuzz.bin")
    except MediaError as exc:
        assert isinstance(exc.message, str) and exc.message
        return
    assert media.MIME_BY_EXT[ext] == mime
    assert 1 <= width <= media.MAX_DIMENSION and 1 <= height <= media.MAX_DIMENSION


@settings(max_examples=500)
@given(st.binary(max_size=512))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    _check_sniff_contract(data)


@settings(max_examples=500)
@given(
    st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP"]),
    st.binary(max_size=256),
)
def test_fuzz_valid_signature_then_garbage(signature: bytes, rest: bytes) -> None:
    _check_sniff_contract(signature + rest)


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from([v[0] for v in VALID_SAMPLES.values()])))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if op == "set":
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            del data[pos:]
    return bytes(data)


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_samples())
def test_fuzz_mutated_valid_images(data: bytes) -> None:
    _check_sniff_contract(data)


# --------------------------------------------------------------------------- load_image


def test_load_png(tmp_path: Path) -> None:
    data = make_png(4, 2)
    path = tmp_path / "a.png"
    path.write_bytes(data)
    blob = load_image(path, "images/a.png")
    digest = hashlib.sha256(data).hexdigest()
    assert blob == MediaBlob(sha256=digest, filename=f"{digest}.png", mime="image/png", width=4, height=2, data=data)


@pytest.mark.parametrize(
    ("data", "ext"),
    [(make_jpeg(), "jpg"), (make_gif(), "gif"), (make_webp_vp8x(), "webp")],
)
def test_load_uses_content_not_extension(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / "misnamed.png"
    path.write_bytes(data)
    blob = load_image(path, "misnamed.png")
    assert blob.filename == f"{blob.sha256}.{ext}"


def test_blob_is_frozen(tmp_path: Path) -> None:
    path = tmp_path / "a.gif"
    path.write_bytes(make_gif())
    blob = load_image(path, "a.gif")
    with pytest.raises(AttributeError):
        blob.width = 5  # type: ignore[misc]


def _load_message(path: Path, name: str, **kwargs: int) -> str:
    with pytest.raises(MediaError) as info:
        load_image(path, name, **kwargs)
    return str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    assert _load_message(tmp_path / "nope.png", "nope.png") == "image 'nope.png' not found"


def test_missing_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    assert _load_message(tmp_path / "file" / "x.png", "file/x.png") == "image 'file/x.png' not found"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.png").mkdir()
    assert _load_message(tmp_path / "dir.png", "dir.png") == "image 'dir.png' is a directory, not a file"


def test_empty_file_on_disk(tmp_path: Path) -> None:
    (tmp_path / "e.png").write_bytes(b"")
    assert _load_message(tmp_path / "e.png", "e.png") == "image 'e.png' is empty"


def test_svg_on_disk(tmp_path: Path) -> None:
    (tmp_path / "s.svg").write_bytes(b"<svg onload='alert(1)'/>")
    assert "is an SVG file" in _load_message(tmp_path / "s.svg", "s.svg")


def test_oversize_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.png"
    with path.open("wb") as f:
        f.write(make_png())
        f.truncate(20 * 1024 * 1024 + 1)  # sparse: cheap to create

    def no_open(*args: object, **kwargs: object) -> int:
        raise AssertionError("file was opened")

    monkeypatch.setattr(media.os, "open", no_open)
    assert _load_message(path, "big.png") == "image 'big.png' is larger than 20 MB"


def test_exactly_max_bytes_is_accepted(tmp_path: Path) -> None:
    data = make_png()
    path = tmp_path / "a.png"
    path.write_bytes(data)
    assert load_image(path, "a.png", max_bytes=len(data)).data == data
    assert _load_message(path, "a.png", max_bytes=len(data) - 1) == (f"image 'a.png' is larger than {len(data) - 1} bytes")


def test_file_growing_after_stat_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the size changes between stat and read, the read still stops at the limit."""
    path = tmp_path / "grow.png"
    path.write_bytes(make_png() + bytes(5000))
    real_stat, real_fstat = os.stat, os.fstat

    def shrunk(result: os.stat_result) -> os.stat_result:
        fields = list(result)
        fields[stat.ST_SIZE] = 10
        return os.stat_result(fields)

    monkeypatch.setattr(media.os, "stat", lambda p: shrunk(real_stat(p)))
    monkeypatch.setattr(media.os, "fstat", lambda fd: shrunk(real_fstat(fd)))
    assert _load_message(path, "grow.png", max_bytes=1024) == "image 'grow.png' is larger than 1 KB"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load_image(fifo, "pipe.png")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=5)
    if worker.is_alive():  # unblock the reader before failing
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("load_image blocked on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], MediaError)
    assert str(outcome[0]) == "image 'pipe.png' is not a regular file"


def test_fifo_swapped_in_after_stat_does_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    regular = tmp_path / "regular.png"
    regular.write_bytes(make_png())
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(media.os, "stat", lambda p: real_stat(regular))  # the stat sees a file
    assert _load_message(fifo, "pipe.png") == "image 'pipe.png' is not a regular file"


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_device_is_refused() -> None:
    assert _load_message(Path("/dev/null"), "/dev/null") == "image '/dev/null' is not a regular file"


def test_permission_denied_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.png"
    path.write_bytes(make_png())

    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(media.os, "open", denied)
    assert _load_message(path, "secret.png") == "cannot read image 'secret.png': permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file modes")
def test_permission_denied_real(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    path.write_bytes(make_png())
    path.chmod(0)
    try:
        assert _load_message(path, "secret.png") == "cannot read image 'secret.png': permission denied"
    finally:
        path.chmod(0o600)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    try:
        os.symlink(b, a)
        os.symlink(a, b)
    except OSError:
        pytest.skip("cannot create symlinks")
    message = _load_message(a, "a.png")
    assert message.startswith("cannot read image 'a.png': ") and "symbolic links" in message


def test_other_os_errors_are_media_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(make_png())

    def eio(*args: object, **kwargs: object) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(media.os, "read", eio)
    assert _load_message(path, "a.png") == "cannot read image 'a.png': input/output error"


def test_nul_in_path(tmp_path: Path) -> None:
    assert _load_message(tmp_path / "a\x00.png", "a\x00.png") == "image path 'a\\x00.png' is not valid"
