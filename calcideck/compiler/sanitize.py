"""Allow-list sanitising of the HTML that Python-Markdown makes from deck text.

Deck authors can write raw HTML, and decks come from untrusted sources, so the
compiled HTML keeps only a small set of presentational tags and attributes.
The app never navigates or fetches anything: links lose their ``href`` (the
text stays) and ``<img src>`` must be a plain relative path that the compiler
resolves to a bundled image.

Behaviour of nh3/ammonia this module relies on (checked by the tests):

* ammonia drops any URL with a scheme not in ``url_schemes`` *before* the
  ``attribute_filter`` runs, but lets through scheme-less references such as
  ``//host/x``, ``/etc/passwd`` and ``\\\\host\\x``; the filter refuses those;
* attribute values reach the filter with character references already decoded
  (``jav&#x61;script:`` arrives as ``javascript:``);
* without an explicit ``"*"`` entry in ``attributes``, ammonia keeps its
  default generic attributes (``lang``, ``title``) on every tag;
* an exception raised inside the filter drops the attribute (and is reported
  through ``sys.unraisablehook``), so the filter is written not to raise.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "b", "strong", "i", "em", "u", "s", "del", "ins", "strike",
        "sub", "sup", "code", "pre", "kbd", "mark", "small", "span", "div",
        "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "img", "a", "abbr", "figure", "figcaption",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset(),  # explicit: replaces ammonia's default generic lang/title
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "td": frozenset({"colspan", "rowspan", "align", "class"}),
    "th": frozenset({"colspan", "rowspan", "align", "scope", "class"}),
    "ol": frozenset({"start"}),
    "a": frozenset({"title"}),
    "abbr": frozenset({"title"}),
    "span": frozenset({"class"}),
    "div": frozenset({"class"}),
    "code": frozenset({"class"}),
    "pre": frozenset({"class"}),
    "table": frozenset({"class"}),
}

CLEAN_CONTENT_TAGS: frozenset[str] = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "template", "textarea",
        "select", "noscript", "svg", "math",
    }
)  # fmt: skip

# Largest width/height an <img> may ask to be drawn at: Qt scales the pixmap
# to the requested size, so huge values would be a memory bomb.
MAX_IMG_DISPLAY_SIZE = 4096
MAX_TABLE_SPAN = 1000

_ALIGN_VALUES = frozenset({"left", "center", "right", "justify"})
_SCOPE_VALUES = frozenset({"row", "col", "rowgroup", "colgroup"})
_CLASS_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_MAX_UNQUOTE_ROUNDS = 4


def _is_plain_relative_path(value: str) -> bool:
    if not value or value != value.strip():
        return False
    if value.startswith("/") or "\\" in value or ":" in value:
        return False
    if any(unicodedata.category(c) in _UNSAFE_CATEGORIES for c in value):
        return False
    for segment in value.split("/"):
        # "..", and its Windows look-alikes such as "..." or ".. "
        if segment.count(".") >= 2 and not segment.strip(". "):
            return False
    return True


def is_safe_relative_url(value: str) -> bool:
    """True if ``value`` is a relative path the compiler may resolve locally.

    Refused: empty values, leading/trailing whitespace, any ``:`` (so no
    scheme, no Windows drive), a leading ``/`` (absolute or protocol-relative),
    any backslash, control characters, and ``..`` path segments.  The checks
    are repeated after each round of percent-decoding, so ``%2e%2e/x`` and
    ``%2F%2Fhost`` are refused too.  ``?`` and ``#`` are not special: the
    compiler treats the whole value as a file path.
    """
    if not isinstance(value, str):
        return False
    for _ in range(_MAX_UNQUOTE_ROUNDS):
        if not _is_plain_relative_path(value):
            return False
        decoded = unquote(value)
        if decoded == value:
            return True
        value = decoded
    return False  # still percent-encoded after several rounds: refuse


def _bounded_int(value: str, low: int, high: int) -> bool:
    return re.fullmatch(r"[0-9]{1,6}", value) is not None and low <= int(value) <= high


def _filter_value(tag: str, attr: str, value: str) -> str | None:
    if tag == "img":
        if attr == "src":
            return value if is_safe_relative_url(value) else None
        if attr in ("width", "height"):
            return value if _bounded_int(value, 1, MAX_IMG_DISPLAY_SIZE) else None
        return value
    if tag in ("td", "th"):
        if attr == "align":
            align = value.strip().lower()
            return align if align in _ALIGN_VALUES else None
        if attr in ("colspan", "rowspan"):
            return value if _bounded_int(value, 1, MAX_TABLE_SPAN) else None
        if attr == "scope":
            scope = value.strip().lower()
            return scope if scope in _SCOPE_VALUES else None
    if tag == "ol" and attr == "start":
        return value if re.fullmatch(r"-?[0-9]{1,9}", value) else None
    if attr == "class":
        tokens = [t for t in value.split() if _CLASS_TOKEN.fullmatch(t)]
        return " ".join(tokens) or None
    return value


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """nh3 ``attribute_filter``: return the value to keep, or None to drop it.

    nh3 also calls this for attributes of tags it is about to remove, so it
    must accept anything.  It never raises; on an unexpected error it drops.
    """
    try:
        return _filter_value(tag, attr, value)
    except Exception:
        return None


_NH3_ATTRIBUTES: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the CalciDeck allow-list.

    Comments are stripped; the contents of script-like and foreign-content
    elements (see :data:`CLEAN_CONTENT_TAGS`) are removed, other disallowed
    tags are unwrapped (their text stays).  Text is re-serialised with
    ``<``, ``>`` and ``&`` escaped; other characters (including the
    private-use placeholders the compiler inserts) pass through unchanged.
    """
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes=_NH3_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel=None,
        url_schemes=set(),
    )
