"""The ``reddit`` kind: a subreddit's new posts, or a search, from Reddit's ``.rss`` listings.

Reddit serves every listing as Atom when ``.rss`` is added to its path
(https://www.reddit.com/wiki/rss): ``/r/<sub>/new/.rss``, ``/search.rss?q=…&sort=new``
and ``/r/<sub>/search.rss?q=…&restrict_sr=on&sort=new``. Its API rules
(https://github.com/reddit-archive/reddit/wiki/API) require a unique,
descriptive User-Agent, ``<platform>:<app ID>:<version> (by /u/<username>)``;
generic ones are throttled with 429, and ``X-Ratelimit-Used``,
``X-Ratelimit-Remaining`` and ``X-Ratelimit-Reset`` (seconds) tell the window.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .._parser import parse_feed
from ..types import Entry, FetchResult
from ._base import Key, KindSettings, Page, SourceKind, SourceSpec, Value, api_url

#: Sent unless ``[kinds.reddit] user_agent`` says otherwise (Reddit's format).
DEFAULT_USER_AGENT = "python:vigie:0.1 (+https://github.com/vigie-bot/vigie)"
_SUBREDDIT_RE = re.compile(r"/?r/([A-Za-z0-9][A-Za-z0-9_]{1,20})/?")


class Reddit(SourceKind):
    name = "reddit"
    label = "Reddit"
    summary = "A subreddit's new posts, or a search of Reddit (its .rss listings)"
    keys = (
        Key("subreddit", "A subreddit (nvidia, or r/nvidia)",
            pattern=r"(r/)?[A-Za-z0-9][A-Za-z0-9_]{1,20}",
            pattern_help="must be a subreddit name: letters, digits and _ (r/ optional)"),
        Key("query", "What to search for (in the subreddit, if one is set)", max_length=300),
    )
    settings = (
        Key("user_agent", "Reddit asks for <platform>:<app id>:<version> (by /u/<you>)",
            max_length=300),
    )
    hosts = ("www.reddit.com", "reddit.com", "old.reddit.com")
    chat_what = "r/<subreddit>, or a search"
    max_pages: ClassVar[int] = 1  # the .rss listings give no cursor

    def check(self, spec: SourceSpec) -> list[tuple[str, str]]:
        if not spec.text("subreddit") and not spec.text("query"):
            return [("", "a reddit source needs subreddit, query, or both")]
        return []

    def from_chat(self, what: str) -> dict[str, Value]:
        m = _SUBREDDIT_RE.fullmatch(what)
        return {"subreddit": m.group(1)} if m else {"query": what}

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        m = re.match(r"/r/([A-Za-z0-9][A-Za-z0-9_]{1,20})(/|$)", urlsplit(url).path)
        return {"subreddit": m.group(1)} if m else None

    def url(self, spec: SourceSpec) -> str:
        sub = (spec.text("subreddit") or "").removeprefix("r/")
        query = spec.text("query")
        base = "https://www.reddit.com"
        if not query:
            url = api_url(base, f"/r/{sub}/new/.rss", {"limit": 100})
        elif not sub:
            url = api_url(base, "/search.rss", {"q": query, "sort": "new", "limit": 100})
        else:
            url = api_url(base, f"/r/{sub}/search.rss",
                          {"q": query, "restrict_sr": "on", "sort": "new", "limit": 100})
        return self.rebase(url, spec)

    def headers(self, spec: SourceSpec) -> dict[str, str]:
        return {"User-Agent": spec.setting("user_agent") or DEFAULT_USER_AGENT}

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        feed = parse_feed(answer.body or b"", url=answer.url, content_type=answer.content_type)
        return Page(replace(feed, entries=tuple(_post(e) for e in feed.entries)))

    def refusal(self, status: int, error: Any, spec: SourceSpec, *, login: bool) -> str | None:
        sub = (spec.text("subreddit") or "").removeprefix("r/")
        if status == 404 and sub:
            return f"Reddit has no subreddit r/{sub} (404)"
        if status == 403:
            where = f"r/{sub}" if sub else "this search"
            return f"Reddit refused access to {where}: private, quarantined or banned (403)"
        if status == 429:
            return "Reddit is rate-limiting Vigie (429); a descriptive [kinds.reddit] " \
                   "user_agent helps"
        return None


def _post(entry: Entry) -> Entry:
    # Reddit names authors "/u/name": the account is the outlet of its post.
    author = entry.author.removeprefix("/") if entry.author else None
    return replace(entry, author=author, outlet=author)
