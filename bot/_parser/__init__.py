"""Feed parsing: RSS 0.9x/1.0 (RDF)/2.0, Atom 1.0 (and 0.3), JSON Feed 1.x.

The common case is fast, the odd one still read:

1. The body is decoded here, not by the XML parser (``_decoding``): BOM,
   then the XML declaration (or JSON), then the Content-Type charset, then
   UTF-8 and cp1252. A declared single-byte charset on a body that is valid
   UTF-8 is taken to be UTF-8, which avoids the usual mojibake.
2. The prologue is checked before any parsing (``_xml``): a DOCTYPE that
   declares entities (billion laughs, quadratic blow-up, external ``SYSTEM``
   entities) is refused with :class:`UnsafeXMLError`; other DOCTYPEs are
   removed. lxml is in any case told never to load a DTD, resolve an entity
   or use the network. An HTML page raises :class:`NotAFeedError` with the
   feeds it advertises (``_discovery``).
3. lxml parses strictly; on failure, HTML named entities, stray ``&`` and
   invalid characters are repaired and lxml tries again, then in recover
   mode; feedparser is the last resort when recovery loses items
   (``_fallback``).

Each format has its reader (``_rss``, ``_atom``, ``_json``) over the helpers
they share (``_common``); ``_feed`` runs the whole. The result is a
:class:`~bot.types.ParsedFeed` of :class:`~bot.types.Entry`: titles as plain
text, summaries and contents as HTML strings, links resolved against
``xml:base`` or the feed URL and kept only when absolute ``http(s)``,
datetimes in UTC (``_dates``). An item that cannot be read is skipped and
logged. Pure functions, no I/O.
"""

from __future__ import annotations

from ._dates import parse_date
from ._discovery import find_feed_links
from ._feed import parse_feed

__all__ = ["find_feed_links", "parse_date", "parse_feed"]
