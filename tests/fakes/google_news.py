"""A fake Google News search (RSS), for the ``google-news`` kind.

Google documents no API for ``https://news.google.com/rss/search``; written
without internet access from the feeds it serves and from the RSS 2.0
specification's ``<source>`` element
(https://www.rssboard.org/rss-specification#ltsourcegtSubelementOfLtitemgt):

- ``GET /rss/search?q=…&hl=…&gl=…&ceid=<gl>:<language>``; ``q`` is required
  (400 without it) and ``ceid`` must agree with ``gl`` (Google answers an
  empty edition otherwise: here 400, so a wrong URL cannot pass unnoticed);
- an RSS 2.0 channel ``"<q>" - Google News`` with ``<language>``, whose
  items have ``<title>Headline - Publisher</title>``, a
  ``news.google.com/rss/articles/…`` link, a ``guid isPermaLink="false"``,
  a ``pubDate``, a description that repeats headline and publisher as HTML
  and ``<source url="https://publisher">Publisher</source>``;
- items match when every word of ``q`` is in the headline (case and
  accents aside, as Google's search is), newest first, at most 100;
- too many requests get 503 (Google's "unusual traffic" page) or 429.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from aiohttp import web

from .apibase import FakeAPI


@dataclass(frozen=True)
class Article:
    """One article Google News indexed."""

    id: str
    headline: str
    publisher: str
    publisher_url: str
    published: datetime
    language: str = "fr"


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return re.findall(r"\w+", "".join(c for c in decomposed if not unicodedata.combining(c)))


class FakeGoogleNews(FakeAPI):
    def __init__(self, articles: list[Article] | None = None) -> None:
        super().__init__()
        self.articles = list(articles or [])

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/rss/search", self.route("search", self._search))

    async def _search(self, request: web.Request) -> web.StreamResponse:
        q, hl, gl, ceid = (request.query.get(k, "") for k in ("q", "hl", "gl", "ceid"))
        if not q:
            return web.Response(status=400, text="Bad Request")
        country, _, language = ceid.partition(":")
        if country != gl or not language or not hl.lower().startswith(language.lower()):
            return web.Response(status=400, text="Bad Request")
        words = _words(q)
        found = [a for a in self.articles
                 if all(w in _words(a.headline) for w in words) and a.language == language]
        found.sort(key=lambda a: a.published, reverse=True)
        items = "".join(_item(a) for a in found[:100])
        body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
                f"<generator>NFE/5.0</generator><title>{html.escape(q)} - Google News</title>"
                f"<link>https://news.google.com/search?q={html.escape(q)}</link>"
                f"<language>{language}</language><webMaster>news-webmaster@google.com"
                f"</webMaster><description>Google News</description>{items}</channel></rss>")
        return web.Response(body=body.encode(), content_type="application/xml",
                            charset="utf-8")


def _item(a: Article) -> str:
    link = f"https://news.google.com/rss/articles/{a.id}?oc=5"
    title = f"{a.headline} - {a.publisher}"
    description = (f'<a href="{link}" target="_blank">{html.escape(a.headline)}</a>'
                   f'&nbsp;&nbsp;<font color="#6f6f6f">{html.escape(a.publisher)}</font>')
    return (f"<item><title>{html.escape(title)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{a.id}</guid>'
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
            f"<description>{html.escape(description)}</description>"
            f'<source url="{html.escape(a.publisher_url)}">{html.escape(a.publisher)}</source>'
            "</item>")
