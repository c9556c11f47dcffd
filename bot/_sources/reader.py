"""Reading a source of any kind through the one fetcher (the I/O half).

A kind builds requests and reads answers (pure, ``_base``); here they are
sent through :class:`bot._fetch.Fetcher`, so every kind gets the address
guard, the size caps, conditional requests where its API honours them, the
per-host limits, and the poller's backoff on failure. Here too: logging in
once per account and again when the session ends, following what an
answer leads to (a site's feed, a handle's channel), reading on through
pages while they hold only new entries, and turning an API's refusal into
a health message in plain words.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._fetch import Fetcher, rate_limit_wait
from ..exceptions import FeedParseError, GoneError, HTTPStatusError, SourceError
from ..types import Entry, FetchResult, ParsedFeed
from ._base import ApiRequest, KindSettings, SourceKind, SourceSpec, error_document
from ._kinds import FEED, KINDS, kind_for_url

if TYPE_CHECKING:  # the configuration reads the kinds: no import back at run time
    from ..config import Config, SourceConfig

log = logging.getLogger(__name__)

#: Answers that lead elsewhere (a site to its feed, a handle to its account) followed at most.
MAX_FOLLOWS = 2

#: Whether the entries of a page are all new (then the next page is read too).
AllNew = Callable[[ParsedFeed], Awaitable[bool]]


@dataclass(frozen=True)
class Reading:
    """What one read of a source gave."""

    #: The answer of the first page (its validators, its URL).
    result: FetchResult
    #: The entries of every page read; None when the server said "not modified".
    feed: ParsedFeed | None
    #: A URL to fetch from now on (permanent redirect, autodiscovered feed,
    #: resolved handle), if any.
    remember: str | None = None
    #: Pages read.
    pages: int = 1
    #: The error that stopped reading the later pages, if one did (the
    #: entries of the pages before it are kept).
    cut_short: SourceError | None = None
    #: Seconds before the API may be called again (its rate window is used up), if any.
    wait: float | None = None


def source_spec(source: SourceConfig, config: Config) -> tuple[SourceKind, SourceSpec]:
    """A configured source's kind and what the kind builds requests from."""
    kind = KINDS.get(source.kind, FEED)
    return kind, SourceSpec(source.kind_keys(), source.language,
                            config.kinds.get(kind.name, KindSettings()))


def url_spec(url: str, config: Config) -> tuple[SourceKind, SourceSpec]:
    """The kind and spec of a URL given to ``explain --url`` or ``sources test``."""
    kind, options = kind_for_url(url, config.kinds)
    return kind, SourceSpec(options, None, config.kinds.get(kind.name, KindSettings()))


class SourceReader:
    """Reads sources of every kind with one fetcher; keeps API sessions in memory."""

    def __init__(self, fetcher: Fetcher, *,
                 fetched: Callable[[float], None] | None = None) -> None:
        """``fetched`` is told how long each request took, in seconds (metrics)."""
        self.fetcher = fetcher
        self._fetched = fetched
        self._sessions: dict[tuple[str, str, str], dict[str, str]] = {}
        self._logins: dict[tuple[str, str, str], asyncio.Lock] = {}

    async def read(self, kind: SourceKind, spec: SourceSpec, *, url: str | None = None,
                   etag: str | None = None, last_modified: str | None = None,
                   all_new: AllNew | None = None, answer: FetchResult | None = None
                   ) -> Reading:
        """Read a source: its first page at ``url`` (the remembered one) or
        the kind's, conditional with ``etag`` / ``last_modified``; later pages
        while ``all_new`` says a page held only new entries. With ``answer``
        (content pushed by a WebSub hub), that is the first page: nothing is
        fetched for it.

        Raises :class:`SourceError` (the first page could not be fetched or
        read; an API's refusal says why in plain words).
        """
        if answer is None:
            answer = await self._fetch(kind, spec, kind.request(spec, url), etag=etag,
                                       last_modified=last_modified)
        if answer.not_modified:
            return Reading(answer, None, answer.permanent_url)
        remember = answer.permanent_url
        page = kind.read(answer, spec)
        follows = 0
        while page.feed is None:
            if page.follow is None or follows >= MAX_FOLLOWS:
                raise FeedParseError(f"{kind.label}: nothing to read there", answer.url)
            follows += 1
            log.info("%s: following %s to %s", kind.name, answer.url, page.follow.url)
            answer = await self._fetch(kind, spec, page.follow)
            remember = answer.url
            page = kind.read(answer, spec)
        first, feed = answer, page.feed
        entries: list[Entry] = list(feed.entries)
        pages, cut_short = 1, None
        wait = rate_limit_wait(answer.headers)
        while (page.next is not None and page.feed is not None and page.feed.entries
               and pages < kind.max_pages and wait is None and all_new is not None
               and await all_new(page.feed)):
            try:
                answer = await self._fetch(kind, spec, page.next)
                page = kind.read(answer, spec)
            except SourceError as e:
                log.warning("%s: page %d could not be read, keeping the %d before it: %s",
                            kind.name, pages + 1, pages, e.user_message)
                cut_short = e
                if isinstance(e, HTTPStatusError):
                    wait = e.retry_after
                break
            if page.feed is None:
                break
            entries += page.feed.entries
            pages += 1
            wait = rate_limit_wait(answer.headers)
        return Reading(first, replace(feed, entries=tuple(entries)), remember, pages,
                       cut_short, wait)

    async def _fetch(self, kind: SourceKind, spec: SourceSpec, request: ApiRequest, *,
                     etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        login = kind.login(spec)
        for attempt in (1, 2):
            headers = dict(request.headers)
            if login is not None:
                headers.update(await self._session(kind, spec, login))
            try:
                return await self._timed(
                    request.url, headers=headers, json_body=request.json_body,
                    etag=etag if request.conditional else None,
                    last_modified=last_modified if request.conditional else None)
            except HTTPStatusError as e:
                if (login is not None and attempt == 1
                        and kind.session_expired(e.status, error_document(e.body))):
                    # The session ended (expired, revoked): log in again, once.
                    self._sessions.pop(_session_key(kind, spec), None)
                    continue
                raise _refused(kind, spec, e, login=False) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _session(self, kind: SourceKind, spec: SourceSpec, login: ApiRequest
                       ) -> Mapping[str, str]:
        key = _session_key(kind, spec)
        lock = self._logins.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._sessions:
                try:
                    answer = await self._timed(login.url, headers=login.headers,
                                               json_body=login.json_body)
                except HTTPStatusError as e:
                    raise _refused(kind, spec, e, login=True) from None
                self._sessions[key] = kind.session_headers(answer)
            return self._sessions[key]


    async def _timed(self, url: str, **options: Any) -> FetchResult:
        started = time.monotonic()
        try:
            return await self.fetcher.fetch(url, **options)
        finally:
            if self._fetched is not None:
                self._fetched(time.monotonic() - started)


def _session_key(kind: SourceKind, spec: SourceSpec) -> tuple[str, str, str]:
    return kind.name, spec.settings.base_url or "", spec.setting("handle") or ""


def _refused(kind: SourceKind, spec: SourceSpec, error: HTTPStatusError, *, login: bool
             ) -> HTTPStatusError:
    """The error with the kind's words for it (a 410 stays a GoneError)."""
    if isinstance(error, GoneError):
        return error
    message = kind.explain_refusal(error.status, error.body, spec, login=login)
    if message is None:
        return error
    refused = HTTPStatusError(error.url, error.status, error.retry_after, message=message,
                              body=error.body, headers=error.headers)
    if login and error.status in (401, 403):
        refused.transient = False
    return refused
