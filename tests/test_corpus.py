"""Every real feed of the shared corpus parses, or fails with a FeedParseError.

The corpus (``shared/corpus/realfeeds``, beside the repository) holds real
RSS, RDF, Atom and JSON feeds as fetched, some of them malformed, plus a
licence file that must be refused cleanly.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bot._parser import parse_feed
from bot.exceptions import FeedParseError
from bot.types import ParsedFeed

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "realfeeds"
FILES = sorted(p for p in CORPUS.iterdir() if p.is_file()) if CORPUS.is_dir() else []
# The fetch URL is unknown; any https URL lets relative links resolve.
BASE = "https://corpus.example/feed"
HTML_TAG = re.compile(r"</?(?:p|b|i|em|strong|a|span|div|br|img)\b[^>]*>", re.IGNORECASE)


def _parse(path: Path) -> ParsedFeed | FeedParseError:
    try:
        return parse_feed(path.read_bytes(), url=BASE)
    except FeedParseError as e:
        return e


def test_corpus_is_present() -> None:
    assert len(FILES) >= 150, f"corpus missing or incomplete at {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_parses_or_raises_feed_parse_error(path: Path) -> None:
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


def test_corpus_overall() -> None:
    results = {p.name: _parse(p) for p in FILES}
    feeds = {k: v for k, v in results.items() if isinstance(v, ParsedFeed)}
    failures = {k: v for k, v in results.items() if isinstance(v, FeedParseError)}
    # Only the licence text is not a feed.
    assert set(failures) == {p.name for p in FILES if p.suffix == ".txt"}, failures
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
