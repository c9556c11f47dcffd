"""The ``feed`` kind: an RSS, Atom, RDF or JSON Feed URL, or a site that advertises one."""

from __future__ import annotations

from typing import ClassVar

from .._parser import parse_feed
from ..exceptions import NotAFeedError
from ..types import FetchResult
from ._base import ApiRequest, Key, KindSettings, Page, SourceKind, SourceSpec, Value


class Feed(SourceKind):
    name = "feed"
    label = "The feed"
    summary = "An RSS, Atom, RDF or JSON Feed URL, or a site URL to autodiscover its feed"
    keys = (Key("url", "Feed URL, or a site URL to autodiscover the feed from", required=True,
                pattern=r"(?i)https?://[^\s/]+.*", pattern_help="must be an http:// or "
                "https:// URL", max_length=2000),)
    chat_what = "the feed or site URL"
    max_pages: ClassVar[int] = 1

    def url(self, spec: SourceSpec) -> str:
        return spec.text("url") or ""

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        return {"url": url}

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        try:
            return Page(parse_feed(answer.body or b"", url=answer.url,
                                   content_type=answer.content_type))
        except NotAFeedError as e:
            if not e.feed_links:
                raise
            # A site URL: read the first feed it advertises, and keep that URL.
            return Page(None, follow=ApiRequest(e.feed_links[0]))

    def explain_refusal(self, status: int, body: bytes, spec: SourceSpec, *,
                        login: bool) -> str | None:
        return None  # a feed's server says nothing more than its status


FEED = Feed()
