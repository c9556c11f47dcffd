"""Benchmark of normalisation and keyword matching.

Run from the repository root::

    python bench/bench_matching.py [--seconds 2.0] [--corpus DIR]

Documents are items cut out of the real feeds of the full corpus
(``VIGIE_CORPUS``, else ``../shared/corpus/realfeeds``; the shipped sample
``tests/data/realfeeds`` when it is absent) with a crude regex tag strip
(falling back to synthetic French/English text when they give too few).
Keywords are words and two-word phrases drawn from the same text, so some
of them hit.

Prints, for 10, 100 and 1,000 keywords, items/s and MB/s of:

* the Aho-Corasick :class:`bot._matching.Matcher` (one pass per field, all rules);
* as a baseline in the same run, a naive matcher: one compiled
  ``\\b(?:k1|k2|…)\\b`` regex over the same normalised text.

Both include normalisation of every field. Then the throughput of
``normalize()`` and ``tokenize()`` alone. Each figure is measured for a
fixed time budget, so the whole run stays well under a minute.
"""

from __future__ import annotations

import argparse
import html
import itertools
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from realfeeds import bench_feeds, feed_files  # noqa: E402

from bot._matching import Matcher, Rule  # noqa: E402
from bot._normalize import normalize, tokenize  # noqa: E402
from bot.types import ALL_FIELDS, Document  # noqa: E402

MAX_DOCS = 4000

_ITEM = re.compile(r"<(item|entry)\b[^>]*>(.*?)</\1>", re.S | re.I)
_FIELD = {
    "title": re.compile(r"<title\b[^>]*>(.*?)</title>", re.S | re.I),
    "summary": re.compile(r"<(description|summary)\b[^>]*>(.*?)</\1>", re.S | re.I),
    "content": re.compile(r"<(content:encoded|content)\b[^>]*>(.*?)</\1>", re.S | re.I),
}
_TAG = re.compile(r"<[^>]*>")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def _strip(fragment: str) -> str:
    text = _CDATA.sub(r"\1", fragment)
    # Escaped HTML inside RSS: unescape, strip tags, unescape the text again.
    text = _TAG.sub(" ", html.unescape(text))
    return " ".join(html.unescape(text).split())


def load_documents(corpus: Path) -> list[Document]:
    docs: list[Document] = []
    for path in feed_files(corpus) if corpus.is_dir() else []:
        raw = path.read_bytes()[:2_000_000].decode("utf-8", "replace")
        for m in _ITEM.finditer(raw):
            body = m.group(2)
            fields = {}
            for name, rx in _FIELD.items():
                fm = rx.search(body)
                fields[name] = _strip(fm.group(fm.lastindex or 1)) if fm else ""
            if any(fields.values()):
                docs.append(Document(fields["title"], fields["summary"], fields["content"]))
            if len(docs) >= MAX_DOCS:
                return docs
    return docs


def synthetic_documents(n: int, rng: random.Random) -> list[Document]:
    fr = ("Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter ; "
          "le marché des puces s’emballe et les régulateurs européens s’inquiètent. ")
    en = ("Musk's xAI buys 100,000 GPUs as demand for generative AI chips soars; "
          "regulators in Brussels and Washington are watching the market closely. ")
    docs = []
    for i in range(n):
        base = fr if i % 2 else en
        body = " ".join(rng.sample(base.split(), k=len(base.split())))
        docs.append(Document(base[:70], body, (base + body) * rng.randint(1, 20)))
    return docs


def pick_keywords(docs: Sequence[Document], n: int, rng: random.Random) -> list[str]:
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for doc in docs[:1500]:
        toks = normalize(doc.title + " " + doc.summary).split()
        words.update(t for t in toks if len(t) > 3 and not t.isdigit())
        pairs.update(f"{a} {b}" for a, b in itertools.pairwise(toks)
                     if len(a) > 3 and len(b) > 3)
    # Skip the most frequent words (stopword-like) so that keywords are selective.
    single = [w for w, _ in words.most_common(20_000)[150:]]
    double = [p for p, _ in pairs.most_common(5_000)[50:]]
    pool = single + double
    if len(pool) < n:
        pool += [f"synthetic{i}" for i in range(n - len(pool))]
    chosen = rng.sample(pool, n)
    # A few prefix terms, as users write them.
    return [k + "*" if i % 25 == 0 and " " not in k else k for i, k in enumerate(chosen)]


def regex_baseline(keywords: Sequence[str]) -> Callable[[Document], int]:
    parts = []
    for k in keywords:
        body = re.escape(normalize(k.rstrip("*"))).replace(r"\ ", " ")
        parts.append(body + (r"\w*" if k.endswith("*") else ""))
    rx = re.compile(r"\b(?:" + "|".join(parts) + r")\b")

    def match(doc: Document) -> int:
        return sum(len(rx.findall(normalize(doc.field_text(f)))) for f in ALL_FIELDS)

    return match


def measure(fn: Callable[[Document], object], docs: Sequence[Document], budget: float,
            sizes: Sequence[int]) -> tuple[float, float]:
    """Run ``fn`` over ``docs`` (cycling) for about ``budget`` seconds; items/s, MB/s."""
    count = 0
    nbytes = 0
    start = time.perf_counter()
    deadline = start + budget
    while True:
        for doc, size in zip(docs, sizes, strict=True):
            fn(doc)
            count += 1
            nbytes += size
            if count % 32 == 0 and time.perf_counter() > deadline:
                break
        else:
            if time.perf_counter() <= deadline:
                continue
        break
    elapsed = time.perf_counter() - start
    return count / elapsed, nbytes / elapsed / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time budget per figure")
    ap.add_argument("--corpus", type=Path, help="a directory of feeds to read instead")
    args = ap.parse_args()
    rng = random.Random(42)

    corpus, which = bench_feeds(args.corpus)
    print(which)
    docs = load_documents(corpus)
    source = f"{len(docs)} items from {corpus}"
    if len(docs) < 100:
        docs = synthetic_documents(2000, rng)
        source = f"{len(docs)} synthetic items"
    rng.shuffle(docs)
    sizes = [sum(len(doc.field_text(f).encode()) for f in ALL_FIELDS) for doc in docs]
    print(f"documents: {source}, {sum(sizes) / 1e6:.1f} MB, "
          f"mean {sum(sizes) / len(docs) / 1e3:.1f} kB/item")

    print(f"\n{'keywords':>8}  {'matcher':>24}  {'regex baseline':>24}  {'speed-up':>8}  compile")
    base_rate = None
    for n in (10, 100, 1000):
        keywords = pick_keywords(docs, n, rng)
        t0 = time.perf_counter()
        rules = [Rule(f"t{i}", tuple(keywords[i : i + 5])) for i in range(0, n, 5)]
        matcher = Matcher.compile(rules)
        compile_s = time.perf_counter() - t0
        m_items, m_mb = measure(matcher.match, docs, args.seconds, sizes)
        r_items, r_mb = measure(regex_baseline(keywords), docs, args.seconds, sizes)
        base_rate = base_rate or m_items
        print(f"{n:>8}  {m_items:>9.0f} it/s {m_mb:>6.2f} MB/s  "
              f"{r_items:>9.0f} it/s {r_mb:>6.2f} MB/s  {m_items / r_items:>7.1f}x  "
              f"{compile_s * 1e3:.0f} ms")
        if n == 1000:
            print(f"matcher slowdown from 10 to 1,000 keywords: {base_rate / m_items:.2f}x")

    print("\ntext processing alone:")
    is_ascii = [(d.title + d.summary + d.content).isascii() for d in docs]
    ascii_docs = [d for d, a in zip(docs, is_ascii, strict=True) if a]
    other_docs = [d for d, a in zip(docs, is_ascii, strict=True) if not a]

    def norm_doc(doc: Document) -> None:
        for f in ALL_FIELDS:
            normalize(doc.field_text(f))

    def tok_doc(doc: Document) -> None:
        for f in ALL_FIELDS:
            tokenize(doc.field_text(f))

    for label, fn in (("normalize()", norm_doc), ("tokenize()", tok_doc)):
        for kind, subset in (("all", docs), ("ascii-only", ascii_docs), ("non-ascii", other_docs)):
            if not subset:
                continue
            sub_sizes = [sum(len(d.field_text(f).encode()) for f in ALL_FIELDS) for d in subset]
            items, mb = measure(fn, subset, args.seconds / 2, sub_sizes)
            print(f"  {label:<12} {kind:<11} {items:>9.0f} it/s {mb:>7.2f} MB/s")


if __name__ == "__main__":
    main()
