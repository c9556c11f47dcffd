"""Benchmark: Vigie's feed parser against feedparser, on the shared corpus.

Run from the repository root::

    .venv/bin/python bench/bench_parser.py [--repeat N]

Parses every file of ``shared/corpus/realfeeds`` with ``bot._parser.parse_feed``
and with ``feedparser.parse`` (the baseline) in the same run, and prints
files/s, items/s and total milliseconds for each (best of N rounds). It also
times ``bot._html.html_to_text`` against an ``lxml.html`` text extraction on
every summary and content of the corpus, and a 50-item feed alone.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import lxml.html  # noqa: E402

from bot._html import html_to_text  # noqa: E402
from bot._parser import parse_feed  # noqa: E402
from bot.exceptions import FeedParseError  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "realfeeds"


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


def _lxml_text(markup: str) -> str:
    if not markup.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    return " ".join(root.text_content().split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept")
    args = parser.parse_args()

    files = [p.read_bytes() for p in sorted(CORPUS.iterdir()) if p.is_file()]
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

    # A typical feed: the corpus file whose item count is closest to 50.
    counts = [(abs(_ours(b) - 50), i) for i, b in enumerate(files)]
    typical = files[min(counts)[1]]
    n = _ours(typical)
    for name, fn in (("vigie parse_feed", _ours), ("feedparser 6", _feedparser)):
        seconds, _ = _best_of(max(args.repeat, 5), lambda fn=fn: fn(typical))
        print(f"one {n}-item feed ({len(typical) // 1024} KB), {name:<18}{seconds * 1000:>8.2f} ms")

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
    for name, text_fn in (("vigie html_to_text", html_to_text), ("lxml.html baseline", _lxml_text)):
        seconds, _ = _best_of(args.repeat, lambda f=text_fn: sum(len(f(x)) for x in fragments))
        print(f"{name:<22}{seconds * 1000:>10.0f} ms{len(fragments) / seconds:>12.0f} fragments/s")


if __name__ == "__main__":
    main()
