"""The ``youtube`` kind: a YouTube channel's latest videos, from its Atom feed.

``https://www.youtube.com/feeds/videos.xml?channel_id=UC…`` is the feed of
a channel (Atom with the ``yt:`` and ``media:`` namespaces; the
description is ``media:group/media:description``). Google documents it
only as the RSS link of a channel page; a handle (``@name``) is resolved
once from that page, whose ``<link rel="alternate"
type="application/rss+xml">`` names the feed, and the feed's URL is kept.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .._parser import parse_feed
from ..exceptions import NotAFeedError
from ..types import FetchResult
from ._base import ApiRequest, Key, KindSettings, Page, SourceKind, SourceSpec, Value, api_url

_CHANNEL_ID = r"UC[A-Za-z0-9_-]{22}"
_HANDLE = r"@[A-Za-z0-9._-]{3,30}"


class YouTube(SourceKind):
    name = "youtube"
    label = "YouTube"
    summary = "A YouTube channel's latest videos (its feed)"
    keys = (
        Key("channel", "A channel id (UC…) or @handle (resolved once)", required=True,
            pattern=f"{_CHANNEL_ID}|{_HANDLE}",
            pattern_help="must be a channel id (UC and 22 more characters) or an @handle"),
    )
    hosts = ("www.youtube.com", "youtube.com", "m.youtube.com")
    chat_what = "a channel id (UC…) or @handle"

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        parts = urlsplit(url)
        if parts.path == "/feeds/videos.xml":
            channel = parse_qs(parts.query).get("channel_id", [""])[0]
            return {"channel": channel} if re.fullmatch(_CHANNEL_ID, channel) else None
        m = re.match(f"/(?:channel/({_CHANNEL_ID})|({_HANDLE}))(/|$)", parts.path)
        return {"channel": m.group(1) or m.group(2)} if m else None

    def url(self, spec: SourceSpec) -> str:
        channel = spec.text("channel") or ""
        if channel.startswith("@"):
            return self.rebase(f"https://www.youtube.com/{channel}", spec)
        return self.rebase(api_url("https://www.youtube.com", "/feeds/videos.xml",
                                   {"channel_id": channel}), spec)

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        try:
            return Page(parse_feed(answer.body or b"", url=answer.url,
                                   content_type=answer.content_type))
        except NotAFeedError as e:
            feeds = [u for u in e.feed_links if "/feeds/videos.xml" in u]
            if not feeds:
                raise NotAFeedError(f"YouTube's page of {spec.text('channel')} names no "
                                    "channel feed", answer.url) from None
            return Page(None, follow=ApiRequest(self.rebase(feeds[0], spec)))

    def refusal(self, status: int, error: Any, spec: SourceSpec, *, login: bool) -> str | None:
        if status == 404:
            return f"YouTube has no channel {spec.text('channel')} (404)"
        return None
