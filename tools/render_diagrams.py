#!/usr/bin/env python3
"""Render the diagrams in resources/diagrams/*.svg to decks/images/*.png with Qt.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/render_diagrams.py [--out DIR] [--width PX] [SVG ...]

Deck images are PNG (the compiler refuses SVG), so each diagram is drawn by
QtSvg's QSvgRenderer onto a white QImage of a fixed pixel width (the height
follows the SVG's viewBox) and saved as PNG.

The output is reproducible: the same SVG gives byte-identical PNG files on
the same Qt version and fonts. Only the critical PNG chunks (IHDR, PLTE, IDAT,
IEND) are kept, so no time stamp, text or physical-size metadata gets in.
Files whose bytes would not change are left untouched.

Exit status: 0 success, 1 a diagram could not be rendered, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "resources" / "diagrams"
DEFAULT_OUT = ROOT / "decks" / "images"
DEFAULT_WIDTH = 800

# Chunks a PNG needs to be displayed; everything else (tIME, tEXt, pHYs, ...) is dropped.
_CRITICAL_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def strip_png(data: bytes) -> bytes:
    """``data`` with only the critical chunks, all IDAT data merged into one chunk."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    pos = len(_PNG_SIGNATURE)
    head: list[bytes] = []
    idat = bytearray()
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IDAT":
            idat += body
        elif kind in _CRITICAL_CHUNKS and kind != b"IEND":
            head.append(_chunk(kind, body))
        if kind == b"IEND":
            break
    return _PNG_SIGNATURE + b"".join(head) + _chunk(b"IDAT", bytes(idat)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def render_svg(svg: Path, width: int) -> bytes:
    """PNG bytes of ``svg`` drawn ``width`` pixels wide on white."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.read_bytes()))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG file (QtSvg could not parse it)")
    box = renderer.viewBoxF()
    if box.width() <= 0 or box.height() <= 0:
        size = renderer.defaultSize()
        box = QRectF(0, 0, size.width(), size.height())
    if box.width() <= 0 or box.height() <= 0:
        raise ValueError(f"{svg}: the SVG has no size (give it a viewBox)")
    height = max(1, round(width * box.height() / box.width()))

    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(QColor(Qt.GlobalColor.white))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        renderer.render(painter, QRectF(0, 0, width, height))
    finally:
        painter.end()

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stubs ask for bytes, but the binding only accepts str here.
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise ValueError(f"{svg}: Qt could not encode the PNG")
    return strip_png(bytes(buffer.data().data()))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Render resources/diagrams/*.svg to PNG deck images.")
    parser.add_argument(
        "svgs",
        nargs="*",
        type=Path,
        metavar="SVG",
        help=f"diagrams to render (default: every *.svg in {SOURCE_DIR.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder for the PNG files (default: {DEFAULT_OUT.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--width",
        type=int,
        default=DEFAULT_WIDTH,
        metavar="PX",
        help=f"width of each PNG in pixels (default: {DEFAULT_WIDTH})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if not 1 <= args.width <= 20000:
        print("render_diagrams: --width must be between 1 and 20000", file=sys.stderr)
        return 2
    svgs = sorted(args.svgs) if args.svgs else sorted(SOURCE_DIR.glob("*.svg"))
    if not svgs:
        print(f"render_diagrams: no SVG files in {SOURCE_DIR}", file=sys.stderr)
        return 2

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # fonts need a GUI application
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for svg in svgs:
        target = args.out / f"{svg.stem}.png"
        try:
            data = render_svg(svg, args.width)
        except (OSError, ValueError) as exc:
            print(f"render_diagrams: {exc}", file=sys.stderr)
            status = 1
            continue
        if target.is_file() and target.read_bytes() == data:
            print(f"unchanged: {target}")
            continue
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        print(f"rendered: {target}")
    del app
    return status


if __name__ == "__main__":
    sys.exit(main())
