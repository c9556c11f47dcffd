"""Every source kind's failure modes, against its fake: 429 with Retry-After,
401 and 403, a malformed answer, empty results, and pagination cut short.

A failing source never stops the poll of the others, its health says why in
plain words, and it is tried again after the wait the service asked for (or
after a longer backoff when retrying cannot help)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.apibase import FakeAPI
from fakes.bluesky import FakeBluesky, Skeet
from fakes.google_news import Article, FakeGoogleNews
from fakes.hackernews import FakeHackerNews, Story
from fakes.mastodon import FakeMastodon, Toot
from fakes.reddit import FakeReddit, Post
from fakes.x_api import FakeX, Tweet
from fakes.youtube import Channel, FakeYouTube, Video
from kindvigie import kind_vigie, poll

NOW = datetime.now(UTC).replace(microsecond=0)
UC = "UC" + "y" * 22
BSKY = {"handle": "vigie.bsky.social", "app_password": "pw-1234"}


@dataclass
class Case:
    """One kind, a fake holding one GPU item, and the route its source reads."""

    make: Callable[[], FakeAPI]
    keys: dict[str, Any]
    route: str
    settings: dict[str, Any] = field(default_factory=dict)
    #: The keys of a source that finds nothing.
    empty: dict[str, Any] = field(default_factory=dict)
    #: A body the kind cannot read, and what the health then says.
    malformed: bytes = b'{"posts": [{"uri": '
    unreadable: str = "sent a reply that is not valid JSON"
    #: The health message of a 401 and of a 403 (their start).
    refused: tuple[str, str] = ("", "")


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def later(seconds: int) -> datetime:
    """Items added later are newer (the services list the newest first)."""
    return NOW - timedelta(hours=1) + timedelta(seconds=seconds)


XML_GARBAGE = b"\x00\x01{ this is not a feed"
CASES: dict[str, Case] = {
    "google-news": Case(
        lambda: FakeGoogleNews([Article("a1", "Un GPU", "Numerama", "https://n.fr", ago(1))]),
        {"query": "GPU", "language": "fr"}, "search", empty={"query": "introuvable",
                                                              "language": "fr"},
        malformed=XML_GARBAGE, unreadable="",
        refused=("Google News refused Vigie's credentials (401)",
                 "Google News refused access (403)")),
    "hackernews": Case(
        lambda: FakeHackerNews([Story(1, "A GPU", "pg", ago(1))]), {"query": "GPU"}, "search",
        empty={"query": "introuvable"}, malformed=b'{"hits": [',
        unreadable="Hacker News sent a reply that is not valid JSON",
        refused=("Hacker News refused Vigie's credentials (401)",
                 "Hacker News refused access (403)")),
    "reddit": Case(
        lambda: FakeReddit([Post("p", "nvidia", "A GPU", "u", ago(1))]), {"subreddit": "nvidia"},
        "new", empty={"query": "introuvable"}, malformed=XML_GARBAGE, unreadable="",
        refused=("Reddit refused Vigie's credentials (401)",
                 "Reddit refused access to r/nvidia: private, quarantined or banned (403)")),
    "youtube": Case(
        lambda: FakeYouTube([Channel(UC, "@gpu", "GPU", [Video("v", "A GPU", "", ago(1))]),
                             Channel("UC" + "z" * 22, "@empty", "Empty", [])]),
        {"channel": UC}, "feed", empty={"channel": "UC" + "z" * 22}, malformed=XML_GARBAGE,
        unreadable="", refused=("YouTube refused Vigie's credentials (401)",
                                "YouTube refused access (403)")),
    "mastodon": Case(
        lambda: FakeMastodon([Toot(1, "a", "A #GPU", ago(1), tags=("GPU",))]),
        {"instance": "mastodon.example", "tag": "GPU"}, "tag",
        empty={"instance": "mastodon.example", "tag": "introuvable"}, malformed=b"[{",
        unreadable="Mastodon sent a reply that is not valid JSON",
        refused=("mastodon.example does not show its public timelines without an account (401)",
                 "mastodon.example does not show its public timelines without an account (403)")),
    "bluesky": Case(
        lambda: FakeBluesky([Skeet("3k", "a.bsky.social", "A GPU", ago(1))],
                            accounts={BSKY["handle"]: BSKY["app_password"]}),
        {"query": "GPU"}, "search", settings=BSKY, empty={"query": "introuvable"},
        unreadable="Bluesky sent a reply that is not valid JSON",
        refused=("Bluesky refused Vigie's credentials (401)", "Bluesky refused the search (403)")),
    "x": Case(
        lambda: FakeX([Tweet(1, "a", "A GPU", ago(1))], tokens={"t0k": True}),
        {"query": "GPU"}, "search", settings={"bearer_token": "t0k"},
        empty={"query": "introuvable"}, malformed=b'{"data": [',
        unreadable="X sent a reply that is not valid JSON",
        refused=("X refused the bearer token of [kinds.x] (401)", "X refused access (403)")),
}
KINDS = list(CASES)


def source(kind: str, keys: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [{"name": "s", "kind": kind, **(keys if keys is not None else CASES[kind].keys)}]


def kinds(kind: str, fake: FakeAPI) -> dict[str, Any]:
    return {kind: {"base_url": fake.base_url, **CASES[kind].settings}}


@pytest.mark.parametrize("kind", KINDS)
async def test_429_waits_the_retry_after_then_recovers(kind: str, tmp_path: Path) -> None:
    case = CASES[kind]
    async with case.make() as fake, kind_vigie(tmp_path, source(kind), kinds(kind, fake)) as v:
        fake.fail(case.route, 429, body={"error": "RateLimitExceeded"},
                  headers={"Retry-After": "120"})
        result, state = await poll(v, "s")
        assert result.error is not None and state.consecutive_failures == 1
        assert state.last_error is not None and "(429)" in state.last_error
        assert state.next_attempt is not None and state.last_poll is not None
        assert state.next_attempt - state.last_poll >= timedelta(seconds=120)
        # Backing off: the scheduler's poll does not call the service.
        calls = len(fake.to(case.route))
        assert await v.poll_due(v.config.sources[0]) is None
        assert len(fake.to(case.route)) == calls
        result, state = await poll(v, "s")
        assert result.error is None and result.new_items == 1
        assert state.last_error is None and state.consecutive_failures == 0


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("kind", KINDS)
async def test_refusals_say_why_and_back_off_longer(kind: str, status: int,
                                                    tmp_path: Path) -> None:
    case = CASES[kind]
    async with case.make() as fake, kind_vigie(tmp_path, source(kind), kinds(kind, fake)) as v:
        # Twice: a kind with a session logs in again once after a 401.
        fake.fail(case.route, status, body={"error": "Forbidden"}, times=2)
        result, state = await poll(v, "s")
        assert result.error is not None
        assert state.last_error is not None
        assert state.last_error.startswith(case.refused[0 if status == 401 else 1])
        assert "pw-1234" not in state.last_error and "t0k" not in state.last_error
        # Trying again soon would not help: the backoff starts at eight times the first delay.
        assert state.next_attempt is not None and state.last_poll is not None
        assert state.next_attempt - state.last_poll >= timedelta(minutes=5)


async def test_a_bluesky_session_refused_once_logs_in_again(tmp_path: Path) -> None:
    case = CASES["bluesky"]
    fake = case.make()
    async with fake, kind_vigie(tmp_path, source("bluesky"), kinds("bluesky", fake)) as v:
        await poll(v, "s")
        fake.fail("search", 401, body={"error": "AuthenticationRequired"})
        result, _ = await poll(v, "s")
        assert result.error is None
        assert isinstance(fake, FakeBluesky) and fake.logins == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_a_malformed_answer_fails_the_poll_and_stores_nothing(kind: str,
                                                                    tmp_path: Path) -> None:
    case = CASES[kind]
    async with case.make() as fake, kind_vigie(tmp_path, source(kind), kinds(kind, fake)) as v:
        fake.fail(case.route, 200, body=case.malformed)
        result, state = await poll(v, "s")
        assert result.error is not None and result.new_items == 0
        assert state.last_error is not None and case.unreadable in state.last_error
        assert state.item_count == 0


@pytest.mark.parametrize("kind", [k for k in KINDS if CASES[k].unreadable])
async def test_an_answer_of_the_wrong_shape_is_said_so(kind: str, tmp_path: Path) -> None:
    case = CASES[kind]
    async with case.make() as fake, kind_vigie(tmp_path, source(kind), kinds(kind, fake)) as v:
        # Each field an answer holds its items in, of the wrong type (Mastodon
        # answers a list, not an object).
        fake.fail(case.route, 200, body=b'{"hits": 5, "posts": 5, "feed": 5, "data": 5}')
        _, state = await poll(v, "s")
        assert state.last_error is not None
        assert f"{CASES[kind].unreadable.split(' sent')[0]} sent an unexpected reply" in \
            state.last_error


@pytest.mark.parametrize("kind", KINDS)
async def test_empty_results_are_a_success(kind: str, tmp_path: Path) -> None:
    case = CASES[kind]
    async with case.make() as fake, kind_vigie(tmp_path, source(kind, case.empty),
                                               kinds(kind, fake)) as v:
        result, state = await poll(v, "s")
        assert result.error is None and result.new_items == 0
        assert state.last_error is None and state.last_success is not None


# -- pagination cut short ---------------------------------------------------------------


def paged(kind: str) -> tuple[FakeAPI, Callable[[FakeAPI, int], None]]:
    """A fake whose pages are small, and how to add ``n`` new GPU items to it."""
    if kind == "hackernews":
        def add_hn(fake: FakeAPI, n: int) -> None:
            assert isinstance(fake, FakeHackerNews)
            base = len(fake.stories)
            fake.stories += [Story(100 + base + i, f"GPU {base + i}", "pg", later(base + i))
                             for i in range(n)]
        return FakeHackerNews([]), add_hn
    if kind == "mastodon":
        def add_toots(fake: FakeAPI, n: int) -> None:
            assert isinstance(fake, FakeMastodon)
            base = len(fake.toots)
            fake.toots += [Toot(100 + base + i, "a", f"#GPU {base + i}", later(base + i),
                                tags=("GPU",)) for i in range(n)]
        return FakeMastodon([]), add_toots

    def add_skeets(fake: FakeAPI, n: int) -> None:
        assert isinstance(fake, FakeBluesky)
        base = len(fake.posts)
        fake.posts += [Skeet(f"3k{base + i}", "a.bsky.social", f"GPU {base + i}",
                             later(base + i))
                       for i in range(n)]
    return FakeBluesky([], accounts={BSKY["handle"]: BSKY["app_password"]}, page_size=10), \
        add_skeets


PAGE = {"hackernews": 50, "mastodon": 40, "bluesky": 10}


@pytest.mark.parametrize("failure", ["429", "malformed"])
@pytest.mark.parametrize("kind", ["hackernews", "mastodon", "bluesky"])
async def test_pagination_cut_short_keeps_the_pages_read(kind: str, failure: str,
                                                         tmp_path: Path) -> None:
    case = CASES[kind]
    fake, add = paged(kind)
    async with fake, kind_vigie(tmp_path, source(kind), kinds(kind, fake)) as v:
        add(fake, 1)
        await poll(v, "s")  # the first poll records, and reads one page
        add(fake, PAGE[kind] * 2)
        if failure == "429":
            fake.fail(case.route, 429, headers={"Retry-After": "60"}, after=1)
        else:
            fake.fail(case.route, 200, body=case.malformed, after=1)
        result, state = await poll(v, "s")
        # Page 1 was all new, page 2 failed: page 1's items are kept, the poll
        # is not a failure, and its health says where it stopped.
        assert result.error is None and result.new_items == PAGE[kind]
        assert state.consecutive_failures == 0
        assert state.last_error is not None
        assert state.last_error.startswith("stopped after page 1: ")
        if failure == "429":
            assert state.next_attempt is not None and state.last_poll is not None
            assert state.next_attempt - state.last_poll >= timedelta(seconds=60)
        else:
            assert "not valid JSON" in state.last_error and state.next_attempt is None
        # The next poll starts afresh.
        result, state = await poll(v, "s")
        assert result.error is None and state.last_error is None
