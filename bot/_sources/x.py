"""The ``x`` kind: posts on X matching a search, from the X API v2 recent search.

From X's API documentation (https://docs.x.com/x-api/posts/recent-search,
https://docs.x.com/x-api/fundamentals/rate-limits and
https://docs.x.com/x-api/fundamentals/response-codes-and-errors):

- ``GET /2/tweets/search/recent?query=…&max_results=10..100`` with
  ``Authorization: Bearer <token>``; ``tweet.fields=created_at,lang,author_id``,
  ``expansions=author_id`` and ``user.fields=username,name`` add what an
  item needs;
- the answer is ``{"data": [{"id", "text", "created_at", "lang",
  "author_id"}], "includes": {"users": [{"id", "username", "name"}]},
  "meta": {"result_count", "newest_id", "oldest_id", "next_token"}}``;
  without results ``data`` is absent and ``result_count`` is 0;
- errors are problem documents ``{"title", "detail", "type", "status"}``:
  401 for a bad token, 403 ``client-forbidden`` for an app whose plan lacks
  the endpoint, 429 ``Too Many Requests`` or ``UsageCapExceeded``;
- rate limits are per 15-minute window: ``x-rate-limit-limit``,
  ``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (Unix time).

The API is paid: every post read counts against the plan's monthly cap, so
one page of ``max_results`` posts is read per poll.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..types import Entry, FetchResult
from ._base import (
    Key,
    Page,
    SourceKind,
    SourceSpec,
    api_feed,
    api_url,
    expect,
    object_of,
    parse_time,
    post_entry,
    read_json,
    text_of,
)


class X(SourceKind):
    name = "x"
    label = "X"
    summary = "Posts on X matching a search (X API v2 recent search; paid)"
    keys = (
        Key("query", "An X search query (\"IA générative\" lang:fr -is:retweet)", required=True,
            max_length=512),
        Key("max_results", "Posts read per poll, 10 to 100 (each counts against the plan's cap)",
            type=int, minimum=10, maximum=100),
    )
    settings = (
        Key("bearer_token", "The app's bearer token (X developer portal)", secret=True,
            max_length=500),
    )
    hosts = ("api.x.com", "api.twitter.com")
    chat_what = "the search"
    conditional = False
    max_pages: ClassVar[int] = 1  # every post read is paid for

    def check(self, spec: SourceSpec) -> list[tuple[str, str]]:
        if not spec.setting("bearer_token"):
            return [("", "an x source needs [kinds.x] bearer_token (the X API is paid)")]
        return []

    def url(self, spec: SourceSpec) -> str:
        return self.rebase(api_url("https://api.x.com", "/2/tweets/search/recent", {
            "query": spec.text("query"), "max_results": spec.number("max_results") or 25,
            "tweet.fields": "created_at,lang,author_id", "expansions": "author_id",
            "user.fields": "username,name",
        }), spec)

    def headers(self, spec: SourceSpec) -> dict[str, str]:
        return {"Authorization": f"Bearer {spec.setting('bearer_token') or ''}",
                "Accept": "application/json"}

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        doc = expect(read_json(answer, self.label), dict, self.label, "a result", answer.url)
        posts = doc.get("data", [])
        posts = expect(posts, list, self.label, "the posts", answer.url)
        includes = object_of(doc.get("includes"))
        users = {text_of(u.get("id")): text_of(u.get("username"))
                 for u in includes.get("users") or () if isinstance(u, dict)}
        entries = [e for p in posts if isinstance(p, dict) and (e := _post(p, users))]
        return Page(api_feed(self.name, f"X: {spec.text('query')}", entries))

    def refusal(self, status: int, error: Any, spec: SourceSpec, *, login: bool) -> str | None:
        title = text_of(error.get("title"))
        if status == 401:
            return "X refused the bearer token of [kinds.x] (401)"
        if status == 403:
            return "X refused access (403): the app's plan does not include recent search, " \
                   "or the app is not in a project"
        if status == 429 and title == "UsageCapExceeded":
            return "X says the app's monthly post cap is used up (429)"
        if status == 429:
            return "X's 15-minute rate window is used up (429); Vigie waits for the next one"
        if status == 400:
            return "X refused the search query (400)"
        return None


def _post(post: dict[str, Any], users: dict[str, str]) -> Entry | None:
    post_id = text_of(post.get("id"))
    if not post_id.isdigit():
        return None
    username = users.get(text_of(post.get("author_id")), "")
    link = f"https://x.com/{username or 'i/web'}/status/{post_id}"
    return post_entry(id=f"x:{post_id}", text=text_of(post.get("text")), link=link,
                      author=f"@{username}" if username else None,
                      published=parse_time(post.get("created_at")),
                      language=text_of(post.get("lang")) or None)
