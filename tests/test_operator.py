"""What an impatient operator does to Vigie: two polls at once on one
database. Real ``vigie`` processes, a real feed server, real databases;
the assertions are on what the processes print and log.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from conftest import write_config
from feedbuilder import rss
from feedserver import FeedServer
from vigieproc import until, vigie, vigie_config

NEWSROOM = """
[[subscriptions]]
name = "newsroom"
topics = ["gpu", "musk"]
destination = "console"
"""

#: What a traceback or a statement in the log looks like.
NOISE = re.compile(r"Traceback|CancelledError|\[SQL|\bINSERT INTO\b|\bUPDATE \w+ SET\b"
                   r"|\bSELECT\b.*\bFROM\b|raised an exception")


def _articles(round_: int, count: int) -> list[dict[str, object]]:
    return [{"id": f"r{round_}-{n}", "title": f"GPU n°{n} du tour {round_}",
             "link": f"https://news.example/{round_}/{n}"} for n in range(count)]


# -- two polls at once (issue 16, case 5) ----------------------------------------


async def test_two_polls_at_once_report_each_item_once(tmp_path: Path,
                                                       pg_schema_url: str) -> None:
    """Two ``vigie poll --once --format json`` on one PostgreSQL database,
    their fetches released together: each new item is printed (and counted
    as new in the log) by exactly one of them, whichever stored it."""
    rounds, per_round = 4, 40
    async with FeedServer() as srv:
        config = write_config(tmp_path / "vigie.toml", vigie_config(
            pg_schema_url, {"wire": srv.url("/wire.xml")}, extra=NEWSROOM))
        for round_ in range(rounds):
            articles = _articles(round_, per_round)
            gate = asyncio.Event()
            srv.add("/wire.xml", rss(articles), gate=gate)
            asked = len(srv.requests_to("/wire.xml"))
            runs = [asyncio.create_task(vigie(
                "--log-level", "info", "poll", "--once", "--format", "json",
                "--config", str(config))) for _ in range(2)]
            # Both have fetched and wait for the answer: they will look up
            # and store the same items at the same time.
            await until(lambda: len(srv.requests_to("/wire.xml")) >= asked + 2,  # noqa: B023
                        "both processes' requests")
            gate.set()
            printed: list[str] = []
            counted = 0
            for code, out, err in await asyncio.gather(*runs):
                assert code == 0, err
                assert not NOISE.search(err), err
                printed += [json.loads(line)["title"] for line in out.splitlines()]
                [line] = re.findall(r"source wire: \d+ items, (\d+) new", err)
                counted += int(line)
            assert sorted(printed) == sorted(str(a["title"]) for a in articles), round_
            assert counted == per_round, round_
