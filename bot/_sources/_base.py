"""What a source kind is: its keys, its requests, and how it reads answers (pure).

A kind (``feed``, ``google-news``, ``hackernews`` …) is one subclass of
:class:`SourceKind` in one module of this package, registered in
:data:`bot._sources.KINDS`. It declares the keys a source of its kind takes
(:attr:`SourceKind.keys`) and those of its ``[kinds.<kind>]`` table
(:attr:`SourceKind.settings`, besides ``base_url``), builds the request of a
source (:meth:`SourceKind.request`) and turns each answer into entries
(:meth:`SourceKind.read`), and says in plain words why its API refused a
request (:meth:`SourceKind.refusal`). None of it does I/O: the fetching is
``reader``'s, the same for every kind.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from .._normalize import normalize
from .._summary import cut_at_word
from ..exceptions import FeedParseError
from ..types import Entry, FetchResult, ParsedFeed

#: A source's kind-specific values, after checking: text or whole numbers.
Value = str | int

#: A social post's title is its first line, cut at a word at about this many characters.
TITLE_CHARS = 120


# -- keys ----------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key a kind takes: in a ``[[sources]]`` table, or in ``[kinds.<kind>]``."""

    #: The TOML key (and the chat option ``--<name>``).
    name: str
    #: What it holds, in one line (README, help, chat).
    help: str
    #: ``str`` or ``int``.
    type: type = str
    #: Whether it must be given.
    required: bool = False
    #: Bounds of an ``int``.
    minimum: int = 0
    maximum: int = 1_000_000
    #: A ``str`` must match this whole (re syntax), else :attr:`pattern_help` is the problem.
    pattern: str | None = None
    pattern_help: str = ""
    #: Longest ``str`` accepted.
    max_length: int = 200
    #: Never shown (tokens, passwords).
    secret: bool = False

    def problem(self, value: object) -> str | None:
        """What is wrong with ``value`` for this key, or None."""
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                return f"expected an integer, got {_type_name(value)}"
            if not self.minimum <= value <= self.maximum:
                return f"must be at least {self.minimum} and at most {self.maximum}"
            return None
        if not isinstance(value, str):
            return f"expected a string, got {_type_name(value)}"
        if not value.strip():
            return "must not be empty"
        if not value.isprintable():
            return "must be one line of printable characters"
        if len(value) > self.max_length:
            return f"is longer than {self.max_length} characters"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return self.pattern_help or "is not in the expected form"
        return None


def _type_name(value: object) -> str:
    return {bool: "a boolean", str: "a string", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


#: Every kind's ``[kinds.<kind>]`` table may replace the service's scheme and host.
BASE_URL = Key(
    "base_url", "Replaces the service's scheme and host (a mirror, a local fake); paths are kept",
    pattern=r"https?://[^\s/?#]+(/[^\s?#]*)?", pattern_help="must be an http:// or https:// URL "
    "without query or fragment", max_length=500)


@dataclass(frozen=True)
class KindSettings:
    """A kind's ``[kinds.<kind>]`` table, checked."""

    #: Replaces the scheme and host of the service's URLs (paths are kept), if set.
    base_url: str | None = None
    #: The kind's other keys (secrets included: never log this).
    values: Mapping[str, Value] = field(default_factory=dict, repr=False, hash=False)


@dataclass(frozen=True)
class SourceSpec:
    """What a kind builds its requests from: one source, resolved."""

    #: The source's kind-specific keys (a feed's ``url``, a search's ``query`` …).
    options: Mapping[str, Value]
    #: The source's ``language``, if set.
    language: str | None = None
    #: The kind's ``[kinds.<kind>]`` table.
    settings: KindSettings = field(default_factory=KindSettings)

    def text(self, name: str) -> str | None:
        value = self.options.get(name)
        return value if isinstance(value, str) else None

    def number(self, name: str) -> int | None:
        value = self.options.get(name)
        return value if isinstance(value, int) else None

    def setting(self, name: str) -> str | None:
        value = self.settings.values.get(name)
        return value if isinstance(value, str) and value else None


# -- requests and answers ------------------------------------------------------


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request of a kind (the fetcher's address guard, caps and limits apply)."""

    #: The URL, the service's own or rebased on ``base_url``.
    url: str
    #: Headers to send (a token, a User-Agent the API requires); never logged.
    headers: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)
    #: POST this JSON value instead of a GET (a login).
    json_body: Mapping[str, str] | None = field(default=None, repr=False, hash=False)
    #: Whether ETag / Last-Modified validators may be sent (APIs that honour them).
    conditional: bool = True


@dataclass(frozen=True)
class Page:
    """What one answer holds: entries, and perhaps where to read on."""

    #: The entries read (None: this answer led elsewhere, see :attr:`follow`).
    feed: ParsedFeed | None
    #: The next page of older entries, if the API says there is one.
    next: ApiRequest | None = None
    #: Read this instead, and remember its URL as the source's (a site's
    #: advertised feed, a handle resolved to a channel or account).
    follow: ApiRequest | None = None


#: Builds the text of a refusal from an API's status and error document.
Refusal = Callable[[int, Mapping[str, Any]], str | None]


class SourceKind:
    """One kind of source. Subclasses set the class attributes and override
    what differs; every method is pure."""

    #: The ``kind`` value in the configuration (``google-news``).
    name: ClassVar[str]
    #: The service's name in messages ("Google News").
    label: ClassVar[str]
    #: One line for help and the README.
    summary: ClassVar[str]
    #: The keys a source of this kind takes (``name``, ``interval``,
    #: ``enabled`` and ``language`` are every source's).
    keys: ClassVar[tuple[Key, ...]] = ()
    #: The keys of its ``[kinds.<kind>]`` table, besides ``base_url``.
    settings: ClassVar[tuple[Key, ...]] = ()
    #: The hosts of the real service, whose scheme and host ``base_url`` replaces.
    hosts: ClassVar[tuple[str, ...]] = ()
    #: What ``sources add <kind> <what>`` reads ``what`` as, in words.
    chat_what: ClassVar[str] = ""
    #: Pages of older entries read at most in one poll (when all are new).
    max_pages: ClassVar[int] = 3

    # -- configuration --

    def check(self, spec: SourceSpec) -> list[tuple[str, str]]:
        """Problems between keys, as ``(key, message)`` (key ``""``: the
        source itself); the keys' own values were checked already."""
        return []

    def from_chat(self, what: str) -> dict[str, Value]:
        """The keys that ``sources add <kind> <what>`` means."""
        return {self.keys[0].name: what}

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        """The keys of a source of this kind that ``url`` (a web or API URL
        of the service) stands for, or None when it is not one."""
        return None

    def default_name(self, spec: SourceSpec) -> str:
        """A name for a source added from chat without one."""
        words = normalize(" ".join(str(v) for v in spec.options.values()))
        slug = words.replace(" ", "-")[:40].strip("-")
        return f"{self.name}-{slug}" if slug else self.name

    # -- requests --

    def url(self, spec: SourceSpec) -> str:
        """The URL of the source's first request, rebased (what ``sources
        list`` shows; a change of it makes the source start afresh)."""
        raise NotImplementedError

    def headers(self, spec: SourceSpec) -> dict[str, str]:
        """Headers every request of the source carries."""
        return {}

    #: Whether the API honours ETag / Last-Modified (conditional requests).
    conditional: ClassVar[bool] = True

    def request(self, spec: SourceSpec, url: str | None = None) -> ApiRequest:
        """The source's first request (at ``url`` when one was remembered)."""
        return ApiRequest(url or self.url(spec), self.headers(spec), conditional=self.conditional)

    def login(self, spec: SourceSpec) -> ApiRequest | None:
        """The request that opens a session, when the source needs one."""
        return None

    def session_headers(self, answer: FetchResult) -> dict[str, str]:
        """The headers a successful login gives (raises FeedParseError if unreadable)."""
        return {}

    def session_expired(self, status: int, error: Mapping[str, Any]) -> bool:
        """Whether a refusal means the session ended (log in again, once)."""
        return status == 401

    def rebase(self, url: str, spec: SourceSpec) -> str:
        """``url`` with the scheme and host of ``base_url``, when set and the
        URL is on one of the service's hosts (paths kept, a base path prefixed)."""
        return rebase(url, spec.settings.base_url, self.hosts)

    # -- answers --

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        """The entries of one answer (and the next page, if any).

        Raises :class:`bot.exceptions.FeedParseError` (or a subclass) when
        the answer cannot be read.
        """
        raise NotImplementedError

    def refusal(self, status: int, error: Mapping[str, Any], spec: SourceSpec, *,
                login: bool) -> str | None:
        """Why the API refused, in plain words, from its status and its error
        document (parsed JSON, empty if none); None: the generic message.
        ``login``: the refused request was the login."""
        return None

    def explain_refusal(self, status: int, body: bytes, spec: SourceSpec, *,
                        login: bool) -> str | None:
        """The health message of an error status: the kind's, else a generic
        one (None: the fetcher's own, "HTTP 404")."""
        error = error_document(body)
        said = self.refusal(status, error, spec, login=login)
        if said:
            return said
        if status == 401:
            return f"{self.label} refused Vigie's credentials (401)"
        if status == 403:
            return f"{self.label} refused access (403)"
        if status == 404:
            return f"{self.label} does not know this source (404)"
        if status == 429:
            return f"{self.label} is rate-limiting Vigie (429)"
        if status >= 500:
            return f"{self.label} is failing (HTTP {status})"
        return f"{self.label} refused the request (HTTP {status})"


# -- helpers ---------------------------------------------------------------------


def rebase(url: str, base_url: str | None, hosts: tuple[str, ...]) -> str:
    """``url`` moved to ``base_url``'s scheme and host (and port), its path
    kept after ``base_url``'s own path, when its host is one of ``hosts``
    (any host when ``hosts`` is empty)."""
    if not base_url:
        return url
    parts = urlsplit(url)
    if hosts and (parts.hostname or "").lower() not in hosts:
        return url
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def api_url(base: str, path: str, params: Mapping[str, object] | None = None) -> str:
    """``base`` + ``path`` with ``params`` (None values left out) as the query."""
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None}, safe=":,")
    return f"{base}{path}" + (f"?{query}" if query else "")


def read_json(answer: FetchResult, label: str) -> Any:
    """The JSON document of an answer.

    Raises :class:`FeedParseError` saying the service sent something else.
    """
    try:
        return json.loads(answer.body or b"")
    except (ValueError, RecursionError):
        raise FeedParseError(f"{label} sent a reply that is not valid JSON",
                             answer.url) from None


def expect(value: object, kind: type, label: str, what: str, url: str) -> Any:
    """``value`` if it is a ``kind``, else a :class:`FeedParseError` naming ``what``."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise FeedParseError(f"{label} sent an unexpected reply ({what} missing)", url)
    return value


def error_document(body: bytes) -> Mapping[str, Any]:
    """An API's error body parsed as a JSON object, else empty."""
    try:
        doc = json.loads(body) if body else {}
    except (ValueError, RecursionError):
        return {}
    return doc if isinstance(doc, dict) else {}


def object_of(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text_of(value: object) -> str:
    """``value`` if it is a string, else ``""`` (API fields are untrusted)."""
    return value if isinstance(value, str) else ""


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time of an API (``2024-06-10T07:00:00.000Z``) in UTC, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def post_title(text: str) -> str:
    """A social post's title: its first non-empty line, cut at a word at
    about :data:`TITLE_CHARS` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return cut_at_word(" ".join(line.split()), TITLE_CHARS)


def post_entry(*, id: str, text: str, link: str | None, author: str | None,
               published: datetime | None, language: str | None = None,
               image: str | None = None, summary_html: str | None = None) -> Entry:
    """A social post as an entry: the title is its first line (cut at a
    word), the summary its text, the link its permalink, the author and
    outlet its account."""
    if summary_html is None:
        summary_html = "<br>".join(html.escape(line, quote=False) for line in text.splitlines())
    return Entry(id=id, title=post_title(text), link=link, summary_html=summary_html,
                 published=published, author=author, language=language, image=image,
                 outlet=author)


def api_feed(kind: str, title: str, entries: list[Entry]) -> ParsedFeed:
    """The entries an API answered with, as a parsed feed."""
    return ParsedFeed(format=kind, title=title, link=None, language=None, entries=tuple(entries))


_LINK_RE = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]*)*)')


def link_rel(header: str | None, rel: str) -> str | None:
    """The URL an HTTP ``Link`` header (RFC 8288) gives for ``rel``, or None."""
    for m in _LINK_RE.finditer(header or ""):
        for param in m.group(2).split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "rel" and rel in value.strip().strip('"').split():
                return m.group(1).strip()
    return None
