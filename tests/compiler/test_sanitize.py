"""Tests for calcideck.compiler.sanitize: hostile HTML from deck authors."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcideck.compiler.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    is_safe_relative_url,
    sanitize_html,
)

# The attribute filter must never raise: nh3 would only report it through
# sys.unraisablehook (pytest turns that into this warning).
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_safe(output: str) -> None:
    """Structural checks on sanitised output, parsed rather than grepped."""
    assert "<script" not in output.lower()
    for tag, attrs in _elements(output):
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset())
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name in allowed, (tag, name)
            if name == "src":
                assert value is not None
                lowered = value.lower()
                assert "javascript:" not in lowered and "http" not in lowered, value
                assert is_safe_relative_url(value), value


# --------------------------------------------------------------------------- hostile input

HOSTILE: list[tuple[str, str]] = [
    ("<script>alert(1)</script>ok", "ok"),
    ("<SCRIPT SRC=http://x/x.js></SCRIPT>ok", "ok"),
    ('<img src="x.png" onerror="alert(1)">', '<img src="x.png">'),
    ("<img src=x.png ONERROR=alert(1) onload=alert(2)>", '<img src="x.png">'),
    ('<a href="javascript:alert(1)">click</a>', "<a>click</a>"),
    ('<a href="JaVaScRiPt:alert(1)" onclick="x()">click</a>', "<a>click</a>"),
    ('<a href="jav&#x61;script:alert(1)">click</a>', "<a>click</a>"),
    ('<a href="https://example.com/" target="_blank">site</a>', "<a>site</a>"),
    ('<svg onload="alert(1)"><circle r="1"/></svg>after', "after"),
    ('<iframe src="http://evil/">x</iframe>after', "after"),
    ("<style>@import url(http://x)</style>after", "after"),
    ('<p style="background:url(http://x)">t</p>', "<p>t</p>"),
    ('<span style="color:red" id="x" lang="en" dir="rtl" title="t">t</span>', "<span>t</span>"),
    ('<img src="http://evil/x.png" alt="a">', '<img alt="a">'),
    ('<img src="HTTPS://evil/x.png" alt="a">', '<img alt="a">'),
    ('<img src="//evil/x.png" alt="a">', '<img alt="a">'),
    ('<img src=" //evil/x.png" alt="a">', '<img alt="a">'),
    ('<img src="/etc/passwd" alt="a">', '<img alt="a">'),
    ('<img src="\\\\evil\\share\\x.png" alt="a">', '<img alt="a">'),
    ('<img src="img\\..\\..\\x.png" alt="a">', '<img alt="a">'),
    ('<img src="../secret.png" alt="a">', '<img alt="a">'),
    ('<img src="img/../../secret.png" alt="a">', '<img alt="a">'),
    ('<img src="%2e%2e/secret.png" alt="a">', '<img alt="a">'),
    ('<img src="%252e%252e/secret.png" alt="a">', '<img alt="a">'),
    ('<img src="%2F%2Fevil/x.png" alt="a">', '<img alt="a">'),
    ('<img src="data:image/png;base64,iVBORw0KGgo=" alt="a">', '<img alt="a">'),
    ('<img src="DaTa:image/svg+xml,&lt;svg onload=alert(1)&gt;" alt="a">', '<img alt="a">'),
    ('<img src="javascript:alert(1)" alt="a">', '<img alt="a">'),
    ('<img src="jav&#x61;script:alert(1)" alt="a">', '<img alt="a">'),
    ('<img src="&#106;&#97;vascript:alert(1)" alt="a">', '<img alt="a">'),
    ('<img src="&#x6A&#x61&#x76&#x61script:alert(1)" alt="a">', '<img alt="a">'),
    ('<img src="java&#x09;script:alert(1)" alt="a">', '<img alt="a">'),
    ('<img src="java\nscript:alert(1)" alt="a">', '<img alt="a">'),
    ('<img src="vbscript:msgbox(1)" alt="a">', '<img alt="a">'),
    ('<img src="file:///etc/passwd" alt="a">', '<img alt="a">'),
    ('<img src="C:/Windows/win.ini" alt="a">', '<img alt="a">'),
    ('<img src="qrc:/icons/x.png" alt="a">', '<img alt="a">'),
    ('<img src="x.png" srcset="http://evil/x.png 2x" alt="a">', '<img src="x.png" alt="a">'),
    ('<img src="a.png" width="99999" height="1e9">', '<img src="a.png">'),
    ('<base href="http://evil/">t', "t"),
    ('<meta http-equiv="refresh" content="0;url=http://evil/">t', "t"),
    ('<link rel="stylesheet" href="http://evil/x.css">t', "t"),
    ('<form action="http://evil/"><input name="q"><button>go</button></form>', "go"),
    ('<object data="x.swf">o</object><embed src="x.swf">t', "t"),
    ("<template><script>x</script><p>t</p></template>t", "t"),
    ("<textarea><img src=x onerror=alert(1)></textarea>t", "t"),
    ("<select><option>o</option></select>t", "t"),
    ("<math><mtext><img src=x onerror=alert(1)></mtext></math>t", "t"),
    ('<video src="http://evil/v.mp4" poster="http://evil/p.png"></video>t', "t"),
    ('<div id="x" style="color:red" onmouseover="x()" class="ok">t</div>', '<div class="ok">t</div>'),
    ('<div class="a b&quot; onclick=&quot;x">t</div>', '<div class="a">t</div>'),
    ("<!-- <img src=x onerror=alert(1)> -->t", "t"),
    # in HTML content, "<![CDATA[" opens a bogus comment that ends at the first ">"
    ("<![CDATA[<script>x</script>]]>t", "x]]&gt;t"),
]


@pytest.mark.parametrize(("html", "expected"), HOSTILE)
def test_hostile_input(html: str, expected: str) -> None:
    output = sanitize_html(html)
    assert output == expected
    assert_safe(output)


def test_noscript_mxss_stays_safe() -> None:
    # html5ever parses <noscript> as raw text, so the "attribute" closes it and
    # the <img> becomes real markup -- which is then sanitised like any other.
    html = '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'
    output = sanitize_html(html)
    assert output == '<img src="x">"&gt;'
    assert_safe(output)


def test_disallowed_tags_keep_their_text() -> None:
    assert sanitize_html("<font color=red><center>hi</center></font>") == "hi"


def test_escaped_markup_stays_escaped() -> None:
    html = "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; 1 &lt; 2</p>"
    assert sanitize_html(html) == html


# --------------------------------------------------------------------------- content that must survive

SURVIVORS = [
    # Python-Markdown tables with use_align_attribute=True
    (
        '<table>\n<thead>\n<tr>\n<th align="center">Drug</th>\n<th align="right">Dose</th>\n</tr>\n'
        '</thead>\n<tbody>\n<tr>\n<td align="center">Atropine</td>\n<td align="right">0.5 mg</td>\n'
        "</tr>\n</tbody>\n</table>"
    ),
    "<p>H<sub>2</sub>O and x<sup>2</sup>, <code>a &lt; b</code></p>",
    '<p><img alt="ECG strip" src="images/ecg-1.png" title="Lead II"></p>',
    '<img src="./img/a b.png" alt="x" width="320" height="200">',
    '<pre><code class="language-python">x = 1 &amp; 2\n</code></pre>',
    '<div class="codehilite"><pre><span></span><code><span class="n">x</span></code></pre></div>',
    '<ol start="3"><li>three</li></ol><ul><li><strong>b</strong> <em>i</em> <u>u</u> <s>s</s></li></ul>',
    "<dl><dt>term</dt><dd>def</dd></dl><blockquote><p>q</p></blockquote><hr>",
    '<table><caption>c</caption><tbody><tr><th scope="row" rowspan="2" colspan="3">h</th></tr></tbody>'
    "<tfoot><tr><td>f</td></tr></tfoot></table>",
    "<h1>a</h1><h2>b</h2><h3>c</h3><h4>d</h4><h5>e</h5><h6>f</h6>",
    '<p><abbr title="electrocardiogram">ECG</abbr> <kbd>Ctrl</kbd> <mark>m</mark> <small>s</small>'
    " <del>d</del> <ins>i</ins> <strike>s</strike> <b>b</b> <i>i</i><br>x</p>",
    '<figure><img src="a.png" alt="a"><figcaption>cap</figcaption></figure>',
    '<a title="t">link text</a>',
]


@pytest.mark.parametrize("html", SURVIVORS)
def test_allowed_content_survives_exactly(html: str) -> None:
    assert sanitize_html(html) == html


def test_link_text_kept_but_href_dropped() -> None:
    assert sanitize_html('<p><a href="https://x.org" title="x">the text</a></p>') == '<p><a title="x">the text</a></p>'


def test_markdown_output_round_trip() -> None:
    markdown = pytest.importorskip("markdown")
    from markdown.extensions.tables import TableExtension

    source = '| a | b |\n|:-:|--:|\n| 1 | 2 |\n\nH~2~O `code` ![alt text](img/a.png "T") [link](http://x)\n'
    html = markdown.markdown(source, extensions=[TableExtension(use_align_attribute=True)])
    output = sanitize_html(html)
    assert '<th align="center">a</th>' in output and '<td align="right">2</td>' in output
    assert '<img alt="alt text" src="img/a.png" title="T">' in output
    assert "<a>link</a>" in output and "<code>code</code>" in output


def test_markdown_default_table_alignment_uses_style_and_is_lost() -> None:
    """Documented trade-off: the compiler must pass use_align_attribute=True."""
    markdown = pytest.importorskip("markdown")
    html = markdown.markdown("| a |\n|:-:|\n| 1 |\n", extensions=["tables"])
    assert 'style="text-align: center;"' in html
    assert "style" not in sanitize_html(html)


def test_attribute_values_are_normalised_or_dropped() -> None:
    html = (
        '<table class="t"><tbody><tr><td align="CENTER" colspan="0" rowspan="1001" class="ok bad!">x</td>'
        '<th scope="nope" align="middle">y</th></tr></tbody></table><ol start="1; x">'
    )
    assert sanitize_html(html) == (
        '<table class="t"><tbody><tr><td align="center" class="ok">x</td><th>y</th></tr></tbody></table><ol></ol>'
    )


def test_private_use_placeholders_pass_through() -> None:
    placeholders = "".join(chr(c) for c in range(0xE000, 0xE100))
    assert sanitize_html(placeholders) == placeholders
    html = f"<p>a{placeholders}b <strong>\ue000</strong><code>\ue0ff</code></p>"
    assert sanitize_html(html) == html
    with_alt = f'<img src="a.png" alt="\ue001{placeholders}">'
    assert sanitize_html(with_alt) == with_alt


# --------------------------------------------------------------------------- is_safe_relative_url

SAFE_URLS = [
    "a.png",
    "images/a.png",
    "./a.png",
    "img/./a.png",
    "a b.png",
    "é/ü.png",
    "a..b.png",
    "..a.png",
    "a/..b/c.png",
    "100%.png",
    "a.png#frag",
    "\ue000",
]

UNSAFE_URLS = [
    "",
    " ",
    " a.png",
    "a.png ",
    "a.png\n",
    "\ta.png",
    "a\x00.png",
    "a\x7f.png",
    "a\x85.png",
    "a\u2028.png",
    "/a.png",
    "//evil/a.png",
    "///a.png",
    "\\a.png",
    "\\\\evil\\a.png",
    "img\\a.png",
    "..",
    "../a.png",
    "img/../a.png",
    "img/..",
    ".../a.png",
    ". ./a.png",
    ".. /a.png",
    "http://x/a.png",
    "https:a.png",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:image/png;base64,AAAA",
    "file:///etc/passwd",
    "C:/x.png",
    "c:x.png",
    "a:b.png",
    "%2e%2e/a.png",
    "%2E./a.png",
    "..%2fa.png",
    "%2f%2fevil/a.png",
    "%5c%5cevil/a.png",
    "%252e%252e/a.png",
    "%25252e%25252e/a.png",
    "%2525252525252e",
    "javascript%3Aalert(1)",
    "a%00.png",
    "a%0a.png",
]


@pytest.mark.parametrize("url", SAFE_URLS)
def test_safe_relative_urls(url: str) -> None:
    assert is_safe_relative_url(url)


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_unsafe_urls(url: str) -> None:
    assert not is_safe_relative_url(url)


@pytest.mark.parametrize("url", [u for u in UNSAFE_URLS if u and "\x00" not in u])
def test_unsafe_urls_are_dropped_from_img(url: str) -> None:
    escaped = url.replace("&", "&amp;").replace('"', "&quot;")
    assert sanitize_html(f'<img src="{escaped}" alt="a">') == '<img alt="a">'


def test_nul_in_src_becomes_replacement_character() -> None:
    # The HTML parser turns NUL into U+FFFD before the filter sees the value.
    assert sanitize_html('<img src="a\x00.png">') == '<img src="a\ufffd.png">'


def test_non_string_is_not_safe() -> None:
    assert not is_safe_relative_url(None)  # type: ignore[arg-type]
    assert not is_safe_relative_url(b"a.png")  # type: ignore[arg-type]


@settings(max_examples=500)
@given(st.text())
def test_predicate_properties(value: str) -> None:
    if is_safe_relative_url(value):
        assert ":" not in value and "\\" not in value and not value.startswith("/")
        assert ".." not in value.split("/")


# --------------------------------------------------------------------------- fuzzing

_FRAGMENTS = [
    "<script>", "</script>", "<img", " src=", " onerror=", " onload=", "javascript:", "jav&#x61;script:",
    "http://e/", "//e/", "/etc/", "../", "\\", "data:", '"', "'", ">", "<", "/>", "<a href=", "<svg",
    "<math>", "<style>", "<!--", "-->", "<noscript>", "</noscript>", "<p title=\"", "<iframe", "<table>",
    "<td>", "<tr>", "&#", "&", ";", "x", " ", "\n", "\t", "\x00", "<![CDATA[", "]]>", "<template>",
    "<textarea>", "</textarea>", "<img src=a.png ", "<base href=", " style=", " class=", "=",
    "<object", "<embed", "\ue000", "%2e%2e/", "<select>", "<option>",
]  # fmt: skip

hostile_html = st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=5), max_size=40).map("".join)


@settings(max_examples=1000)
@given(st.text())
def test_fuzz_arbitrary_text(text: str) -> None:
    assert_safe(sanitize_html(text))


@settings(max_examples=2000)
@given(hostile_html)
def test_fuzz_hostile_fragments(html: str) -> None:
    assert_safe(sanitize_html(html))
