"""``/healthz`` and ``/metrics``: the HTTP endpoint of ``[metrics]``.

``/healthz`` runs every check (the event loop, the scheduler, the database)
and answers 200 with a JSON body listing each, or 503 naming the failing
ones. The server runs in Vigie's own event loop: a loop blocked for good
cannot answer at all, which a container's HEALTHCHECK (with its timeout)
counts as a failure too; the loop check catches a loop that stalls between
answers. ``/metrics`` is the Prometheus text format of
:class:`bot._metrics.PrometheusMetrics`, its gauges refreshed first.

:func:`probe` is ``vigie healthcheck``: it asks ``/healthz`` and says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._metrics import PrometheusMetrics
from ._types import Store
from .exceptions import StorageError

log = logging.getLogger(__name__)

__all__ = [
    "CheckResult",
    "LoopMonitor",
    "OpsServer",
    "database_check",
    "health_body",
    "loop_check",
    "probe",
    "scheduler_check",
]

#: Longest a check may take before it counts as failing.
CHECK_TIMEOUT = 5.0
#: The loop monitor wakes up this often (seconds).
LOOP_BEAT = 1.0
#: The loop fails its check when the monitor has not run for this long.
LOOP_STALL = 10.0


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict."""

    #: Whether it passed.
    ok: bool
    #: What it saw, for the JSON body (numbers and short safe strings).
    detail: Mapping[str, Any] = field(default_factory=dict)


#: A named check: returns its verdict; may raise (it fails then).
Check = Callable[[], Awaitable[CheckResult]]


class LoopMonitor:
    """Wakes up every :data:`LOOP_BEAT` seconds and notes how late it was:
    a late wake-up means something held the event loop."""

    def __init__(self) -> None:
        #: When the monitor last ran (monotonic seconds).
        self.last_beat = time.monotonic()
        #: How late its last wake-up was, in seconds.
        self.lag = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.last_beat = time.monotonic()
        self._task = asyncio.create_task(self._run(), name="vigie-loop-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LOOP_BEAT)
            self.last_beat = time.monotonic()
            self.lag = max(0.0, self.last_beat - before - LOOP_BEAT)


def loop_check(monitor: LoopMonitor) -> Check:
    async def check() -> CheckResult:
        silent = time.monotonic() - monitor.last_beat
        return CheckResult(silent < LOOP_STALL, {"lag_seconds": round(monitor.lag, 3),
                                                 "last_beat_seconds_ago": round(silent, 3)})
    return check


def scheduler_check(running: Callable[[], bool], last_tick: Callable[[], float],
                    every: float) -> Check:
    """The scheduler runs and its periodic job (every ``every`` seconds) ran
    lately: ``last_tick`` gives when, in monotonic seconds."""
    async def check() -> CheckResult:
        ago = time.monotonic() - last_tick()
        if not running():
            return CheckResult(False, {"error": "the scheduler is not running"})
        ok = ago < 3 * every + CHECK_TIMEOUT
        detail: dict[str, Any] = {"last_tick_seconds_ago": round(ago, 3)}
        if not ok:
            detail["error"] = f"no scheduled job ran for {ago:.0f} s"
        return CheckResult(ok, detail)
    return check


def database_check(store: Store) -> Check:
    """The database answers a read (the outbox backlog)."""
    async def check() -> CheckResult:
        started = time.monotonic()
        try:
            await store.outbox_backlog()
        except StorageError as e:
            return CheckResult(False, {"error": e.user_message})
        return CheckResult(True, {"seconds": round(time.monotonic() - started, 3)})
    return check


async def health_body(checks: Mapping[str, Check]) -> tuple[bool, dict[str, Any]]:
    """Run every check at once (each within :data:`CHECK_TIMEOUT`); whether
    all passed, and the JSON body saying each verdict."""
    async def one(check: Check) -> CheckResult:
        try:
            return await asyncio.wait_for(check(), CHECK_TIMEOUT)
        except TimeoutError:
            return CheckResult(False, {"error": f"no answer within {CHECK_TIMEOUT:g} s"})
        except Exception as e:  # a check's own bug: failing, with its kind only
            log.exception("health check failed")
            return CheckResult(False, {"error": f"the check raised {type(e).__name__}"})

    names = list(checks)
    results = dict(zip(names, await asyncio.gather(*(one(checks[n]) for n in names)),
                       strict=True))
    failing = [n for n, r in results.items() if not r.ok]
    body: dict[str, Any] = {
        "status": "failing" if failing else "ok",
        "checks": {n: {"ok": r.ok, **r.detail} for n, r in results.items()},
    }
    if failing:
        body["failing"] = failing
    return not failing, body


class OpsServer:
    """The ``[metrics]`` HTTP server: ``/healthz`` and ``/metrics``.

    ``before_scrape`` is awaited before each ``/metrics`` (it sets the gauges
    read from the database; a database failure there still serves the rest).
    """

    def __init__(self, address: str, port: int, checks: Mapping[str, Check],
                 metrics: PrometheusMetrics,
                 before_scrape: Callable[[], Awaitable[None]] | None = None) -> None:
        self.address = address
        self.port = port
        self.checks = checks
        self.metrics = metrics
        self.before_scrape = before_scrape
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen. Raises OSError when the address cannot be bound (port taken)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.address, self.port)
        try:
            await site.start()
        except OSError:
            await self.close()
            raise
        if self.port == 0 and self._runner.addresses:
            self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        ok, body = await health_body(self.checks)
        return web.json_response(body, status=200 if ok else 503,
                                 headers={"Cache-Control": "no-store"})

    async def _metrics(self, request: web.Request) -> web.Response:
        if self.before_scrape is not None:
            try:
                await asyncio.wait_for(self.before_scrape(), CHECK_TIMEOUT)
            except (StorageError, TimeoutError) as e:
                # The counters are still worth serving; the gauges keep their last values.
                log.warning("metrics: cannot read the database for the gauges (%s)",
                            getattr(e, "user_message", "timeout"))
        body, content_type = self.metrics.render()
        response = web.Response(body=body, headers={"Cache-Control": "no-store"})
        response.headers["Content-Type"] = content_type
        return response


def probe_url(address: str, port: int) -> str:
    """Where to reach a server listening on ``address``: a wildcard address
    is reached on loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(address, address)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/healthz"


def probe(address: str, port: int, timeout: float = CHECK_TIMEOUT + 1) -> tuple[bool, str]:
    """Ask ``/healthz``; whether it says ok, and a line saying what it said."""
    url = probe_url(address, port)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read())
            return True, f"healthy: {', '.join(body.get('checks', {}))} ok"
    except urllib.error.HTTPError as e:
        try:
            failing = json.loads(e.read()).get("failing", [])
        except ValueError:
            failing = []
        return False, f"unhealthy (HTTP {e.code}): failing: {', '.join(failing) or '?'}"
    except (OSError, ValueError) as e:
        return False, f"no answer from {url}: {getattr(e, 'reason', e)}"
