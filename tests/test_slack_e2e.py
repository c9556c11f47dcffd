"""End to end: the real ``vigie run`` process, its real slack-bolt app and the
local fake Slack, in Socket Mode and in HTTP mode.

The test starts a :class:`FakeSlack` and a :class:`FeedServer`, writes a
configuration whose ``[slack]`` table points ``api_base`` at the fake, and
runs ``python -m bot.cli run`` as a subprocess (:class:`vigieproc.VigieProcess`).
Everything the test does goes through Slack's own interfaces: slash commands
(Socket Mode envelopes, or form-encoded requests signed the way Slack signs
them), replies through ``response_url``, alerts through ``chat.postMessage``.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import write_config
from fakes.slack_server import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    Response,
    sign_request,
)
from feedserver import FeedServer
from vigieproc import VigieProcess, until, vigie_config

CHANNEL = "C0NEWS"
ADMIN = "U0ADMIN"  # is_admin per the fake's users.info
MEMBER = "U0MEMBER"  # an ordinary member
FEED_PATH = "/numerama.xml"

FOUNDING_TITLE = "Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter"
FOUNDING_URL = "https://www.numerama.com/tech/musk-gpu-twitter.html"
FOUNDING = (
    "numerama-1337", FOUNDING_TITLE, FOUNDING_URL + "?utm_source=rss&amp;utm_medium=feed",
    """<![CDATA[<p>D’après <a href="https://www.bi.com/">Business Insider</a>,
    Elon Musk aurait acquis près de 100&nbsp;000 processeurs graphiques pour le projet
    d’intelligence artificielle générative de Twitter. Le milliardaire veut rattraper OpenAI.
    Twitter n’a pas commenté.</p><p>The post Musk appeared first on Numerama.</p>]]>""",
)
# Feed text that would notify the whole channel, everyone online and a user
# if it reached Slack unescaped (escaped once in the XML, so the parser hands
# the pipeline the raw "<!channel>").
MENTIONS = (
    "numerama-1400", "Alerte GPU &lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; @everyone",
    "https://www.numerama.com/tech/gpu-mentions.html",
    "Les GPU &lt;!channel&gt; et &lt;!here&gt; pour &lt;@U123&gt; et &lt;#C0GENERAL&gt;.",
)
STORM = tuple(
    (f"numerama-15{i:02d}", f"Pénurie de GPU, épisode {i}",
     f"https://www.numerama.com/tech/gpu-{i}.html", f"Les GPU manquent encore ({i}).")
    for i in range(1, 5)
)
# Matches no topic: the first poll has something to record.
NEUTRAL = ("numerama-1000", "La météo du week-end", "https://www.numerama.com/meteo.html",
           "Il pleuvra.")

# The 429 storm: chat.postMessage to the channel is refused this many times in
# a row, and at most 2 posts per 2.5 s are accepted after that (like Slack's
# per-channel burst limit), each 429 asking to retry after 1 s.
STORM_429 = 3
BURST = (2, 2.5, 1)

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>Numerama</title><link>https://www.numerama.com/</link><language>fr-FR</language>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>
<pubDate>{date}</pubDate><description>{body}</description></item>"""

SLACK = """
[slack]
bot_token = "${{SLACK_BOT_TOKEN}}"
api_base = "{api_base}"
app_home = true
{mode_keys}
"""


def feed(*items: tuple[str, str, str, str]) -> str:
    """An RSS feed of ``items`` (guid, title, link, description), published a
    minute apart in the given order, the last one a minute ago."""
    now = datetime.now(UTC).replace(microsecond=0)
    return FEED.format(items="\n".join(
        ITEM.format(guid=guid, title=title, link=link, body=body,
                    date=format_datetime(now - timedelta(minutes=len(items) - i), usegmt=True))
        for i, (guid, title, link, body) in enumerate(items)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def texts(payload: dict[str, Any]) -> str:
    """Every text of a message: the fallback and each block's, one per line."""
    out = [str(payload.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks") or [])
    return "\n".join(out)


def linked_urls(fake: FakeSlack) -> list[str]:
    """The URL each alert in the channel links its title to, in posting order."""
    urls = []
    for message in fake.messages(CHANNEL):
        section = message["blocks"][0]["text"]["text"]
        m = re.match(r"\*<(https?://[^|>]+)\|", section)
        assert m, section
        urls.append(m.group(1))
    return urls


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as f:
        yield f


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        srv.add(FEED_PATH, feed(NEUTRAL))
        yield srv


class Slash:
    """Types ``/vigie …`` in the channel, the way Slack delivers it in ``mode``."""

    def __init__(self, fake: FakeSlack, mode: str, session: aiohttp.ClientSession,
                 port: int) -> None:
        self.fake = fake
        self.mode = mode
        self.session = session
        self.url = f"http://127.0.0.1:{port}/slack/events"

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        async with self.session.post(self.url, data=body, headers=headers) as r:
            await r.read()
            return r.status

    async def __call__(self, text: str, user: str = ADMIN) -> Response:
        """Run the command; returns what the bot posted to its ``response_url``."""
        before = len(self.fake.responses)
        if self.mode == "socket":
            ack = await self.fake.send_slash_command(text, user_id=user, channel_id=CHANNEL)
            assert ack["envelope_id"]
        else:
            body = self.fake.form_body(
                self.fake.slash_command(text, user_id=user, channel_id=CHANNEL))
            status = await self.post(body, sign_request(SIGNING_SECRET, body))
            assert status == 200
        responses = await self.fake.wait_responses(before + 1, timeout=15)
        # Commands run one at a time here: the next response is this one's.
        assert len(responses) == before + 1, [r.payload for r in responses[before:]]
        response = responses[before]
        assert response.error is None, response  # valid Block Kit, per the fake
        return response


async def refused_requests_change_nothing(slash: Slash, fake: FakeSlack) -> None:
    """Tampered, unsigned and stale requests get 401 and never reach the layer."""
    before = len(fake.responses)
    users_info = len(fake.calls_to("users.info"))

    # Signed for `list`, then altered in transit into an unsubscribe.
    signed = fake.form_body(fake.slash_command("list", user_id=ADMIN, channel_id=CHANNEL))
    tampered = signed.replace(b"text=list", b"text=unsubscribe+gpu")
    assert tampered != signed
    assert await slash.post(tampered, sign_request(SIGNING_SECRET, signed)) == 401
    # No signature at all.
    body = fake.form_body(fake.slash_command("unsubscribe gpu", user_id=ADMIN,
                                             channel_id=CHANNEL))
    assert await slash.post(body, {"Content-Type": "application/x-www-form-urlencoded"}) == 401
    # Properly signed, but six minutes old (a replay).
    stale = sign_request(SIGNING_SECRET, body, timestamp=int(time.time()) - 360)
    assert await slash.post(body, stale) == 401
    # Signed with another app's secret.
    assert await slash.post(body, sign_request("0" * 32, body)) == 401

    # The next real command's reply is the next response: the refused ones
    # produced none, and the subscription is still there.
    listed = await slash("list")
    assert len(fake.responses) == before + 1
    assert "topics GPU" in texts(listed.payload)
    assert len(fake.calls_to("users.info")) == users_info


async def app_home_shows_health_and_topics(fake: FakeSlack) -> None:
    """The Home tab, built from the real command layer's replies."""
    await fake.send_event({"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME",
                           "tab": "home"})
    await until(lambda: bool(fake.home_views.get(MEMBER)), "the Home tab", timeout=15)
    [view] = fake.home_views[MEMBER]
    shown = texts({"blocks": view["blocks"]})
    assert "Vigie status" in shown and "*Sources*\n1 healthy" in shown
    assert "*gpu (GPU)*\nGPU" in shown and "*musk (Musk)*\nMusk" in shown
    assert "type `/vigie list` in a channel" in shown


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_vigie_run_serves_slack(mode: str, tmp_path: Path, fake: FakeSlack,
                                      feeds: FeedServer) -> None:
    port = free_port()
    mode_keys = (f'app_token = "{APP_TOKEN}"' if mode == "socket" else
                 f'mode = "http"\nsigning_secret = "{SIGNING_SECRET}"\nhttp_port = {port}')
    config = write_config(tmp_path / "vigie.toml", vigie_config(
        f"sqlite:///{tmp_path / 'vigie.db'}", {"numerama": feeds.url(FEED_PATH)},
        extra=SLACK.format(api_base=fake.api_base, mode_keys=mode_keys)))
    # Bolt switches to OAuth (multi-workspace) mode when the client variables are set.
    run = await VigieProcess.start(config, env={
        "SLACK_CLIENT_ID": None, "SLACK_CLIENT_SECRET": None, "SLACK_BOT_TOKEN": BOT_TOKEN})
    try:
        async with aiohttp.ClientSession() as session:
            slash = Slash(fake, mode, session, port)
            if mode == "socket":
                await fake.wait_connected(timeout=30)
            else:
                await run.wait_log(rf"listening for HTTP requests on port {port}", 30)
            # The first poll records the feed without alerting.
            await run.wait_log(r"source numerama: 1 items, 1 new, 0 matched", 30)

            # A bare /vigie is the help, for the caller only.
            helped = await slash("", user=MEMBER)
            assert helped.payload["response_type"] == "ephemeral"
            assert "*subscribe (admin)*" in texts(helped.payload)

            # A member may not subscribe the channel, and nothing is stored.
            refused = await slash("subscribe gpu", user=MEMBER)
            assert refused.payload["response_type"] == "ephemeral"
            assert "only admins can use `subscribe`" in texts(refused.payload)
            listed = await slash("list", user=MEMBER)
            assert "This channel has no subscriptions" in texts(listed.payload)

            # An admin (per users.info) may.
            for n, (topic, name) in enumerate(
                    [("gpu", "GPU"), ("iagen", "IA générative"), ("musk", "Musk")], 1):
                done = await slash(f"subscribe {topic}")
                assert done.payload["response_type"] == "ephemeral"
                assert f"Subscribed this channel to topic {name} (#{n})" in texts(done.payload)
            assert {c.params["user"] for c in fake.calls_to("users.info")} == {ADMIN, MEMBER}

            if mode == "http":
                await refused_requests_change_nothing(slash, fake)
            else:
                await app_home_shows_health_and_topics(fake)

            # New items, then the storm: the channel answers 429 for a while.
            fake.rate_limit(CHANNEL, count=STORM_429, retry_after=1)
            fake.burst_limit(*BURST)
            feeds.add(FEED_PATH, feed(NEUTRAL, FOUNDING, MENTIONS, *STORM))
            expected = [FOUNDING_URL, MENTIONS[2], *(s[2] for s in STORM)]
            await until(lambda: len(fake.messages(CHANNEL)) >= len(expected),
                        f"{len(expected)} alerts in {CHANNEL}; log:\n{run.log}", timeout=45)

            found = await slash("search musk", user=MEMBER)
        code = await run.stop()
    finally:
        await run.kill()
    log = run.log
    assert code == 0, log

    # Every alert exactly once, in published order, despite the 429s.
    assert linked_urls(fake) == expected, log
    assert fake.rate_limited >= STORM_429
    posts = fake.calls_to("chat.postMessage")
    assert all(c.error in (None, "ratelimited") for c in posts), [c.error for c in posts]
    assert len(posts) == len(expected) + fake.rate_limited

    # The founding article as Block Kit: linked title, matched terms in bold,
    # source/date/topics context, plain-text fallback; no unfurling.
    founding = fake.messages(CHANNEL)[0]
    section, context = founding["blocks"]
    assert section["type"] == "section" and context["type"] == "context"
    text = section["text"]["text"]
    assert text.startswith(f"*<{FOUNDING_URL}|{FOUNDING_TITLE}>*\n")
    assert "Elon *Musk* aurait acquis" in text
    assert "d’*intelligence artificielle générative* de Twitter" in text
    assert "appeared first" not in text
    meta = [e["text"] for e in context["elements"]]
    assert meta[0] == "*numerama*" and meta[1].startswith("<!date^")
    assert meta[2] == "Topics: GPU, IA générative, Musk"
    assert founding["text"] == f"{FOUNDING_TITLE} — numerama"
    assert founding["unfurl_links"] in (False, "false", "0")
    assert founding["unfurl_media"] in (False, "false", "0")

    # Feed text notified no one, and shows as the literal text it was.
    assert fake.mentions(CHANNEL) == []
    shown = texts(fake.messages(CHANNEL)[1])
    assert "&lt;!channel&gt;" in shown and "&lt;@U123&gt;" in shown

    # /vigie search musk answered in the channel with the article.
    assert found.payload["response_type"] == "in_channel"
    answer = texts(found.payload)
    assert f"<{FOUNDING_URL}|{FOUNDING_TITLE}>" in answer
    assert "gpu-1.html" not in answer  # the storm items do not mention Musk

    # Secrets never reach the log; nothing crashed.
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in log
    assert "Traceback" not in log, log
