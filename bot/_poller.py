"""Polling one source: fetch, parse, decide, match, store (the async half).

Every decision is delegated to the pure functions of ``_pipeline``; this
module only does the I/O around them. A failing source never raises out of
:meth:`Poller.poll`: the error is stored in its health and returned in the
:class:`PollResult`, so one bad feed never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ._fetch import Fetcher, backoff_delay
from ._matching import Matcher
from ._metrics import NO_METRICS, Metrics, PollOutcome
from ._pipeline import ItemMatch, Suppression, build_item, decide, match_item
from ._sources.reader import Reading, SourceReader, source_spec
from ._stories import StoryIndex
from ._types import NewItem, Store
from .config import Config, SourceConfig
from .exceptions import (
    FetchError,
    GoneError,
    HTTPStatusError,
    SourceError,
    StorageError,
)
from .types import FetchResult, Item, ParsedFeed, SourceState

log = logging.getLogger(__name__)

#: Recent items read back at start to recognise stories already alerted.
STORY_SEED_LIMIT = 2000
#: How a source's health says that its last poll stopped before a later page.
PARTIAL_PREFIX = "stopped after page "


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PollResult:
    """The outcome of polling one source: a value or an error, never both."""

    #: The source's name.
    source: str
    #: New items that matched at least one subscription, in feed order. New
    #: means stored by this poll: an item another process polling the same
    #: database stored first is that process's news.
    matches: tuple[ItemMatch, ...] = ()
    #: Keys of the matched items that were queued for delivery.
    alerted: frozenset[str] = frozenset()
    #: How many new items this poll stored (or would store, in a dry run).
    new_items: int = 0
    #: Whether the server answered 304 Not Modified.
    not_modified: bool = False
    #: What went wrong, if the poll failed.
    error: SourceError | None = None
    #: Entries of the feed that could not be made into items (skipped, logged).
    skipped: int = 0
    #: Why matched items did not alert, by item key (``alerted`` has the others).
    suppressed: Mapping[str, Suppression] = dataclasses.field(default_factory=dict)
    #: Whether this was the source's first poll (not a backfill), which only
    #: records its items unless ``[poll] first_poll_alerts``.
    first_poll: bool = False

    @property
    def outcome(self) -> PollOutcome:
        """``ok``, ``not_modified`` or ``error``."""
        return "error" if self.error else "not_modified" if self.not_modified else "ok"


class Poller:
    """Polls sources for one configuration; safe to share between tasks."""

    def __init__(
        self,
        config: Config,
        store: Store,
        fetcher: Fetcher,
        matcher: Matcher,
        *,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.matcher = matcher
        self.clock = clock
        self.metrics = metrics
        #: Told of every successful read (``(source, answer)``): WebSub finds hubs so.
        self.observers: list[Callable[[SourceConfig, FetchResult], None]] = []
        #: Reads sources of every kind through the fetcher (each request timed).
        self.reader = SourceReader(fetcher, fetched=lambda seconds: self.metrics.fetched(seconds))
        # "Seen?" then "store" must not interleave between sources, or the
        # same URL from two outlets polled at once would alert twice.
        self._decide_lock = asyncio.Lock()
        self._polling: set[str] = set()
        # Polls waiting on the network, which stop() may cancel (nothing written yet).
        self._fetching: set[asyncio.Task[object]] = set()
        self._stopping = False
        # URLs a dry run would have stored: a later source's copy of the same
        # article is a duplicate in a dry run too.
        self._dry_run_urls: set[str] = set()
        #: Stories alerted recently, to alert one story from several outlets once.
        self.stories = StoryIndex()
        #: Polls that failed on an unexpected exception (a bug, not a bad feed):
        #: each was logged once with its source and counted here.
        self.unexpected_errors = 0

    def stop(self) -> int:
        """Shutting down: cancel the polls that are fetching (they have
        written nothing; they raise CancelledError) and let no poll fetch
        again; polls past their fetch finish their writes. Returns how many
        were cancelled."""
        self._stopping = True
        for task in self._fetching:
            task.cancel()
        return len(self._fetching)

    def resume(self) -> None:
        """Undo :meth:`stop`."""
        self._stopping = False

    @contextlib.asynccontextmanager
    async def _interruptible(self) -> AsyncIterator[None]:
        """A stretch of a poll that :meth:`stop` may cancel."""
        if self._stopping:
            raise asyncio.CancelledError
        task = asyncio.current_task()
        if task is not None:
            self._fetching.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._fetching.discard(task)

    async def seed_stories(self) -> None:
        """Remember the stories stored recently (after a restart) that matched a topic."""
        now = self.clock()
        recent = await self.store.recent(topics=None, since=now - self.stories.window,
                                         limit=STORY_SEED_LIMIT)
        for stored in sorted(recent, key=lambda s: s.first_seen):
            if stored.topics:
                self.stories.add(stored.item, stored.first_seen)

    async def poll(
        self, source: SourceConfig, *, backfill: bool = False, dry_run: bool = False,
        pushed: FetchResult | None = None,
    ) -> PollResult:
        """Poll one source once (``pushed``: read the content a WebSub hub
        pushed instead of fetching). Never raises a :class:`SourceError`."""
        if source.name in self._polling:
            # Overlapping polls of one source would only duplicate work.
            return PollResult(source.name, error=SourceError("a poll is already running"))
        self._polling.add(source.name)
        try:
            result = await self._poll(source, backfill=backfill, dry_run=dry_run, pushed=pushed)
            self.metrics.polled(result.outcome)
            return result
        except StorageError:
            raise  # the database, not the source: every source would fail alike
        except Exception as e:  # the source boundary: one source's trouble stays its own
            self.unexpected_errors += 1
            log.error("source %s: unexpected %s while polling (a bug; the other sources go "
                      "on)", source.name, type(e).__name__, exc_info=e)
            error = SourceError(f"Vigie could not process this source ({type(e).__name__}); "
                                "the error was logged")
            if not dry_run:
                await self._record_failure(source, error)
            self.metrics.polled("error")
            return PollResult(source.name, error=error)
        finally:
            self._polling.discard(source.name)

    async def _record_failure(self, source: SourceConfig, error: SourceError) -> None:
        state = await self.store.get_source(source.name) or SourceState(source.name, source.url)
        await self.store.update_source(self._failed(state, source, error, self.clock()))

    def busy(self, source: str) -> bool:
        """Whether a poll of ``source`` is running."""
        return source in self._polling

    async def _poll(self, source: SourceConfig, *, backfill: bool, dry_run: bool,
                    pushed: FetchResult | None = None) -> PollResult:
        state = await self.store.get_source(source.name) or SourceState(source.name, source.url)
        now = self.clock()
        try:
            async with self._interruptible():
                reading = await self._read(source, state, conditional=not backfill,
                                           pushed=pushed)
        except SourceError as e:
            if not dry_run:
                await self.store.update_source(self._failed(state, source, e, now))
            log.warning("source %s failed: %s", source.name, e.user_message)
            return PollResult(source.name, error=e)

        result, feed = reading.result, reading.feed
        for observe in self.observers:
            observe(source, result)  # WebSub looks for the feed's hub
        state = dataclasses.replace(
            state,
            url=reading.remember or state.url,
            etag=result.etag if result.status != 304 else state.etag,
            last_modified=result.last_modified if result.status != 304 else state.last_modified,
            last_poll=now, last_success=now, consecutive_failures=0,
            # A later page that failed is said, not counted as a failure.
            last_error=(f"{PARTIAL_PREFIX}{reading.pages}: {reading.cut_short.user_message}"
                        if reading.cut_short else None),
            # An API whose rate window is used up is not called before it resets.
            next_attempt=now + timedelta(seconds=reading.wait) if reading.wait else None,
        )
        if feed is None:
            if not dry_run:
                await self.store.update_source(state)
            return PollResult(source.name, not_modified=True)

        items: list[Item] = []
        skipped = 0
        for entry in feed.entries:
            try:
                items.append(build_item(source.name, entry, feed,
                                        source_language=source.language))
            except Exception as e:  # the item boundary: one odd entry costs itself only
                skipped += 1
                log.warning("source %s: skipped an entry that could not be read (%s)",
                            source.name, type(e).__name__, exc_info=log.isEnabledFor(
                                logging.DEBUG))
        initialised = state.initialised
        async with self._decide_lock:
            seen_keys, seen_urls = await self.store.seen(
                source.name, [i.key for i in items], [i.url for i in items if i.url]
            )
            if dry_run:
                seen_urls |= {i.url for i in items if i.url in self._dry_run_urls}
            decision = decide(
                items, seen_keys=seen_keys, seen_urls=seen_urls,
                initialised=state.initialised, first_poll_alerts=self.config.poll.first_poll_alerts,
                max_age=self.config.poll.max_age, now=now, backfill=backfill,
                stories=self.stories if self.config.poll.same_story else None,
            )
            matches: list[ItemMatch] = []
            new_items: list[NewItem] = []
            # A paused subscription queues nothing (its destination is broken);
            # the others sharing its destination still alert.
            paused = await self.store.paused_subscriptions() if decision.alertable else {}
            active = self.config if not paused else dataclasses.replace(
                self.config,
                subscriptions=tuple(s for s in self.config.subscriptions if s.name not in paused))
            for item in decision.new:
                report = self.matcher.match(item.document)
                m = match_item(item, report, self.config)
                alerts = (m.alerts if active is self.config else
                          match_item(item, report, active).alerts)
                alerts = alerts if item.key in decision.alertable else ()
                new_items.append(NewItem(item, m.topics, alerts))
                if m.subscriptions:
                    matches.append(m)
            state = dataclasses.replace(
                state, initialised=True, item_count=state.item_count + len(decision.new)
            )
            if dry_run:
                inserted = {item.key for item in decision.new}
                self._dry_run_urls.update(item.url for item in decision.new if item.url)
            else:
                # Another process polling the same database may have stored some
                # of these since `seen`: they are its news, not ours.
                inserted = set(await self.store.save_poll(state, new_items))
                matches = [m for m in matches if m.item.key in inserted]
        alerted = frozenset(m.item.key for m in matches if m.item.key in decision.alertable)
        if not dry_run:
            self.metrics.items_stored(len(inserted), (
                topic for n in new_items if n.item.key in inserted for topic in n.topics))
        log.info("source %s: %d items, %d new, %d matched, %d to alert",
                 source.name, len(items), len(inserted), len(matches), len(alerted))
        suppressed = {m.item.key: decision.suppressed[m.item.key] for m in matches
                      if m.item.key in decision.suppressed}
        return PollResult(source.name, tuple(matches), alerted, len(inserted),
                          skipped=skipped, suppressed=suppressed,
                          first_poll=not initialised and not backfill)

    async def _read(self, source: SourceConfig, state: SourceState, *, conditional: bool,
                    pushed: FetchResult | None = None) -> Reading:
        """Read the source with its kind (later pages only while all is new),
        or what was pushed (its validators left as they were)."""
        kind, spec = source_spec(source, self.config)

        async def all_new(feed: ParsedFeed) -> bool:
            items = [build_item(source.name, e, feed) for e in feed.entries]
            seen, _ = await self.store.seen(source.name, [i.key for i in items], [])
            return not seen

        if pushed is not None:
            pushed = dataclasses.replace(pushed, etag=state.etag,
                                         last_modified=state.last_modified)
        return await self.reader.read(
            kind, spec, url=state.url, answer=pushed,
            etag=state.etag if conditional else None,
            last_modified=state.last_modified if conditional else None,
            # A first poll only records: reading deeper would record more, alert nothing.
            all_new=all_new if state.initialised else None)

    def _failed(
        self, state: SourceState, source: SourceConfig, error: SourceError, now: datetime
    ) -> SourceState:
        failures = state.consecutive_failures + 1
        if isinstance(error, GoneError):
            return dataclasses.replace(
                state, enabled=False, disabled_reason="the server says the feed is gone (410)",
                last_poll=now, last_error=error.user_message, consecutive_failures=failures,
            )
        retry_after = error.retry_after if isinstance(error, HTTPStatusError) else None
        transient = not isinstance(error, FetchError) or error.transient
        delay = backoff_delay(failures if transient else failures + 3, source.interval,
                              retry_after=retry_after)
        return dataclasses.replace(
            state, last_poll=now, last_error=error.user_message,
            consecutive_failures=failures, next_attempt=now + timedelta(seconds=delay),
        )
