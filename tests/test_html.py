"""HTML to plain text: visible text only, robust on anything."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot._html import html_to_text


@pytest.mark.parametrize(
    "markup, text",
    [
        ("", ""),
        ("plain text", "plain text"),
        ("  lots \t of\n\n  space  ", "lots of space"),
        ("a < b and c > d", "a < b and c > d"),
        ("x<3 and 5>y", "x<3 and 5>y"),
        ("if a<b then", "if a<b then"),
        ("<b>bold</b> and <i>italic</i>", "bold and italic"),
        ("<b>in</b>line", "inline"),
        ("caf&eacute; &amp; th&eacute; &rsquo;n&rsquo; &hellip;", "café & thé ’n’ …"),
        ("&#233;&#xE9;&#x1F600;", "éé😀"),
        ("a&nbsp;b&#160;c", "a b c"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("AT&T and R&D", "AT&T and R&D"),
        ("&unknownentity; &", "&unknownentity; &"),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("line<br>break<br/>again<BR />end", "line\nbreak\nagain\nend"),
        ("<ul><li>x</li><li>y</li></ul>after", "x\ny\n\nafter"),
        ("<h2>Title</h2>Body", "Title\n\nBody"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<script>var x = '<p>no</p>';</script>yes", "yes"),
        ("<style>p { color: red }</style>yes", "yes"),
        ("<noscript><img src=x></noscript>yes", "yes"),
        ("<SCRIPT type='text/javascript'>x()</SCRIPT >yes", "yes"),
        ("before<script>never closed", "before"),
        ("<!-- a comment -->visible<!-- another -->", "visible"),
        ("visible<!-- unclosed comment", "visible"),
        ("<![CDATA[kept]]>", "kept"),
        ("<!DOCTYPE html><html><head><title>T</title></head><body>B</body></html>", "B"),
        ("<?xml version='1.0'?><p>x</p>", "x"),
        ('<a href="https://example.org/?a=1&amp;b=2" title="t">link</a>', "link"),
        ('<a title="a > b">text</a>', "text"),
        ("<img src='x.png' alt='alt text'>", ""),
        ("unclosed <b", "unclosed <b"),
        ("<p>Unclosed paragraph<p>Another", "Unclosed paragraph\n\nAnother"),
        ("<svg><title>icon</title><path d='M0'/></svg>Label", "Label"),
        ("<video><source src=x>Your browser does not support video.</video>Caption",
         "Caption"),
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
        ("ctrl\x00\x01chars", "ctrlchars"),
        ("<figure><img src=x><figcaption>Cap</figcaption></figure>Text", "Cap\n\nText"),
        ("<p>  spaced  <b> words </b> </p>", "spaced words"),
        ("<pre>keep\n  me</pre>", "keep me"),
        ("<blockquote>Q</blockquote><p>A</p>", "Q\n\nA"),
        ("&#0;&#xD800;x", "\ufffd\ufffdx"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_long_attribute_values_such_as_data_uris() -> None:
    markup = '<img src="data:image/png;base64,' + "A" * 50_000 + '">after'
    assert html_to_text(markup) == "after"


def test_many_stray_quotes_and_brackets_stay_text() -> None:
    markup = '<a "' * 2000
    out = html_to_text(markup)
    assert out.startswith('<a "') and len(out) > 1000


# Text without characters the function drops (controls, surrogates,
# private-use markers, format characters such as soft hyphens).
safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cf")), max_size=200
)


@given(safe_text)
@settings(max_examples=300, deadline=None)
def test_escaped_text_round_trips(text: str) -> None:
    assert html_to_text(html.escape(text)) == " ".join(text.split())


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_never_raises_and_never_returns_markup_from_tags(text: str) -> None:
    out = html_to_text(text)
    assert out == out.strip()
    assert "  " not in out


@given(st.lists(st.sampled_from(["<p>", "</p>", "<b>", "word", " ", "<br>", "&amp;", "<div>",
                                 "<script>", "</script>", "<!--", "-->", "é", "<a href='x'>"]),
                max_size=40))
@settings(max_examples=300, deadline=None)
def test_tag_soup_never_leaks_known_tags(parts: list[str]) -> None:
    out = html_to_text("".join(parts))
    for tag in ("<p>", "<b>", "<br>", "<div>", "<script>", "<a "):
        assert tag not in out
