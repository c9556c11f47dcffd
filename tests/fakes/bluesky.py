"""A fake Bluesky (an account server with the App View behind it), for the ``bluesky`` kind.

Written without internet access from Bluesky's API documentation
(https://docs.bsky.app/docs/api/ and docs/advanced-guides/rate-limits):

- ``POST /xrpc/com.atproto.server.createSession`` with ``{"identifier",
  "password"}`` answers ``{"accessJwt", "refreshJwt", "handle", "did",
  "active"}``; a wrong identifier or password gets 401 ``{"error":
  "AuthenticationRequired", "message": "Invalid identifier or password"}``;
  logins are rate-limited (30 per 5 minutes per account: 429 with
  ``ratelimit-*`` headers);
- ``GET /xrpc/app.bsky.feed.searchPosts?q=…&sort=latest&limit=1..100&cursor=…``
  needs ``Authorization: Bearer <accessJwt>``: without one 401
  ``AuthenticationRequired``, with an expired one 400 ``ExpiredToken``
  ("Token has expired"); answers ``{"posts": [PostView], "cursor"?,
  "hitsTotal"?}``;
- ``GET /xrpc/app.bsky.feed.getAuthorFeed?actor=…&limit=…&filter=…&cursor=…``
  is public; an unknown actor gets 400 ``{"error": "InvalidRequest",
  "message": "Profile not found"}``; answers ``{"feed": [{"post": PostView,
  "reason"?}], "cursor"?}``;
- a PostView is ``{"uri": "at://<did>/app.bsky.feed.post/<rkey>", "cid",
  "author": {"did", "handle", "displayName"}, "record": {"$type":
  "app.bsky.feed.post", "text", "createdAt", "langs"}, "indexedAt", …}``;
- every answer carries ``ratelimit-limit``, ``ratelimit-remaining``,
  ``ratelimit-reset`` (Unix time) and ``ratelimit-policy``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from .apibase import FakeAPI, json_response


@dataclass(frozen=True)
class Skeet:
    """One Bluesky post."""

    rkey: str
    handle: str
    text: str
    created: datetime
    langs: tuple[str, ...] = ("fr",)
    repost_by: str | None = None


def _did(handle: str) -> str:
    return "did:plc:" + "".join(c for c in handle if c.isalnum()).lower()[:24].ljust(24, "x")


class FakeBluesky(FakeAPI):
    def __init__(self, posts: list[Skeet] | None = None, *,
                 accounts: dict[str, str] | None = None, page_size: int | None = None) -> None:
        super().__init__()
        self.posts = list(posts or [])
        #: handle → app password.
        self.accounts = dict(accounts or {})
        #: Live access tokens.
        self.tokens: set[str] = set()
        self.logins = 0
        #: Posts per page at most (the API's limit otherwise).
        self.page_size = page_size

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/xrpc/com.atproto.server.createSession",
                            self.route("login", self._login))
        app.router.add_get("/xrpc/app.bsky.feed.searchPosts", self.route("search", self._search))
        app.router.add_get("/xrpc/app.bsky.feed.getAuthorFeed",
                           self.route("author", self._author))

    def expire_sessions(self) -> None:
        """Every access token expires (the next request with one gets ExpiredToken)."""
        self.tokens.clear()

    @staticmethod
    def _window() -> dict[str, str]:
        return {"ratelimit-limit": "3000", "ratelimit-remaining": "2999",
                "ratelimit-reset": str(int(time.time()) + 300), "ratelimit-policy": "3000;w=300"}

    async def _login(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("identifier"), str):
            return json_response({"error": "InvalidRequest", "message": "Input must have the "
                                  "property \"identifier\""}, 400, self._window())
        handle = body["identifier"]
        if self.accounts.get(handle) != body.get("password"):
            return json_response({"error": "AuthenticationRequired",
                                  "message": "Invalid identifier or password"}, 401,
                                 self._window())
        self.logins += 1
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return json_response({"accessJwt": token, "refreshJwt": secrets.token_urlsafe(24),
                              "handle": handle, "did": _did(handle), "active": True},
                             headers=self._window())

    def _limit(self, request: web.Request) -> int | web.Response:
        try:
            limit = int(request.query.get("limit", "25"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            return json_response({"error": "InvalidRequest",
                                  "message": "limit must be between 1 and 100"}, 400)
        return min(limit, self.page_size or limit)

    def _cut(self, request: web.Request, posts: list[Skeet], limit: int
             ) -> tuple[list[Skeet], str | None]:
        posts = sorted(posts, key=lambda p: p.created, reverse=True)
        start = int(request.query.get("cursor") or 0)
        page = posts[start:start + limit]
        return page, str(start + limit) if start + limit < len(posts) else None

    async def _search(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return json_response({"error": "AuthenticationRequired",
                                  "message": "Authentication Required"}, 401, self._window())
        if auth.removeprefix("Bearer ") not in self.tokens:
            return json_response({"error": "ExpiredToken", "message": "Token has expired"},
                                 400, self._window())
        limit = self._limit(request)
        if isinstance(limit, web.Response):
            return limit
        words = request.query.get("q", "").lower().split()
        if not words:
            return json_response({"error": "InvalidRequest",
                                  "message": "Error: Params must have the property \"q\""}, 400)
        lang = request.query.get("lang")
        found = [p for p in self.posts if p.repost_by is None
                 and all(w in p.text.lower() for w in words) and (not lang or lang in p.langs)]
        page, cursor = self._cut(request, found, limit)
        doc: dict[str, object] = {"posts": [_view(p) for p in page], "hitsTotal": len(found)}
        if cursor:
            doc["cursor"] = cursor
        return json_response(doc, headers=self._window())

    async def _author(self, request: web.Request) -> web.StreamResponse:
        limit = self._limit(request)
        if isinstance(limit, web.Response):
            return limit
        actor = request.query.get("actor", "")
        mine = [p for p in self.posts if actor in (p.handle, p.repost_by, _did(p.handle))]
        if not mine:
            return json_response({"error": "InvalidRequest", "message": "Profile not found"},
                                 400, self._window())
        page, cursor = self._cut(request, mine, limit)
        feed = []
        for p in page:
            item: dict[str, object] = {"post": _view(p)}
            if p.repost_by:
                item["reason"] = {"$type": "app.bsky.feed.defs#reasonRepost",
                                  "by": {"handle": p.repost_by, "did": _did(p.repost_by)}}
            feed.append(item)
        doc: dict[str, object] = {"feed": feed}
        if cursor:
            doc["cursor"] = cursor
        return json_response(doc, headers=self._window())


def _view(p: Skeet) -> dict[str, object]:
    when = p.created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "uri": f"at://{_did(p.handle)}/app.bsky.feed.post/{p.rkey}",
        "cid": "bafyrei" + p.rkey.ljust(52, "a"),
        "author": {"did": _did(p.handle), "handle": p.handle,
                   "displayName": p.handle.split(".")[0].title()},
        "record": {"$type": "app.bsky.feed.post", "text": p.text, "createdAt": when,
                   "langs": list(p.langs)},
        "replyCount": 0, "repostCount": 0, "likeCount": 0, "indexedAt": when, "labels": [],
    }
