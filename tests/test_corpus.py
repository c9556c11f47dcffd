"""Real feeds parse, or fail with a FeedParseError.

Two sets of real RSS, RDF, Atom and JSON feeds as fetched, some of them
malformed, each with a licence file that must be refused cleanly (see
``realfeeds.py``): the sample shipped in ``tests/data/realfeeds``, checked on
every run, and the full shared corpus, checked when it is present (the
tests that need it skip, saying why, otherwise).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from realfeeds import SAMPLE, data_files, full_corpus, missing_corpus_reason

from bot._parser import parse_feed
from bot.exceptions import FeedParseError
from bot.types import ParsedFeed

CORPUS = full_corpus()
CORPUS_FILES = data_files(CORPUS) if CORPUS is not None else []
SAMPLE_FILES = data_files(SAMPLE)
needs_corpus = pytest.mark.skipif(CORPUS is None, reason=missing_corpus_reason())
# The fetch URL is unknown; any https URL lets relative links resolve.
BASE = "https://corpus.example/feed"
HTML_TAG = re.compile(r"</?(?:p|b|i|em|strong|a|span|div|br|img)\b[^>]*>", re.IGNORECASE)

#: Format and number of entries of each sample feed, as read today. The two
#: broken ones (705749…, 7ef13a…) are only readable after repair or recovery.
SAMPLE_EXPECTED = {
    "021a787a782817fc.xml": ("atom", 15),
    "07403555c6b2ebea.xml": ("atom", 10),
    "0c56ade1367017c8.xml": ("rss", 17),
    "137dd53eb3d6d860.xml": ("rss", 13),
    "14333881097406c7.xml": ("rss", 12),
    "1ee1c80e42551cd6.xml": ("rss", 6),
    "4179e7a13df0f120.xml": ("rss", 10),
    "6ca5c4168c5b374f.xml": ("rss", 20),
    "6f0dfe19284e040e.xml": ("rss", 15),
    "705749c3b1bd02d8.xml": ("rss", 15),
    "7ef13a42fa7e177a.xml": ("rss", 35),
    "9e0834333e854116.xml": ("rss", 59),
    "a4911bd5d9977a79.xml": ("rdf", 15),
    "ab1814a7b8c94975.xml": ("atom", 10),
    "c297e9381ecd4a00.xml": ("rss", 3),
    "c5ab9fd6c5c3ee86.xml": ("atom", 120),
    "c81b774804d7fd57.xml": ("atom", 10),
    "d4b7ab74da763119.json": ("json", 10),
    "e8203fee50c570d8.xml": ("rss", 3),
    "ef194bf7a34b8c3f.xml": ("rss", 4),
}
LICENCE = "LICENSE-fastfeedparser-benchmark-data.txt"


def _parse(path: Path) -> ParsedFeed | FeedParseError:
    try:
        return parse_feed(path.read_bytes(), url=BASE)
    except FeedParseError as e:
        return e


def _sample(name: str) -> ParsedFeed:
    result = _parse(SAMPLE / name)
    assert isinstance(result, ParsedFeed), result
    return result


def _check_file(path: Path) -> None:
    result = _parse(path)  # any other exception fails the test
    if isinstance(result, FeedParseError):
        assert path.suffix not in (".xml", ".json"), f"{path.name}: {result}"
        return
    assert result.format in ("rss", "rdf", "atom", "json")
    for entry in result.entries:
        # (One corpus feed has items with an empty title and no link, only a description.)
        assert entry.title or entry.link or entry.summary_html, f"{path.name}: empty entry"
        for when in (entry.published, entry.updated):
            assert when is None or (when.utcoffset() is not None and not when.utcoffset())
        for url in (entry.link, entry.image):
            assert url is None or url.startswith(("http://", "https://")), url
        assert entry.title == entry.title.strip()
        assert "\n" not in entry.title and not HTML_TAG.search(entry.title), entry.title
        assert entry.language is None or (entry.language.isalpha() and entry.language.islower())
    assert result.link is None or result.link.startswith(("http://", "https://"))


# -- the shipped sample: always ---------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_sample_file_parses_or_raises_feed_parse_error(path: Path) -> None:
    _check_file(path)


def test_sample_overall() -> None:
    results = {p.name: _parse(p) for p in SAMPLE_FILES}
    assert isinstance(results.pop(LICENCE), FeedParseError)
    read = {name: (r.format, len(r.entries)) for name, r in results.items()
            if isinstance(r, ParsedFeed)}
    assert read == SAMPLE_EXPECTED
    assert Counter(fmt for fmt, _ in read.values()) == {"rss": 13, "atom": 5, "rdf": 1, "json": 1}


def test_sample_is_documented_and_small() -> None:
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+)` \|", readme, re.MULTILINE))
    assert listed == set(SAMPLE_EXPECTED), listed ^ set(SAMPLE_EXPECTED)
    assert "MIT" in (SAMPLE / LICENCE).read_text(encoding="utf-8")
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 2_000_000


def test_sample_relative_links_resolve_against_the_feed_url() -> None:
    rss = _sample("137dd53eb3d6d860.xml")  # <link>/blog/…</link>
    atom = _sample("ab1814a7b8c94975.xml")  # href="/blog/…", relative xml:base
    for feed in (rss, atom):
        assert feed.link == "https://corpus.example/blog/"
        assert all(e.link and e.link.startswith("https://corpus.example/blog/")
                   for e in feed.entries)


def test_sample_titles_are_plain_text_decoded_once() -> None:
    # Text that looks like markup stays text.
    assert "#include </etc/shadow>" in [e.title for e in _sample("6f0dfe19284e040e.xml").entries]
    # Entities escaped twice in RSS (&amp;ldquo;) and in an Atom type="html" title (&amp;amp;).
    tumblr = _sample("6ca5c4168c5b374f.xml")
    titles = [e.title for e in tumblr.entries]
    assert "Lover’s Eye, returned to Lender." in titles
    assert not any("&" in t and ";" in t for t in titles)
    assert _sample("c81b774804d7fd57.xml").title == "Science & technology experiments"
    # Untitled posts (8 of 20) keep their link.
    assert sum(1 for e in tumblr.entries if not e.title and e.link) == 8


def test_sample_encodings() -> None:
    # Declared ISO-8859-1, written in windows-1252: byte 0x97 is an em dash, not a C1 control.
    rdf = _sample("a4911bd5d9977a79.xml")
    text = "".join(e.title + e.summary_html for e in rdf.entries)
    assert "—" in text and not re.search("[\x80-\x9f]", text)
    # Declared UTF-16, written in UTF-8.
    utf16 = _sample("9e0834333e854116.xml")
    assert not any("Ã" in e.content_html or "â€" in e.content_html for e in utf16.entries)
    assert utf16.entries[0].title == "So you want to parse a PDF?"
    # A byte-order mark; German with umlauts.
    assert _sample("e8203fee50c570d8.xml").title == "Don't Code Tired"
    german = _sample("1ee1c80e42551cd6.xml")
    assert german.language == "de"
    assert any(c in e.title + e.summary_html for e in german.entries for c in "äöüÜß")


def test_sample_missing_dates_stay_missing() -> None:
    feed = _sample("0c56ade1367017c8.xml")
    assert sum(1 for e in feed.entries if e.published is None) == 7


# -- the full corpus: when present ------------------------------------------------------


@needs_corpus
def test_corpus_is_present() -> None:
    assert len(CORPUS_FILES) >= 150, f"corpus incomplete at {CORPUS}"


@pytest.mark.parametrize(
    "path",
    CORPUS_FILES or [pytest.param(None, marks=needs_corpus)],
    ids=[p.name for p in CORPUS_FILES] or ["absent"],
)
def test_corpus_file_parses_or_raises_feed_parse_error(path: Path) -> None:
    _check_file(path)


@needs_corpus
def test_corpus_overall() -> None:
    results = {p.name: _parse(p) for p in CORPUS_FILES}
    feeds = {k: v for k, v in results.items() if isinstance(v, ParsedFeed)}
    failures = {k: v for k, v in results.items() if isinstance(v, FeedParseError)}
    # Only the licence text is not a feed.
    assert set(failures) == {p.name for p in CORPUS_FILES if p.suffix == ".txt"}, failures
    with_entries = [f for f in feeds.values() if f.entries]
    assert len(with_entries) >= 0.97 * len(feeds)
    formats = Counter(f.format for f in feeds.values())
    assert {"rss", "atom", "rdf", "json"} <= set(formats)
    entries = [e for f in feeds.values() for e in f.entries]
    assert len(entries) > 4000
    # Most feeds give links, most entries a date; titles are plain text.
    linked = [f for f in with_entries if sum(1 for e in f.entries if e.link) > len(f.entries) / 2]
    assert len(linked) >= 0.97 * len(with_entries)
    assert sum(1 for e in entries if e.published) >= 0.9 * len(entries)
    assert sum(1 for e in entries if e.summary_html or e.content_html) >= 0.9 * len(entries)
    assert not any("&amp;" in e.title or "&lt;" in e.title for e in entries)
