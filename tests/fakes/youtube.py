"""A fake of YouTube's channel feeds and pages, for the ``youtube`` kind.

Google documents the channel feed only as the RSS link of a channel page;
written without internet access from the feeds and pages YouTube serves:

- ``GET /feeds/videos.xml?channel_id=UC…`` (24 characters) answers Atom
  with the ``yt:`` (``yt:videoId``, ``yt:channelId``) and ``media:``
  namespaces, the description in ``media:group/media:description``, the 15
  latest videos; an unknown channel gets 404;
- ``GET /@handle`` answers the channel's HTML page, whose head names the
  feed in ``<link rel="alternate" type="application/rss+xml" title="RSS"
  href="https://www.youtube.com/feeds/videos.xml?channel_id=UC…">`` (an
  absolute URL on YouTube's own host, as the real page has); an unknown
  handle gets 404.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from .apibase import FakeAPI


@dataclass(frozen=True)
class Video:
    """One video of a channel."""

    id: str
    title: str
    description: str
    published: datetime


@dataclass
class Channel:
    """A channel: its id, @handle, name and videos."""

    id: str
    handle: str
    name: str
    videos: list[Video]


class FakeYouTube(FakeAPI):
    def __init__(self, channels: list[Channel] | None = None) -> None:
        super().__init__()
        self.channels = list(channels or [])

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/feeds/videos.xml", self.route("feed", self._feed))
        app.router.add_get("/{handle:@[^/]+}", self.route("page", self._page))

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        channel = next((c for c in self.channels
                        if c.id == request.query.get("channel_id")), None)
        if channel is None:
            return web.Response(status=404, text="Not Found")
        entries = "".join(_entry(channel, v) for v in sorted(
            channel.videos, key=lambda v: v.published, reverse=True)[:15])
        body = ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns:yt="http://www.youtube.com/'
                'xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" '
                'xmlns="http://www.w3.org/2005/Atom">'
                f'<link rel="self" href="https://www.youtube.com/feeds/videos.xml?channel_id='
                f'{channel.id}"/><id>yt:channel:{channel.id[2:]}</id>'
                f"<yt:channelId>{channel.id[2:]}</yt:channelId>"
                f"<title>{html.escape(channel.name)}</title>"
                f'<link rel="alternate" href="https://www.youtube.com/channel/{channel.id}"/>'
                f"<author><name>{html.escape(channel.name)}</name></author>"
                f"<published>2015-01-01T00:00:00+00:00</published>{entries}</feed>")
        return web.Response(body=body.encode(), content_type="text/xml", charset="UTF-8")

    async def _page(self, request: web.Request) -> web.StreamResponse:
        handle = request.match_info["handle"]
        channel = next((c for c in self.channels if c.handle.lower() == handle.lower()), None)
        if channel is None:
            return web.Response(status=404, text="Not Found", content_type="text/html")
        feed = f"https://www.youtube.com/feeds/videos.xml?channel_id={channel.id}"
        page = (f'<!DOCTYPE html><html lang="fr"><head><title>{html.escape(channel.name)} - '
                f'YouTube</title><link rel="alternate" type="application/rss+xml" title="RSS" '
                f'href="{feed}"><meta itemprop="identifier" content="{channel.id}"></head>'
                "<body>…</body></html>")
        return web.Response(body=page.encode(), content_type="text/html", charset="utf-8")


def _entry(channel: Channel, v: Video) -> str:
    when = v.published.isoformat()
    return (f"<entry><id>yt:video:{v.id}</id><yt:videoId>{v.id}</yt:videoId>"
            f"<yt:channelId>{channel.id}</yt:channelId><title>{html.escape(v.title)}</title>"
            f'<link rel="alternate" href="https://www.youtube.com/watch?v={v.id}"/>'
            f"<author><name>{html.escape(channel.name)}</name>"
            f"<uri>https://www.youtube.com/channel/{channel.id}</uri></author>"
            f"<published>{when}</published><updated>{when}</updated>"
            f"<media:group><media:title>{html.escape(v.title)}</media:title>"
            f'<media:content url="https://www.youtube.com/v/{v.id}?version=3" '
            'type="application/x-shockwave-flash" width="640" height="390"/>'
            f'<media:thumbnail url="https://i1.ytimg.com/vi/{v.id}/hqdefault.jpg" '
            'width="480" height="360"/>'
            f"<media:description>{html.escape(v.description)}</media:description>"
            "</media:group></entry>")
