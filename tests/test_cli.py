"""The CLI contract, end to end: the real ``vigie`` process against a real feed server.

Each test runs ``vigie`` as a subprocess (``python -m bot.cli``, through
:mod:`vigieproc`) while a :class:`FeedServer` on 127.0.0.1 serves the feeds
from the test's event loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import write_config
from feedserver import FeedServer
from vigieproc import VigieProcess, vigie, vigie_config

FOUNDING_FR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Numerama</title><link>https://www.numerama.com/</link><language>fr-FR</language>
  <item>
    <title>Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter</title>
    <link>https://www.numerama.com/tech/musk-gpu-twitter.html?utm_source=rss&amp;utm_medium=feed</link>
    <guid isPermaLink="false">numerama-1337</guid>
    <pubDate>{date}</pubDate>
    <description><![CDATA[<p>D’après <a href="https://www.bi.com/">Business Insider</a>,
    Elon Musk aurait acquis près de 100&nbsp;000 processeurs graphiques pour le projet
    d’intelligence artificielle générative de Twitter. Le milliardaire veut rattraper OpenAI.
    Twitter n’a pas commenté.</p><p>The post Musk appeared first on Numerama.</p>]]></description>
  </item>
  <item>
    <title>Le rat musqué envahit les canaux de Muskogee</title>
    <link>https://www.numerama.com/sciences/rat-musque.html</link>
    <guid>numerama-1338</guid>
    <pubDate>{date}</pubDate>
    <description>Les muskrats prolifèrent.</description>
  </item>
</channel>
</rss>
"""

FOUNDING_EN = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Tech News</title><id>urn:tech</id><updated>{iso}</updated>
  <entry>
    <title>Musk's Twitter buys 100,000 GPUs for generative AI</title>
    <id>urn:tech:1</id>
    <link rel="alternate" href="https://tech.example/musk-gpus#comments"/>
    <updated>{iso}</updated>
    <summary>Elon Musk's social network is building generative-AI models.</summary>
  </entry>
  <entry>
    <title>Same story, syndicated</title>
    <id>urn:tech:2</id>
    <link rel="alternate" href="https://www.numerama.com/tech/musk-gpu-twitter.html"/>
    <updated>{iso}</updated>
    <summary>Musk GPU.</summary>
  </entry>
</feed>
"""

# Every founding topic, printed on the console.
NEWSROOM = """
[[subscriptions]]
name = "newsroom"
topics = ["gpu", "iagen", "musk"]
destination = "console"
"""


def _dates() -> dict[str, str]:
    from datetime import UTC, datetime
    from email.utils import format_datetime

    now = datetime.now(UTC).replace(microsecond=0)
    return {"date": format_datetime(now, usegmt=True), "iso": now.isoformat()}


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        d = _dates()
        srv.add("/fr.xml", FOUNDING_FR.format(**d))
        srv.add("/en.xml", FOUNDING_EN.format(**d), content_type="application/atom+xml")
        yield srv


def make_config(tmp_path: Path, srv: FeedServer, store: str | None = None, *,
                interval: str | None = None, extra: str = "") -> Path:
    """Both feeds, the founding topics and the console subscription, then ``extra``."""
    store = store or f"sqlite:///{tmp_path / 'vigie.db'}"
    return write_config(tmp_path / "vigie.toml", vigie_config(
        store, {"numerama": srv.url("/fr.xml"), "technews": srv.url("/en.xml")},
        interval=interval, extra=NEWSROOM + extra))


async def test_founding_article_dry_run_json(tmp_path: Path, feeds: FeedServer) -> None:
    config = make_config(tmp_path, feeds)
    code, out, err = await vigie("poll", "--once", "--dry-run", "--format", "json",
                                 "--config", str(config))
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    by_title = {row["title"]: row for row in lines}
    fr = by_title["Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter"]
    assert set(fr) == {"source", "title", "url", "published", "language", "topics", "matched",
                       "subscriptions", "summary", "alerted", "suppressed"}
    # A first poll records without alerting, and each line says why (the
    # second copy of an article is a duplicate before anything else).
    assert not any(row["alerted"] for row in lines)
    assert sorted(row["suppressed"] for row in lines) == ["duplicate", "first-poll",
                                                          "first-poll"]
    assert fr["source"] == "numerama"
    assert fr["url"] == "https://www.numerama.com/tech/musk-gpu-twitter.html"
    assert fr["language"] == "fr"
    assert fr["published"].endswith("Z")
    assert set(fr["topics"]) == {"gpu", "iagen", "musk"}
    assert set(fr["matched"]) >= {"GPU", "IA générative", "Musk"}
    assert fr["subscriptions"] == ["newsroom"]
    assert fr["summary"].startswith("D’après Business Insider")
    assert "appeared first" not in fr["summary"]
    en = by_title["Musk's Twitter buys 100,000 GPUs for generative AI"]
    assert set(en["topics"]) == {"gpu", "iagen", "musk"} and en["language"] == "en"
    assert en["url"] == "https://tech.example/musk-gpus"
    assert not any("musqué" in t for t in by_title), "muskrat story must not match"
    # A dry run leaves no database behind.
    assert not (tmp_path / "vigie.db").exists()


async def test_poll_json_writes_console_alerts_to_stderr(tmp_path: Path,
                                                         feeds: FeedServer) -> None:
    # The console is found through its entry point like any destination; in
    # JSON mode the CLI only tells it to write to standard error.
    config = make_config(tmp_path, feeds)
    code, out, err = await vigie("poll", "--once", "--backfill", "--format", "json",
                                 "--config", str(config))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and all("newsroom" in row["subscriptions"] for row in rows)
    assert "▶ [numerama] Elon *Musk* a acheté" in err and "▶" not in out


async def test_poll_once_records_then_alerts_only_new_items(
    tmp_path: Path, feeds: FeedServer
) -> None:
    config = make_config(tmp_path, feeds)
    code, out, err = await vigie("poll", "--once", "--config", str(config))
    assert code == 0, err
    assert out == ""  # first poll records without alerting
    d = _dates()
    feeds.add("/fr.xml", FOUNDING_FR.format(**d).replace(
        "<item>", """<item><title>Nvidia livre ses GPU Blackwell</title>
        <link>https://www.numerama.com/tech/blackwell.html</link><guid>numerama-2000</guid>
        <pubDate>{date}</pubDate></item><item>""".format(**d), 1))
    code, out, err = await vigie("poll", "--once", "--config", str(config))
    assert code == 0, err
    assert "Nvidia livre ses *GPU* Blackwell" in out
    assert out.count("▶") == 1  # only the new item
    code, out, err = await vigie("poll", "--once", "--config", str(config))
    assert out == ""  # nothing new, nothing twice
    code, out, _ = await vigie("status", "--config", str(config))
    assert code == 0
    assert "numerama: last success" in out and "technews: last success" in out
    assert "1 sent" in out


async def test_backfill_alerts_everything_once_across_sources(
    tmp_path: Path, feeds: FeedServer
) -> None:
    config = make_config(tmp_path, feeds)
    code, out, err = await vigie("poll", "--once", "--backfill", "--config", str(config))
    assert code == 0, err
    # The syndicated copy has the same canonical URL as numerama's article: one alert.
    assert out.count("musk-gpu-twitter.html") == 1
    assert "Same story, syndicated" not in out
    # The English article is the French one's story (bot._stories): one alert for both.
    assert ("Elon *Musk* a acheté 100 000 *GPU*" in out) != (
        "*Musk*'s Twitter buys 100,000 *GPUs* for *generative AI*" in out)
    assert "rat musqué" not in out


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "recorded"])
async def test_json_lines_say_which_copy_alerted_and_why_the_others_did_not(
    tmp_path: Path, feeds: FeedServer, dry_run: bool
) -> None:
    config = make_config(tmp_path, feeds)
    code, out, err = await vigie("poll", "--once", "--backfill", "--format", "json",
                                 *(["--dry-run"] if dry_run else []), "--config", str(config))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    for row in rows:
        assert row["alerted"] is (row["suppressed"] is None), row
        assert row["suppressed"] in (None, "duplicate", "same-story"), row
    # Two sources carry the same canonical URL: one line alerted, the other
    # is the duplicate (whichever source was polled first wins).
    same_url = [r for r in rows if r["url"] == "https://www.numerama.com/tech/musk-gpu-twitter.html"]
    assert sorted(r["suppressed"] or "alerted" for r in same_url) == ["alerted", "duplicate"]
    # The French and English articles tell one story: one alert between them.
    story = [r for r in rows if r["title"].startswith(("Elon Musk a acheté", "Musk's Twitter"))]
    assert len(story) == 2 and sum(r["alerted"] for r in story) == 1
    assert sum(r["alerted"] for r in rows) == 1
    if not dry_run:
        # Exactly what went out: one alert, on the console (standard error in JSON mode).
        assert err.count("▶") == 1


async def test_first_poll_says_what_it_recorded(tmp_path: Path, feeds: FeedServer) -> None:
    config = make_config(tmp_path, feeds)
    code, out, err = await vigie("poll", "--once", "--config", str(config))
    assert code == 0 and out == "", err
    assert ("numerama: 2 items recorded, 1 would have matched (a first poll alerts nothing: "
            "`recent` in `vigie chat` shows them") in err
    assert "technews: 2 items recorded, 2 would have matched" in err
    code, out, err = await vigie("poll", "--once", "--config", str(config))
    assert code == 0 and "items recorded" not in err  # said on the first poll only


async def test_vigie_config_env_replaces_flag(tmp_path: Path, feeds: FeedServer) -> None:
    config = make_config(tmp_path, feeds)
    code, out, _ = await vigie("check", env={"VIGIE_CONFIG": str(config)})
    assert code == 0 and "ok" in out
    code, _, err = await vigie("check", env={"VIGIE_CONFIG": ""})
    assert code == 2 and "VIGIE_CONFIG" in err


async def test_check_lists_every_error(tmp_path: Path) -> None:
    config = write_config(tmp_path / "bad.toml", """
        [[sources]]
        name = "a"
        url = "gopher://x"
        interval = "1s"

        [topics.gpu]
        keywords = ["GPU"]
        colour = "green"

        [[subscriptions]]
        name = "s"
        topics = ["gpu", "missing"]
        query = 'GPU OR'
        destination = "carrier-pigeon:1"
    """)
    code, out, _ = await vigie("check", "--config", str(config))
    assert code == 2
    lines = out.strip().splitlines()
    for key in ("sources[0].url", "sources[0].interval", "topics.gpu.colour",
                "subscriptions[0].topics[1]", "subscriptions[0].query",
                "subscriptions[0].destination"):
        assert any(line.startswith(f"{config}: {key}: ") for line in lines), (key, lines)


async def test_check_sources_shows_health(tmp_path: Path, feeds: FeedServer) -> None:
    feeds.add_status("/gone.xml", 404)
    config = make_config(tmp_path, feeds)
    text = config.read_text().replace(feeds.url("/en.xml"), feeds.url("/gone.xml"))
    config.write_text(text)
    await vigie("poll", "--once", "--config", str(config))
    code, out, _ = await vigie("check", "--sources", "--config", str(config))
    assert code == 1
    assert "numerama: ok, 2 items" in out
    assert "technews: FAILED: HTTP 404" in out
    assert "1 failures in a row" in out


async def test_explain_text_and_url(tmp_path: Path, feeds: FeedServer) -> None:
    config = make_config(tmp_path, feeds)
    text = config.read_text().replace('keywords = ["Musk"]',
                                      'keywords = ["Musk"]\nfields = ["title"]\n'
                                      'exclude = ["muskrat"]')
    config.write_text(text)
    code, out, err = await vigie(
        "explain", "--config", str(config), "--text",
        "Le rat musqué\nElon Musk achète des GPUs pour l’IA générative")
    assert code == 0, err
    assert "✔ topic gpu" in out and '"GPU" in summary' in out
    assert "✘ topic musk" in out and "title" in out
    code, out, err = await vigie("explain", "--config", str(config), "--url", "numerama")
    assert code == 0, err
    assert "1. Elon Musk a acheté" in out
    assert "✔ topic musk (Musk): matched \"Musk\" in title" in out
    assert "2. Le rat musqué" in out and "✘ topic musk" in out


async def test_run_polls_and_prints_until_sigterm(tmp_path: Path, feeds: FeedServer) -> None:
    config = make_config(tmp_path, feeds, interval="10s",
                         extra="\n[poll]\nfirst_poll_alerts = true\n")
    run = await VigieProcess.start(config)
    try:
        # Numerama's URL alerts once either way: from Numerama, or from the
        # syndicated copy when Tech News is polled first.
        await run.wait_output(r"musk-gpu-twitter", timeout=60)
        for name in ("numerama", "technews"):
            await run.wait_log(rf"source {name}: \d+ items", timeout=60)
        seen = run.output
    finally:
        code = await run.stop()
    assert code == 0, run.log
    # Whichever source came first alerted the story; the other's copy (the same
    # story in another language, or the same URL) joined it and alerts nothing.
    polls = re.findall(r"source (\w+): \d+ items.* (\d+) to alert", run.log)
    assert int(polls[0][1]) > 0 and int(polls[1][1]) == 0, run.log
    assert not ("Elon *Musk* a acheté" in seen and "*Musk*'s Twitter buys" in seen)
    assert seen.count("musk-gpu-twitter") == 1
