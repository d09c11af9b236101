"""The body of an ``occlusion`` block: image, mode, header and shapes.

Coordinates are fractions 0..1 of the image's width and height, X and Y the
top-left corner. Every problem is reported at its line and column through the
``report`` callback; the block yields nothing if any line is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from calcideck.compiler.ir import MediaRef, OcclusionContent, OcclusionMode, Shape
from calcideck.compiler.paths import resolve_relative
from calcideck.core.diagnostics import SourceLocation

Report = Callable[[int, int, str, str], None]  # (line, column, message, code)

OCCLUSION_MODES = {m.value: m for m in OcclusionMode}
SHAPES = ("rect", "ellipse", "polygon")
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def parse_occlusion_body(
    lines: list[str], opening: int, closing: int, rel_path: str, display: str, report: Report
) -> tuple[OcclusionContent, MediaRef] | None:
    """Parse the lines between the fences at indexes ``opening`` and ``closing``."""
    image_ref: MediaRef | None = None
    image_refused = False
    mode = OcclusionMode.HIDE_ALL_GUESS_ONE
    header = ""
    shapes: list[Shape] = []
    shape_lines = 0
    ok = True
    for j in range(opening + 1, closing):
        raw = lines[j]
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        col0 = len(raw) - len(raw.lstrip()) + 1
        word = line.split(None, 1)[0]
        if word.endswith(":"):
            key, value = word[:-1], line[len(word) :].strip()
            vcol = col0 + len(word) + (len(line[len(word) :]) - len(line[len(word) :].lstrip()))
            if key == "image":
                resolved, reason = resolve_relative(rel_path, value)
                if resolved is None:
                    report(j + 1, vcol, reason or "bad image path", "image-path")
                    image_refused = True
                else:
                    image_ref = MediaRef(resolved, value, SourceLocation(display, j + 1, vcol))
            elif key == "mode" and value in OCCLUSION_MODES:
                mode = OCCLUSION_MODES[value]
            elif key == "mode":
                report(
                    j + 1, vcol, f"unknown occlusion mode '{value}' (use hide-all-guess-one or hide-one-guess-one)", "occlusion"
                )
                ok = False
            elif key == "header":
                header = value
            else:
                report(j + 1, col0, f"unknown occlusion setting '{key}:' (known: image, mode, header)", "occlusion")
                ok = False
            continue
        shape_lines += 1
        shape = parse_shape(j + 1, raw, col0, report)
        if shape is None:
            ok = False
        else:
            shapes.append(shape)
    if image_ref is None and not image_refused and ok:
        report(opening + 1, 1, "occlusion block has no 'image:' line", "occlusion")
    if not shape_lines:
        report(opening + 1, 1, "occlusion block has no shapes (rect, ellipse or polygon lines)", "occlusion")
        ok = False
    if not ok or image_ref is None:
        return None
    return OcclusionContent(image_ref.path, mode, header, tuple(shapes)), image_ref


def parse_shape(line_no: int, raw: str, col0: int, report: Report) -> Shape | None:
    """One ``rect``/``ellipse``/``polygon`` line, or None after reporting what is wrong."""
    tokens = [(m.start() + 1, m.group(0)) for m in re.finditer(r"\S+", raw)]
    kind = tokens[0][1]
    if kind not in SHAPES:
        report(line_no, col0, f"unknown shape '{kind}' (use rect, ellipse or polygon)", "occlusion")
        return None
    rest = tokens[1:]
    numeric: list[tuple[int, str]] = []
    if kind == "polygon":
        count = 0
        while count < len(rest) and re.fullmatch(r"[^,\s]+,[^,\s]+", rest[count][1]):
            count += 1
        for col, token in rest[:count]:
            x_text, y_text = token.split(",")
            numeric += [(col, x_text), (col + len(x_text) + 1, y_text)]
        if count < 3:
            report(line_no, col0, "a polygon needs at least three X,Y points", "occlusion")
            return None
    else:
        count = 4
        numeric = rest[:4]
        if len(numeric) < 4:
            report(line_no, col0, f"'{kind}' needs X Y W H and a label", "occlusion")
            return None
    values: list[float] = []
    for col, text in numeric:
        if not _NUMBER_RE.match(text):
            report(line_no, col, f"'{text}' is not a number", "occlusion")
            return None
        value = float(text)
        if not 0.0 <= value <= 1.0:
            report(
                line_no, col, f"coordinate {text} is outside 0..1 (coordinates are fractions of the image size)", "occlusion"
            )
            return None
        values.append(value)
    label_tokens = rest[count:]
    if not label_tokens:
        report(line_no, len(raw.rstrip()) + 1, f"'{kind}' has no label after its coordinates", "occlusion")
        return None
    label = raw[label_tokens[0][0] - 1 :].strip()
    if kind != "polygon":
        x, y, w, h = values
        if w <= 0 or h <= 0:
            report(line_no, numeric[2][0], "width and height must be greater than 0", "occlusion")
            return None
        if x + w > 1.0 + 1e-9 or y + h > 1.0 + 1e-9:
            report(line_no, numeric[0][0], f"'{kind}' reaches outside the image (X+W and Y+H must be at most 1)", "occlusion")
            return None
    return Shape(kind, tuple(values), label)
