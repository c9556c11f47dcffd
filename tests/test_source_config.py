"""Source kinds without I/O: their keys in the configuration (``vigie check``),
``[kinds.<kind>] base_url``, the requests they build, and the items social
posts become."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from vigieproc import vigie

from bot._sources import KINDS, KindSettings, SourceSpec, kind_for_url, rebase
from bot._sources._base import TITLE_CHARS, post_entry, post_title
from bot._toml import export_config
from bot.config import validate
from bot.exceptions import ConfigError

BASE: dict[str, Any] = {"topics": {"gpu": {"keywords": ["GPU"]}},
                        "subscriptions": [{"name": "s", "topics": ["gpu"]}]}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate({**BASE, **data}, path="f.toml", env={})
    return [f"{k}: {m}" for k, m in info.value.problems]


# -- configuration --------------------------------------------------------------------


def test_every_kind_is_configured_with_its_own_keys() -> None:
    config = validate({**BASE, "kinds": {
        "bluesky": {"handle": "vigie.bsky.social", "app_password": "pw"},
        "x": {"bearer_token": "t0k"}, "reddit": {"user_agent": "linux:vigie:1.0 (by /u/me)"},
    }, "sources": [
        {"name": "feed", "url": "https://example.org/feed"},
        {"name": "gn", "kind": "google-news", "query": "IA générative", "language": "fr"},
        {"name": "hn", "kind": "hackernews", "query": "GPU", "points": 20},
        {"name": "rd", "kind": "reddit", "subreddit": "r/nvidia", "query": "5090"},
        {"name": "yt", "kind": "youtube", "channel": "@LinusTechTips"},
        {"name": "md", "kind": "mastodon", "instance": "mastodon.social", "tag": "#IA"},
        {"name": "bs", "kind": "bluesky", "query": "GPU"},
        {"name": "bsa", "kind": "bluesky", "account": "@nvidia.com"},
        {"name": "x", "kind": "x", "query": "GPU lang:fr"},
    ]}, env={})
    urls = {s.name: s.url for s in config.sources}
    assert urls == {
        "feed": "https://example.org/feed",
        "gn": "https://news.google.com/rss/search?q=IA+g%C3%A9n%C3%A9rative&hl=fr&gl=FR"
              "&ceid=FR:fr",
        "hn": "https://hn.algolia.com/api/v1/search_by_date?query=GPU&tags=story&hitsPerPage=50"
              "&numericFilters=points%3E%3D20",
        "rd": "https://www.reddit.com/r/nvidia/search.rss?q=5090&restrict_sr=on&sort=new"
              "&limit=100",
        "yt": "https://www.youtube.com/@LinusTechTips",
        "md": "https://mastodon.social/api/v1/timelines/tag/IA?limit=40",
        "bs": "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=GPU&sort=latest&limit=50",
        "bsa": "https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=nvidia.com"
               "&limit=50&filter=posts_no_replies",
        "x": "https://api.x.com/2/tweets/search/recent?query=GPU+lang:fr&max_results=25"
             "&tweet.fields=created_at,lang,author_id&expansions=author_id"
             "&user.fields=username,name",
    }
    hn = config.source("hn")
    assert hn is not None and hn.kind == "hackernews" and hn.options == {"query": "GPU",
                                                                          "points": 20}
    # The secrets are kept for the requests, never shown.
    assert "t0k" not in repr(config) and "pw" not in repr(config.kinds)


def test_base_url_replaces_scheme_and_host_and_keeps_paths() -> None:
    config = validate({**BASE, "kinds": {"google-news": {"base_url": "http://127.0.0.1:8080"},
                                         "hackernews": {"base_url": "https://mirror.example/hn/"}},
                       "sources": [
        {"name": "gn", "kind": "google-news", "query": "GPU"},
        {"name": "hn", "kind": "hackernews", "query": "GPU"},
    ]}, env={})
    assert [s.url for s in config.sources] == [
        "http://127.0.0.1:8080/rss/search?q=GPU&hl=en-US&gl=US&ceid=US:en",
        "https://mirror.example/hn/api/v1/search_by_date?query=GPU&tags=story&hitsPerPage=50"]
    # Only the service's own hosts move: a URL elsewhere (a story's link) stays.
    hosts = KINDS["hackernews"].hosts
    assert rebase("https://hn.algolia.com/api/v1/x?a=1", "http://h:1", hosts) == \
        "http://h:1/api/v1/x?a=1"
    assert rebase("https://example.org/page", "http://h:1", hosts) == "https://example.org/page"
    assert rebase("https://hn.algolia.com/x", None, hosts) == "https://hn.algolia.com/x"


def test_check_says_what_each_kind_lacks() -> None:
    assert problems({"kinds": {"bluesky": {"handle": "me.bsky.social", "password": "x"},
                               "x": {"base_url": "ftp://x.example"}, "rss": {}, "feed": {}},
                     "sources": [
        {"name": "a", "kind": "google-news"},
        {"name": "b", "query": "GPU"},
        {"name": "c", "kind": "reddit"},
        {"name": "d", "kind": "bluesky", "query": "GPU"},
        {"name": "e", "kind": "x", "query": "GPU"},
        {"name": "f", "kind": "mastodon", "instance": "mastodon.social", "tag": "IA",
         "account": "@x"},
        {"name": "g", "kind": "tiktok", "query": "GPU"},
        {"name": "h", "kind": "youtube", "channel": "Linus"},
        {"name": "i", "kind": "hackernews", "query": "GPU", "points": -1, "subreddit": "x"},
        {"name": "j", "kind": "mastodon", "instance": "http://x", "tag": "IA"},
        {"name": "k", "kind": "hackernews", "query": 5},
    ]}) == [
        "kinds.bluesky.password: unknown key (a [kinds.bluesky] table takes base_url, handle, "
        "app_password)",
        "kinds.x.base_url: must be an http:// or https:// URL without query or fragment",
        "kinds.rss: 'rss' is not a source kind with settings (one of google-news, hackernews, "
        "reddit, youtube, mastodon, bluesky, x)",
        "kinds.feed: 'feed' is not a source kind with settings (one of google-news, hackernews, "
        "reddit, youtube, mastodon, bluesky, x)",
        "sources[0].query: is required",
        "sources[1].query: unknown key (a feed source takes url)",
        "sources[1].url: is required",
        "sources[2]: a reddit source needs subreddit, query, or both",
        "sources[3].query: searching Bluesky needs [kinds.bluesky] handle and app_password "
        "(Bluesky refuses searches without an account)",
        "sources[4]: an x source needs [kinds.x] bearer_token (the X API is paid)",
        "sources[5]: a mastodon source needs tag or account (one of them)",
        "sources[6].kind: 'tiktok' is not a source kind (one of feed, google-news, hackernews, "
        "reddit, youtube, mastodon, bluesky, x)",
        "sources[7].channel: must be a channel id (UC and 22 more characters) or an @handle",
        "sources[8].subreddit: unknown key (a hackernews source takes query, points)",
        "sources[8].points: must be at least 0 and at most 100000",
        "sources[9].instance: must be a host name such as mastodon.social",
        "sources[10].query: expected a string, got an integer",
    ]


async def test_vigie_check_prints_the_usual_lines(tmp_path: Path) -> None:
    config = write_config(tmp_path / "vigie.toml", f"""
        [storage]
        url = "sqlite:///{tmp_path / 'vigie.db'}"

        [kinds.x]
        base_url = "https://api.x.com/"

        [[sources]]
        name = "x"
        kind = "x"
        query = "GPU"

        [[sources]]
        name = "hn"
        kind = "hackernews"

        [topics.gpu]
        keywords = ["GPU"]

        [[subscriptions]]
        name = "s"
        topics = ["gpu"]
        """)
    code, out, err = await vigie("check", "--config", str(config))
    assert code == 2, err
    assert out.splitlines() == [
        f"{config}: sources[0]: an x source needs [kinds.x] bearer_token (the X API is paid)",
        f"{config}: sources[1].query: is required"]


def test_export_writes_each_kind_back() -> None:
    data = {**BASE, "sources": [
        {"name": "gn", "kind": "google-news", "query": "IA générative", "language": "fr"},
        {"name": "hn", "kind": "hackernews", "query": "GPU", "points": 20},
        {"name": "f", "url": "https://example.org/feed"}]}
    config = validate(data, env={})
    exported = export_config(config)
    assert 'kind = "google-news"\nquery = "IA générative"' in exported
    assert "points = 20" in exported
    import tomllib
    again = validate({**tomllib.loads(exported)}, env={})
    assert again.sources == config.sources


# -- requests, chat words, URLs ----------------------------------------------------------


def test_google_news_editions() -> None:
    kind = KINDS["google-news"]
    url = kind.url(SourceSpec({"query": "GPU"}, "fr"))
    assert url.endswith("hl=fr&gl=FR&ceid=FR:fr")
    assert kind.url(SourceSpec({"query": "GPU"}, "en")).endswith("hl=en-US&gl=US&ceid=US:en")
    assert kind.url(SourceSpec({"query": "GPU", "country": "ca"}, "fr")).endswith(
        "hl=fr-CA&gl=CA&ceid=CA:fr")


def test_what_chat_typed_and_urls_of_the_services() -> None:
    assert KINDS["reddit"].from_chat("r/nvidia") == {"subreddit": "nvidia"}
    assert KINDS["reddit"].from_chat("RTX 5090") == {"query": "RTX 5090"}
    assert KINDS["mastodon"].from_chat("@Gargron@mastodon.social") == {
        "account": "Gargron", "instance": "mastodon.social"}
    assert KINDS["mastodon"].from_chat("#IA") == {"tag": "#IA"}
    assert KINDS["bluesky"].from_chat("@nvidia.com") == {"account": "@nvidia.com"}
    assert KINDS["bluesky"].from_chat("GPU Nvidia") == {"query": "GPU Nvidia"}
    assert KINDS["youtube"].from_chat("@LinusTechTips") == {"channel": "@LinusTechTips"}
    none: dict[str, KindSettings] = {}
    cases = {
        "https://www.reddit.com/r/nvidia/": ("reddit", {"subreddit": "nvidia"}),
        "https://www.youtube.com/@LinusTechTips": ("youtube", {"channel": "@LinusTechTips"}),
        "https://www.youtube.com/channel/UC" + "a" * 22: ("youtube", {"channel": "UC" + "a" * 22}),
        "https://bsky.app/profile/jay.bsky.team": ("bluesky", {"account": "jay.bsky.team"}),
        "https://news.google.com/rss/search?q=GPU&hl=fr&gl=FR&ceid=FR:fr":
            ("google-news", {"query": "GPU", "country": "FR"}),
        "https://hn.algolia.com/api/v1/search_by_date?query=GPU&tags=story":
            ("hackernews", {"query": "GPU"}),
        "https://mastodon.social/api/v1/timelines/tag/IA?limit=40":
            ("mastodon", {"instance": "mastodon.social", "tag": "IA"}),
        "https://www.numerama.com/feed/": ("feed", {"url": "https://www.numerama.com/feed/"}),
        "https://medium.com/@someone": ("feed", {"url": "https://medium.com/@someone"}),
    }
    for url, (kind, keys) in cases.items():
        found, options = kind_for_url(url, none)
        assert (found.name, options) == (kind, keys), url
    # On a base_url's host too.
    mirror = {"reddit": KindSettings("http://127.0.0.1:9")}
    found, options = kind_for_url("http://127.0.0.1:9/r/amd/new/.rss", mirror)
    assert (found.name, options) == ("reddit", {"subreddit": "amd"})


# -- social posts as items ----------------------------------------------------------------


def test_a_post_title_is_its_first_line_cut_at_a_word() -> None:
    assert post_title("\n  Breaking: GPUs  \nmore text") == "Breaking: GPUs"
    long = "Nvidia " + " ".join(["annonce"] * 40)
    title = post_title(long)
    assert len(title) <= TITLE_CHARS and title.endswith("annonce…")
    assert long.startswith(title.removesuffix("…"))
    entry = post_entry(id="1", text="Line <one> & two\nsecond", link="https://x.com/a/status/1",
                       author="@a", published=None)
    assert entry.title == "Line <one> & two"
    assert entry.summary_html == "Line &lt;one&gt; &amp; two<br>second"
    assert entry.author == entry.outlet == "@a"
