"""Whole-pipeline benchmark: fetch, parse, normalise, match, store, on the real-feeds corpus.

Serves every feed of the full real-feeds corpus (``VIGIE_CORPUS``, else
``../shared/corpus/realfeeds``; the shipped sample ``tests/data/realfeeds``
when it is absent) from a local aiohttp
server on 127.0.0.1 and polls them all once through Vigie (SQLite store, 100
keywords over three topics and a query), after measuring in the same run a
baseline that only fetches the same files. Prints files/s, items/s, MB/s,
milliseconds and peak memory.

    python bench/bench_pipeline.py [--keywords 100] [--rounds 3] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from realfeeds import bench_feeds, feed_files  # noqa: E402

from bot.app import make_vigie  # noqa: E402
from bot.config import validate  # noqa: E402

WORDS = tuple("""
gpu nvidia musk twitter openai climate election football inflation bitcoin apple google
microsoft amazon tesla spacex ukraine china europe senate court police health vaccine
energy oil gas solar wind nuclear rust python linux windows android iphone
samsung intel amd arm chip quantum robot drone satellite mars moon nasa
startup funding layoffs union strike school university music film series book
""".split())  # noqa: SIM905


async def serve(files: list[Path]) -> tuple[web.AppRunner, str]:
    bodies = {f"/{p.name}": p.read_bytes() for p in files}

    async def handler(request: web.Request) -> web.Response:
        body = bodies.get(request.path)
        if body is None:
            return web.Response(status=404)
        ctype = "application/json" if request.path.endswith(".json") else "application/xml"
        return web.Response(body=body, content_type=ctype)

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def fetch_only(base: str, files: list[Path]) -> float:
    """Baseline: GET every file, read the body, nothing else."""
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        sem = asyncio.Semaphore(8)

        async def one(p: Path) -> None:
            async with sem, session.get(f"{base}/{p.name}") as resp:
                await resp.read()

        await asyncio.gather(*(one(p) for p in files))
    return time.perf_counter() - start


async def pipeline(base: str, files: list[Path], keywords: int) -> tuple[float, int, int]:
    """Poll every file once through Vigie; returns (seconds, items, matched items)."""
    words = [WORDS[i % len(WORDS)] + ("" if i < len(WORDS) else str(i)) for i in range(keywords)]
    third = max(1, len(words) // 3)
    with tempfile.TemporaryDirectory() as tmp:
        config = validate({
            "storage": {"url": f"sqlite:///{tmp}/bench.db"},
            "fetch": {"allow_private_addresses": True},
            "poll": {"first_poll_alerts": True, "max_age": "off"},
            "sources": [{"name": f"f{i}", "url": f"{base}/{p.name}"}
                        for i, p in enumerate(files)],
            "topics": {"a": {"keywords": words[:third]}, "b": {"keywords": words[third:2 * third]},
                       "c": {"keywords": words[2 * third:] or ["x"]}},
            "subscriptions": [{"name": "all", "topics": ["a", "b", "c"],
                               "query": "(gpu OR nvidia) -bitcoin"}],
        }, env={})
        async with make_vigie(config) as vigie:
            start = time.perf_counter()
            results = await vigie.poll_all(dry_run=False)
            elapsed = time.perf_counter() - start
    items = sum(r.new_items for r in results)
    matched = sum(len(r.matches) for r in results)
    return elapsed, items, matched


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keywords", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, help="a directory of feeds to serve instead")
    args = parser.parse_args()
    corpus, which = bench_feeds(args.corpus)
    print(which)
    files = feed_files(corpus)
    size = sum(p.stat().st_size for p in files) / 1e6
    runner, base = await serve(files)
    try:
        base_times = [await fetch_only(base, files) for _ in range(args.rounds)]
        runs = [await pipeline(base, files, args.keywords) for _ in range(args.rounds)]
    finally:
        await runner.cleanup()
    best_fetch = min(base_times)
    best = min(runs)
    elapsed, items, matched = best
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"corpus: {len(files)} files, {size:.1f} MB, {items} items; {args.keywords} keywords; "
          f"best of {args.rounds}")
    print(f"baseline fetch only : {best_fetch * 1000:8.0f} ms  {len(files) / best_fetch:7.1f} "
          f"files/s  {size / best_fetch:6.1f} MB/s")
    print(f"whole pipeline      : {elapsed * 1000:8.0f} ms  {len(files) / elapsed:7.1f} "
          f"files/s  {size / elapsed:6.1f} MB/s  {items / elapsed:8.0f} items/s  "
          f"({matched} matched)")
    print(f"pipeline / fetch    : {elapsed / best_fetch:8.1f}x")
    print(f"peak memory (RSS)   : {peak:8.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
