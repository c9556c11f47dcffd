"""The ``hackernews`` kind: Hacker News stories, searched with Algolia's HN Search API.

``GET https://hn.algolia.com/api/v1/search_by_date?query=…&tags=story``
(https://hn.algolia.com/api) answers ``{"hits": [...], "page", "nbPages",
"hitsPerPage", "nbHits", …}``, newest first; each hit has ``objectID``,
``title``, ``url`` (absent for Ask HN), ``author``, ``points``,
``created_at`` and ``story_text``. ``numericFilters=points>=N`` keeps the
stories with at least N points; ``page`` reads on. The API allows 10,000
requests an hour from one address.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..types import Entry, FetchResult
from ._base import (
    ApiRequest,
    Key,
    KindSettings,
    Page,
    SourceKind,
    SourceSpec,
    Value,
    api_feed,
    api_url,
    expect,
    parse_time,
    read_json,
    text_of,
)

#: Stories read per request.
HITS_PER_PAGE = 50
THREAD = "https://news.ycombinator.com/item?id="


class HackerNews(SourceKind):
    name = "hackernews"
    label = "Hacker News"
    summary = "Hacker News stories matching a search (Algolia's HN Search API)"
    keys = (
        Key("query", "What to search for in stories", required=True, max_length=300),
        Key("points", "Only stories with at least this many points", type=int, maximum=100_000),
    )
    hosts = ("hn.algolia.com",)
    chat_what = "the search"

    def _url(self, spec: SourceSpec, page: int | None = None) -> str:
        points = spec.number("points")
        return self.rebase(api_url("https://hn.algolia.com", "/api/v1/search_by_date", {
            "query": spec.text("query"), "tags": "story", "hitsPerPage": HITS_PER_PAGE,
            "numericFilters": f"points>={points}" if points else None, "page": page,
        }), spec)

    def url(self, spec: SourceSpec) -> str:
        return self._url(spec)

    def headers(self, spec: SourceSpec) -> dict[str, str]:
        return {"Accept": "application/json"}

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        parts = urlsplit(url)
        if not parts.path.startswith("/api/v1/search"):
            return None
        query = parse_qs(parts.query).get("query", [""])[0]
        return {"query": query} if query else None

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        doc = expect(read_json(answer, self.label), dict, self.label, "a result", answer.url)
        hits = expect(doc.get("hits"), list, self.label, "the hits", answer.url)
        entries = [_entry(hit) for hit in hits if isinstance(hit, dict) and hit.get("objectID")]
        page, pages = doc.get("page"), doc.get("nbPages")
        next_page = None
        if isinstance(page, int) and isinstance(pages, int) and page + 1 < pages and hits:
            next_page = ApiRequest(self._url(spec, page + 1), self.headers(spec))
        return Page(api_feed(self.name, f"Hacker News: {spec.text('query')}", entries),
                    next=next_page)

    def refusal(self, status: int, error: Any, spec: SourceSpec, *, login: bool) -> str | None:
        if status == 400:
            return "Hacker News search refused the query (400)"
        if status == 429:
            return "Hacker News search is rate-limiting Vigie (429): over 10,000 requests " \
                   "an hour from this address"
        return None


def _entry(hit: dict[str, Any]) -> Entry:
    story = str(hit["objectID"])
    thread = THREAD + story
    link = text_of(hit.get("url")) or thread
    story_text = text_of(hit.get("story_text"))
    author = text_of(hit.get("author")) or None
    host = (urlsplit(link).hostname or "").removeprefix("www.") if link != thread else ""
    return Entry(
        id=f"hn:{story}",
        title=text_of(hit.get("title")),
        link=link,
        summary_html=story_text,
        published=parse_time(hit.get("created_at")),
        author=author,
        # The story's outlet is the site it links to (an Ask HN is its author's).
        outlet=host or author,
    )
