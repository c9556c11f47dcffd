"""Feed parsing: each format, charsets, dates, malformed input, unsafe XML, autodiscovery."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot._html import html_to_text
from bot._parser import find_feed_links, parse_date, parse_feed
from bot.exceptions import FeedParseError, NotAFeedError, UnsafeXMLError
from bot.types import ParsedFeed
from tests.feedbuilder import atom, json_feed, rdf, rss

WHEN = datetime(2024, 3, 5, 14, 30, 0, tzinfo=UTC)

FULL_ITEM = {
    "id": "urn:item:1",
    "title": "Hello & <goodbye>",
    "link": "https://example.org/posts/1",
    "summary": "<p>Short <b>summary</b>.</p>",
    "content": "<p>The <em>full</em> content.</p>",
    "published": WHEN,
    "author": "Jane Doe",
    "categories": ["news", "tech"],
    "image": "https://example.org/img/1.jpg",
}


# -- the four formats -------------------------------------------------------


Builder = Callable[..., bytes]
FORMATS = [(rss, "rss"), (rdf, "rdf"), (atom, "atom"), (json_feed, "json")]


@pytest.mark.parametrize("build, fmt", FORMATS)
def test_each_format_reads_every_field(build: Builder, fmt: str) -> None:
    feed = parse_feed(build([FULL_ITEM], title="My feed", language="fr-FR"))
    assert isinstance(feed, ParsedFeed)
    assert feed.format == fmt
    assert feed.title == "My feed"
    assert feed.link == "https://example.org/"
    assert feed.language == "fr"
    (entry,) = feed.entries
    assert entry.id == "urn:item:1"
    # The builder escapes the title: "<goodbye>" is text, not a tag.
    assert entry.title == "Hello & <goodbye>"
    assert entry.link == "https://example.org/posts/1"
    if fmt == "json":
        # JSON Feed's summary is plain text by definition: shown as written.
        assert html_to_text(entry.summary_html) == "<p>Short <b>summary</b>.</p>"
    else:
        assert html_to_text(entry.summary_html) == "Short summary."
    assert "<em>full</em>" in entry.content_html
    assert entry.published == WHEN
    assert entry.published is not None and entry.published.tzinfo is not None
    assert entry.author == "Jane Doe"
    assert set(entry.categories) == {"news", "tech"}
    assert entry.language == "fr"
    if fmt in ("rss", "atom", "json"):
        assert entry.image == "https://example.org/img/1.jpg"


@pytest.mark.parametrize("build", [rss, rdf, atom, json_feed])
def test_items_keep_document_order_and_own_language(build: Builder) -> None:
    items = [
        {"id": f"i{n}", "title": f"Item {n}", "link": f"https://example.org/{n}"} for n in range(5)
    ]
    items[2] = {**items[2], "language": "en-GB"}
    feed = parse_feed(build(items, language="fr"))
    assert [e.title for e in feed.entries] == [f"Item {n}" for n in range(5)]
    assert [e.language for e in feed.entries] == ["fr", "fr", "en", "fr", "fr"]


@pytest.mark.parametrize("build", [rss, rdf, atom, json_feed])
def test_undetermined_language_is_unknown(build: Builder) -> None:
    # "und" (BCP 47 for "undetermined") is no language: an item so tagged has
    # its feed's language, and a feed so tagged has none, as in bot._lang.
    items = [{"id": "a", "title": "A", "language": "und"}, {"id": "b", "title": "B"}]
    feed = parse_feed(build(items, language="fr"))
    assert [e.language for e in feed.entries] == ["fr", "fr"]
    feed = parse_feed(build(items, language="und"))
    assert feed.language is None
    assert [e.language for e in feed.entries] == [None, None]


@pytest.mark.parametrize(("written", "expected"),
                         [("English", "en"), ("Français", "fr"), ("fr_FR", "fr"), ("zxx", None)])
def test_feed_language_names_and_tags(written: str, expected: str | None) -> None:
    assert parse_feed(rss([{"title": "x"}], language=written)).language == expected


def test_rss_item_without_link_uses_permalink_guid() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>a</title><guid>https://example.org/a</guid></item>
      <item><title>b</title><guid isPermaLink="false">https://example.org/b</guid></item>
    </channel></rss>"""
    a, b = parse_feed(body).entries
    assert a.link == "https://example.org/a"
    assert b.link is None and b.id == "https://example.org/b"


def test_rss_html_title_is_reduced_to_text_and_double_escaping_decoded() -> None:
    body = b"""<rss><channel><item>
      <title>&lt;b&gt;Bold&lt;/b&gt; caf&amp;eacute; &amp;amp; co</title>
    </item></channel></rss>"""
    (entry,) = parse_feed(body).entries
    assert entry.title == "Bold café & co"


def test_rss_author_email_form_and_enclosure_image() -> None:
    body = b"""<rss><channel><item><title>t</title>
      <author>jane@example.org (Jane Doe)</author>
      <enclosure url="https://cdn.example.org/a.mp3" type="audio/mpeg" length="1"/>
      <enclosure url="https://cdn.example.org/a.png" type="image/png" length="1"/>
    </item></channel></rss>"""
    (entry,) = parse_feed(body).entries
    assert entry.author == "Jane Doe"
    assert entry.image == "https://cdn.example.org/a.png"


def test_rss_image_falls_back_to_first_img_in_content() -> None:
    body = b"""<rss><channel><item><title>t</title>
      <description>&lt;p&gt;&lt;img src="/pics/x.jpg" alt=""&gt; text&lt;/p&gt;</description>
    </item></channel></rss>"""
    (entry,) = parse_feed(body, url="https://example.org/feed").entries
    assert entry.image == "https://example.org/pics/x.jpg"


def test_rss_description_with_raw_xhtml_children_is_kept_as_markup() -> None:
    body = b"""<rss><channel><item><title>t</title>
      <description>Intro <p xmlns="http://www.w3.org/1999/xhtml">para <b>bold</b></p> end
      </description>
    </item></channel></rss>"""
    (entry,) = parse_feed(body).entries
    assert entry.summary_html == "Intro <p>para <b>bold</b></p> end"


def test_atom_text_constructs() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom">
      <title type="html">Feed &lt;i&gt;title&lt;/i&gt;</title>
      <author><name>Feed Author</name></author>
      <link rel="self" href="https://example.org/atom.xml"/>
      <link href="https://example.org/"/>
      <entry>
        <id>tag:example.org,2024:1</id>
        <title type="text">1 &lt; 2 &amp; &lt;b&gt;not bold&lt;/b&gt;</title>
        <link rel="alternate" type="application/json" href="https://example.org/1.json"/>
        <link rel="alternate" type="text/html" href="https://example.org/1"/>
        <updated>2024-03-05T15:30:00+01:00</updated>
        <summary type="text">a &lt; b
and more</summary>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"
          ><p>Hi <b>there</b></p></div></content>
      </entry>
      <entry>
        <title type="xhtml"
          ><div xmlns="http://www.w3.org/1999/xhtml">X<i>html</i> title</div></title>
        <content src="https://example.org/out-of-line"/>
        <published>2024-03-01T00:00:00Z</published>
        <updated>2024-03-02T00:00:00Z</updated>
      </entry>
    </feed>"""
    feed = parse_feed(body)
    assert feed.title == "Feed title"
    assert feed.link == "https://example.org/"
    first, second = feed.entries
    assert first.title == "1 < 2 & <b>not bold</b>"
    assert first.link == "https://example.org/1"
    # Only "updated" given: it stands for the publication date too.
    assert first.published == first.updated == WHEN
    assert first.summary_html == "a &lt; b<br>\nand more"
    assert first.content_html == "<p>Hi <b>there</b></p>"
    assert first.author == "Feed Author"
    assert second.title == "Xhtml title"
    assert second.content_html == ""
    assert second.published == datetime(2024, 3, 1, tzinfo=UTC)
    assert second.updated == datetime(2024, 3, 2, tzinfo=UTC)


def test_atom_0_3_and_rss_0_90_and_channel_root() -> None:
    atom03 = b"""<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="en-us">
      <title>Old</title><link rel="alternate" type="text/html" href="https://old.example/"/>
      <entry><title>E</title><link rel="alternate" type="text/html" href="https://old.example/e"/>
        <id>tag:old,1</id><issued>2004-01-02T03:04:05Z</issued><modified>2004-01-03T00:00:00Z</modified>
        <content type="text/html" mode="escaped">&lt;p&gt;Hi&lt;/p&gt;</content>
      </entry></feed>"""
    feed = parse_feed(atom03)
    (entry,) = feed.entries
    assert (feed.format, feed.language, entry.link) == ("atom", "en", "https://old.example/e")
    assert entry.published == datetime(2004, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert entry.updated == datetime(2004, 1, 3, tzinfo=UTC)
    assert entry.content_html == "<p>Hi</p>"

    rss090 = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://my.netscape.com/rdf/simple/0.9/">
      <channel><title>Ninety</title><link>https://ninety.example/</link></channel>
      <item><title>One</title><link>https://ninety.example/1</link></item>
      <item><title>Two</title><link>https://ninety.example/2</link></item>
    </rdf:RDF>"""
    feed = parse_feed(rss090)
    assert feed.format == "rdf" and feed.title == "Ninety"
    assert [e.link for e in feed.entries] == ["https://ninety.example/1", "https://ninety.example/2"]

    channel = b"<channel><title>C</title><item><title>x</title><dc:language "
    channel += b'xmlns:dc="http://purl.org/dc/elements/1.1/">de-AT</dc:language></item></channel>'
    feed = parse_feed(channel)
    assert feed.format == "rss" and feed.entries[0].language == "de"


def test_youtube_style_media_group() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
      <entry><id>yt:video:1</id><title>Video</title>
        <link rel="alternate" href="https://www.youtube.com/watch?v=1"/>
        <media:group><media:title>Video</media:title>
          <media:thumbnail url="https://i.ytimg.com/vi/1/hq.jpg" width="480" height="360"/>
          <media:description>Line one
Line &amp; two</media:description>
        </media:group>
      </entry></feed>"""
    (entry,) = parse_feed(body).entries
    assert entry.image == "https://i.ytimg.com/vi/1/hq.jpg"
    assert entry.summary_html == "Line one<br>\nLine &amp; two"


def test_json_feed_1_0_and_1_1_fields() -> None:
    body = b"""{"version": "https://jsonfeed.org/version/1", "title": "J",
      "home_page_url": "https://j.example/", "feed_url": "https://j.example/feed.json",
      "author": {"name": "Feed Writer"},
      "items": [
        {"id": 42, "url": "/posts/42", "title": "  Spaced   title ",
         "content_text": "Para one\\n\\na < b", "summary": "Sum & more",
         "date_modified": "2024-03-05T14:30:00Z", "banner_image": "https://j.example/b.png",
         "tags": ["x", 3, "y"]},
        {"id": "2", "external_url": "https://elsewhere.example/x", "content_html": "<p>hi</p>",
         "authors": [{"url": "https://a"}, {"name": "Second Author"}], "language": "en-US"},
        "not an item"
      ]}"""
    feed = parse_feed(body, url="https://j.example/feed.json")
    assert feed.format == "json"
    assert feed.link == "https://j.example/"
    first, second = feed.entries
    assert first.id == "42"
    assert first.link == "https://j.example/posts/42"
    assert first.title == "Spaced title"
    assert first.content_html == "Para one<br>\n<br>\na &lt; b"
    assert first.summary_html == "Sum &amp; more"
    assert first.published == WHEN and first.updated == WHEN
    assert first.image == "https://j.example/b.png"
    assert first.categories == ("x", "y")
    assert first.author == "Feed Writer"
    assert second.link == "https://elsewhere.example/x"
    assert second.author == "Second Author"
    assert second.language == "en"
    assert second.content_html == "<p>hi</p>"


def test_json_strings_lose_nul_controls_and_lone_surrogates() -> None:
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1",'
            b' "title": "a\\u0000b\\ud800c\\u0007d", "content_text": "x\\udfffy"}]}')
    (entry,) = parse_feed(body).entries
    assert entry.title == "abcd"
    assert entry.content_html == "xy"
    entry.title.encode("utf-8")  # storable


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "no items"}',
        b'{"some": "json"}',
        b"[1, 2, 3]",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
    ],
)
def test_json_that_is_not_a_json_feed(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body)


# -- links and bases --------------------------------------------------------


def test_relative_links_resolve_against_xml_base_then_url() -> None:
    body = b"""<rss xml:base="https://base.example/root/"><channel><link>/</link>
      <item xml:base="sub/"><title>a</title><link>page.html</link></item>
      <item><title>b</title><link>other.html</link></item>
    </channel></rss>"""
    feed = parse_feed(body, url="https://fetched.example/feed.xml")
    assert feed.link == "https://base.example/"
    a, b = feed.entries
    assert a.link == "https://base.example/root/sub/page.html"
    assert b.link == "https://base.example/root/other.html"


def test_relative_links_without_any_base_are_dropped_and_bad_schemes_refused() -> None:
    body = rss([
        {"title": "rel", "link": "/only/relative"},
        {"title": "js", "link": "javascript:alert(1)"},
        {"title": "ok", "link": " https://example.org/x\n"},
    ])
    feed = parse_feed(body)
    assert [e.link for e in feed.entries] == [None, None, "https://example.org/x"]
    feed = parse_feed(body, url="https://example.org/feed")
    assert [e.link for e in feed.entries] == [
        "https://example.org/only/relative", None, "https://example.org/x"
    ]


def test_atom_xml_base_on_feed() -> None:
    body = atom([{"id": "1", "title": "t", "link": "posts/1"}], xml_base="https://a.example/blog/")
    (entry,) = parse_feed(body, url="https://other.example/").entries
    assert entry.link == "https://a.example/blog/posts/1"


# -- charsets ---------------------------------------------------------------

TITLE = "Été à Paris : « ça » coûte 5 €"


def test_declared_latin1_but_utf8_bytes_gives_no_mojibake() -> None:
    body = rss([{"title": TITLE}], encoding="utf-8", declared_encoding="iso-8859-1")
    assert parse_feed(body).entries[0].title == TITLE


def test_real_latin1_and_cp1252() -> None:
    latin = rss([{"title": "Été à Paris"}], encoding="iso-8859-1")
    assert parse_feed(latin).entries[0].title == "Été à Paris"
    cp = rss([{"title": "It’s “quoted” — 5 €"}], encoding="cp1252",
             declared_encoding="windows-1252")
    assert parse_feed(cp).entries[0].title == "It’s “quoted” — 5 €"
    # Declared iso-8859-1, bytes in the 0x80–0x9F range: read as windows-1252.
    cp_as_latin = rss([{"title": "It’s"}], encoding="cp1252", declared_encoding="iso-8859-1")
    assert parse_feed(cp_as_latin).entries[0].title == "It’s"


def test_undeclared_non_utf8_falls_back_to_cp1252() -> None:
    body = rss([{"title": "Noël"}], encoding="cp1252", declared_encoding=None)
    assert parse_feed(body).entries[0].title == "Noël"


def test_declared_utf8_with_invalid_bytes_does_not_fail() -> None:
    body = rss([{"title": "Noël"}], encoding="cp1252", declared_encoding="utf-8")
    assert parse_feed(body).entries[0].title == "Noël"


def test_utf16_with_bom_and_utf16_declared_without_bom() -> None:
    doc = rss([{"title": TITLE}], encoding="utf-8", declared_encoding="utf-16")
    assert parse_feed(doc).entries[0].title == TITLE
    utf16 = rss([{"title": TITLE}], encoding="utf-16")  # Python writes a BOM
    assert parse_feed(utf16).entries[0].title == TITLE
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):  # no BOM
        assert parse_feed(rss([{"title": TITLE}], encoding=codec)).entries[0].title == TITLE


def test_content_type_charset_is_a_fallback_only() -> None:
    body = rss([{"title": "Noël"}], encoding="cp1252", declared_encoding=None)
    feed = parse_feed(body, content_type="text/xml; charset=windows-1252")
    assert feed.entries[0].title == "Noël"
    utf8 = rss([{"title": "Noël"}], encoding="utf-8")
    # The XML declaration wins over a wrong header.
    assert parse_feed(utf8, content_type="text/xml; charset=iso-8859-1").entries[0].title == "Noël"


def test_bom_whitespace_and_junk_before_the_document() -> None:
    doc = rss([{"title": "t"}])
    assert parse_feed(b"\xef\xbb\xbf" + doc).entries[0].title == "t"
    assert parse_feed(b"\n\n  " + doc).entries[0].title == "t"
    assert parse_feed(b"Warning: something in feed.php on line 3\n" + doc).entries[0].title == "t"


def test_sniffing_ignores_a_wrong_content_type() -> None:
    assert parse_feed(json_feed([{"title": "j"}]), content_type="text/html").format == "json"
    assert parse_feed(atom([{"title": "a"}]), content_type="application/json").format == "atom"


# -- dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tue, 05 Mar 2024 14:30:00 GMT", WHEN),
        ("Tue, 05 Mar 2024 14:30:00 +0000", WHEN),
        ("Tue, 5 Mar 2024 15:30:00 +0100", WHEN),
        ("Tue, 05 Mar 2024 09:30:00 EST", WHEN),
        ("Tue, 05 Mar 2024 07:30:00 PDT", WHEN),
        ("mar., 05 avr. 2024 15:30:00 +0100", WHEN.replace(month=4)),
        ("Tue, 05 Mar 2024 14:30 GMT", WHEN),
        ("tue, 05 mar 2024 14:30:00 gmt", WHEN),
        ("Tue, 05 Mar 24 14:30:00 GMT", WHEN),
        ("05 Mar 2024 14:30:00", WHEN),
        ("Tuesday, 05-Mar-2024 14:30:00 GMT", WHEN),
        ("Tue Mar  5 14:30:00 2024", WHEN),
        ("mar., 05 mars 2024 15:30:00 +0100", WHEN),
        ("5 janvier 2024 10:00 +01:00", datetime(2024, 1, 5, 9, 0, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 02:30:00 PM GMT", WHEN),
        ("Tue, 05 Mar 2024 14:30:00 GMT+1", WHEN - timedelta(hours=1)),
        ("Tue, 05 Mar 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("Sat, 01 Jan 99 00:00:00 GMT", datetime(1999, 1, 1, tzinfo=UTC)),
        ("2024-03-05T14:30:00Z", WHEN),
        ("2024-03-05T14:30:00.123456789Z", WHEN.replace(microsecond=123456)),
        ("2024-03-05T16:30:00+02:00", WHEN),
        ("2024-03-05T16:30:00+0200", WHEN),
        ("2024-03-05 14:30:00", WHEN),
        ("2024-03-05t14:30:00z", WHEN),
        ("20240305T143000Z", WHEN),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024/03/05 14:30", WHEN),
        ("Tue, 05 Mar 2024 20:00:00 IST", WHEN),
        ("2099-12-31T00:00:00Z", datetime(2099, 12, 31, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("not a date", None),
        ("2024-02-30T00:00:00Z", None),
        ("Tue, 32 Mar 2024 14:30:00 GMT", None),
        ("Tue, 05 Foo 2024 14:30:00 GMT", None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    got = parse_date(text)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_feed_dates_are_utc_and_far_future_is_kept() -> None:
    future = datetime.now(UTC) + timedelta(days=400)
    paris = timezone(timedelta(hours=2))
    body = atom([
        {"id": "1", "title": "f", "published": future},
        {"id": "2", "title": "p", "published": datetime(2024, 6, 1, 12, 0, tzinfo=paris)},
        {"id": "3", "title": "none"},
    ])
    a, b, c = parse_feed(body).entries
    assert a.published is not None and abs(a.published - future) < timedelta(seconds=1)
    assert b.published == datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
    assert b.published is not None and b.published.utcoffset() == timedelta(0)
    assert c.published is None


# -- malformed documents ----------------------------------------------------


def test_html_entities_and_bare_ampersands_are_repaired() -> None:
    body = b"""<rss><channel><title>Caf&eacute; &amp; co</title><item>
      <title>Tom & Jerry&nbsp;&rsquo;s &unknown; &#233;t&#xE9;</title>
      <link>https://example.org/?a=1&b=2</link></item></channel></rss>"""
    feed = parse_feed(body)
    assert feed.title == "Café & co"
    (entry,) = feed.entries
    assert entry.title == "Tom & Jerry ’s &unknown; été"
    assert entry.link == "https://example.org/?a=1&b=2"


def test_control_characters_unquoted_attributes_and_stray_lt() -> None:
    body = (
        b"<rss><channel><item><title>bad\x02char a < b</title>"
        b"<guid isPermaLink=false>g1</guid></item></channel></rss>"
    )
    (entry,) = parse_feed(body).entries
    assert entry.title == "badchar a < b"
    assert entry.id == "g1" and entry.link is None


def test_trailing_garbage_after_the_root_is_ignored() -> None:
    body = rss([{"title": "one"}, {"title": "two"}]) + b"<script>x()</script>\n"
    assert [e.title for e in parse_feed(body).entries] == ["one", "two"]


@pytest.mark.parametrize(
    "body",
    [
        # An unclosed <item> nests the next item inside it.
        b"<rss><channel><item><title>one</title><item><title>two</title></item></channel></rss>",
        # Mismatched end tags.
        b"<rss><channel><item><title>one</b></title></item><item><title>two<i></title></item>"
        b"</channel></rss>",
        # Raw HTML with void elements in a description.
        b"<rss><channel><item><title>one</title><description><p>Hi<br>there</p></description>"
        b"</item><item><title>two</title></item></channel></rss>",
    ],
)
def test_broken_xml_loses_no_item(body: bytes) -> None:
    titles = [e.title for e in parse_feed(body).entries]
    assert titles == ["one", "two"]


def test_recovered_items_have_no_updated_date_unless_the_feed_says() -> None:
    # An unclosed <item> needs feedparser, whose deprecated mapping of a
    # missing "updated" to "published" once made both dates the same (and warned).
    body = (b"<rss><channel><item><title>one</title><pubDate>Tue, 05 Mar 2024 14:30:00 GMT"
            b"</pubDate><item><title>two</title></item></channel></rss>")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feed = parse_feed(body)
    assert [e.title for e in feed.entries] == ["one", "two"]
    assert feed.entries[0].published == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    assert feed.entries[0].updated is None


def test_truncated_document_keeps_complete_items() -> None:
    body = rss([{"title": "one", "link": "https://e.org/1"}, {"title": "two"}])
    feed = parse_feed(body[: body.index(b"<title>two")] + b"<tit")
    assert feed.entries[0].title == "one"
    assert feed.entries[0].link == "https://e.org/1"


def test_misplaced_xml_declaration_and_undeclared_prefixes() -> None:
    body = b"""<!-- generated -->
<?xml?xml version="1.0" encoding="UTF-8" ??>
<rss rss:version=2.0><rss:channel><rss:title>T</rss:title>
<rss:item><rss:title>first</rss:title><rss:link>https://e.org/1</rss:link>
<rss:pubDate>Wed, 31 dec 2025 00:00:00 GMT</rss:pubDate></rss:item>
</rss:channel></rss>"""
    feed = parse_feed(body)
    (entry,) = feed.entries
    assert (entry.title, entry.link) == ("first", "https://e.org/1")
    assert entry.published == datetime(2025, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [b"", b"   \n ", b"just some text", b"<?xml version='1.0'?>", b"<opml><body/></opml>",
     b"\x00\x01\x02\x03", b"<", b"{"],
)
def test_not_a_feed_raises_feed_parse_error(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, url="https://example.org/x")


def test_feed_with_no_items_is_a_feed() -> None:
    feed = parse_feed(rss([], title="Empty"))
    assert feed.title == "Empty" and feed.entries == ()


# -- unsafe XML -------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss><channel><item><title>&lol9;</title></item></channel></rss>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 100_000 + b'">]>'
    b"<rss><channel><item><title>" + b"&a;" * 10_000 + b"</title></item></channel></rss>"
)

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&xxe;</title></item></channel></rss>"""


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A real TCP listener on 127.0.0.1 that records any connection made to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.05)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    seen.append(conn.recv(1024) or b"<connected>")
                except OSError:
                    seen.append(b"<connected>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join(2)
    server.close()


def _network_xxe(port: int) -> list[bytes]:
    return [
        f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/e">]>
<rss><channel><item><title>&x;</title></item></channel></rss>""".encode(),
        f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p.dtd">
%p;]><rss><channel><item><title>t</title></item></channel></rss>""".encode(),
        b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "http://127.0.0.1:9/">]>
<rss><channel><item><title>&x;</title></item></channel></rss>""",
    ]


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, QUADRATIC, XXE_FILE], ids=["laughs", "quadratic", "xxe-file"]
)
def test_entity_declarations_are_refused(body: bytes) -> None:
    with pytest.raises(UnsafeXMLError) as info:
        parse_feed(body, url="https://example.org/feed")
    assert "root:" not in str(info.value)


def test_entity_declarations_in_odd_places_are_refused() -> None:
    # Lower-case doctype keyword, BOM, UTF-16: still found before parsing.
    for body in (
        BILLION_LAUGHS.replace(b"DOCTYPE", b"doctype"),
        b"\xef\xbb\xbf" + XXE_FILE,
        XXE_FILE.decode().replace('"1.0"?>', '"1.0" encoding="utf-16"?>').encode("utf-16"),
    ):
        with pytest.raises(UnsafeXMLError):
            parse_feed(body)


def test_network_entities_are_refused_and_never_fetched(listener: tuple[int, list[bytes]]) -> None:
    port, seen = listener
    for body in _network_xxe(port):
        with pytest.raises(UnsafeXMLError):
            parse_feed(body)
    time.sleep(0.2)  # give a (wrong) connection time to show up
    assert seen == []


def test_external_dtd_without_entities_is_never_loaded(listener: tuple[int, list[bytes]]) -> None:
    port, seen = listener
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://127.0.0.1:{port}/rss.dtd">
<rss version="0.91"><channel><title>T</title>
<item><title>Caf&eacute;</title><link>http://example.org/1</link></item>
</channel></rss>""".encode()
    feed = parse_feed(body)
    assert feed.entries[0].title == "Café"
    time.sleep(0.2)
    assert seen == []


def test_external_dtd_pointing_at_a_file_is_not_read() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file:///etc/passwd">
<rss><channel><item><title>t</title></item></channel></rss>"""
    feed = parse_feed(body)
    assert [e.title for e in feed.entries] == ["t"]
    assert "root:" not in repr(feed)


# -- HTML pages and autodiscovery -------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html><head>
<base href="https://www.example.org/blog/">
<!-- <link rel="alternate" type="application/rss+xml" href="/commented-out.xml"> -->
<link rel="alternate" type="application/json" href="https://www.example.org/wp-json/wp/v2/posts/1">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/feed+json" href="feed.json">
<link rel="alternate" type="application/rss+xml" title="RSS" href="feed/">
<LINK REL="Alternate" TYPE="application/atom+xml" HREF="https://www.example.org/atom.xml?a=1&amp;b=2">
<link rel="alternate" type="application/rss+xml" href="feed/">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link
rel="alternate"
type="application/rss+xml" href="/comments/feed/" title="Comments feed">
</head><body><p>Hello</p></body></html>"""


def test_html_page_raises_not_a_feed_with_feed_links() -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(PAGE, url="https://www.example.org/blog/post")
    assert info.value.feed_links == (
        "https://www.example.org/blog/feed/",
        "https://www.example.org/atom.xml?a=1&b=2",
        "https://www.example.org/comments/feed/",
        "https://www.example.org/blog/feed.json",
    )
    assert isinstance(info.value, FeedParseError)


def test_find_feed_links_without_base_tag_and_application_json() -> None:
    page = """<html><head>
      <link rel="alternate" type="application/json" href="/feed.json">
      <link rel='alternate feed' type='application/rss+xml' href='//cdn.example.org/rss'>
      <link rel="alternate" type="application/rss+xml" href="ftp://example.org/x">
    </head></html>"""
    assert find_feed_links(page, "https://example.org/a/b") == (
        "https://cdn.example.org/rss",
        "https://example.org/feed.json",
    )
    assert find_feed_links("<html>no links</html>", "https://example.org/") == ()


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>No head</body></html>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        b"<!-- x --><!doctype html><title>x</title>",
        b"\n<HTML><BODY>caps</BODY></HTML>",
    ],
)
def test_various_html_pages(body: bytes) -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body, url="https://example.org/")
    assert info.value.feed_links == ()
