"""WebSub against a local hub (tests/fakes/websub_hub.py): a feed that names its
hub is subscribed to with a secret, the hub's intent verification is
answered, pushes are processed at once (only when signed right), the feed is
still polled at the safety interval, the lease is renewed, and removing the
source unsubscribes it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from conftest import write_config
from fakes.webhook_receiver import WebhookReceiver
from fakes.websub_hub import FakeHub
from feedserver import FeedServer

from bot._destinations import installed_schemes, section_validators
from bot._fetch import Fetcher, FetchSettings
from bot._websub import WebSub, find_hub, signature_valid
from bot.app import Vigie, make_command_layer, make_vigie
from bot.chat import Caller
from bot.config import SourceConfig, WebSubConfig, load_config
from bot.types import FetchResult
from bot.webserver import PublicServer

SECRET = "0123456789abcdef0123456789abcdef"
NOW = datetime.now(UTC).replace(microsecond=0)
ADMIN = Caller("console", "console", "console", "me", is_platform_admin=True,
               destination="console")


def feed(hub: str, topic: str, *titles: str) -> bytes:
    items = "".join(f"<item><title>{t}</title><link>https://news.example/{i}</link>"
                    f"<guid>g-{t}</guid><pubDate>{NOW:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
                    for i, t in enumerate(titles))
    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
            f'<channel><title>News</title><atom:link rel="hub" href="{hub}"/>'
            f'<atom:link rel="self" href="{topic}" type="application/rss+xml"/>'
            f"{items}</channel></rss>").encode()


@dataclass
class Setup:
    vigie: Vigie
    feeds: FeedServer
    hub: FakeHub
    hook: WebhookReceiver
    server: PublicServer
    topic: str


@contextlib.asynccontextmanager
async def websub_setup(tmp_path: Path, *, max_lease: int = 86400, sources: str | None = None,
                       interval: str = "10m", path: str = "/websub", start: bool = True
                       ) -> AsyncIterator[Setup]:
    """Vigie with one feed naming a hub (unless ``sources`` says otherwise), its
    WebSub callbacks at ``path`` served when ``start`` (else ``run`` will)."""
    async with FeedServer() as feeds, FakeHub(max_lease=max_lease) as hub, \
            WebhookReceiver(SECRET) as hook:
        server = PublicServer("127.0.0.1", 0)
        await server.start()  # its port makes the callback URL
        topic = feeds.url("/feed.xml")
        feeds.add("/feed.xml", feed(hub.url, topic, "Old GPU news"))
        config = load_config(write_config(tmp_path / "vigie.toml", f"""
            [storage]
            url = "sqlite:///{tmp_path / 'vigie.db'}"
            [fetch]
            allow_private_addresses = true
            [webhook]
            secret = "{SECRET}"
            per_second = 100
            [websub]
            callback_url = "{server.url(path)}"
            secret = "{SECRET}"
            safety_interval = "1h"
            {sources if sources is not None else f'''
            [[sources]]
            name = "news"
            url = "{topic}"
            interval = "{interval}"'''}
            [topics.gpu]
            keywords = ["GPU"]
            [[subscriptions]]
            name = "newsroom"
            topics = ["gpu"]
            destination = "webhook:{hook.url('/newsroom')}"
            """), destination_schemes=installed_schemes(),
            section_validators=section_validators())
        async with make_vigie(config, http=server) as vigie:
            assert vigie.websub is not None
            if start:
                await vigie.websub.start()
            yield Setup(vigie, feeds, hub, hook, server, topic)


def titles(hook: WebhookReceiver) -> list[str]:
    return [body["item"]["title"] for body in hook.accepted("/newsroom")]


async def test_a_pushed_item_is_delivered_at_once_and_forgeries_are_ignored(
        tmp_path: Path) -> None:
    async with websub_setup(tmp_path) as s:
        assert s.vigie.websub is not None
        await s.vigie.poll_all()  # the first poll records, and finds the hub
        await s.hub.wait_for("subscribed", s.topic)
        (request,) = s.hub.forms
        assert request["hub.mode"] == "subscribe" and request["hub.topic"] == s.topic
        assert request["hub.callback"].startswith(s.server.url("/websub/"))
        assert len(request["hub.secret"]) == 64 and SECRET not in request["hub.secret"]
        assert request["hub.lease_seconds"] == str(7 * 86400)
        assert s.vigie.websub.pushed("news")
        # The hub pushes a new item: delivered from the push, the feed not fetched.
        fetched = s.feeds.hits("/feed.xml")
        body = feed(s.hub.url, s.topic, "Old GPU news", "Nvidia ships a new GPU")
        assert await s.hub.publish(s.topic, body) == [202]
        await s.hook.wait_unique(1, timeout=20)
        assert titles(s.hook) == ["Nvidia ships a new GPU"]
        assert s.feeds.hits("/feed.xml") == fetched
        # A push signed with another secret is acknowledged and ignored.
        forged = feed(s.hub.url, s.topic, "Forged GPU scoop")
        assert await s.hub.publish(s.topic, forged, forge=True) == [202]
        assert s.vigie.websub.rejected == 1
        body = feed(s.hub.url, s.topic, "Old GPU news", "Nvidia ships a new GPU", "GPU prices")
        await s.hub.publish(s.topic, body)
        await s.hook.wait_unique(2, timeout=20)
        assert titles(s.hook) == ["Nvidia ships a new GPU", "GPU prices"]
        assert s.vigie.websub.received == 2


async def test_a_pushed_feed_is_polled_at_the_safety_interval(tmp_path: Path) -> None:
    async with websub_setup(tmp_path) as s:
        scheduler = AsyncIOScheduler(timezone="UTC")
        s.vigie._schedule(scheduler)
        job = scheduler.get_job("poll:news")
        assert job is not None and job.trigger.interval == timedelta(minutes=10)
        await s.vigie.poll_all()
        await s.hub.wait_for("subscribed", s.topic)
        s.vigie._schedule(scheduler)  # what the refresh job does when pushes change
        job = scheduler.get_job("poll:news")
        assert job is not None and job.trigger.interval == timedelta(hours=1)


async def test_the_lease_is_renewed_and_a_removed_source_unsubscribed(tmp_path: Path) -> None:
    async with websub_setup(tmp_path, max_lease=2, sources="") as s:
        layer = make_command_layer(s.vigie)
        said = (await layer.handle(ADMIN, f"sources add {s.topic} pushed")).plain_text()
        assert "Added source pushed" in said
        await s.vigie.poll_all()
        await s.hub.wait_for("subscribed", s.topic)
        # Granted 2 s: asked again before they end.
        await s.hub.wait_for("renewed", s.topic)
        assert s.hub.forms[-1]["hub.mode"] == "subscribe"
        said = (await layer.handle(ADMIN, "sources remove pushed")).plain_text()
        assert "Removed source pushed" in said
        await s.hub.wait_for("unsubscribed", s.topic)
        assert s.hub.subscriptions == {}
        assert s.vigie.websub is not None and not s.vigie.websub.pushed("pushed")


async def test_verification_answers_only_what_vigie_asked(tmp_path: Path) -> None:
    async with websub_setup(tmp_path) as s, aiohttp.ClientSession() as http:
        await s.vigie.poll_all()
        await s.hub.wait_for("subscribed", s.topic)
        callback = s.hub.forms[0]["hub.callback"]

        async def verify(url: str, **params: str) -> tuple[int, str]:
            async with http.get(url, params={f"hub.{k}": v for k, v in params.items()}) as r:
                return r.status, await r.text()

        assert await verify(callback, mode="subscribe", topic=s.topic, challenge="c1",
                            lease_seconds="60") == (200, "c1")
        assert (await verify(callback, mode="unsubscribe", topic=s.topic, challenge="c2"))[0] \
            == 404
        assert (await verify(callback, mode="subscribe", topic=s.topic + "x",
                             challenge="c3"))[0] == 404
        assert (await verify(s.server.url("/websub/0000"), mode="subscribe", topic=s.topic,
                             challenge="c4"))[0] == 404
        async with http.post(s.server.url("/websub/0000"), data=b"x") as r:
            assert r.status == 404
        async with http.get(s.server.url("/elsewhere")) as r:
            assert r.status == 404
        # A denial ends the pushes: the feed is polled at its own interval again.
        assert await s.hub.deny(callback, s.topic, "not allowed") == 200
        assert s.vigie.websub is not None and not s.vigie.websub.pushed("news")


async def test_a_hub_on_a_private_address_is_refused(tmp_path: Path) -> None:
    server = PublicServer("127.0.0.1", 0)
    fetcher = Fetcher(FetchSettings(allow_private=False))
    pushes: list[str] = []

    async def push(name: str, result: FetchResult) -> None:
        pushes.append(name)

    websub = WebSub(WebSubConfig(callback_url="https://vigie.example/websub", secret=SECRET),
                    fetcher, server, push=push)
    try:
        source = SourceConfig("news", "https://news.example/feed")
        body = feed("http://10.0.0.1/hub", "https://news.example/feed", "GPU")
        read = FetchResult("https://news.example/feed", 200, body)
        # Not serving the callbacks (poll --once): no subscription is asked for.
        websub.discovered(source, read)
        assert websub.state("news") is None
        await websub.start()
        websub.discovered(source, read)
        await websub.idle()
        assert not websub.pushed("news")
        assert websub.state("news") == "failed"
    finally:
        await websub.close()
        await fetcher.close()
        await server.close()


# -- pure ---------------------------------------------------------------------------------


def test_hubs_are_found_in_headers_rss_atom_and_json_feed() -> None:
    url = "https://news.example/feed.xml"
    assert find_hub(b"<rss/>", {"link": '<https://hub.example/>; rel="hub", '
                                        '<https://news.example/self>; rel="self"'}, url) == (
        "https://hub.example/", "https://news.example/self")
    rss = (b'<rss><channel><atom:link href="/hub" rel="hub"/><item><atom:link rel="hub" '
           b'href="https://late.example/"/></item></channel></rss>')
    assert find_hub(rss, {}, url) == ("https://news.example/hub", url)
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><link rel=\'self\' '
            b'href="https://news.example/atom"/><link rel="hub" '
            b'href="https://pubsubhubbub.appspot.com/"/></feed>')
    assert find_hub(atom, {}, url) == ("https://pubsubhubbub.appspot.com/",
                                       "https://news.example/atom")
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "feed_url": '
                 b'"https://news.example/feed.json", "hubs": [{"type": "rssCloud", "url": '
                 b'"https://cloud.example/"}, {"type": "WebSub", "url": "https://hub.example/"}]}')
    assert find_hub(json_feed, {}, url) == ("https://hub.example/",
                                            "https://news.example/feed.json")
    assert find_hub(b"<rss><channel><item/></channel></rss>", {}, url) is None
    assert find_hub(b'<feed><link rel="hub" href="javascript:x"/></feed>', {}, url) is None


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha512"])
def test_signatures(method: str) -> None:
    import hashlib
    import hmac

    body = b"<rss/>"
    good = hmac.new(b"s3cret", body, getattr(hashlib, method)).hexdigest()
    assert signature_valid(f"{method}={good}", body, "s3cret")
    assert not signature_valid(f"{method}={good}", body + b" ", "s3cret")
    assert not signature_valid(f"{method}={good}", body, "other")
    assert not signature_valid(None, body, "s3cret")
    assert not signature_valid(f"md5={good}", body, "s3cret")
    assert not signature_valid("sha256", body, "s3cret")


async def test_slack_http_mode_and_websub_share_the_public_port(tmp_path: Path) -> None:
    from fakes.slack_server import FakeSlack, sign_request
    from test_slack_app import SIGNING_SECRET, CannedCommandHandler, http_settings

    from adapters.slack.app import EVENTS_PATH, SlackApp

    async with websub_setup(tmp_path) as s, FakeSlack() as slack, \
            aiohttp.ClientSession() as http:
        handler = CannedCommandHandler()
        app = SlackApp(http_settings(slack), handler, http=s.server)
        await app.start()
        try:
            assert app.port == s.server.port
            body = slack.form_body(slack.slash_command("status", user_id="U0MEMBER",
                                                       channel_id="C0OPS"))
            async with http.post(s.server.url(EVENTS_PATH), data=body,
                                 headers=sign_request(SIGNING_SECRET, body)) as r:
                assert r.status == 200
            await slack.wait_responses(1)
            assert [text for _, text in handler.calls] == ["status"]
            # An unsigned request still never reaches the commands.
            async with http.post(s.server.url(EVENTS_PATH), data=body) as r:
                assert r.status == 401
            # WebSub answers on the same port.
            await s.vigie.poll_all()
            await s.hub.wait_for("subscribed", s.topic)
        finally:
            await app.close()
        # Closing Slack leaves the shared server (and WebSub) running.
        async with http.post(s.server.url(EVENTS_PATH), data=body) as r:
            assert r.status == 404
        assert s.server.running


def test_websub_and_http_settings_are_checked() -> None:
    from bot.config import validate
    from bot.exceptions import ConfigError

    config = validate({"websub": {"callback_url": "https://vigie.example/websub/",
                                  "secret": SECRET, "lease": "2d"},
                       "http": {"port": 8080}}, env={})
    assert config.websub.callback_url == "https://vigie.example/websub"
    assert config.websub.lease == 2 * 86400 and config.http.port == 8080
    assert SECRET not in repr(config)
    with pytest.raises(ConfigError) as info:
        validate({"websub": {"callback_url": "ftp://x", "safety_interval": "1s"},
                  "http": {"port": 70000, "address": "not an address!"}}, env={})
    assert info.value.problems == [
        ("http.port", "must be at least 0 and at most 65535"),
        ("http.address", 'must be an IP address ("0.0.0.0", "127.0.0.1", "::") or a host '
                         "name"),
        ("websub.callback_url", "must be an http:// or https:// URL without query or fragment"),
        ("websub.safety_interval", "must be at least 1m and at most 30d"),
    ]
    with pytest.raises(ConfigError) as info:
        validate({"websub": {"callback_url": "https://vigie.example/websub"}}, env={})
    assert info.value.problems == [("websub.secret", "is required")]
    with pytest.raises(ConfigError) as info:
        validate({"websub": {"callback_url": "https://vigie.example/w", "secret": "short"}},
                 env={})
    assert info.value.problems == [("websub.secret", "must be at least 16 characters")]


async def test_vigie_run_serves_the_callbacks_and_stops_cleanly(tmp_path: Path) -> None:
    async with websub_setup(tmp_path, interval="10s", path="/hooks/websub", start=False) as s:
        stop = asyncio.Event()
        running = asyncio.create_task(s.vigie.run(stop=stop))
        try:
            await s.hub.wait_for("subscribed", s.topic)
            assert s.hub.forms[0]["hub.callback"].startswith(s.server.url("/hooks/websub/"))
            await s.hub.publish(s.topic, feed(s.hub.url, s.topic, "Old GPU news", "New GPU"))
            await s.hook.wait_unique(1)
            assert titles(s.hook) == ["New GPU"]
        finally:
            stop.set()
            await running
    assert not s.server.running
