"""Each source kind through the real poller, fetcher and store, against a local
fake of its API (tests/fakes): what it asks, what items it makes, what it
remembers between polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakes.bluesky import FakeBluesky, Skeet
from fakes.google_news import Article, FakeGoogleNews
from fakes.hackernews import FakeHackerNews, Story
from fakes.mastodon import FakeMastodon, Toot
from fakes.reddit import FakeReddit, Post
from fakes.x_api import FakeX, Tweet
from fakes.youtube import Channel, FakeYouTube, Video
from kindvigie import kind_vigie, poll

NOW = datetime.now(UTC).replace(microsecond=0)
UC = "UC" + "x" * 22


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


# -- google-news --------------------------------------------------------------------


async def test_google_news_searches_in_french_and_keeps_the_publisher(tmp_path: Path) -> None:
    async with FakeGoogleNews([
        Article("CBMi1", "Elon Musk achète 100 000 GPU pour l'IA générative de Twitter",
                "Numerama", "https://www.numerama.com", ago(5)),
        Article("CBMi2", "Nvidia dévoile un GPU - et l'IA générative suit", "01net",
                "https://www.01net.com", ago(10)),
        Article("CBMi3", "Generative AI in English", "The Verge", "https://theverge.com",
                ago(3), language="en"),
    ]) as fake, kind_vigie(tmp_path, [
        {"name": "iagen-fr", "kind": "google-news", "query": "IA générative", "language": "fr"},
    ], {"google-news": {"base_url": fake.base_url}}) as vigie:
        result, state = await poll(vigie, "iagen-fr")
        assert result.error is None and result.new_items == 2
        # The real path, on the fake's scheme and host; the French edition.
        (request,) = fake.to("search")
        assert request.path.startswith("/rss/search?")
        assert request.query == {"q": "IA générative", "hl": "fr", "gl": "FR", "ceid": "FR:fr"}
        items = {m.item.title: m.item for m in result.matches}
        first = items["Elon Musk achète 100 000 GPU pour l'IA générative de Twitter"]
        assert first.outlet == "Numerama" and first.language == "fr"
        assert first.url == "https://news.google.com/rss/articles/CBMi1?oc=5"
        assert first.summary_text == ""  # the description only repeated title and publisher
        # A " - " inside the headline stays; only the publisher's suffix goes.
        assert "Nvidia dévoile un GPU - et l'IA générative suit" in items
        assert state.url == vigie.config.sources[0].url


# -- hackernews ------------------------------------------------------------------------


async def test_hackernews_links_the_story_or_its_thread(tmp_path: Path) -> None:
    async with FakeHackerNews([
        Story(1, "Musk buys 100,000 GPUs", "pg", ago(5), "https://www.businessinsider.com/x",
              points=80),
        Story(2, "Ask HN: which GPU for LLMs?", "dang", ago(6), None, points=12,
              text="<p>I need a <i>GPU</i></p>"),
        Story(3, "GPU prices fall", "tptacek", ago(7), "https://example.org/gpu", points=2),
    ]) as fake, kind_vigie(tmp_path, [
        {"name": "hn-gpu", "kind": "hackernews", "query": "GPU", "points": 10},
    ], {"hackernews": {"base_url": fake.base_url}}) as vigie:
        result, _ = await poll(vigie, "hn-gpu")
        (request,) = fake.to("search")
        assert request.path.startswith("/api/v1/search_by_date?")
        assert request.query["tags"] == "story" and request.query["numericFilters"] == "points>=10"
        items = {m.item.title: m.item for m in result.matches}
        assert set(items) == {"Musk buys 100,000 GPUs", "Ask HN: which GPU for LLMs?"}
        story = items["Musk buys 100,000 GPUs"]
        assert story.url == "https://www.businessinsider.com/x"
        assert story.author == "pg" and story.outlet == "businessinsider.com"
        ask = items["Ask HN: which GPU for LLMs?"]
        assert ask.url == "https://news.ycombinator.com/item?id=2"
        assert ask.summary_text == "I need a GPU"


async def test_hackernews_reads_on_while_every_story_is_new(tmp_path: Path) -> None:
    async with FakeHackerNews([Story(i, f"GPU story {i}", "pg", ago(1000 + i))
                               for i in range(10)]) as fake, kind_vigie(tmp_path, [
        {"name": "hn", "kind": "hackernews", "query": "GPU"},
    ], {"hackernews": {"base_url": fake.base_url}}) as vigie:
        await poll(vigie, "hn")
        # 120 new stories: page 1 (50) is all new, so is page 2; page 3 ends it (the most
        # a poll reads); the 10 stories known already are not reached.
        fake.stories += [Story(100 + i, f"GPU news {i}", "pg", ago(i)) for i in range(120)]
        result, _ = await poll(vigie, "hn")
        assert [int(r.query.get("page", 0)) for r in fake.to("search")] == [0, 0, 1, 2]
        assert result.new_items == 120
        # Nothing new: one page, no more.
        await poll(vigie, "hn")
        assert len(fake.to("search")) == 5


# -- reddit ----------------------------------------------------------------------------------


async def test_reddit_subreddit_with_the_user_agent_reddit_requires(tmp_path: Path) -> None:
    async with FakeReddit([
        Post("abc", "nvidia", "RTX 5090: the GPU is here", "jensen", ago(5), "Benchmarks"),
        Post("def", "amd", "Radeon GPU news", "lisa", ago(6)),
    ]) as fake, kind_vigie(tmp_path, [
        {"name": "nvidia", "kind": "reddit", "subreddit": "r/nvidia"},
        {"name": "search", "kind": "reddit", "query": "GPU"},
    ], {"reddit": {"base_url": fake.base_url,
                   "user_agent": "linux:vigie-test:1.0 (by /u/vigie)"}}) as vigie:
        result, _ = await poll(vigie, "nvidia")
        (request,) = fake.to("new")
        assert request.path == "/r/nvidia/new/.rss?limit=100"
        assert request.headers["User-Agent"] == "linux:vigie-test:1.0 (by /u/vigie)"
        (match,) = result.matches
        assert match.item.author == "u/jensen" and match.item.outlet == "u/jensen"
        assert match.item.url == "https://www.reddit.com/r/nvidia/comments/abc/post/"
        result, _ = await poll(vigie, "search")
        assert fake.to("search")[0].query == {"q": "GPU", "sort": "new", "limit": "100"}
        assert {m.item.title for m in result.matches} == {"RTX 5090: the GPU is here",
                                                         "Radeon GPU news"}


async def test_reddit_throttles_a_generic_user_agent(tmp_path: Path) -> None:
    async with FakeReddit([Post("a", "nvidia", "GPU", "x", ago(1))]) as fake, kind_vigie(
            tmp_path, [{"name": "nvidia", "kind": "reddit", "subreddit": "nvidia"}],
            {"reddit": {"base_url": fake.base_url, "user_agent": "python-requests/2.31"}}
    ) as vigie:
        result, state = await poll(vigie, "nvidia")
        assert result.error is not None
        assert state.last_error is not None
        assert state.last_error.startswith("Reddit is rate-limiting Vigie (429)")
        # No Retry-After: Reddit's X-Ratelimit-Reset (420 s) is waited out.
        assert state.next_attempt is not None
        assert state.next_attempt - state.last_poll >= timedelta(seconds=419)


async def test_reddit_unknown_and_private_subreddits(tmp_path: Path) -> None:
    async with FakeReddit([Post("a", "nvidia", "GPU", "x", ago(1))],
                          private=("secret",)) as fake, kind_vigie(tmp_path, [
        {"name": "nope", "kind": "reddit", "subreddit": "nope"},
        {"name": "secret", "kind": "reddit", "subreddit": "secret"},
    ], {"reddit": {"base_url": fake.base_url}}) as vigie:
        _, state = await poll(vigie, "nope")
        assert state.last_error is not None
        assert state.last_error.startswith("Reddit has no subreddit r/nope (404)")
        _, state = await poll(vigie, "secret")
        assert state.last_error is not None
        assert "Reddit refused access to r/secret: private, quarantined or banned (403)" in \
            state.last_error


# -- youtube ------------------------------------------------------------------------------


async def test_youtube_resolves_a_handle_once(tmp_path: Path) -> None:
    channel = Channel(UC, "@GPUtalk", "GPU Talk", [
        Video("v1", "Le nouveau GPU de Nvidia", "Tout sur le processeur graphique", ago(30))])
    async with FakeYouTube([channel]) as fake, kind_vigie(tmp_path, [
        {"name": "yt", "kind": "youtube", "channel": "@GPUtalk"},
        {"name": "yt-id", "kind": "youtube", "channel": UC},
    ], {"youtube": {"base_url": fake.base_url}}) as vigie:
        result, state = await poll(vigie, "yt")
        assert [r.route for r in fake.requests] == ["page", "feed"]
        (match,) = result.matches
        assert match.item.url == "https://www.youtube.com/watch?v=v1"
        assert match.item.summary_text == "Tout sur le processeur graphique"
        # The page named the feed on YouTube's host: it was read on the fake's, and kept.
        assert state.url == f"{fake.base_url}/feeds/videos.xml?channel_id={UC}"
        await poll(vigie, "yt")
        assert [r.route for r in fake.requests] == ["page", "feed", "feed"]
        result, _ = await poll(vigie, "yt-id")
        assert fake.requests[-1].path == f"/feeds/videos.xml?channel_id={UC}"
        assert result.error is None


async def test_youtube_unknown_channel(tmp_path: Path) -> None:
    async with FakeYouTube([]) as fake, kind_vigie(tmp_path, [
        {"name": "yt", "kind": "youtube", "channel": "@nobody"},
    ], {"youtube": {"base_url": fake.base_url}}) as vigie:
        _, state = await poll(vigie, "yt")
        assert state.last_error is not None
        assert state.last_error.startswith("YouTube has no channel @nobody (404)")


# -- mastodon ---------------------------------------------------------------------------


async def test_mastodon_tag_timeline_pages_and_conditional_requests(tmp_path: Path) -> None:
    toots = [Toot(i, "alice", f"Post {i} sur l'#IAGénérative\n\nsuite", ago(100 - i),
                  tags=("IAGénérative",)) for i in range(1, 6)]
    async with FakeMastodon(toots) as fake, kind_vigie(tmp_path, [
        {"name": "masto", "kind": "mastodon", "instance": "mastodon.example",
         "tag": "#IAGénérative"},
    ], {"mastodon": {"base_url": fake.base_url}}) as vigie:
        result, _ = await poll(vigie, "masto")
        assert fake.to("tag")[0].path.startswith("/api/v1/timelines/tag/IAG%C3%A9n%C3%A9rative?")
        assert result.new_items == 5
        item = next(m.item for m in result.matches if m.item.title.startswith("Post 5"))
        assert item.title == "Post 5 sur l'#IAGénérative"
        assert item.author == "@alice@mastodon.example" and item.outlet == item.author
        assert item.url == "https://mastodon.example/@alice/5"
        # The hashtag's words matched the topic "IA générative".
        assert "iagen" in item_topics(result, item.key)
        # Unchanged: the ETag makes the server answer 304.
        result, _ = await poll(vigie, "masto")
        assert result.not_modified
        # 45 new posts: a full page of 40 is all new, so the next page (its Link,
        # on the instance's host, rebased on the fake) is read too.
        fake.toots += [Toot(100 + i, "bob", f"#IAGénérative {i}", ago(10 - i % 10),
                            tags=("IAGénérative",)) for i in range(45)]
        result, _ = await poll(vigie, "masto")
        assert result.new_items == 45
        assert "max_id=" in fake.to("tag")[-1].path


def item_topics(result: object, key: str) -> tuple[str, ...]:
    for m in getattr(result, "matches", ()):
        if m.item.key == key:
            return tuple(m.topics)
    return ()


async def test_mastodon_account_is_looked_up_once(tmp_path: Path) -> None:
    async with FakeMastodon([Toot(1, "gargron", "Un GPU !", ago(5)),
                             Toot(2, "gargron", "Une réponse GPU", ago(4), reply=True)]
                            ) as fake, kind_vigie(tmp_path, [
        {"name": "g", "kind": "mastodon", "instance": "mastodon.example", "account": "@gargron"},
    ], {"mastodon": {"base_url": fake.base_url}}) as vigie:
        result, state = await poll(vigie, "g")
        assert [r.route for r in fake.requests] == ["lookup", "statuses"]
        assert [m.item.title for m in result.matches] == ["Un GPU !"]  # replies left out
        assert "/api/v1/accounts/" in state.url and state.url.startswith(fake.base_url)
        await poll(vigie, "g")
        assert [r.route for r in fake.requests] == ["lookup", "statuses", "statuses"]


async def test_mastodon_instances_that_hide_timelines_and_unknown_accounts(
        tmp_path: Path) -> None:
    async with FakeMastodon([Toot(1, "alice", "x", ago(1))], public=False) as fake, kind_vigie(
            tmp_path, [
                {"name": "t", "kind": "mastodon", "instance": "mastodon.example", "tag": "ia"},
                {"name": "a", "kind": "mastodon", "instance": "mastodon.example",
                 "account": "nobody"}], {"mastodon": {"base_url": fake.base_url}}) as vigie:
        _, state = await poll(vigie, "t")
        assert state.last_error is not None and state.last_error.startswith(
            "mastodon.example does not show its public timelines without an account (422)")
        _, state = await poll(vigie, "a")
        assert state.last_error is not None
        assert state.last_error.startswith("mastodon.example has no account nobody (404)")


# -- bluesky -----------------------------------------------------------------------------


BSKY_KINDS = {"handle": "vigie.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}


async def test_bluesky_search_logs_in_once_and_again_when_the_session_ends(
        tmp_path: Path) -> None:
    async with FakeBluesky([
        Skeet("3k1", "elon.bsky.social", "100 000 GPU pour l'#IAGénérative\nDétails", ago(5)),
        Skeet("3k2", "jay.bsky.social", "Rien à voir avec les GPU", ago(6), langs=("en",)),
    ], accounts={"vigie.bsky.social": "abcd-efgh-ijkl-mnop"}) as fake, kind_vigie(tmp_path, [
        {"name": "bsky", "kind": "bluesky", "query": "GPU", "language": "fr"},
    ], {"bluesky": {"base_url": fake.base_url, **BSKY_KINDS}}) as vigie:
        result, _ = await poll(vigie, "bsky")
        (login,) = fake.to("login")
        assert login.body == {"identifier": "vigie.bsky.social",
                              "password": "abcd-efgh-ijkl-mnop"}
        search = fake.to("search")[0]
        assert search.query["sort"] == "latest" and search.query["lang"] == "fr"
        assert search.headers["Authorization"].startswith("Bearer ")
        (match,) = result.matches
        item = match.item
        assert item.title == "100 000 GPU pour l'#IAGénérative"
        assert item.summary_text == "100 000 GPU pour l'#IAGénérative\nDétails"
        assert item.url.endswith("/profile/elon.bsky.social/post/3k1")
        assert item.author == "@elon.bsky.social" and item.language == "fr"
        await poll(vigie, "bsky")
        assert fake.logins == 1  # the session is kept
        fake.expire_sessions()
        result, _ = await poll(vigie, "bsky")
        assert result.error is None and fake.logins == 2


async def test_bluesky_refuses_a_wrong_app_password(tmp_path: Path) -> None:
    async with FakeBluesky([], accounts={"vigie.bsky.social": "right"}) as fake, kind_vigie(
            tmp_path, [{"name": "bsky", "kind": "bluesky", "query": "GPU"}],
            {"bluesky": {"base_url": fake.base_url, **BSKY_KINDS}}) as vigie:
        _, state = await poll(vigie, "bsky")
        assert state.last_error is not None
        assert state.last_error.startswith(
            "Bluesky refused the app password of [kinds.bluesky] handle")
        assert "abcd-efgh" not in state.last_error
        assert not fake.to("search")
        # A refused password is not retried soon.
        assert state.next_attempt is not None
        assert state.next_attempt - state.last_poll >= timedelta(minutes=5)


async def test_bluesky_account_posts_are_public_and_reposts_left_out(tmp_path: Path) -> None:
    async with FakeBluesky([
        Skeet("3a", "nvidia.com", "Our new GPU", ago(5), langs=("en",)),
        Skeet("3b", "other.bsky.social", "A GPU reposted", ago(4), repost_by="nvidia.com"),
    ]) as fake, kind_vigie(tmp_path, [
        {"name": "nv", "kind": "bluesky", "account": "@nvidia.com"},
        {"name": "nobody", "kind": "bluesky", "account": "nobody.bsky.social"},
    ], {"bluesky": {"base_url": fake.base_url}}) as vigie:
        result, _ = await poll(vigie, "nv")
        assert not fake.to("login")
        assert fake.to("author")[0].query["filter"] == "posts_no_replies"
        assert [m.item.title for m in result.matches] == ["Our new GPU"]
        _, state = await poll(vigie, "nobody")
        assert state.last_error is not None
        assert state.last_error.startswith("Bluesky has no account nobody.bsky.social (400)")


# -- x ------------------------------------------------------------------------------------------


async def test_x_recent_search_with_a_bearer_token(tmp_path: Path) -> None:
    async with FakeX([Tweet(1800, "elonmusk", "Buying 100k GPUs for generative AI", ago(5),
                            lang="en")], tokens={"t0k": True}) as fake, kind_vigie(tmp_path, [
        {"name": "x", "kind": "x", "query": "GPU", "max_results": 10},
    ], {"x": {"base_url": fake.base_url, "bearer_token": "t0k"}}) as vigie:
        result, state = await poll(vigie, "x")
        (request,) = fake.to("search")
        assert request.headers["Authorization"] == "Bearer t0k"
        assert request.query["max_results"] == "10"
        (match,) = result.matches
        assert match.item.url == "https://x.com/elonmusk/status/1800"
        assert match.item.author == "@elonmusk" and match.item.language == "en"
        assert state.next_attempt is None


async def test_x_waits_for_the_next_window_when_this_one_is_used_up(tmp_path: Path) -> None:
    async with FakeX([Tweet(1, "a", "GPU", ago(1))], tokens={"t0k": True},
                     window_allowance=1) as fake, kind_vigie(tmp_path, [
        {"name": "x", "kind": "x", "query": "GPU"},
    ], {"x": {"base_url": fake.base_url, "bearer_token": "t0k"}}) as vigie:
        result, state = await poll(vigie, "x")
        # The window's last request: the answer says 0 remain, so no call before it resets.
        assert result.error is None
        assert state.next_attempt is not None
        assert abs(state.next_attempt.timestamp() - fake.reset_at) <= 2
        assert await vigie.poll_due(vigie.config.sources[0]) is None
        assert len(fake.to("search")) == 1


async def test_x_token_and_plan_refusals(tmp_path: Path) -> None:
    async with FakeX([], tokens={"basic": False}) as fake, kind_vigie(tmp_path, [
        {"name": "x", "kind": "x", "query": "GPU"},
    ], {"x": {"base_url": fake.base_url, "bearer_token": "wrong"}}) as vigie:
        _, state = await poll(vigie, "x")
        assert state.last_error is not None
        assert state.last_error.startswith("X refused the bearer token of [kinds.x] (401)")
    (tmp_path / "2").mkdir()
    async with FakeX([], tokens={"basic": False}) as fake, kind_vigie(tmp_path / "2", [
        {"name": "x", "kind": "x", "query": "GPU"},
    ], {"x": {"base_url": fake.base_url, "bearer_token": "basic"}}) as vigie:
        _, state = await poll(vigie, "x")
        assert state.last_error is not None
        assert state.last_error.startswith("X refused access (403): the app's plan does not "
                                           "include recent search")
