"""The one factory that wires Vigie together, and the running application.

``make_vigie(config)`` builds the store, fetcher, matcher, poller and
deliverer; :class:`Vigie` offers what the CLI and the chat layer need:
poll once, run forever, explain, health. ``make_command_layer(vigie)``
builds the chat command layer on it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ._dbhealth import DatabaseHealth
from ._delivery import Deliverer, DeliverySettings, DeliveryStats
from ._destinations import Destinations, installed_schemes
from ._effective import merge
from ._fetch import Fetcher, FetchSettings
from ._health import LoopMonitor, OpsServer, database_check, loop_check, scheduler_check
from ._logs import register_config_secrets
from ._matching import Matcher
from ._metrics import NO_METRICS, Metrics, PrometheusMetrics
from ._outbox import release_times
from ._pipeline import ItemMatch, build_item, match_item, rules_from_config
from ._poller import Poller, PollResult, utcnow
from ._sources.reader import source_spec, url_spec
from ._storage import ChatStore, SQLStore, make_store
from ._types import Store
from ._websub import WebSub
from .commands import AdminPolicy, CommandContext, CommandLayer
from .config import DEFAULT_INTERVAL, Config, SourceConfig, make_source
from .exceptions import ConfigError, RuleError, SourceError, StorageError
from .plugins import DestinationAdapter
from .types import Entry, FetchResult, Item, MatchReport, ParsedFeed, SourceState
from .webserver import PublicServer

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

#: Seconds between two checks for chat edits in ``run`` (new sources, digest times).
REFRESH_INTERVAL = 10.0


@dataclass(frozen=True)
class Explained:
    """One item with its match report, for ``vigie explain``."""

    #: The item as the pipeline built it.
    item: Item
    #: Every rule's verdict.
    report: MatchReport
    #: Topics, subscriptions and alerts that follow.
    match: ItemMatch


class Vigie:
    """A configured Vigie: its store, sources, matcher and destinations."""

    def __init__(
        self,
        config: Config,
        store: Store,
        fetcher: Fetcher,
        destinations: Destinations,
        *,
        chat: ChatStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics = NO_METRICS,
        http: PublicServer | None = None,
    ) -> None:
        #: The configuration file as loaded.
        self.file_config = config
        #: The effective configuration: the file's with the chat edits applied.
        self.config = config
        self.store = store
        self.chat = chat
        self.fetcher = fetcher
        self.destinations = destinations
        self.clock = clock
        #: What the poller, the deliverer and the command layer count
        #: (served on ``/metrics`` when ``[metrics] port`` is set).
        self.metrics = metrics
        self._chat_version: int | None = None
        self.matcher = compile_matcher(config)
        self.poller = Poller(config, store, fetcher, self.matcher, clock=clock, metrics=metrics)
        #: Failures of the database, reported once per trouble under ``run``.
        self.db_health = DatabaseHealth()
        self.deliverer = Deliverer(store, destinations, clock, health=self.db_health,
                                   metrics=metrics)
        #: When a scheduled job last started (monotonic seconds), for ``/healthz``.
        self.last_tick = time.monotonic()
        # Scheduler jobs in flight, awaited on shutdown.
        self._jobs: set[asyncio.Task[object]] = set()
        self._stopping = False
        #: The public HTTP server (Slack's HTTP mode, WebSub's callbacks),
        #: started by the first who adds routes to it.
        self.http = http or PublicServer(config.http.address, config.http.port)
        #: WebSub, when ``[websub] callback_url`` is set: pushed feeds.
        self.websub: WebSub | None = None
        self._reschedule = False
        if config.websub.callback_url:
            self.websub = WebSub(config.websub, fetcher, self.http, push=self.ingest_push,
                                 clock=clock, on_change=self._pushes_changed)
            self.poller.observers.append(self.websub.discovered)

    async def start(self) -> None:
        """Prepare the store: migrate, load chat edits, register the sources."""
        await self.store.migrate()
        await self.refresh(force=True)
        await self.poller.seed_stories()

    async def refresh(self, *, force: bool = False) -> bool:
        """Apply chat edits made since the last call; True when something changed.

        Cheap when nothing changed (one small query), so it runs before polls.
        """
        if self.chat is None:
            if force:
                await self._sync_sources()
            return False
        version = await self.chat.version()
        if version == self._chat_version and not force:
            return False
        state = await self.chat.load()
        config = merge(self.file_config, state)
        self.config = config
        self.matcher = compile_matcher(config)
        self.poller.config, self.poller.matcher = config, self.matcher
        self._chat_version = state.version
        await self._sync_sources()
        if self.websub is not None:
            self.websub.sync(config.sources)  # a removed source's feed: unsubscribe
        return True

    async def _sync_sources(self) -> None:
        await self.store.sync_sources([(s.name, s.url, s.enabled) for s in self.config.sources])

    async def close(self) -> None:
        if self.websub is not None:
            await self.websub.close()
        await self.http.close()
        await self.fetcher.close()
        await self.destinations.close()
        await self.store.close()

    async def __aenter__(self) -> Vigie:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- polling --

    def enabled_sources(self, states: Mapping[str, SourceState]) -> list[SourceConfig]:
        """Configured sources that are enabled, in the config and in the store."""
        return [s for s in self.config.sources
                if s.enabled and (s.name not in states or states[s.name].enabled)]

    async def poll_all(self, *, backfill: bool = False, dry_run: bool = False
                       ) -> list[PollResult]:
        """Poll every enabled source once, a few at a time; one result per source."""
        await self.refresh()
        states = {s.name: s for s in await self.store.list_sources()}
        sources = self.enabled_sources(states)
        limit = asyncio.Semaphore(self.config.poll.concurrency)

        async def one(source: SourceConfig) -> PollResult:
            async with limit:
                return await self.poller.poll(source, backfill=backfill, dry_run=dry_run)

        return list(await asyncio.gather(*(one(s) for s in sources)))

    async def deliver(self, *, if_idle: bool = False) -> DeliveryStats:
        """Work through the outbox once: send what is due, hold alerts for
        digests and quiet hours, roll up bursts, retry, with the ``[delivery]``
        settings of the current configuration. ``if_idle``: return at once
        if a pass is running already (scheduled passes)."""
        return await self.deliverer.deliver_due(
            settings=DeliverySettings.from_config(self.config.delivery), if_idle=if_idle)

    async def poll_due(self, source: SourceConfig) -> PollResult | None:
        """Poll one source unless it is disabled or backing off (scheduler job).

        A database failure is reported to :attr:`db_health` (once per
        trouble, not per poll) and gives None.
        """
        operation = f"poll {source.name}"
        try:
            state = await self.store.get_source(source.name)
            if state is not None:
                if not state.enabled:
                    return None
                if state.next_attempt is not None and state.next_attempt > self.clock():
                    return None
            result = await self.poller.poll(source)
        except StorageError as e:
            self.db_health.failed(operation, e)
            return None
        self.db_health.worked(operation)  # its outcome was written
        if result.first_poll and result.error is None and not self.config.poll.first_poll_alerts:
            log.info("%s", first_poll_note(result))
        if result.alerted:
            await self.deliver()
        return result

    async def run(self, *, stop: asyncio.Event | None = None) -> None:
        """Poll on schedule and deliver until ``stop`` is set (forever by default).

        On stop, running polls and deliveries get a few seconds to finish
        before they are cancelled, so the store is never closed under them.
        """
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        stop = stop or asyncio.Event()
        self._stopping = False
        self.poller.resume()
        self.deliverer.resume()
        scheduler = AsyncIOScheduler(timezone="UTC")
        self._schedule(scheduler)
        # A pass can outlast the interval (pacing): the next tick then returns
        # at once instead of queueing (or being logged as skipped).
        tick = functools.partial(self.deliver, if_idle=True)
        scheduler.add_job(self._tracked, IntervalTrigger(seconds=self.config.delivery.interval),
                          args=[tick], id="deliver", max_instances=2, coalesce=True)
        # Chat edits (new sources, digest times) reach the schedule without a restart.
        scheduler.add_job(self._tracked, IntervalTrigger(seconds=REFRESH_INTERVAL),
                          args=[functools.partial(self._refresh_schedule, scheduler)],
                          id="refresh", max_instances=1, coalesce=True)
        self.last_tick = time.monotonic()
        ops = await self._serve_ops(scheduler)
        if self.websub is not None:
            await self.websub.start()
        scheduler.start()
        log.info("watching %d sources for %d topics and %d subscriptions",
                 len(self.config.sources), len(self.config.topics),
                 len(self.config.subscriptions))
        try:
            await stop.wait()
        finally:
            if ops is not None:
                await ops.close()
            # No new jobs; polls waiting on the network are cancelled (they
            # have written nothing), the others finish (shutdown would cancel
            # them mid-write), then the scheduler stops.
            self._stopping = True
            scheduler.pause()
            if cancelled := self.poller.stop():
                log.info("stopping: %d polls waiting on the network cancelled", cancelled)
            self.deliverer.stop()  # lanes stop after the send in flight
            await self._drain()
            scheduler.shutdown(wait=False)

    def _schedule(self, scheduler: AsyncIOScheduler) -> None:
        """Make the scheduler's poll and release jobs match the effective config."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        # A feed a hub pushes is polled at the safety interval only.
        polls = {f"poll:{s.name}": s if self.websub is None else dataclasses.replace(
            s, interval=self.websub.interval(s)) for s in self.config.sources if s.enabled}
        releases = {f"release:{h}:{m}:{tz}": (h, m, tz) for h, m, tz in {
            t for sub in self.config.subscriptions for t in release_times(sub.options)}}
        for job in scheduler.get_jobs():
            stale_poll = job.id.startswith("poll:") and polls.get(job.id) != job.args[1]
            stale_release = job.id.startswith("release:") and job.id not in releases
            if stale_poll or stale_release:
                job.remove()
        existing = {job.id for job in scheduler.get_jobs()}
        for job_id, source in polls.items():
            if job_id in existing:
                continue
            scheduler.add_job(
                self._tracked, IntervalTrigger(
                    seconds=source.interval, jitter=min(source.interval * 0.1, 60)),
                args=[self.poll_due, source], id=job_id, name=f"poll {source.name}",
                # First poll soon after start, spread so sources don't all fire at once.
                next_run_time=self.clock() + _spread(source.interval),
                max_instances=1, coalesce=True, misfire_grace_time=int(source.interval),
            )
        # Digests and the ends of quiet hours: a pass at that very minute.
        # (The outbox finds due held alerts by itself; a restart loses nothing.)
        tick = functools.partial(self.deliver, if_idle=True)
        for job_id, (hour, minute, tz) in releases.items():
            if job_id in existing:
                continue
            scheduler.add_job(
                self._tracked, CronTrigger(hour="*" if hour is None else hour, minute=minute,
                                           timezone=tz),
                args=[tick], id=job_id, max_instances=2, coalesce=True, misfire_grace_time=300,
            )

    async def _serve_ops(self, scheduler: AsyncIOScheduler) -> _Ops | None:
        """Serve ``/healthz`` and ``/metrics`` if ``[metrics] port`` is set.

        Raises :class:`ConfigError` when the address cannot be listened on."""
        settings = self.config.metrics
        if settings.port is None or not isinstance(self.metrics, PrometheusMetrics):
            return None
        monitor = LoopMonitor()
        server = OpsServer(settings.address, settings.port, {
            "event_loop": loop_check(monitor),
            "scheduler": scheduler_check(lambda: bool(scheduler.running),
                                         lambda: self.last_tick, REFRESH_INTERVAL),
            "database": database_check(self.store),
        }, self.metrics, before_scrape=self.update_gauges)
        try:
            await server.start()
        except OSError as e:
            raise ConfigError(self.config.path, [("metrics", (
                f"cannot listen on {server.url}: {e.strerror or e}"))]) from None
        monitor.start()
        log.info("serving /healthz and /metrics on %s", server.url)
        return _Ops(server, monitor)

    async def update_gauges(self) -> None:
        """Set the gauges read from the database: the outbox's backlog and
        the failing sources. Raises StorageError."""
        if not isinstance(self.metrics, PrometheusMetrics):
            return
        pending, oldest = await self.store.outbox_backlog()
        age = (self.clock() - oldest).total_seconds() if oldest is not None else 0.0
        self.metrics.set_outbox(pending, age)
        watched = {s.name for s in self.config.sources if s.enabled}
        self.metrics.set_sources_failing(sum(
            1 for s in await self.store.list_sources() if s.name in watched and (
                s.consecutive_failures > 0 or s.disabled_reason is not None)))

    async def _refresh_schedule(self, scheduler: AsyncIOScheduler) -> None:
        self.last_tick = time.monotonic()
        if await self.refresh() or self._reschedule:
            self._reschedule = False
            self._schedule(scheduler)

    def _pushes_changed(self) -> None:
        self._reschedule = True  # a feed's pushes started or stopped: its poll interval changes

    async def ingest_push(self, name: str, pushed: FetchResult) -> PollResult | None:
        """Process what a WebSub hub pushed for source ``name`` at once, as a
        poll that fetched it would, and deliver its alerts."""
        source = self.config.source(name)
        if source is None or not source.enabled:
            return None
        # A poll of the source running now (rare): the push follows it.
        for _ in range(600):
            if not self.poller.busy(name):
                break
            await asyncio.sleep(0.05)
        try:
            result = await self.poller.poll(source, pushed=pushed)
        except StorageError as e:
            self.db_health.failed(f"push {name}", e)
            return None
        if result.alerted:
            await self.deliver()
        return result

    async def _tracked(self, job: Callable[..., Awaitable[object]], *args: object) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._jobs.add(task)
        # The name of the job's function (through functools.partial).
        name = str(getattr(getattr(job, "func", job), "__name__", job))
        try:
            await job(*args)
        except StorageError as e:
            self.db_health.failed(name, e)  # one line per trouble, not a traceback per run
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Cancelled by the shutdown: expected, and nothing to say about it.
            task.uncancel()
        except Exception:
            log.exception("job %s failed", name)
        else:
            self.db_health.worked(name)
        finally:
            self._jobs.discard(task)

    async def _drain(self, grace: float = 10.0) -> None:
        if not self._jobs:
            return
        _, pending = await asyncio.wait(set(self._jobs), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- explain --

    def explain_feed(self, feed: ParsedFeed, source: str = "explain", *,
                     language: str | None = None) -> list[Explained]:
        """Match every entry of a parsed feed and keep the full reports
        (``language``: the source's, else a configured source's)."""
        configured = self.config.source(source)
        language = language or (configured.language if configured else None)
        out = []
        for entry in feed.entries:
            item = build_item(source, entry, feed, source_language=language)
            report = self.matcher.match(item.document)
            out.append(Explained(item, report, match_item(item, report, self.config)))
        return out

    def explain_text(self, text: str) -> Explained:
        """Match free text: its first line as the title, the rest as the summary."""
        title, _, rest = text.strip().partition("\n")
        feed = ParsedFeed("text", None, None, None,
                          (Entry(id="text", title=title, link=None, summary_html=_escape(rest)),))
        return self.explain_feed(feed, "text")[0]

    async def explain_url(self, url: str) -> list[Explained]:
        """Read a source (a configured source's name, or a URL: a feed, a site
        to autodiscover, or a service's address that a kind recognises) and
        explain every item.

        Raises :class:`bot.exceptions.SourceError` when it cannot be fetched or read.
        """
        source = self.config.source(url)
        if source is None:
            kind, spec = url_spec(url, self.config)
            made = make_source("explain", kind.name, spec.options, interval=DEFAULT_INTERVAL,
                               kinds=self.config.kinds)
            if not isinstance(made, SourceConfig):
                raise SourceError(f"{url}: " + "; ".join(m for _, m in made))
            source = made
        return await self.explain_source(source)

    async def explain_source(self, source: SourceConfig) -> list[Explained]:
        """Read one source of any kind (configured or not) and explain every item.

        Raises :class:`bot.exceptions.SourceError` when it cannot be fetched or read.
        """
        kind, spec = source_spec(source, self.config)
        reading = await self.poller.reader.read(kind, spec)
        assert reading.feed is not None
        return self.explain_feed(reading.feed, source.name, language=source.language)

    # -- health --

    async def source_health(self) -> Sequence[tuple[SourceConfig, SourceState | None]]:
        """Each configured source with its stored health (None: never polled)."""
        states = {s.name: s for s in await self.store.list_sources()}
        return [(s, states.get(s.name)) for s in self.config.sources]


@dataclass
class _Ops:
    """The ``[metrics]`` server of a running Vigie and its loop monitor."""

    server: OpsServer
    monitor: LoopMonitor

    async def close(self) -> None:
        await self.monitor.stop()
        await self.server.close()


def first_poll_note(result: PollResult) -> str:
    """What a source's first poll did, for someone watching a first run
    wonder why nothing alerts."""
    matched = len(result.matches)
    return (f"{result.source}: {result.new_items} items recorded, "
            f"{matched or 'none'} would have matched (a first poll alerts nothing: "
            "`recent` in `vigie chat` shows them; new items alert from the next poll on)")


def _spread(interval: float) -> timedelta:
    return timedelta(seconds=random.uniform(0, min(interval, 30.0) / 3))


def _escape(text: str) -> str:
    # The text is plain; the pipeline reads summaries as HTML.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def make_vigie(
    config: Config,
    *,
    store: Store | None = None,
    adapters: Mapping[str, DestinationAdapter] | None = None,
    clock: Callable[[], datetime] = utcnow,
    http: PublicServer | None = None,
) -> Vigie:
    """Wire a :class:`Vigie` for ``config``; parts may be passed in (tests, CLI)."""
    f = config.fetch
    fetcher = Fetcher(FetchSettings(
        user_agent=f.user_agent, connect_timeout=f.connect_timeout, read_timeout=f.read_timeout,
        total_timeout=f.total_timeout, max_body_bytes=f.max_body_bytes,
        per_host_limit=f.per_host_limit, allow_private=f.allow_private_addresses,
    ))
    the_store: Store = store if store is not None else make_store(config.storage.url)
    register_config_secrets(config)
    metrics: Metrics = NO_METRICS
    if config.metrics.port is not None:
        metrics = PrometheusMetrics(destination_kinds=installed_schemes(),
                                    topics=[t.id for t in config.topics])
    # Chat edits live beside the store's tables (a dry run reads them through).
    base = getattr(the_store, "inner", the_store)
    return Vigie(
        config, the_store, fetcher, Destinations(config, adapters=adapters),
        chat=ChatStore(base) if isinstance(base, SQLStore) else None, clock=clock,
        metrics=metrics, http=http,
    )


def make_command_layer(vigie: Vigie) -> CommandLayer:
    """The chat command layer of ``vigie``, with the narrow context commands use."""
    file = vigie.file_config
    return CommandLayer(CommandContext(
        engine=vigie, file=file, chat=vigie.chat, items=vigie.store, outbox=vigie.store,
        admins=AdminPolicy.from_tables(file.adapters), clock=vigie.clock,
        allow_private_addresses=file.fetch.allow_private_addresses,
    ), metrics=vigie.metrics)


def compile_matcher(config: Config) -> Matcher:
    """The matcher for a configuration's topics and queries.

    A rule the matcher refuses (only possible for a chat edit that slipped
    past validation) is logged and left out rather than stopping every poll.
    """
    rules = rules_from_config(config)
    while True:
        try:
            return Matcher.compile(rules)
        except RuleError as e:
            kept = [r for r in rules if r.id != e.rule_id]
            if len(kept) == len(rules):
                raise
            log.error("ignoring %s", e)
            rules = kept
