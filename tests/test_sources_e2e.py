"""Source kinds end to end: chat adds and tests them, ``vigie explain --url``
reads every kind, and the founding case (a French Google News search and a
Hacker News search find the same story) reaches a channel once."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import write_config
from fakes.apibase import FakeAPI
from fakes.bluesky import FakeBluesky, Skeet
from fakes.google_news import Article, FakeGoogleNews
from fakes.hackernews import FakeHackerNews, Story
from fakes.mastodon import FakeMastodon, Toot
from fakes.reddit import FakeReddit, Post
from fakes.webhook_receiver import WebhookReceiver
from fakes.x_api import FakeX, Tweet
from fakes.youtube import Channel, FakeYouTube, Video
from kindvigie import kind_config
from vigieproc import FOUNDING_TOPICS, vigie

from bot._destinations import installed_schemes, section_validators
from bot.app import make_command_layer, make_vigie
from bot.chat import Caller
from bot.config import load_config

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "0123456789abcdef0123456789abcdef"
UC = "UC" + "g" * 22
ADMIN = Caller("console", "console", "console", "me", is_platform_admin=True,
               destination="console")


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


@contextlib.asynccontextmanager
async def every_fake() -> AsyncIterator[dict[str, FakeAPI]]:
    """One fake per kind, each holding a GPU item."""
    fakes: dict[str, FakeAPI] = {
        "google-news": FakeGoogleNews([Article("CBMi1", "Un GPU pour l'IA générative",
                                               "Numerama", "https://www.numerama.com", ago(5))]),
        "hackernews": FakeHackerNews([Story(1, "A new GPU", "pg", ago(5), "https://e.org/gpu",
                                            points=50)]),
        "reddit": FakeReddit([Post("p1", "nvidia", "RTX 5090 GPU", "jensen", ago(5))]),
        "youtube": FakeYouTube([Channel(UC, "@GPUtalk", "GPU Talk",
                                        [Video("v1", "Le GPU de l'année", "Test", ago(5))])]),
        "mastodon": FakeMastodon([Toot(1, "alice", "Un #GPU tout neuf", ago(5),
                                       tags=("GPU",))]),
        "bluesky": FakeBluesky([Skeet("3k", "nvidia.com", "Our #GPUs", ago(5), langs=("en",))],
                               accounts={"vigie.bsky.social": "pw-1234"}),
        "x": FakeX([Tweet(1800, "elonmusk", "Buying GPUs", ago(5), lang="en")],
                   tokens={"t0k": True}),
    }
    async with contextlib.AsyncExitStack() as stack:
        for fake in fakes.values():
            await stack.enter_async_context(fake)
        yield fakes


def kinds_table(fakes: dict[str, FakeAPI]) -> dict[str, dict[str, Any]]:
    extra = {"bluesky": {"handle": "vigie.bsky.social", "app_password": "pw-1234"},
             "x": {"bearer_token": "t0k"}}
    return {k: {"base_url": f.base_url, **extra.get(k, {})} for k, f in fakes.items()}


SOURCES = [
    {"name": "gn", "kind": "google-news", "query": "GPU", "language": "fr"},
    {"name": "hn", "kind": "hackernews", "query": "GPU"},
    {"name": "rd", "kind": "reddit", "subreddit": "nvidia"},
    {"name": "yt", "kind": "youtube", "channel": "@GPUtalk"},
    {"name": "md", "kind": "mastodon", "instance": "mastodon.example", "tag": "GPU"},
    {"name": "bs", "kind": "bluesky", "query": "GPU"},
    {"name": "x", "kind": "x", "query": "GPU"},
]


def toml(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


async def test_explain_url_reads_every_kind(tmp_path: Path) -> None:
    async with every_fake() as fakes:
        kinds = "".join(f"\n[kinds.{k}]\n" + "".join(f"{key} = {toml(v)}\n"
                                                      for key, v in table.items())
                        for k, table in kinds_table(fakes).items())
        sources = "".join("\n[[sources]]\n" + "".join(f"{key} = {toml(v)}\n"
                                                      for key, v in s.items())
                          for s in SOURCES)
        config = write_config(tmp_path / "vigie.toml", f"""
[storage]
url = "sqlite:///{tmp_path / 'vigie.db'}"
[fetch]
allow_private_addresses = true
{kinds}{sources}{FOUNDING_TOPICS}
[[subscriptions]]
name = "newsroom"
topics = ["gpu"]
""")
        for source in SOURCES:
            code, out, err = await vigie("explain", "--config", str(config), "--url",
                                         str(source["name"]))
            assert code == 0, (source, out, err)
            assert "1. " in out and '✔ topic gpu (GPU): matched "GPU"' in out, (source, out)
        # A service's own URL is recognised (here on its base_url's host).
        code, out, err = await vigie("explain", "--config", str(config), "--url",
                                     f"{fakes['reddit'].base_url}/r/nvidia/")
        assert code == 0 and "RTX 5090 GPU" in out, (out, err)
        # The console chat: the issue's own example, then what it matches now.
        code, out, err = await vigie(
            "chat", "--admin", "--config", str(config),
            stdin='sources add google-news "IA générative" --lang fr\n'
                  "sources test google-news-ia-generative\n")
        assert code == 0, err
        assert "Added source google-news-ia-generative (google-news query='IA générative' " \
               "(fr))" in out
        assert "1 items, 1 would match now." in out and "Un GPU pour l'IA générative" in out


async def test_chat_adds_tests_and_removes_sources_of_every_kind(tmp_path: Path) -> None:
    async with every_fake() as fakes:
        config = kind_config(tmp_path, [], kinds_table(fakes))
        async with make_vigie(config) as app:
            layer = make_command_layer(app)

            async def run(line: str) -> str:
                return (await layer.handle(ADMIN, line)).plain_text()

            added = {
                'sources add google-news "IA générative" --lang fr': "google-news-ia-generative",
                "sources add reddit r/nvidia": "reddit-nvidia",
                "sources add hackernews GPU --points 10": "hackernews-gpu-10",
                "sources add youtube @GPUtalk --interval 1h": "youtube-gputalk",
                "sources add mastodon #GPU --instance mastodon.example": "mastodon-gpu",
                "sources add bluesky GPU --name bsky-gpu": "bsky-gpu",
                "sources add x GPU": "x-gpu",
            }
            for line, name in added.items():
                assert f"Added source {name} (" in await run(line), line
            listing = await run("sources list")
            assert "reddit-nvidia: reddit subreddit='nvidia' · every 10 min" in listing
            assert "hackernews query='GPU' points=10" in listing
            by_name = {s.name: s for s in app.config.sources}
            assert by_name["google-news-ia-generative"].language == "fr"
            assert by_name["youtube-gputalk"].interval == 3600
            results = {r.source: r for r in await app.poll_all()}
            assert all(r.error is None for r in results.values()), results
            assert results["reddit-nvidia"].new_items == 1
            tested = await run("sources test hackernews GPU")
            assert "Test of hackernews" in tested and "1 items, 1 would match now." in tested
            assert "Removed source x-gpu." in await run("sources remove x-gpu")
            assert "x-gpu" not in {s.name for s in app.config.sources}
            # Typed wrong: said, nothing added.
            for line, said in {
                "sources add hackernews": "`sources add hackernews` needs the search",
                "sources add hackernews GPU --subreddit x": "--subreddit is not an option of "
                                                            "hackernews sources",
                "sources add mastodon #GPU": "--instance: is required",
                "sources add youtube Linus": "channel: must be a channel id",
                "sources add tiktok GPU": "'tiktok' is neither a URL nor a kind of source",
                "sources add hackernews GPU --lang klingon": "--lang: 'klingon' is not a "
                                                            "language code",
                "sources add reddit r/nvidia": "a source named 'reddit-nvidia' exists already",
            }.items():
                assert said in await run(line), line


async def test_chat_refuses_kinds_on_private_addresses(tmp_path: Path) -> None:
    async with every_fake() as fakes:
        config = kind_config(tmp_path, [], kinds_table(fakes))
        app = make_vigie(config)
        # `sources add` judges addresses by the file's policy: strict here.
        app.file_config = dataclasses.replace(app.file_config, fetch=dataclasses.replace(
            config.fetch, allow_private_addresses=False))
        async with app:
            layer = make_command_layer(app)
            for line in ("sources add hackernews GPU",
                         "sources add mastodon #IA --instance mastodon.localhost"):
                said = (await layer.handle(ADMIN, line)).plain_text()
                assert "refused" in said, (line, said)
            assert app.config.sources == ()


async def test_the_founding_story_from_google_news_and_hacker_news_reaches_a_channel_once(
        tmp_path: Path) -> None:
    async with FakeGoogleNews([
        Article("CBMi1", "Elon Musk achète 100 000 GPU pour l'IA générative de Twitter",
                "Numerama", "https://www.numerama.com", ago(30)),
        Article("CBMi2", "Musk a acheté 100 000 GPU pour le projet d'IA générative de Twitter",
                "01net", "https://www.01net.com", ago(20)),
        Article("CBMi3", "L'IA générative arrive dans les mairies", "Le Monde",
                "https://www.lemonde.fr", ago(10)),
    ]) as news, FakeHackerNews([
        Story(40001, "Elon Musk buys 100,000 GPUs for Twitter's generative AI project", "pg",
              ago(25), "https://www.businessinsider.com/elon-musk-twitter-ai-gpus", points=300),
        Story(40002, "Show HN: a GPU profiler", "dang", ago(5), "https://example.org/prof",
              points=40),
    ]) as hn, WebhookReceiver(SECRET) as hook:
        path = write_config(tmp_path / "vigie.toml", f"""
[storage]
url = "sqlite:///{tmp_path / 'vigie.db'}"
[fetch]
allow_private_addresses = true
[poll]
first_poll_alerts = true
[webhook]
secret = "{SECRET}"
per_second = 100
[kinds.google-news]
base_url = "{news.base_url}"
[kinds.hackernews]
base_url = "{hn.base_url}"
[[sources]]
name = "iagen-fr"
kind = "google-news"
query = "IA générative"
language = "fr"
[[sources]]
name = "hn-gpu"
kind = "hackernews"
query = "GPU"
{FOUNDING_TOPICS}
[[subscriptions]]
name = "newsroom"
topics = ["gpu", "iagen", "musk"]
destination = "webhook:{hook.url('/newsroom')}"
""")
        config = load_config(path, destination_schemes=installed_schemes(),
                             section_validators=section_validators())
        async with make_vigie(config) as app:
            results = {r.source: r for r in await app.poll_all()}
            assert results["iagen-fr"].new_items == 3 and results["hn-gpu"].new_items == 2
            await app.deliver()
        titles = [body["item"]["title"] for body in hook.accepted("/newsroom")]
        # The Musk story once (whichever source was read first), whatever its
        # language and outlet; the other stories once each.
        musk = [t for t in titles if "Musk" in t]
        assert len(musk) == 1, titles
        assert sorted(t for t in titles if "Musk" not in t) == [
            "L'IA générative arrive dans les mairies", "Show HN: a GPU profiler"]
        # Google News' publisher is the alert's outlet.
        bodies = {b["item"]["title"]: b["item"] for b in hook.accepted("/newsroom")}
        assert bodies["L'IA générative arrive dans les mairies"]["outlet"] == "Le Monde"
