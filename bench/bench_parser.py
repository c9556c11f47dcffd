"""Benchmark: Vigie's feed parser against feedparser, on the real-feeds corpus.

Run from the repository root::

    .venv/bin/python bench/bench_parser.py [--repeat N] [--corpus DIR]

Parses every file of the full real-feeds corpus (``VIGIE_CORPUS``, else
``../shared/corpus/realfeeds``; the shipped sample ``tests/data/realfeeds``
when it is absent) with ``bot._parser.parse_feed``
and with ``feedparser.parse`` (the baseline) in the same run, and prints
files/s, items/s and total milliseconds for each (best of N rounds). It also
times ``bot._html.html_to_text`` against an ``lxml.html`` text extraction on
every summary and content of the corpus, and a 50-item feed alone.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import feedparser  # noqa: E402
import lxml.html  # noqa: E402
from realfeeds import bench_feeds, data_files  # noqa: E402

from bot import _html  # noqa: E402
from bot._html import html_to_text  # noqa: E402
from bot._parser import parse_feed  # noqa: E402
from bot.exceptions import FeedParseError  # noqa: E402


def _ours(body: bytes) -> int:
    try:
        return len(parse_feed(body, url="https://corpus.example/feed").entries)
    except FeedParseError:
        return 0


def _feedparser(body: bytes) -> int:
    # A stream, so that feedparser never takes the bytes for a URL or a path.
    return len(feedparser.parse(io.BytesIO(body)).entries)


def _best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - start)
    return best, count


def _lxml_root(markup: str) -> lxml.html.HtmlElement | None:
    if not markup.strip():
        return None
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return None
    lxml.etree.strip_elements(root, "script", "style", "noscript", with_tail=False)
    return root


def _lxml_text(markup: str) -> str:
    """lxml.html's text_content: no line breaks for blocks (a lower bound)."""
    root = _lxml_root(markup)
    return " ".join(root.text_content().split()) if root is not None else ""


_BREAK = {name: "\n\n" for name in _html._PARA_ELEMENTS}
_BREAK.update({name: "\n" for name in _html._LINE_ELEMENTS})
_BREAK.update({name: " " for name in _html._CELL_ELEMENTS})
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r" *\n[\n ]*")


def _lxml_text_blocks(markup: str) -> str:
    """lxml.html doing html_to_text's job: same block breaks, hidden elements, spacing."""
    root = _lxml_root(markup)
    if root is None:
        return ""
    lxml.etree.strip_elements(root, *_html._HIDDEN_ELEMENTS, with_tail=False)
    for el in root.iter(*_BREAK):
        mark = _BREAK[el.tag]
        el.text = mark + (el.text or "")
        el.tail = mark + (el.tail or "")
    text = lxml.etree.tostring(root, method="text", encoding="unicode")
    text = _SPACES.sub(" ", text.replace("\n", "\x00")).replace("\x00", "\n")
    return _NEWLINES.sub(lambda m: "\n\n" if m.group().count("\n") > 1 else "\n", text).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept")
    parser.add_argument("--corpus", type=Path, help="a directory of feeds to read instead")
    args = parser.parse_args()

    corpus, which = bench_feeds(args.corpus)
    print(which)
    files = [p.read_bytes() for p in data_files(corpus)]
    size = sum(len(b) for b in files) / 1e6
    print(f"corpus: {len(files)} files, {size:.1f} MB, best of {args.repeat} rounds\n")

    print(f"{'parser':<22}{'total ms':>10}{'files/s':>10}{'items/s':>11}{'items':>8}")
    results = {}
    for name, fn in (("vigie parse_feed", _ours), ("feedparser 6", _feedparser)):
        seconds, items = _best_of(args.repeat, lambda fn=fn: sum(fn(b) for b in files))
        results[name] = seconds
        print(f"{name:<22}{seconds * 1000:>10.0f}{len(files) / seconds:>10.0f}"
              f"{items / seconds:>11.0f}{items:>8}")
    ratio = results["feedparser 6"] / results["vigie parse_feed"]
    print(f"\nvigie is {ratio:.1f}x faster than feedparser on the corpus\n")

    # Single feeds of about 50 items: the smallest, the median and the largest.
    fifty = sorted((len(b), b) for b in files if 40 <= _ours(b) <= 60)
    for index in sorted({0, len(fifty) // 2, len(fifty) - 1} if fifty else set()):
        body = fifty[index][1]
        n = _ours(body)
        for name, fn in (("vigie parse_feed", _ours), ("feedparser 6", _feedparser)):
            seconds, _ = _best_of(max(args.repeat, 5), lambda fn=fn, body=body: fn(body))
            label = f"one {n}-item feed, {len(body) // 1024} KB"
            print(f"{label:<28}{name:<18}{seconds * 1000:>8.2f} ms")

    fragments = []
    for body in files:
        try:
            feed = parse_feed(body)
        except FeedParseError:
            continue
        for e in feed.entries:
            fragments += [f for f in (e.title, e.summary_html, e.content_html) if f]
    chars = sum(len(f) for f in fragments) / 1e6
    print(f"\nHTML to text: {len(fragments)} fragments, {chars:.1f} M characters")
    for name, text_fn in (
        ("vigie html_to_text", html_to_text),
        ("lxml.html + blocks", _lxml_text_blocks),
        ("lxml text_content", _lxml_text),
    ):
        seconds, _ = _best_of(args.repeat, lambda f=text_fn: sum(len(f(x)) for x in fragments))
        print(f"{name:<22}{seconds * 1000:>10.0f} ms{len(fragments) / seconds:>12.0f} fragments/s")
    print("(lxml's HTML parser also drops text after a stray '<': 'if a<b then' gives 'if a')")


if __name__ == "__main__":
    main()
