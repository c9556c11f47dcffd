"""Fuzzing the feed parser: whatever the bytes, a feed or a FeedParseError.

Starting from real feeds (``tests/data/**/*.xml|json`` when present) and a
handful built with :mod:`feedbuilder`, the documents are mutated byte by
byte, truncated, given JSON values of the wrong type, nested deeply and
encoded otherwise than they say. The property users rely on: ``parse_feed``
returns a :class:`ParsedFeed` or raises :class:`FeedParseError` (or a
subclass), never anything else, within a sanity bound of CPU time and memory
per document; and what it returns can be stored (absolute http(s) links,
UTC datetimes, no NUL or lone surrogate in any text).

The number of examples comes from the hypothesis profile (see conftest.py):
few here, thousands under ``make fuzz``. What the fuzzing found stays at the
end as plain regression tests, each with its minimal document.
"""

from __future__ import annotations

import codecs
import json
import re
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from feedbuilder import atom, json_feed, rdf, rss
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bot._parser import parse_feed
from bot.exceptions import FeedParseError
from bot.types import Entry, ParsedFeed

#: Sanity bounds for one document under 1 MB (generous: not a benchmark).
CPU_SECONDS = 5.0
MEMORY_BYTES = 100 * 2**20
MAX_SEED_BYTES = 2**20
#: At most this much is added by a flood, so that documents stay under about 1 MB.
FLOOD_BYTES = 600_000

_settings = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # The explain phase replays examples under a tracer, several times slower:
    # a document near the CPU bound would then seem to fail.
    phases=[phase for phase in Phase if phase is not Phase.explain],
)


def fuzz(test: Callable[..., None]) -> Callable[..., None]:
    """Mark a property test as fuzzing, without hypothesis' own deadline and
    health checks, which a loaded machine would trip (the fuzz profile drops
    them too): the bounds above are what is checked, in CPU time."""
    return pytest.mark.fuzz(_settings(test))


DATA = Path(__file__).resolve().parent / "data"
WHEN = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


def _items(n: int) -> list[dict[str, Any]]:
    return [{
        "id": f"urn:item:{i}", "title": f"Élection n°{i} & <suite>",
        "link": f"https://example.org/posts/{i}", "summary": f"<p>Résumé <b>{i}</b></p>",
        "content": f'<p>Le <em>texte</em> {i}</p><img src="/img/{i}.jpg">',
        "published": WHEN, "updated": WHEN, "author": "Jeanne Dupont",
        "categories": ["politique", "monde"], "image": f"https://example.org/{i}.png",
        "language": "fr-FR" if i % 2 else None,
    } for i in range(n)]


def _json_shapes() -> list[bytes]:
    """JSON Feed documents in the shapes seen in the wild (1.0 and 1.1)."""
    v10, v11 = "https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"
    docs: list[dict[str, Any]] = [
        {"version": v10, "title": "Blog", "home_page_url": "https://example.org/",
         "feed_url": "https://example.org/feed.json", "author": {"name": "Jane", "url": "/j"},
         "items": [{"id": "1", "url": "/p/1", "title": "Un", "content_text": "Texte\nbrut",
                    "date_published": "2024-03-05T14:30:00+01:00", "tags": ["a", "b"],
                    "author": {"name": "Jeanne"}},
                   {"id": 2, "external_url": "https://other.example/2",
                    "content_html": "<p>Deux</p>", "summary": "Deux",
                    "date_modified": "2024-03-06T10:00:00Z", "banner_image": "/b.png"}]},
        {"version": v11, "title": "Podcast", "language": "en-GB",
         "authors": [{"name": "Host", "avatar": "https://example.org/a.png"}],
         "items": [{"id": "e1", "url": "https://example.org/e1", "title": "Episode 1",
                    "content_html": "<p>Show notes</p>", "image": "https://example.org/1.jpg",
                    "authors": [{"url": "https://a"}, {"name": "Guest"}], "language": "fr",
                    "attachments": [{"url": "https://example.org/e1.mp3",
                                     "mime_type": "audio/mpeg", "size_in_bytes": 123}]}]},
        {"version": v11, "items": []},
    ]
    return [json.dumps(doc, ensure_ascii=False).encode() for doc in docs]


def _built_seeds() -> list[bytes]:
    return [
        rss(_items(3), title="Flux", language="fr"),
        rss(_items(2), encoding="iso-8859-1"),
        rdf(_items(2), language="en"),
        atom(_items(3), language="fr", xml_base="https://example.org/blog/"),
        atom([{"title": "Seul", "link": "/relative"}], encoding="utf-16"),
        json_feed(_items(2), language="fr"),
        b"<rss version='0.91'><channel><title>Old</title><item><title>a &eacute; b"
        b"</title><link>https://e.org/1</link></item></channel></rss>",
        *_json_shapes(),
        # An HTML page that advertises its feeds (NotAFeedError, autodiscovery).
        b'<!DOCTYPE html><html><head><base href="https://example.org/blog/">'
        b'<link rel="alternate" type="application/rss+xml" href="feed.xml">'
        b"<link rel='alternate feed' type='application/feed+json' href=/feed.json>"
        b"<!-- <link rel=alternate type=application/atom+xml href=old.xml> -->"
        b"</head><body><p>Hello</p></body></html>",
    ]


def _data_seeds() -> list[bytes]:
    """The real feeds of tests/data, if any (read once, at collection)."""
    if not DATA.is_dir():
        return []
    paths = sorted(p for pattern in ("**/*.xml", "**/*.json") for p in DATA.glob(pattern))
    return [b for b in (p.read_bytes() for p in paths if p.is_file()) if len(b) <= MAX_SEED_BYTES]


BUILT_SEEDS = _built_seeds()
SEEDS = BUILT_SEEDS + _data_seeds()


def _as_json(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("items"), list) else None


JSON_SEEDS = [doc for doc in map(_as_json, SEEDS) if doc is not None]


def _as_text(body: bytes) -> str | None:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


TEXT_SEEDS = [text for text in map(_as_text, SEEDS) if text is not None]


# -- the property ------------------------------------------------------------------


_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_bytes(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    assert match, field
    return int(match.group(1)) * 1024


def _reset_peak_rss() -> bool:
    try:
        _CLEAR_REFS.write_text("5")  # the peak resident set becomes the current one
    except OSError:
        return False
    return True


def _lifetime_peak_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes there, KiB on Linux


#: Linux lets a process reset its peak resident set: what one parse takes is
#: then measured, Python heap and libxml2's mallocs alike. Elsewhere only the
#: growth of the lifetime peak is seen (weaker: nothing below an earlier peak).
_CAN_RESET_PEAK = _reset_peak_rss()


def _start_peak_memory() -> int:
    """Start measuring the peak memory of the process; return the baseline."""
    if _CAN_RESET_PEAK and _reset_peak_rss():
        return _status_bytes("VmRSS")
    return _lifetime_peak_rss()


def _peak_memory() -> int:
    return _status_bytes("VmHWM") if _CAN_RESET_PEAK else _lifetime_peak_rss()


def parse_within_bounds(body: bytes, content_type: str | None = None) -> ParsedFeed | None:
    """parse_feed, checked: a feed or a FeedParseError (None), within the bounds.

    A document over the CPU bound is parsed once more and the faster run
    counts, so that a pause of the process (a full garbage collection of a
    large test process) is not taken for the parser's cost; a slow parser is
    slow both times.
    """
    result, cpu, memory = _measured_parse(body, content_type)
    if cpu >= CPU_SECONDS:
        first = cpu
        result, cpu, memory = _measured_parse(body, content_type)
        assert cpu < CPU_SECONDS, f"{first:.1f} s then {cpu:.1f} s of CPU for {len(body)} bytes"
    assert memory < MEMORY_BYTES, f"{memory / 2**20:.0f} MB for {len(body)} bytes"
    if result is not None:
        _assert_storable(result)
    return result


def _measured_parse(body: bytes, content_type: str | None) -> tuple[ParsedFeed | None, float, int]:
    baseline = _start_peak_memory()
    start = time.process_time()
    try:
        result: ParsedFeed | None = parse_feed(
            body, url="https://fuzz.example/feed/", content_type=content_type)
    except FeedParseError:
        result = None  # any other exception fails the test
    return result, time.process_time() - start, _peak_memory() - baseline


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _assert_text(value: str | None) -> None:
    assert value is None or (isinstance(value, str) and not _UNSTORABLE.search(value)), value


def _assert_url(value: str | None) -> None:
    _assert_text(value)
    assert value is None or value.lower().startswith(("http://", "https://")), value


def _assert_storable(feed: ParsedFeed) -> None:
    assert isinstance(feed, ParsedFeed)
    assert feed.format in ("rss", "rdf", "atom", "json")
    for text in (feed.title, feed.language):
        _assert_text(text)
    _assert_url(feed.link)
    for entry in feed.entries:
        assert isinstance(entry, Entry)
        for text in (entry.id, entry.title, entry.summary_html, entry.content_html,
                     entry.author, entry.language, *entry.categories):
            _assert_text(text)
        assert entry.language is None or re.fullmatch("[a-z]{2,3}", entry.language)
        _assert_url(entry.link)
        _assert_url(entry.image)
        for when in (entry.published, entry.updated):
            assert when is None or when.utcoffset() == UTC.utcoffset(None)


def test_the_seeds_are_feeds() -> None:
    # Otherwise the fuzzing below would mutate garbage and prove little.
    for seed in BUILT_SEEDS:
        feed = parse_within_bounds(seed)
        is_page = seed.startswith(b"<!DOCTYPE html>")
        assert (feed is None) == is_page, seed[:200]
        assert is_page or feed.entries or b'"items": []' in seed, seed[:200]
    for seed in SEEDS[len(BUILT_SEEDS):]:
        parse_within_bounds(seed)
    assert JSON_SEEDS and len(TEXT_SEEDS) >= len(BUILT_SEEDS) - 2


# -- byte mutations and truncation -------------------------------------------------

#: Fragments that mean something to an XML or JSON parser, or to a decoder.
TOKENS = [
    b"<img ", b"<b ", b"<link ", b"&lt;img ", b"&lt;p ", b"a@", b" ", b"(", b"=", b"\\",
    b"<", b">", b"&", b"&amp", b"&#0;", b"&#x1F;", b"&#xD800;", b"&nbsp;", b"&eacute",
    b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<!DOCTYPE rss>", b'<!ENTITY a "b">', b"&a;",
    b"<?xml version='1.0' encoding='utf-16'?>", b"<?xml-stylesheet href='x'?>",
    b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3", b"\xed\xa0\x80", b"\x1b",
    b'"', b"'", b"{", b"}", b"[", b"]", b":", b",", b"null", b"1e999", b"-0", b"NaN",
    b'"\\ud800"', b'"\\u0000"', b"xmlns:x='y'", b"xml:base='javascript:alert(1)/'",
    b" xml:lang='und'", b"<item>", b"</item>", b"<entry>", b"</entry>", b"<html>",
    b"<media:group>", b"<title type='xhtml'>", b"<link href='//x'/>", b"\r\n", b"\t",
]
_POSITION = st.integers(0, 2**31)
_MUTATION = st.one_of(
    st.tuples(st.just("set"), _POSITION, st.integers(0, 255)),
    st.tuples(st.just("insert"), _POSITION, st.one_of(st.sampled_from(TOKENS),
                                                      st.binary(min_size=1, max_size=16))),
    st.tuples(st.just("delete"), _POSITION, st.integers(1, 64)),
    st.tuples(st.just("repeat"), _POSITION, st.integers(1, 64)),
    # A flood of one fragment (or of a piece of the document): what makes a
    # careless regular expression quadratic.
    st.tuples(st.just("flood"), _POSITION, st.tuples(
        st.one_of(st.sampled_from(TOKENS), st.integers(1, 16)), st.integers(2, 100_000))),
    st.tuples(st.just("truncate"), _POSITION, st.just(0)),
)


def _mutate(body: bytes, mutations: list[tuple[str, int, Any]]) -> bytes:
    data = bytearray(body)
    for op, position, arg in mutations:
        at = position % (len(data) + 1)
        if op == "set" and at < len(data):
            data[at] = arg
        elif op == "insert":
            data[at:at] = arg
        elif op == "delete":
            del data[at:at + arg]
        elif op == "repeat":
            data[at:at] = data[at:at + arg] * 8
        elif op == "flood":
            fragment, times = arg
            if isinstance(fragment, int):
                fragment = bytes(data[at:at + fragment])
            if fragment:
                data[at:at] = fragment * min(times, FLOOD_BYTES // len(fragment))
        elif op == "truncate":
            del data[at:]
    return bytes(data)


@fuzz
@given(st.sampled_from(SEEDS), st.lists(_MUTATION, min_size=1, max_size=8))
def test_mutated_bytes(seed: bytes, mutations: list[tuple[str, int, Any]]) -> None:
    parse_within_bounds(_mutate(seed, mutations))


@fuzz
@given(st.sampled_from(SEEDS), st.integers(0, 2**31))
def test_truncated(seed: bytes, position: int) -> None:
    parse_within_bounds(seed[: position % (len(seed) + 1)])


# -- JSON values of the wrong type ----------------------------------------------

_JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["", " ", "\x00", "\ud800", "und", "javascript:x", "//evil.example/",
                     "2024-13-45T99:99:99Z", "Tue, 31 Feb 2024 25:61:61 +9999", "9" * 400]),
)
_JSON_VALUE = st.recursive(
    _JSON_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["name", "url", "avatar", "x", ""]), inner, max_size=3),
    ),
    max_leaves=8,
)
FEED_KEYS = ["version", "title", "home_page_url", "feed_url", "language", "author", "authors",
             "items", "description", "icon", "expired", "hubs"]
ITEM_KEYS = ["id", "url", "external_url", "title", "content_html", "content_text", "summary",
             "image", "banner_image", "date_published", "date_modified", "author", "authors",
             "tags", "language", "attachments"]


@fuzz
@given(st.sampled_from(JSON_SEEDS) if JSON_SEEDS else st.nothing(), st.data())
def test_json_values_of_any_type(seed: dict[str, Any], data: st.DataObject) -> None:
    doc = json.loads(json.dumps(seed))  # a private copy
    for key in data.draw(st.lists(st.sampled_from(FEED_KEYS), max_size=3)):
        doc[key] = data.draw(_JSON_VALUE)
    items = doc.get("items")
    if isinstance(items, list) and items:
        for _ in range(data.draw(st.integers(1, 4))):
            index = data.draw(st.integers(0, len(items) - 1))
            if isinstance(items[index], dict) and data.draw(st.booleans()):
                items[index][data.draw(st.sampled_from(ITEM_KEYS))] = data.draw(_JSON_VALUE)
            else:
                items[index] = data.draw(_JSON_VALUE)
    parse_within_bounds(json.dumps(doc, ensure_ascii=data.draw(st.booleans())).encode(
        "utf-8", errors="surrogatepass"))


# -- deep nesting -------------------------------------------------------------------

_XML_NESTING = {
    # Elements within an item's description (well-formed, then unclosed).
    "div": ("<div>", "</div>"),
    "div-unclosed": ("<div>", ""),
    # An Atom title of type html: escaped markup, which html_to_text reads.
    "escaped": ("&lt;b&gt;", "&lt;/b&gt;"),
    "media-group": ("<media:group>", "</media:group>"),
    "item": ("<item><title>t</title>", "</item>"),
}


def _deep_xml(kind: str, depth: int) -> bytes:
    opening, closing = _XML_NESTING[kind]
    nested = opening * depth + "x" + closing * depth
    if kind == "escaped":
        return (f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>'
                f'<title type="html">{nested}</title></entry></feed>').encode()
    item = nested if kind == "item" else f"<item><title>t</title><description>{nested}" \
        "</description></item>"
    return (f'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            f"<title>Deep</title>{item}<item><title>after</title></item></channel></rss>").encode()


def _deep_json(where: str, depth: int) -> bytes:
    nested = "[" * depth + "]" * depth if where.endswith("list") else '{"a":' * depth + "1" + \
        "}" * depth
    if where.startswith("item"):
        return ('{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":'
                + nested + '},{"id":"2","title":"after"}]}').encode()
    return ('{"version":"https://jsonfeed.org/version/1.1","extra":' + nested
            + ',"items":[{"id":"1","title":"t"}]}').encode()


@fuzz
@given(st.sampled_from(sorted(_XML_NESTING)), st.integers(1, 2_000))
@example("div", 20_000)
@example("div-unclosed", 20_000)
@example("escaped", 20_000)
@example("media-group", 20_000)
@example("item", 20_000)
def test_deeply_nested_xml(kind: str, depth: int) -> None:
    parse_within_bounds(_deep_xml(kind, depth))


@fuzz
@given(st.sampled_from(["item-list", "item-object", "feed-list", "feed-object"]),
       st.integers(1, 100_000))
@example("item-list", 100_000)
def test_deeply_nested_json(where: str, depth: int) -> None:
    feed = parse_within_bounds(_deep_json(where, depth))
    if feed is not None and where.startswith("item"):
        assert [e.id for e in feed.entries][-1:] == ["2"]  # the other items are kept


# -- encodings that lie ----------------------------------------------------------------

CODECS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "latin-1",
          "cp1252", "iso-8859-15", "koi8-r", "shift_jis", "gb18030", "big5", "ascii", "utf-7",
          "cp500"]
LABELS = [*CODECS, "UTF-8", "utf8", "ISO-8859-1", "windows-1252", "x-unknown", "", "'",
          "utf-16le", "ucs-2", "ebcdic-cp-us", "latin1 ", "a" * 41]
BOMS = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
        codecs.BOM_UTF32_BE]
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@fuzz
@given(st.sampled_from(TEXT_SEEDS), st.sampled_from(CODECS), st.none() | st.sampled_from(LABELS),
       st.sampled_from(BOMS), st.none() | st.sampled_from(LABELS))
def test_declared_and_actual_encodings_disagree(
    text: str, actual: str, declared: str | None, bom: bytes, header: str | None
) -> None:
    if declared is not None and not text.lstrip().startswith(("{", "[")):
        text = _DECLARATION.sub("", text)
        text = f'<?xml version="1.0" encoding="{declared}"?>\n' + text
    body = bom + text.encode(actual, errors="replace")
    content_type = None if header is None else f"application/rss+xml; charset={header}"
    parse_within_bounds(body, content_type)


# -- what fuzzing found -----------------------------------------------------------
# Each document took from several seconds to over a minute of CPU before its fix
# (the time grew with the square of its size); now a few milliseconds.


@pytest.mark.parametrize(
    "body",
    [
        # An unclosed "<img " again and again in a summary (the first-image search).
        rss([{"title": "x", "summary": "<img " * 30_000}]),
        json_feed([{"title": "x", "content": "<img " * 30_000}]),
        # Likewise "<b " in a title (the test for HTML in RSS titles).
        rss([{"title": "<b " * 100_000}]),
        # An author that looks like an address again and again ("a@a@…").
        rss([{"title": "x", "author": "a@" * 40_000}]),
        # A long run of spaces in markup that declares a namespace.
        b'<rss><channel><item><description><p xmlns="urn:x">a</p>' + b" " * 100_000
        + b"x</description></item></channel></rss>",
        # An HTML page of unclosed <link (autodiscovery).
        b"<html><head>" + b"<link " * 80_000,
        # A long dotted author in a feed that only feedparser reads (its e-mail
        # regular expression, kurtmckee/feedparser#562): 50 s before.
        b"<rss><channel><item><title>one</title><item><title>two</title><author>"
        + b"a." * 40_000 + b"</author></item></channel></rss>",
    ],
    ids=["img-rss", "img-json", "b-title", "author", "xmlns-spaces", "link", "feedparser-author"],
)
def test_floods_that_were_quadratic(body: bytes) -> None:
    parse_within_bounds(body)


def test_flooded_fields_are_still_read() -> None:
    feed = parse_within_bounds(rss([{
        "title": "<b>Bold</b> " + "<b " * 1000, "author": "jane@example.com (Jane Doe)",
        "summary": "<img " * 1000 + '<img alt="x" src="/i.png">'}]))
    assert feed is not None
    (entry,) = feed.entries
    assert entry.title.startswith("Bold")
    assert entry.author == "Jane Doe"
    assert entry.image == "https://fuzz.example/i.png"
