"""A fake of Algolia's Hacker News Search API, for the ``hackernews`` kind.

Written without internet access from its documentation, https://hn.algolia.com/api:

- ``GET /api/v1/search_by_date?query=…&tags=story&hitsPerPage=N&page=P
  &numericFilters=points>=K`` answers ``{"hits": [...], "nbHits", "page",
  "nbPages", "hitsPerPage", "exhaustiveNbHits", "query", "params",
  "processingTimeMS"}``, newest first;
- a hit has ``objectID``, ``title``, ``url`` (absent or null for Ask HN),
  ``author``, ``points``, ``num_comments``, ``story_text``, ``created_at``
  (ISO 8601) and ``created_at_i`` (Unix time), ``_tags``;
- ``tags`` filters by type (``story``); ``hitsPerPage`` is at most 1000;
  a malformed ``numericFilters`` gets 400 ``{"message": …, "status": 400}``;
- "We are limiting the number of API requests from a single IP to 10,000
  per hour": beyond, 429.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from .apibase import FakeAPI, json_response


@dataclass(frozen=True)
class Story:
    """One Hacker News story."""

    id: int
    title: str
    author: str
    created: datetime
    url: str | None = None
    points: int = 1
    comments: int = 0
    text: str | None = None


class FakeHackerNews(FakeAPI):
    def __init__(self, stories: list[Story] | None = None) -> None:
        super().__init__()
        self.stories = list(stories or [])

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/search_by_date", self.route("search", self._search))

    async def _search(self, request: web.Request) -> web.StreamResponse:
        query = request.query.get("query", "")
        try:
            per_page = int(request.query.get("hitsPerPage", "20"))
            page = int(request.query.get("page", "0"))
        except ValueError:
            return json_response({"message": "invalid integer", "status": 400}, 400)
        if not 0 < per_page <= 1000 or page < 0:
            return json_response({"message": "hitsPerPage out of range", "status": 400}, 400)
        minimum = 0
        if numeric := request.query.get("numericFilters"):
            m = re.fullmatch(r"points>=(\d+)", numeric)
            if m is None:
                return json_response({"message": f"Invalid syntax for numeric filter: "
                                                 f"{numeric}", "status": 400}, 400)
            minimum = int(m.group(1))
        words = query.lower().split()
        found = [s for s in self.stories
                 if request.query.get("tags") in (None, "story")
                 and all(w in s.title.lower() for w in words) and s.points >= minimum]
        found.sort(key=lambda s: s.created, reverse=True)
        pages = math.ceil(len(found) / per_page)
        hits = [_hit(s) for s in found[page * per_page:(page + 1) * per_page]]
        return json_response({
            "hits": hits, "nbHits": len(found), "page": page, "nbPages": pages,
            "hitsPerPage": per_page, "exhaustiveNbHits": True, "query": query,
            "params": request.query_string, "processingTimeMS": 1})


def _hit(s: Story) -> dict[str, object]:
    return {
        "objectID": str(s.id), "title": s.title, "url": s.url, "author": s.author,
        "points": s.points, "num_comments": s.comments, "story_text": s.text,
        "created_at": s.created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "created_at_i": int(s.created.timestamp()),
        "_tags": ["story", f"author_{s.author}", f"story_{s.id}"],
    }
