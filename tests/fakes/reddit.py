"""A fake of Reddit's ``.rss`` listings, for the ``reddit`` kind.

Written without internet access from Reddit's RSS help
(https://www.reddit.com/wiki/rss) and API rules
(https://github.com/reddit-archive/reddit/wiki/API):

- listings as Atom: ``/r/<sub>/new/.rss``, ``/search.rss?q=…&sort=new``,
  ``/r/<sub>/search.rss?q=…&restrict_sr=on&sort=new``; ``limit`` at most 100;
- an entry has ``<author><name>/u/…</name><uri>…</uri></author>``,
  ``<category term="<sub>" label="r/<sub>"/>``, ``<content type="html">``,
  ``<id>t3_…</id>``, ``<link href="<permalink>"/>``, ``<updated>``,
  ``<published>`` and ``<title>``;
- "Change your client's User-Agent string to something unique and
  descriptive, including the target platform, a unique application
  identifier, a version string, and your username as contact information,
  in the following format: ``<platform>:<app ID>:<version string> (by
  /u/<reddit username>)``"; "Many default User-Agents (like "Python/urllib"
  or "Java") are drastically limited": here, any other User-Agent gets 429;
- every answer carries ``X-Ratelimit-Used``, ``X-Ratelimit-Remaining`` and
  ``X-Ratelimit-Reset`` (seconds to the end of the window); past the window's
  allowance, 429;
- an unknown subreddit gets 404, a private or banned one 403.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from .apibase import FakeAPI

#: Reddit's required form of a User-Agent.
USER_AGENT_RE = re.compile(r"[^:\s]+:[^:\s]+:[^:\s]+( .*)?")


@dataclass(frozen=True)
class Post:
    """One Reddit post."""

    id: str
    subreddit: str
    title: str
    author: str
    created: datetime
    text: str = ""


class FakeReddit(FakeAPI):
    def __init__(self, posts: list[Post] | None = None, *, private: tuple[str, ...] = (),
                 allowance: int = 100) -> None:
        super().__init__()
        self.posts = list(posts or [])
        self.private = {p.lower() for p in private}
        self.allowance = allowance
        self.used = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/r/{sub}/new/.rss", self.route("new", self._listing))
        app.router.add_get("/search.rss", self.route("search", self._listing))
        app.router.add_get("/r/{sub}/search.rss", self.route("search", self._listing))

    def _window(self) -> dict[str, str]:
        return {"X-Ratelimit-Used": str(self.used),
                "X-Ratelimit-Remaining": str(max(self.allowance - self.used, 0)),
                "X-Ratelimit-Reset": "420"}

    async def _listing(self, request: web.Request) -> web.StreamResponse:
        self.used += 1
        agent = request.headers.get("User-Agent", "")
        if not USER_AGENT_RE.fullmatch(agent) or self.used > self.allowance:
            return web.Response(status=429, text="Too Many Requests", headers=self._window())
        sub = request.match_info.get("sub")
        known = {p.subreddit.lower() for p in self.posts} | self.private
        if sub is not None and sub.lower() not in known:
            return web.Response(status=404, text='{"reason": "banned", "message": "Not Found"}',
                                headers=self._window(), content_type="application/json")
        if sub is not None and sub.lower() in self.private:
            return web.Response(status=403, headers=self._window(), content_type="application/json",
                                text='{"reason": "private", "message": "Forbidden"}')
        query = request.query.get("q", "").lower().split()
        if request.path.endswith("search.rss") and not query:
            return web.Response(status=400, text="Bad Request", headers=self._window())
        limit = min(int(request.query.get("limit", "25")), 100)
        restrict = sub is not None and (request.query.get("restrict_sr") == "on"
                                        or not request.path.endswith("search.rss"))
        found = [p for p in self.posts
                 if (not restrict or p.subreddit.lower() == (sub or "").lower())
                 and all(w in p.title.lower() for w in query)]
        found.sort(key=lambda p: p.created, reverse=True)
        entries = "".join(_entry(p) for p in found[:limit])
        where = f"r/{sub}" if sub else "reddit.com"
        body = (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
                f' xmlns:media="http://search.yahoo.com/mrss/"><title>{where}</title>'
                f"<id>/{where}/.rss</id><updated>2024-06-10T07:00:00+00:00</updated>{entries}"
                "</feed>")
        return web.Response(body=body.encode(), content_type="application/atom+xml",
                            charset="UTF-8", headers=self._window())


def _entry(p: Post) -> str:
    permalink = f"https://www.reddit.com/r/{p.subreddit}/comments/{p.id}/post/"
    content = html.escape(f"<p>{html.escape(p.text)}</p> submitted by "
                          f'<a href="https://www.reddit.com/user/{p.author}"> /u/{p.author} </a>')
    when = p.created.isoformat()
    return (f"<entry><author><name>/u/{p.author}</name>"
            f"<uri>https://www.reddit.com/user/{p.author}</uri></author>"
            f'<category term="{p.subreddit}" label="r/{p.subreddit}"/>'
            f'<content type="html">{content}</content><id>t3_{p.id}</id>'
            f'<link href="{permalink}"/><updated>{when}</updated><published>{when}</published>'
            f"<title>{html.escape(p.title)}</title></entry>")
