"""A fake Mastodon instance's public API, for the ``mastodon`` kind.

Written without internet access from Mastodon's documentation
(https://docs.joinmastodon.org):

- ``GET /api/v1/timelines/tag/:hashtag`` (methods/timelines/#tag): public
  statuses with the hashtag (case-insensitive), newest first; ``limit``
  defaults to 20, at most 40; ``max_id`` pages back;
- ``GET /api/v1/accounts/lookup?acct=`` (methods/accounts/#lookup): the
  Account (``id``, ``username``, ``acct``, ``url``), 404 ``{"error":
  "Record not found"}`` when there is none;
- ``GET /api/v1/accounts/:id/statuses`` (methods/accounts/#statuses), with
  ``exclude_replies`` and ``exclude_reblogs``;
- a Status (entities/Status) has ``id``, ``uri``, ``url``, ``created_at``,
  ``content`` (HTML, hashtags as ``<a class="mention hashtag">``),
  ``spoiler_text``, ``language``, ``reblog``, ``account``, ``tags`` and
  ``media_attachments``;
- pages are linked by ``Link: <…?max_id=…>; rel="next", <…?min_id=…>;
  rel="prev"`` (api/guidelines/#pagination);
- every answer carries ``X-RateLimit-Limit`` (300), ``X-RateLimit-Remaining``
  and ``X-RateLimit-Reset`` (an ISO 8601 time, the end of the 5-minute
  window); past it, 429 ``{"error": "Too many requests"}`` (api/rate-limits);
- answers have an ``ETag``, and a matching ``If-None-Match`` gets 304;
- an instance that does not show public timelines to visitors answers 422
  ``{"error": "This method requires an authenticated user"}``.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from .apibase import FakeAPI, json_response

MAX_LIMIT = 40


@dataclass(frozen=True)
class Toot:
    """One status of the instance."""

    id: int
    username: str
    text: str
    created: datetime
    tags: tuple[str, ...] = ()
    language: str | None = "fr"
    reblog: bool = False
    reply: bool = False


class FakeMastodon(FakeAPI):
    def __init__(self, toots: list[Toot] | None = None, *, host: str = "mastodon.example",
                 public: bool = True, allowance: int = 300) -> None:
        super().__init__()
        self.toots = list(toots or [])
        self.host = host
        self.public = public
        self.allowance = allowance
        self.used = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/timelines/tag/{tag}", self.route("tag", self._tag))
        app.router.add_get("/api/v1/accounts/lookup", self.route("lookup", self._lookup))
        app.router.add_get("/api/v1/accounts/{id}/statuses",
                           self.route("statuses", self._statuses))

    def _window(self) -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {"X-RateLimit-Limit": str(self.allowance),
                "X-RateLimit-Remaining": str(max(self.allowance - self.used, 0)),
                "X-RateLimit-Reset": reset}

    def _refusal(self) -> web.Response | None:
        self.used += 1
        if self.used > self.allowance:
            return json_response({"error": "Too many requests"}, 429, self._window())
        return None

    def _page(self, request: web.Request, toots: list[Toot], path: str) -> web.StreamResponse:
        try:
            limit = min(int(request.query.get("limit", "20")), MAX_LIMIT)
            max_id = int(request.query["max_id"]) if "max_id" in request.query else None
        except ValueError:
            return json_response({"error": "invalid parameter"}, 400, self._window())
        toots = sorted((t for t in toots if max_id is None or t.id < max_id),
                       key=lambda t: t.id, reverse=True)[:limit]
        body = json.dumps([self._status(t) for t in toots]).encode()
        etag = f'W/"{hashlib.sha256(body).hexdigest()[:16]}"'
        headers = {**self._window(), "ETag": etag}
        if toots:
            base = f"https://{self.host}{path}"  # the instance's own URL, as real ones give
            headers["Link"] = (f'<{base}?limit={limit}&max_id={toots[-1].id}>; rel="next", '
                               f'<{base}?limit={limit}&min_id={toots[0].id}>; rel="prev"')
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers, content_type="application/json")

    async def _tag(self, request: web.Request) -> web.StreamResponse:
        if refused := self._refusal():
            return refused
        if not self.public:
            return json_response({"error": "This method requires an authenticated user"}, 422,
                                 self._window())
        tag = request.match_info["tag"].lower()
        return self._page(request, [t for t in self.toots if tag in (x.lower() for x in t.tags)
                                    and not t.reblog], request.path)

    async def _lookup(self, request: web.Request) -> web.StreamResponse:
        if refused := self._refusal():
            return refused
        acct = request.query.get("acct", "").removesuffix(f"@{self.host}")
        if not any(t.username == acct for t in self.toots):
            return json_response({"error": "Record not found"}, 404, self._window())
        return json_response(self._account(acct), headers=self._window())

    async def _statuses(self, request: web.Request) -> web.StreamResponse:
        if refused := self._refusal():
            return refused
        account = next((t.username for t in self.toots
                        if str(_account_id(t.username)) == request.match_info["id"]), None)
        if account is None:
            return json_response({"error": "Record not found"}, 404, self._window())
        toots = [t for t in self.toots if t.username == account
                 and not (request.query.get("exclude_reblogs") == "true" and t.reblog)
                 and not (request.query.get("exclude_replies") == "true" and t.reply)]
        return self._page(request, toots, request.path)

    def _account(self, username: str) -> dict[str, object]:
        return {"id": str(_account_id(username)), "username": username, "acct": username,
                "display_name": username.title(), "url": f"https://{self.host}/@{username}"}

    def _status(self, t: Toot) -> dict[str, object]:
        content = html.escape(t.text)
        for tag in t.tags:
            content = content.replace(
                f"#{tag}", f'<a href="https://{self.host}/tags/{tag.lower()}" '
                           f'class="mention hashtag" rel="tag">#<span>{tag}</span></a>')
        paragraphs = "".join(f"<p>{p}</p>" for p in content.split("\n\n"))
        status = {
            "id": str(t.id), "uri": f"https://{self.host}/users/{t.username}/statuses/{t.id}",
            "url": f"https://{self.host}/@{t.username}/{t.id}",
            "created_at": t.created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "content": paragraphs, "spoiler_text": "", "sensitive": False,
            "visibility": "public", "language": t.language, "reblog": None,
            "account": self._account(t.username), "media_attachments": [],
            "tags": [{"name": tag.lower(), "url": f"https://{self.host}/tags/{tag.lower()}"}
                     for tag in t.tags],
        }
        if t.reblog:
            status["reblog"] = dict(status)
        return status


def _account_id(username: str) -> int:
    return int(hashlib.sha256(username.encode()).hexdigest()[:12], 16)
