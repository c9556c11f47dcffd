"""A fake X API v2 recent search, for the ``x`` kind.

Written without internet access from X's documentation
(https://docs.x.com/x-api/posts/recent-search,
https://docs.x.com/x-api/fundamentals/rate-limits,
https://docs.x.com/x-api/fundamentals/response-codes-and-errors):

- ``GET /2/tweets/search/recent`` needs ``Authorization: Bearer <token>``:
  without one, or with an unknown one, 401 ``{"title": "Unauthorized",
  "type": "about:blank", "status": 401, "detail": "Unauthorized"}``; a token
  whose app lacks the endpoint, 403 ``{"title": "Client Forbidden",
  "reason": "client-not-enrolled", "type":
  "https://api.twitter.com/2/problems/client-forbidden", …}``;
- ``query`` is required (at most 512 characters) and ``max_results`` is 10
  to 100, else 400 ``{"errors": [{"parameters", "message"}], "title":
  "Invalid Request", …}``;
- ``tweet.fields``, ``expansions=author_id`` and ``user.fields`` add
  ``created_at``, ``lang``, ``author_id`` and ``includes.users``;
- the answer is ``{"data": [...], "includes": {"users": [...]}, "meta":
  {"newest_id", "oldest_id", "result_count", "next_token"?}}``; without
  results, only ``{"meta": {"result_count": 0}}``;
- a 15-minute window of ``window_allowance`` requests per app:
  ``x-rate-limit-limit``, ``x-rate-limit-remaining`` and
  ``x-rate-limit-reset`` (Unix time) on every answer; past it, 429 ``{"title":
  "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
  "status": 429}``.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from .apibase import FakeAPI, json_response


@dataclass(frozen=True)
class Tweet:
    """One post on X."""

    id: int
    username: str
    text: str
    created: datetime
    lang: str = "fr"


class FakeX(FakeAPI):
    def __init__(self, posts: list[Tweet] | None = None, *, tokens: dict[str, bool] | None = None,
                 window_allowance: int = 60) -> None:
        super().__init__()
        self.posts = list(posts or [])
        #: bearer token → whether its app's plan includes recent search.
        self.tokens = dict(tokens or {})
        self.window_allowance = window_allowance
        self.used = 0
        self.reset_at = int(time.time()) + 900

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/2/tweets/search/recent", self.route("search", self._search))

    def _window(self) -> dict[str, str]:
        return {"x-rate-limit-limit": str(self.window_allowance),
                "x-rate-limit-remaining": str(max(self.window_allowance - self.used, 0)),
                "x-rate-limit-reset": str(self.reset_at)}

    async def _search(self, request: web.Request) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return json_response({"title": "Unauthorized", "type": "about:blank",
                                  "status": 401, "detail": "Unauthorized"}, 401)
        if not self.tokens[token]:
            return json_response({
                "client_id": "123", "title": "Client Forbidden", "reason": "client-not-enrolled",
                "required_enrollment": "Appropriate Level of API Access",
                "registration_url": "https://developer.x.com/en/portal/product",
                "detail": "When authenticating requests to the Twitter API v2 endpoints, you "
                          "must use keys and tokens from a Twitter developer App that is "
                          "attached to a Project.",
                "type": "https://api.twitter.com/2/problems/client-forbidden"}, 403)
        self.used += 1
        if self.used > self.window_allowance:
            return json_response({"title": "Too Many Requests", "detail": "Too Many Requests",
                                  "type": "about:blank", "status": 429}, 429, self._window())
        query = request.query.get("query", "")
        try:
            max_results = int(request.query.get("max_results", "10"))
        except ValueError:
            max_results = 0
        problems = []
        if not query or len(query) > 512:
            problems.append({"parameters": {"query": [query[:20]]},
                             "message": "The `query` parameter value is invalid"})
        if not 10 <= max_results <= 100:
            problems.append({"parameters": {"max_results": [str(max_results)]},
                             "message": "The `max_results` query parameter value is not "
                                        "between 10 and 100"})
        if problems:
            return json_response({"errors": problems, "title": "Invalid Request",
                                  "detail": "One or more parameters to your request was invalid.",
                                  "type": "https://api.twitter.com/2/problems/invalid-request"},
                                 400, self._window())
        words = [w for w in query.lower().split() if ":" not in w and not w.startswith("-")]
        found = sorted((p for p in self.posts if all(w.strip('"') in p.text.lower()
                                                     for w in words)),
                       key=lambda p: p.id, reverse=True)
        page = found[:max_results]
        if not page:
            return json_response({"meta": {"result_count": 0}}, headers=self._window())
        fields = set(request.query.get("tweet.fields", "").split(","))
        data = []
        for p in page:
            post: dict[str, object] = {"id": str(p.id), "text": p.text,
                                       "edit_history_tweet_ids": [str(p.id)]}
            if "created_at" in fields:
                post["created_at"] = p.created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            if "lang" in fields:
                post["lang"] = p.lang
            if "author_id" in fields or request.query.get("expansions") == "author_id":
                post["author_id"] = _user_id(p.username)
            data.append(post)
        doc: dict[str, object] = {"data": data, "meta": {
            "newest_id": str(page[0].id), "oldest_id": str(page[-1].id),
            "result_count": len(page)}}
        if len(found) > max_results:
            doc["meta"]["next_token"] = "b26v89c19zqg8o3f"  # type: ignore[index]
        if request.query.get("expansions") == "author_id":
            doc["includes"] = {"users": [
                {"id": _user_id(u), "username": u, "name": u.title()}
                for u in dict.fromkeys(p.username for p in page)]}
        return json_response(doc, headers=self._window())


def _user_id(username: str) -> str:
    return str(zlib.crc32(username.encode()))
