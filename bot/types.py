"""Public data types of Vigie.

Every type is a frozen dataclass; every datetime is UTC-aware.
The core passes these between its parts; adapters receive :class:`Alert`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .options import SubscriptionOptions

#: The fields of an item that keywords can match in.
Field = Literal["title", "summary", "content"]
ALL_FIELDS: tuple[Field, ...] = ("title", "summary", "content")


# -- parsing -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One item of a feed as the parser read it (before identity and storage)."""

    #: The GUID / Atom id / JSON Feed id, as given; None when the feed has none.
    id: str | None
    #: The title as plain text (HTML in titles is reduced to text).
    title: str
    #: Absolute URL of the article, if any.
    link: str | None
    #: The feed's description / Atom summary, as HTML (may be plain text).
    summary_html: str = ""
    #: The full content (content:encoded, Atom content, JSON content_html/text), as HTML.
    content_html: str = ""
    #: When the item was published (UTC), if the feed says.
    published: datetime | None = None
    #: When the item was last updated (UTC), if the feed says.
    updated: datetime | None = None
    #: Author name, if any.
    author: str | None = None
    #: The item's language (lower-case BCP 47 primary tag such as "fr"), if the feed says.
    language: str | None = None
    #: Absolute URL of an image for the item (enclosure, media:thumbnail …), if any.
    image: str | None = None
    #: Categories / tags as given.
    categories: tuple[str, ...] = ()
    #: Who published it within a source that gathers many (a Google News
    #: result's publisher, a social post's account); None: the source itself.
    outlet: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document as the parser read it."""

    #: "rss", "rdf", "atom" or "json".
    format: str
    #: The feed's title as plain text, if any.
    title: str | None
    #: The site's URL, if any.
    link: str | None
    #: The feed's language (lower-case primary tag), if it declares one.
    language: str | None
    #: The items, in document order.
    entries: tuple[Entry, ...]


# -- fetching ----------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one successful HTTP fetch (2xx or 304)."""

    #: The URL finally fetched, after redirects.
    url: str
    #: The final HTTP status (200 … or 304).
    status: int
    #: The body, decompressed; None when not modified (304).
    body: bytes | None
    #: The Content-Type header, if any.
    content_type: str | None = None
    #: The ETag header, for the next conditional GET.
    etag: str | None = None
    #: The Last-Modified header, for the next conditional GET.
    last_modified: str | None = None
    #: Set when every redirect on the way was permanent (301/308): the URL to store.
    permanent_url: str | None = None
    #: The response headers (an API's pagination links and rate-limit
    #: windows, a feed's WebSub hub); repeated headers joined with ", ".
    headers: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# -- matching ----------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """The text of one item as the matcher sees it: plain text per field."""

    #: Plain-text title.
    title: str
    #: Plain-text summary (HTML already reduced to visible text).
    summary: str = ""
    #: Plain-text content.
    content: str = ""
    #: The item's language, if known ("fr", "en" …).
    language: str | None = None

    def field_text(self, name: Field) -> str:
        return {"title": self.title, "summary": self.summary, "content": self.content}[name]


@dataclass(frozen=True)
class TermHit:
    """A configured term found in a document."""

    #: The term as the user wrote it ("IA générative", "gpu*").
    term: str
    #: The field it was found in.
    field: Field
    #: The matched text span in that field's *normalised* text, for highlighting.
    start: int
    end: int
    #: The hashtag or handle the term was found inside ("#IAGénérative"), if any.
    tag: str | None = None


@dataclass(frozen=True)
class TopicVerdict:
    """Whether one topic (or subscription query) matched a document, and why."""

    #: Topic id, or ``"query:<subscription name>"`` for a subscription query.
    rule_id: str
    #: Whether the rule matched.
    matched: bool
    #: Terms that matched in an allowed field, as written in the configuration.
    matched_terms: tuple[str, ...] = ()
    #: Why it did not match, in plain words (excluded by …, wrong field, wrong language).
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchReport:
    """Every rule's verdict on one document, plus all term hits (for explain)."""

    #: Verdicts, one per topic and per subscription query, in configuration order.
    verdicts: tuple[TopicVerdict, ...]
    #: Every hit of every configured term in every field.
    hits: tuple[TermHit, ...] = ()

    @property
    def matched(self) -> tuple[TopicVerdict, ...]:
        return tuple(v for v in self.verdicts if v.matched)


# -- items and alerts --------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """An item with its identity settled, ready to store and match."""

    #: The source's configured name.
    source: str
    #: Stable identity within the source: GUID, else canonical link, else a hash.
    key: str
    #: Canonical URL (tracking parameters, fragment and host case removed), if any.
    url: str | None
    #: Plain-text title.
    title: str
    #: Plain-text summary (description reduced to text).
    summary_text: str
    #: Plain-text content.
    content_text: str
    #: Short summary for alerts: 1–3 sentences, boilerplate removed.
    lead: str
    #: When published (UTC), if known.
    published: datetime | None
    #: Language: from the item, the feed, or detection; None when unknown.
    language: str | None
    #: Image URL, if any.
    image: str | None = None
    #: Author, if any.
    author: str | None = None
    #: The publisher within a source that gathers many (see :attr:`Entry.outlet`).
    outlet: str | None = None

    @property
    def document(self) -> Document:
        return Document(self.title, self.summary_text, self.content_text, self.language)


@dataclass(frozen=True)
class Alert:
    """One item to deliver to one destination, because of one subscription.

    This is the neutral value every adapter renders natively.
    """

    #: The matched item.
    item: Item
    #: The subscription's name.
    subscription: str
    #: Where to deliver: "console", "discord:123", "slack-webhook:https://…".
    destination: str
    #: Topic ids that matched (those of the subscription).
    topics: tuple[str, ...]
    #: Display names of those topics, in the same order.
    topic_names: tuple[str, ...]
    #: Configured terms that matched, as written.
    matched_terms: tuple[str, ...]
    #: Character spans ``(start, end)`` in ``item.title`` to emphasise.
    title_highlights: tuple[tuple[int, int], ...] = ()
    #: Character spans ``(start, end)`` in ``item.lead`` to emphasise.
    lead_highlights: tuple[tuple[int, int], ...] = ()
    #: The subscription's options: adapters use ``mention``, the outbox the rest.
    options: SubscriptionOptions = field(default_factory=SubscriptionOptions, compare=False)

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt to deliver this alert, different for any
        other (item × destination): a platform's idempotency key or nonce."""
        return "a" + _hash_of("alert", self.item.source, self.item.key, self.destination)


#: Why alerts were collected into one message: the subscription's ``digest``,
#: its ``quiet`` hours, or the ``overflow`` past its ``limit`` (a roll-up).
DigestKind = Literal["digest", "quiet", "overflow"]


@dataclass(frozen=True)
class AlertDigest:
    """Several alerts of one subscription to one destination, sent as one message.

    The neutral value of digests, quiet-hours catch-ups and burst roll-ups.
    A destination with a ``send_digest`` method renders it natively; any
    other receives it as one plain-text :class:`Alert`
    (``bot._outbox.digest_alert``).
    """

    #: Why the alerts were collected.
    kind: DigestKind
    #: The subscription's name.
    subscription: str
    #: Where to deliver.
    destination: str
    #: What this message is, in plain words: "14 more items matched GPU in the last hour".
    title: str
    #: The alerts, in published order (never empty).
    alerts: tuple[Alert, ...]
    #: The subscription's options (its newest): adapters use ``mention``.
    options: SubscriptionOptions = field(default_factory=SubscriptionOptions, compare=False)

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt to deliver this digest, fixed by its
        members (frozen when it was collected), different for any other."""
        members = sorted(f"{a.item.source}\x01{a.item.key}" for a in self.alerts)
        return "d" + _hash_of("digest", self.destination, *members)

    def by_topic(self) -> tuple[tuple[str, tuple[Alert, ...]], ...]:
        """The alerts grouped under their first topic's display name (the
        subscription's name for an alert matched by a query only), groups in
        order of first appearance, alerts in published order."""
        groups: dict[str, list[Alert]] = {}
        for alert in self.alerts:
            name = alert.topic_names[0] if alert.topic_names else alert.subscription
            groups.setdefault(name, []).append(alert)
        return tuple((name, tuple(alerts)) for name, alerts in groups.items())


def _hash_of(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


# -- sources -----------------------------------------------------------------


@dataclass(frozen=True)
class SourceState:
    """What the store remembers about a source between polls."""

    #: The source's configured name.
    name: str
    #: The URL to fetch (updated after permanent redirects and autodiscovery).
    url: str
    #: Whether the source is enabled (a 410 disables it).
    enabled: bool = True
    #: ETag of the last 200 response.
    etag: str | None = None
    #: Last-Modified of the last 200 response.
    last_modified: str | None = None
    #: When the source was last polled, successfully or not.
    last_poll: datetime | None = None
    #: When the source last succeeded.
    last_success: datetime | None = None
    #: The last error, in plain words; None after a success.
    last_error: str | None = None
    #: Failures in a row since the last success.
    consecutive_failures: int = 0
    #: Earliest time of the next attempt (backoff / Retry-After), if any.
    next_attempt: datetime | None = None
    #: Whether at least one poll has completed (first-poll suppression).
    initialised: bool = False
    #: Items stored from this source in total.
    item_count: int = 0
    #: Why the source was disabled, if it was.
    disabled_reason: str | None = None


@dataclass(frozen=True)
class StoredItem:
    """An item as read back from the store (for recent, search and status)."""

    #: Database id.
    id: int
    #: The item.
    item: Item
    #: When Vigie first saw it (UTC).
    first_seen: datetime
    #: Topic ids it matched when it was stored.
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    """One full-text search result."""

    #: The stored item.
    stored: StoredItem
    #: Normalised words of the query found in the item, for highlighting.
    words: tuple[str, ...]
