"""Benchmark of WebSub: from a hub's push to the alert delivered.

Run from the repository root::

    python bench/bench_websub.py [--pushes 30]

Everything is local and real: a feed server, the test hub
(``tests/fakes/websub_hub.py``), a webhook receiver standing for the
channel, and Vigie in-process (SQLite in a temporary directory), its
public server on a free port. After the subscription is verified, each
round adds one matching item to the feed and:

* pushes it through the hub (the hub POSTs the feed, signed), timing from
  the hub's request to the alert received by the webhook;
* as a baseline in the same run, adds another and has Vigie poll the feed
  at once (``poll_due``, then delivery), timing from the poll's start to the
  alert received: what a poll costs once it is due. A poll is due only
  every ``interval`` (10 minutes by default), which a push does not wait for.

Prints the median, 95th percentile and worst latency of each.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.webhook_receiver import WebhookReceiver  # noqa: E402
from fakes.websub_hub import FakeHub  # noqa: E402
from feedserver import FeedServer  # noqa: E402

from bot._destinations import installed_schemes, section_validators  # noqa: E402
from bot.app import make_vigie  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.webserver import PublicServer  # noqa: E402

SECRET = "0123456789abcdef0123456789abcdef"


def feed(hub: str, topic: str, count: int) -> bytes:
    items = "".join(f"<item><title>GPU news {i}</title><link>https://news.example/{i}</link>"
                    f"<guid>g{i}</guid></item>" for i in range(count, 0, -1))
    return (f'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f'<title>News</title><atom:link rel="hub" href="{hub}"/>'
            f'<atom:link rel="self" href="{topic}"/>{items}</channel></rss>').encode()


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"{name:<28} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   "
            f"worst {ms[-1]:7.1f} ms   ({len(ms)} alerts)")


async def run(pushes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FeedServer() as feeds, FakeHub() as hub, WebhookReceiver(SECRET) as hook:
            server = PublicServer("127.0.0.1", 0)
            await server.start()
            topic = feeds.url("/feed.xml")
            count = 1
            feeds.add("/feed.xml", feed(hub.url, topic, count))
            path = Path(tmp) / "vigie.toml"
            path.write_text(f"""
[storage]
url = "sqlite:///{Path(tmp) / 'vigie.db'}"
[fetch]
allow_private_addresses = true
[webhook]
secret = "{SECRET}"
per_second = 1000
[websub]
callback_url = "{server.url('/websub')}"
secret = "{SECRET}"
[[sources]]
name = "news"
url = "{topic}"
[topics.gpu]
keywords = ["GPU"]
[[subscriptions]]
name = "newsroom"
topics = ["gpu"]
destination = "webhook:{hook.url('/newsroom')}"
""")
            config = load_config(path, destination_schemes=installed_schemes(),
                                 section_validators=section_validators())
            pushed: list[float] = []
            polled: list[float] = []
            async with make_vigie(config, http=server) as vigie:
                assert vigie.websub is not None
                await vigie.websub.start()
                await vigie.poll_all()
                await hub.wait_for("subscribed", topic)
                source = vigie.config.sources[0]
                for _ in range(pushes):
                    count += 1
                    body = feed(hub.url, topic, count)
                    feeds.add("/feed.xml", body)
                    started = time.perf_counter()
                    await hub.publish(topic, body)
                    await hook.wait_unique(count - 1)
                    pushed.append(time.perf_counter() - started)
                    count += 1
                    feeds.add("/feed.xml", feed(hub.url, topic, count))
                    started = time.perf_counter()
                    await vigie.poll_due(source)
                    await hook.wait_unique(count - 1)
                    polled.append(time.perf_counter() - started)
            await server.close()
    print("from the change to the alert received by the channel (a local webhook):")
    print(summary("push (WebSub)", pushed))
    print(summary("baseline: a poll when due", polled))
    print("(a poll is due every [[sources]] interval, 10 min by default; a push is not waited for)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=30)
    asyncio.run(run(parser.parse_args().pushes))


if __name__ == "__main__":
    main()
