"""Source kinds: what Vigie can watch, each declared once.

:data:`KINDS` is the one table the configuration check, the poller, chat's
``sources add`` and ``explain`` read. A kind is a module of this package
(``feed``, ``google_news``, ``hackernews``, ``reddit``, ``youtube``,
``mastodon``, ``bluesky``, ``x``) holding one :class:`SourceKind`: its
keys, how to build a source's requests, how to read the answers into
entries, and what its API's refusals mean (pure, no I/O); ``_kinds`` holds
the table. :mod:`.reader` fetches every kind the same way (address guard,
size caps, conditional requests, backoff, per-host limits); it is not
imported here, since the configuration imports this package.
"""

from __future__ import annotations

from ._base import (
    BASE_URL,
    ApiRequest,
    Key,
    KindSettings,
    Page,
    SourceKind,
    SourceSpec,
    Value,
    link_rel,
    rebase,
)
from ._kinds import FEED, KINDS, kind_for_url, read_options, read_settings

__all__ = [
    "BASE_URL", "FEED", "KINDS", "ApiRequest", "Key", "KindSettings", "Page", "SourceKind",
    "SourceSpec", "Value", "kind_for_url", "link_rel", "read_options", "read_settings", "rebase",
]
